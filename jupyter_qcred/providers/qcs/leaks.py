"""Rigetti QCS's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`), and its public token
format for ``jupyter qcred scan``.

Values: the ``access_token``, ``refresh_token`` and ``id_token`` of every credential's ``token_payload`` in
``secrets.toml`` (the hand-off's ``jupyter_qcred-NAME`` entry and pyquil's access-token copy included, named after
the credential they serve) and every ``client_credentials`` secret (also matched as HTTP Basic ``client_id:secret``
in base64), read with the provider's own parser; a file that does not parse gives what a plain search for those keys
finds.

Format: a JWT whose issuer is Rigetti's identity service (``auth.qcs.rigetti.com``), decoded without checking the
signature. QCS refresh tokens are opaque strings with no recognisable shape, so only the user's own are found (as
values, and as rotated hashes).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...core import files
from ...core.errors import QCredError
from ...core.secrets import JWT_PATTERN, Secret, TokenFormat, jwt_issuer_host
from .fasttoken import MANAGED_PREFIX
from .model import load_secrets

if TYPE_CHECKING:
    from .provider import QcsProvider

#: The issuers of QCS access tokens (REFERENCE.md: the QCS auth server's default issuer).
ISSUER_HOSTS = ("auth.qcs.rigetti.com",)
_KINDS = {"access_token": "access token", "refresh_token": "refresh token", "id_token": "ID token"}
_LOOSE = re.compile(r"""(?m)^\s*(access_token|refresh_token|id_token|client_secret)\s*=\s*["']([^"'\n]+)["']""")


def _name(credential: str) -> str:
    return credential.removeprefix(MANAGED_PREFIX)


def values(provider: QcsProvider) -> list[Secret]:
    """Every token and client secret of ``secrets.toml``."""
    path = provider.files.secrets_path
    text = files.read_text(path)
    if text is None:
        return []
    key, title, where = provider.key, provider.title, str(path)
    try:
        _, secrets = load_secrets(path, text)
    except QCredError:  # a file the SDK would not load either may still hold tokens
        return [
            Secret(m.group(2), key, title, path.name, _KINDS.get(m.group(1), "client secret"), where)
            for m in _LOOSE.finditer(text)
        ]
    found: list[Secret] = []
    for name, credential in secrets.credentials.items():
        payload = credential.token_payload
        if payload is not None:
            for field, kind in _KINDS.items():
                value = getattr(payload, field)
                if value:
                    found.append(Secret(value, key, title, _name(name), kind, where))
        client = credential.client_credentials
        if client is not None and client.client_secret:
            found.append(
                Secret(client.client_secret, key, title, _name(name), "client secret", where, client.client_id)
            )
    return found


def _rigetti(token: str) -> bool:
    return jwt_issuer_host(token) in ISSUER_HOSTS


FORMATS: list[TokenFormat] = [
    TokenFormat("qcs", "Rigetti QCS", "a Rigetti QCS access token (a JWT issued by QCS)", JWT_PATTERN, _rigetti),
]
