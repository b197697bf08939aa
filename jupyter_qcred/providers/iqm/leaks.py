"""IQM's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`), and its public token formats for
``jupyter qcred scan``.

Values: every token of the tokens file (``access_token``, ``refresh_token``, ``api_token``) and ``IQM_TOKEN`` of the
environment.

Formats: IQM documents no shape for Resonance API tokens and iqm-client checks none (it sends ``IQM_TOKEN`` as it is),
so a token is recognised by its context only: the value of ``IQM_TOKEN`` (``IQM_TOKEN=…``,
``os.environ["IQM_TOKEN"] = "…"``), or ``token=`` given to ``IQMClient``/``IQMProvider``/``IQMSampler``; and it
must mix letters and digits, which placeholders do not. (A tokens file's ``"refresh_token"`` is not a context: other
clouds' files use the same key.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.secrets import Secret, TokenFormat
from .spec import TOKEN_NAME
from .store import SECRET_KEYS

if TYPE_CHECKING:
    from .provider import IqmProvider

_TOKEN = r"(?P<token>[A-Za-z0-9_.~+/=-]{20,})(?![A-Za-z0-9_.~+/=-])"


def values(provider: IqmProvider) -> list[Secret]:
    found: list[Secret] = []
    document = provider.store.read()
    for key in SECRET_KEYS:
        value = document.get(key)
        if value:
            kind = key.replace("_", " ")
            found.append(Secret(value, provider.key, provider.title, TOKEN_NAME, kind, str(provider.path)))
    value = provider.settings.environ.get("IQM_TOKEN")
    if value:
        found.append(Secret(value, provider.key, provider.title, "IQM_TOKEN", "API token", None))
    return found


def _random(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


FORMATS: list[TokenFormat] = [
    TokenFormat(
        "iqm",
        "IQM Resonance",
        "an IQM Resonance token",
        r"""(?:\bIQM_TOKEN["']?\]?\s*[:=]\s*["']?|\bIQM(?:Client(?:\.from_url)?|Provider|Sampler)\([^)]*?\btoken\s*=\s*["'])"""
        + _TOKEN,
        _random,
    ),
]
