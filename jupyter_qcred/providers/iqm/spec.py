"""The bundle's ``iqm`` section: one IQM credential, as iqm-client 36 takes exactly one (``IQM_TOKEN`` or
``IQM_TOKENS_FILE``, never both).

Two shapes, the two iqm-client reads:

- a Resonance API token (``token``), generated in the Resonance dashboard; long-lived, sent as ``Bearer``;
- a login's token pair as IQM's Cortex CLI keeps it (``access_token``, ``refresh_token``, ``auth_server_url``,
  ``realm``, ``client_id``), renewed here with the refresh token ahead of the access token's expiry.

Either may name the server (``url``, iqm-client's ``IQM_SERVER_URL``) and the quantum computer
(``quantum_computer``, ``IQM_QUANTUM_COMPUTER``).
"""

from __future__ import annotations

import dataclasses

from ...core.errors import FieldError
from ...core.validation import Fields

#: The one credential's name: iqm-client reads one token.
TOKEN_NAME = "default"
DEFAULT_REALM = "cortex"
DEFAULT_CLIENT_ID = "iqm_client"


@dataclasses.dataclass(frozen=True)
class IqmTokenSpec:
    """One IQM credential: an API token, or a login's access/refresh pair."""

    token: str | None = None
    refresh_token: str | None = None
    auth_server_url: str | None = None
    realm: str = DEFAULT_REALM
    client_id: str = DEFAULT_CLIENT_ID
    url: str | None = None
    quantum_computer: str | None = None
    default: bool = True

    @property
    def name(self) -> str:
        return TOKEN_NAME

    @property
    def renewable(self) -> bool:
        return bool(self.refresh_token and self.auth_server_url)

    def __repr__(self) -> str:  # never show a token
        return (
            f"IqmTokenSpec(url={self.url!r}, quantum_computer={self.quantum_computer!r}, "
            f"renewable={self.renewable}, auth_server_url={self.auth_server_url!r})"
        )


def parse_entry(fields: Fields) -> IqmTokenSpec:
    """One entry of ``iqm``: ``token`` (an API token), or ``refresh_token`` + ``auth_server_url`` (with
    ``access_token``, ``realm``, ``client_id`` optional); ``url`` and ``quantum_computer`` optional. A second entry
    is an error: iqm-client reads one token."""
    fields.unknown(
        {
            "token",
            "access_token",
            "refresh_token",
            "auth_server_url",
            "realm",
            "client_id",
            "url",
            "quantum_computer",
            "default",
        }
    )
    if fields.index > 0:
        raise FieldError(fields.where, fields.path, "is a second IQM token; iqm-client reads one token, give one entry")
    token = fields.secret("token") or fields.secret("access_token")
    refresh = fields.secret("refresh_token")
    auth = fields.url("auth_server_url")
    if refresh and not auth:
        raise FieldError(fields.where, fields._name("auth_server_url"), "is required with refresh_token")
    if not token and not refresh:
        raise FieldError(fields.where, fields._name("token"), "is required (or refresh_token and auth_server_url)")
    return IqmTokenSpec(
        token=token,
        refresh_token=refresh,
        auth_server_url=auth,
        realm=fields.text("realm") or DEFAULT_REALM,
        client_id=fields.text("client_id") or DEFAULT_CLIENT_ID,
        url=fields.url("url"),
        quantum_computer=fields.text("quantum_computer"),
        default=bool(fields.flag("default", True)),
    )
