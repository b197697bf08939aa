"""The bundle's ``qcs`` section: Rigetti QCS profiles with the credential each uses, validated field by field;
errors name the field, never the value."""

from __future__ import annotations

import dataclasses

from ...core.errors import FieldError
from ...core.validation import Fields

#: How a QCS credential is kept fresh: by the server talking to the identity provider itself (public client), or by
#: pulling fresh tokens from the hub (confidential client whose secret stays on the hub).
QCS_REFRESH_PATHS = ("provider", "hub")
QCS_HANDOFFS = ("command", "files")


@dataclasses.dataclass(frozen=True)
class QcsProfileSpec:
    """One Rigetti QCS profile of the bundle, with the credential it uses."""

    profile: str
    access_token: str | None = None
    refresh_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str | None = None
    grpc_api_url: str | None = None
    issuer: str | None = None
    credentials_name: str | None = None
    auth_server_name: str | None = None
    default: bool = False
    refresh: str = "provider"
    #: How SDK processes get this credential's tokens: "command" (jupyter_qcred's token command) or "files"
    #: (plain token payloads); None: the deployment's setting (``c.QCredApp.qcs_handoff``, default "command").
    handoff: str | None = None

    @property
    def name(self) -> str:
        """The profile's name (what every view calls this credential)."""
        return self.profile

    def __repr__(self) -> str:  # never show the tokens
        return f"QcsProfileSpec(profile={self.profile!r})"


_QCS_FIELDS = {f.name for f in dataclasses.fields(QcsProfileSpec)}


def parse_entry(fields: Fields) -> QcsProfileSpec:
    """One entry of the bundle's ``qcs`` section (see DESIGN.md: Spawn bundle v1)."""
    where, index = fields.where, fields.index
    fields.unknown(_QCS_FIELDS)
    spec = QcsProfileSpec(
        profile=fields.text("profile") or "default",
        access_token=fields.text("access_token"),
        refresh_token=fields.text("refresh_token"),
        client_id=fields.text("client_id"),
        client_secret=fields.text("client_secret"),
        api_url=fields.url("api_url"),
        grpc_api_url=fields.url("grpc_api_url"),
        issuer=fields.url("issuer"),
        credentials_name=fields.text("credentials_name"),
        auth_server_name=fields.text("auth_server_name"),
        default=bool(fields.flag("default", False)),
        refresh=fields.text("refresh") or "provider",
        handoff=fields.text("handoff"),
    )
    if spec.handoff is not None and spec.handoff not in QCS_HANDOFFS:
        raise FieldError(where, f"qcs[{index}].handoff", f"must be one of {', '.join(QCS_HANDOFFS)}")
    if spec.refresh not in QCS_REFRESH_PATHS:
        raise FieldError(where, f"qcs[{index}].refresh", f"must be one of {', '.join(QCS_REFRESH_PATHS)}")
    if not (spec.access_token or spec.refresh_token or spec.client_secret):
        raise FieldError(
            where, f"qcs[{index}]", "needs an access_token, a refresh_token, or a client_id with client_secret"
        )
    if spec.client_secret and not spec.client_id:
        raise FieldError(where, f"qcs[{index}].client_id", "is required with client_secret")
    return spec
