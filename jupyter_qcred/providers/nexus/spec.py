"""The bundle's ``nexus`` section: one login (qnexus keeps one per home), as its refresh token."""

from __future__ import annotations

import dataclasses

from ...core.errors import FieldError
from ...core.validation import Fields

LOGIN_NAME = "default"


@dataclasses.dataclass(frozen=True)
class NexusLoginSpec:
    """A Quantinuum Nexus login: the refresh token (cookie ``myqos_oat``), optionally a current access token and
    the Nexus URL (default ``https://nexus.quantinuum.com``)."""

    refresh_token: str
    access_token: str | None = None
    url: str | None = None
    default: bool = True

    @property
    def name(self) -> str:
        return LOGIN_NAME

    def __repr__(self) -> str:  # never show the tokens
        return f"NexusLoginSpec(url={self.url!r})"


def parse_entry(fields: Fields) -> NexusLoginSpec:
    fields.unknown({"refresh_token", "access_token", "url", "default"})
    if fields.index > 0:
        raise FieldError(fields.where, fields.path, "is a second Nexus login; qnexus keeps one login, give one entry")
    return NexusLoginSpec(
        refresh_token=fields.text("refresh_token", required=True) or "",
        access_token=fields.text("access_token"),
        url=fields.url("url"),
        default=bool(fields.flag("default", True)),
    )
