"""IBM Quantum's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`), and its public token
formats for ``jupyter qcred scan``.

Values: the token of every account in ``qiskit-ibm.json`` (an API key, or a legacy API token) and of every section
of ``qiskitrc``, read with the provider's own parsers; a file that does not parse gives what a plain search for its
``token`` entries finds, so a half-edited file still keeps its keys out of outputs. The SDKs' environment variables
(``QISKIT_IBM_TOKEN``, ``QE_TOKEN``) count too: they are the user's credentials as much as the files.

Formats (conservative: a format that also matches ordinary hashes or identifiers is worse than none):

- an IBM Cloud API key (44 characters of ``A-Za-z0-9_-``) right after ``token``/``apikey``/``api_key`` and ``=`` or
  ``:`` (``token="…"`` in ``QiskitRuntimeService(...)`` or ``save_account(...)``, ``"token": "…"`` in a JSON file),
  mixing upper case, lower case and digits. 44 such characters alone would also match identifiers and base64url
  digests, so the context is required;
- a legacy IBM Quantum API token (128 hex digits) in the same context: 128 hex digits alone are also every SHA-512
  digest.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...core import files
from ...core.errors import FileFormatError
from ...core.secrets import Secret, TokenFormat
from . import accounts_json as ibm_json
from .qiskitrc import parse_qiskitrc

if TYPE_CHECKING:
    from pathlib import Path

    from .provider import IbmProvider

#: The environment variables the SDKs take a token from.
ENV_TOKENS = ("QISKIT_IBM_TOKEN", "QE_TOKEN")
_LOOSE = re.compile(r"""(?im)^\s*"?token"?\s*[:=]\s*"?([^"\s,]+)""")
_CONTEXT = r"""(?i:\b(?:token|api_?key|apikey)["']?\s*[:=]\s*["']?)"""


def _kind(channel: object) -> str:
    return "API token" if channel == "ibm_quantum" else "API key"


def _loose(provider: IbmProvider, path: Path, text: str) -> list[Secret]:
    """The ``token`` entries of a file that does not parse (``"token": "…"`` or ``token = …``)."""
    return [
        Secret(match.group(1), provider.key, provider.title, path.name, "key", str(path))
        for match in _LOOSE.finditer(text)
    ]


def values(provider: IbmProvider) -> list[Secret]:
    """Every token of both files and of the SDKs' environment variables."""
    found: list[Secret] = []
    json_path, rc_path = provider.json_path, provider.qiskitrc_path
    text = files.read_text(json_path)
    if text is not None:
        try:
            data = ibm_json.parse_accounts(text, json_path)
        except FileFormatError:
            found += _loose(provider, json_path, text)
        else:
            for name, entry in data.items():
                token = entry.get("token")
                if isinstance(token, str) and token:
                    kind = _kind(entry.get("channel"))
                    found.append(Secret(token, provider.key, provider.title, name, kind, str(json_path)))
    text = files.read_text(rc_path)
    if text is not None:
        try:
            rc = parse_qiskitrc(text, rc_path)
        except FileFormatError:
            found += _loose(provider, rc_path, text)
        else:
            for rc_entry in rc.entries:
                token = rc_entry.credentials.token
                if token:
                    found.append(Secret(token, provider.key, provider.title, rc_entry.name, "API token", str(rc_path)))
    for variable in ENV_TOKENS:
        token = provider.settings.environ.get(variable)
        if token:
            found.append(Secret(token, provider.key, provider.title, variable, "token", None))
    return found


def _mixed(token: str) -> bool:
    """Upper case, lower case and digits all present: a random key, not a word or a name."""
    return any(c.isupper() for c in token) and any(c.islower() for c in token) and any(c.isdigit() for c in token)


FORMATS: list[TokenFormat] = [
    TokenFormat(
        "ibm",
        "IBM Quantum",
        "an IBM Cloud API key",
        _CONTEXT + r"(?P<token>[A-Za-z0-9_-]{44})(?![A-Za-z0-9_-])",
        _mixed,
    ),
    TokenFormat(
        "ibm",
        "IBM Quantum",
        "a legacy IBM Quantum API token",
        _CONTEXT + r"(?P<token>[0-9a-fA-F]{128})(?![0-9A-Za-z])",
    ),
]
