"""Quantinuum Nexus's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`), and its public token
format for ``jupyter qcred scan``.

Values: the refresh token of ``~/.qnx/auth/token.json`` and the access token of ``id.json`` (``managed_auth`` under
``NEXUS_MANAGED_TOKENS``), read as qnexus reads them; a file that does not parse is left out (the other still
counts).

Format: a JWT whose issuer is a ``quantinuum.com`` host (Nexus access tokens are JWTs Nexus itself issues; the host is
taken from the Nexus address, not checked against a real token here). Nexus refresh tokens are opaque.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import QCredError
from ...core.secrets import JWT_PATTERN, Secret, TokenFormat, jwt_issuer_host
from .spec import LOGIN_NAME

if TYPE_CHECKING:
    from .provider import NexusProvider


def values(provider: NexusProvider) -> list[Secret]:
    """The refresh token and the access token qnexus would use."""
    store, found = provider.store, []
    for read, path, kind in (
        (store.refresh_token, store.refresh_path, "refresh token"),
        (store.access_token, store.access_path, "access token"),
    ):
        try:
            value = read()
        except QCredError:
            continue
        if value:
            found.append(Secret(value, provider.key, provider.title, LOGIN_NAME, kind, str(path)))
    return found


def _quantinuum(token: str) -> bool:
    host = jwt_issuer_host(token)
    return host is not None and (host == "quantinuum.com" or host.endswith(".quantinuum.com"))


FORMATS: list[TokenFormat] = [
    TokenFormat("nexus", "Quantinuum Nexus", "a Quantinuum Nexus access token (a JWT)", JWT_PATTERN, _quantinuum),
]
