"""The bundle's ``braket`` section: one AWS profile per entry, with the role to assume and the OIDC token source."""

from __future__ import annotations

import dataclasses
import re

from ...core.errors import FieldError
from ...core.validation import Fields

#: How the token file is kept fresh: by the server with the refresh token (a public OIDC client), or by pulling the
#: hub's freshest id_token (the hub's confidential client refreshes its login).
REFRESH_PATHS = ("provider", "hub")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


@dataclasses.dataclass(frozen=True)
class BraketProfileSpec:
    """An AWS profile that assumes ``role_arn`` with the OIDC token of the login."""

    profile: str
    role_arn: str
    region: str = "us-east-1"
    web_identity_token: str | None = None
    refresh_token: str | None = None
    issuer: str | None = None
    client_id: str | None = None
    refresh: str = "hub"
    default: bool = False

    @property
    def name(self) -> str:
        return self.profile

    def __repr__(self) -> str:  # never show the tokens
        return f"BraketProfileSpec(profile={self.profile!r}, role_arn={self.role_arn!r})"


def parse_entry(fields: Fields) -> BraketProfileSpec:
    """One entry of ``braket`` (see DESIGN: no AWS secret, only the role and the OIDC token source).

    The profile name becomes a section of ``~/.aws/config`` and the names of files in ``~/.aws/qcred``, and the
    region part of the STS host (``sts.REGION.amazonaws.com``) the login's token is sent to: both are checked by
    the shared validators, so neither can point outside that folder or at another host."""
    fields.unknown({f.name for f in dataclasses.fields(BraketProfileSpec)})
    where, path = fields.where, fields.path
    profile = fields.name("profile", "default") or "default"
    role_arn = fields.text("role_arn", required=True) or ""
    if not ROLE_ARN.match(role_arn):
        raise FieldError(where, f"{path}.role_arn", "must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    refresh_token = fields.text("refresh_token")
    spec = BraketProfileSpec(
        profile=profile,
        role_arn=role_arn,
        region=fields.region("region") or "us-east-1",
        web_identity_token=fields.text("web_identity_token"),
        refresh_token=refresh_token,
        issuer=fields.url("issuer"),
        client_id=fields.text("client_id"),
        refresh=fields.text("refresh") or ("provider" if refresh_token else "hub"),
        default=bool(fields.flag("default", False)),
    )
    if spec.refresh not in REFRESH_PATHS:
        raise FieldError(where, f"{path}.refresh", f"must be one of {', '.join(REFRESH_PATHS)}")
    if spec.refresh == "provider" and not (spec.refresh_token and spec.issuer and spec.client_id):
        raise FieldError(where, path, "refreshed by the server needs refresh_token, issuer and client_id")
    if not (spec.web_identity_token or spec.refresh_token):
        raise FieldError(where, path, "needs a web_identity_token (the login's OIDC id_token) or a refresh_token")
    return spec
