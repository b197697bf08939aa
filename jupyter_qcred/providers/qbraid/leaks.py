"""qBraid's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`), and its public key formats for
``jupyter qcred scan``.

Values: the ``api-key`` and ``access-token`` of qbraidrc's ``[default]`` section (the two qbraid-core sends), and
``QBRAID_API_KEY`` / ``QBRAID_ACCESS_TOKEN`` of the environment.

Formats (from qbraid-core 0.6's ``config.py``): qBraid's own keys are ``qbr_<hex>``; a white-label deployment's key
is ``<prefix>_<base32 host>.<64 hex>`` (e.g. ``eq1_mfygsltfof2wc3brfzrw63i.<hex>``), recognised only when its host
segment decodes to a host name as qbraid-core decodes it. Besides, any value given to ``api-key =`` in an INI file or
to ``QBRAID_API_KEY`` that mixes letters and digits (placeholders do not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import QCredError
from ...core.secrets import Secret, TokenFormat
from . import rc
from .spec import KEY_NAME

if TYPE_CHECKING:
    from .provider import QbraidProvider


def values(provider: QbraidProvider) -> list[Secret]:
    """The key and access token qbraidrc holds, and those of the environment."""
    found: list[Secret] = []
    try:
        options = provider._options()
    except QCredError:  # a file qbraid-core cannot read either: nothing it would send
        options = {}
    for option, kind in (("api-key", "API key"), ("access-token", "access token")):
        if options.get(option):
            found.append(Secret(options[option], provider.key, provider.title, KEY_NAME, kind, str(provider.path)))
    for variable, kind in ((rc.KEY_VARIABLE, "API key"), (rc.TOKEN_VARIABLE, "access token")):
        value = provider.settings.environ.get(variable)
        if value:
            found.append(Secret(value, provider.key, provider.title, variable, kind, None))
    return found


def _random(token: str) -> bool:
    """Letters and digits both: a generated key, not a placeholder or a word."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def _white_label(token: str) -> bool:
    return rc.endpoint_for_api_key(token) is not None


FORMATS: list[TokenFormat] = [
    TokenFormat("qbraid", "qBraid", "a qBraid API key", r"(?<![A-Za-z0-9_])qbr_[0-9a-f]{24,}(?![A-Za-z0-9_])"),
    TokenFormat(
        "qbraid",
        "qBraid",
        "a qBraid white-label API key",
        r"(?<![A-Za-z0-9_])[a-z0-9]+_[a-z2-7]{2,405}\.[0-9a-f]{64}(?![A-Za-z0-9_])",
        _white_label,
    ),
    TokenFormat(
        "qbraid",
        "qBraid",
        "a qBraid API key",
        r"""(?:\bQBRAID_API_KEY["']?\]?\s*[:=]\s*["']?|(?m:^)[ \t]*api-key[ \t]*[:=][ \t]*"""
        r"""|\bQbraidProvider\(\s*(?:api_key\s*=\s*)?["'])"""
        r"(?P<token>[A-Za-z0-9_.-]{16,})(?![A-Za-z0-9_.-])",
        _random,
    ),
]
