"""The bundle's ``qbraid`` section: one API key (qbraid-core reads one, from qbraidrc's ``[default]`` section) and
optionally the API's URL."""

from __future__ import annotations

import dataclasses

from ...core.errors import FieldError
from ...core.validation import Fields

#: The one credential's name: qbraid-core has no named accounts, it reads the ``[default]`` section only.
KEY_NAME = "default"

PERCENT = "holds a '%', which qbraid-core's config parser reads as an interpolation and then refuses"


@dataclasses.dataclass(frozen=True)
class QbraidKeySpec:
    """A qBraid API key (account.qbraid.com, API Keys)."""

    key: str
    url: str | None = None
    default: bool = True

    @property
    def name(self) -> str:
        return KEY_NAME

    def __repr__(self) -> str:  # never show the key
        return f"QbraidKeySpec(url={self.url!r})"


def parse_entry(fields: Fields) -> QbraidKeySpec:
    """One entry of ``qbraid``: ``key`` (required), ``url``; a second entry is an error (the SDK reads one key).

    Both become values of qbraidrc, which qbraid-core reads with configparser's ``%`` interpolation: a ``%`` would
    make every qBraid call fail, so it is refused here, naming the field."""
    fields.unknown({"key", "url", "default"})
    if fields.index > 0:
        raise FieldError(fields.where, fields.path, "is a second qBraid key; qbraid-core reads one key, give one entry")
    key = fields.secret("key", required=True) or ""
    url = fields.url("url")
    for name, value in (("key", key), ("url", url)):
        if value and "%" in value:
            raise FieldError(fields.where, fields._name(name), PERCENT)
    return QbraidKeySpec(key=key, url=url, default=bool(fields.flag("default", True)))
