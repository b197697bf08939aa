"""The bundle's ``ionq`` section: one API key (qiskit-ionq reads exactly one), and optionally the API's URL."""

from __future__ import annotations

import dataclasses

from ...core.errors import FieldError
from ...core.validation import Fields

#: The one credential's name: qiskit-ionq has no named accounts, it reads one key.
KEY_NAME = "default"


@dataclasses.dataclass(frozen=True)
class IonqKeySpec:
    """An IonQ API key (from cloud.ionq.com, API Keys)."""

    key: str
    url: str | None = None
    default: bool = True

    @property
    def name(self) -> str:
        return KEY_NAME

    def __repr__(self) -> str:  # never show the key
        return f"IonqKeySpec(url={self.url!r})"


def parse_entry(fields: Fields) -> IonqKeySpec:
    """One entry of ``ionq``: ``key`` (required), ``url``; a second entry is an error (the SDK reads one key).

    The key becomes a line of ``~/.env`` that python-dotenv loads into every notebook: it may hold nothing that ends
    that line (:meth:`Fields.secret`); the URL is where the key is sent: https, or http on loopback only."""
    fields.unknown({"key", "url", "default"})
    if fields.index > 0:
        raise FieldError(fields.where, fields.path, "is a second IonQ key; qiskit-ionq reads one key, give one entry")
    return IonqKeySpec(
        key=fields.secret("key", required=True) or "", url=fields.url("url"), default=bool(fields.flag("default", True))
    )
