"""One validator for everything handed to jupyter_qcred: spawn bundles, what a person types, request bodies.

:class:`Fields` reads typed fields from one JSON object and raises :class:`~jupyter_qcred.core.errors.FieldError`
naming where the object came from and the field's path, so every bad input gets the same kind of sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any
from urllib.parse import urlsplit

from .errors import FieldError


class Fields:
    """Reads typed fields from one JSON object, raising :class:`FieldError` that names the path."""

    def __init__(self, where: str, path: str, data: object, index: int = 0) -> None:
        if not isinstance(data, Mapping):
            raise FieldError(where, path, "must be an object")
        self.where, self.path, self.data = where, path, data
        #: The entry's position in its list (bundle sections), for parsers that name it.
        self.index = index

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise FieldError(self.where, self._name(key), "is required (a non-empty string)")
            return None
        if not isinstance(value, str) or not value.strip():
            raise FieldError(self.where, self._name(key), f"must be a non-empty string, not {kind(value)}")
        self._writable(key, value)
        return value.strip()

    def _writable(self, key: str, value: object) -> None:
        """Strings must be storable: a lone surrogate (``"\\ud800"`` in JSON) cannot be encoded into any file, and
        failing later, while writing, would lose the other credentials and leak the file's text in the error."""
        if not encodable(value):
            raise FieldError(
                self.where,
                self._name(key),
                "holds text that is not valid Unicode (a lone surrogate) and cannot be stored",
            )

    def flag(self, key: str, default: bool | None) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise FieldError(self.where, self._name(key), f"must be true or false, not {kind(value)}")
        return value

    def mapping(self, key: str) -> dict[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise FieldError(self.where, self._name(key), f"must be an object or null, not {kind(value)}")
        self._writable(key, value)
        return dict(value)

    def strings(self, key: str) -> list[str] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise FieldError(self.where, self._name(key), "must be a list of strings")
        self._writable(key, value)
        return list(value)

    def only_text(self) -> None:
        """Every value present is a string (or null): what request bodies hold."""
        for key, value in self.data.items():
            if value is not None and not isinstance(value, str):
                raise FieldError(self.where, self._name(key), f"must be a string, not {kind(value)}")
            self._writable(key, value)

    def url(self, key: str) -> str | None:
        """An http(s) URL (or None when absent)."""
        value = self.text(key)
        if value and not value.startswith(("https://", "http://")):
            raise FieldError(self.where, self._name(key), "must be an http(s) URL")
        return value

    def unknown(self, known: Set[str]) -> None:
        extra = sorted(set(self.data) - known)
        if extra:
            raise FieldError(
                self.where, self._name(extra[0]), f"is not a known field (known: {', '.join(sorted(known))})"
            )


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def web_url(url: object) -> bool:
    """https, or http on loopback only (a local test service): the only addresses we send tokens to, and the only
    links a view renders (never ``javascript:``, ``data:``, or anything with spaces, quotes or markup)."""
    if not isinstance(url, str) or any(ord(char) < 0x21 or char in "\\\"'<>`" for char in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an invalid IPv6 host
        return False
    if parts.scheme == "https" and host:
        return True
    return parts.scheme == "http" and host in LOOPBACK_HOSTS


def encodable(value: object) -> bool:
    """Whether every string in ``value`` (and its keys, lists and objects) can be encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, Mapping):
        return all(encodable(key) and encodable(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(encodable(item) for item in value)
    return True


def kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
