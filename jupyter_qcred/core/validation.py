"""One validator for everything handed to jupyter_qcred: spawn bundles, what a person types, request bodies.

:class:`Fields` reads typed fields from one JSON object and raises :class:`~jupyter_qcred.core.errors.FieldError`
naming where the object came from and the field's path, so every bad input gets the same kind of sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Set
from typing import Any
from urllib.parse import SplitResult, urlsplit

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
        """A web address tokens may be sent to (or None when absent): see :func:`url_problem`."""
        value = self.text(key)
        if value is not None:
            problem = url_problem(value)
            if problem:
                raise FieldError(self.where, self._name(key), problem)
        return value

    def region(self, key: str) -> str | None:
        """An AWS region name (``us-east-1``), or None: it becomes part of a host name (``sts.REGION.amazonaws.com``),
        so anything else could send a token to another host."""
        value = self.text(key)
        if value is not None and not aws_region(value):
            raise FieldError(self.where, self._name(key), REGION_RULE)
        return value

    def name(self, key: str, default: str | None = None) -> str | None:
        """A name that becomes a file name or a section name (see :func:`file_name`)."""
        value = self.text(key) or default
        if value is not None and not file_name(value):
            raise FieldError(self.where, self._name(key), NAME_RULE)
        return value

    def secret(self, key: str, required: bool = False) -> str | None:
        """A key or token written into a line-based file (``.env``): see :func:`line_problem`."""
        value = self.text(key, required=required)
        if value is not None:
            problem = line_problem(value)
            if problem:
                raise FieldError(self.where, self._name(key), problem)
        return value

    def unknown(self, known: Set[str]) -> None:
        extra = sorted(set(self.data) - known)
        if extra:
            raise FieldError(
                self.where, self._name(extra[0]), f"is not a known field (known: {', '.join(sorted(known))})"
            )


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
URL_RULE = "must be an https address (or http on this machine's loopback address: 127.0.0.1, ::1 or localhost)"
REGION_RULE = "must be an AWS region name such as us-east-1 (lower-case letters, dashes and a number)"
NAME_RULE = "must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
#: Characters a URL we accept never holds: whitespace and controls (checked separately), quotes, markup, backslash.
_URL_UNSAFE = set("\\\"'<>`{}|^")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
#: A device login's user code (RFC 8628 section 6.1: short, typed by a person; letters, digits and separators).
_USER_CODE = re.compile(r"[A-Za-z0-9 _.-]{1,64}")
#: Unicode categories that end, hide or reorder a line: controls, format characters (bidi overrides, zero-width),
#: line and paragraph separators (``str.splitlines`` breaks on several of them).
_LINE_BREAKING = ("Cc", "Cf", "Zl", "Zp")


def url_problem(url: object) -> str | None:
    """Why ``url`` is not an address we send tokens to or render as a link (a phrase after "field X"), or None.

    https, or http on loopback only (a local test service): a token must never cross a network in clear, and a view
    must never render ``javascript:`` or ``data:``. No whitespace, control characters, quotes or markup (they would
    let a value end a line in a file or a tag in a page), no user name or password (a URL like
    ``https://api.example@evil.example`` reads as one host and goes to another), and it must parse: an invalid IPv6
    literal (``http://[::1``) or port is a refusal here, never an exception later.
    """
    parts = _split(url, "an https address")
    if isinstance(parts, str):
        return parts
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        return URL_RULE
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password; " + URL_RULE
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return "is plain http to another machine, which would send the token in clear; " + URL_RULE
    return None


def _split(url: object, what: str) -> SplitResult | str:
    """``url``'s parts, or why it is no address at all (``what`` names the kind wanted): not a string, a character
    that could end a line or a tag, or a host or port that does not parse (an invalid IPv6 literal such as
    ``http://[::1``: a refusal here, never an exception later)."""
    if not isinstance(url, str) or not url:
        return f"must be a non-empty string ({what})"
    if any(unicodedata.category(char) in _LINE_BREAKING or char.isspace() or char in _URL_UNSAFE for char in url):
        return f"must not contain spaces, control characters, quotes, backslashes or markup ({what})"
    try:
        parts = urlsplit(url)
        parts.hostname, parts.port  # noqa: B018 - both parse lazily: make them raise here
    except ValueError:
        return f"is not a valid address (check the host and port); it must be {what}"
    return parts


def web_url(url: object) -> bool:
    """https, or http on loopback only: the only addresses we send tokens to, and the only links a view renders
    (never ``javascript:``, ``data:``, or anything with spaces, quotes or markup). See :func:`url_problem`."""
    return url_problem(url) is None


def proxy_problem(url: object) -> str | None:
    """Why ``url`` is not a proxy address, or None. Unlike :func:`url_problem`, plain http to another host is fine:
    requests (and so the IBM SDKs) reach an https service through an http proxy with ``CONNECT``, so the token
    stays inside TLS to the real host; what a proxy URL may not do is end a line, hold markup, or fail to parse."""
    parts = _split(url, "a proxy address")
    if isinstance(parts, str):
        return parts
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        return "must be a proxy address: http://, https://, socks5:// or socks5h:// with a host"
    return None


def aws_region(value: object) -> bool:
    """An AWS region name (``us-east-1``, ``us-gov-west-1``, ``cn-north-1``): nothing that could change a host."""
    return isinstance(value, str) and _REGION.fullmatch(value) is not None


def file_name(value: object) -> bool:
    """A name safe as a file name or an INI/TOML section name: no path separator, no ``..``, no line break."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


def user_code(value: object) -> bool:
    """A device login's user code a view may show as text: letters, digits, spaces and ``_.-``, never markup."""
    return isinstance(value, str) and _USER_CODE.fullmatch(value) is not None


def line_problem(value: str) -> str | None:
    """Why ``value`` cannot be written as one ``KEY=VALUE`` line of a ``.env`` file, or None.

    A line break or control character (also the Unicode separators ``str.splitlines`` breaks on), a quote or a
    backslash in a value could end the value early and add a line python-dotenv loads (``PYTHONPATH=...``), and
    python-dotenv expands ``${NAME}`` even in single quotes; no API key, token or URL holds these, so such a value
    is refused rather than escaped.
    """
    if any(unicodedata.category(char) in _LINE_BREAKING for char in value):
        return "holds a line break or control character, which no key or address contains; nothing was written"
    if any(char in "\\'\"" for char in value):
        return "holds a quote or a backslash, which no key or address contains; nothing was written"
    if "${" in value:
        return "holds '${', which python-dotenv would replace by another variable's value; nothing was written"
    return None


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
