"""qbraidrc as qbraid-core 0.6 (under qbraid 0.13) reads it, and the key, token and URL it resolves from it.

``qbraid_core.config.load_config`` reads ``$QBRAID_CONFIG_FILE`` (looked up once, when qbraid_core is imported) or
``~/.qbraid/qbraidrc`` with a stock ``configparser.ConfigParser()``: option names lower-cased, ``%`` interpolation,
and a ``[DEFAULT]`` section whose values every section inherits; a file that does not parse counts as no file.
``QbraidSessionV1`` then takes, from the ``[default]`` section only:

- the API key: ``api-key``, else ``QBRAID_API_KEY`` (the file wins), sent as the ``X-API-Key`` header;
- an access token: ``access-token``, else ``QBRAID_ACCESS_TOKEN``; when there is one it is sent INSTEAD of the key
  (``X-Access-Token``), so a token left by qBraid Lab shadows any key we write;
- the URL (``config.resolve_api_url``): ``QBRAID_API_URL``, else the host a white-label key carries
  (``<prefix>_<base32 host>.<64 hex>``, only when no access token is used), else ``url``, else
  ``https://api-v2.qbraid.com/api/v1``.

Here the same rules are re-stated without importing the SDK (the server need not have it); ``doctor`` asks the SDK
itself, and tests/sdk/test_qbraid.py holds the two against each other.
"""

from __future__ import annotations

import base64
import binascii
import configparser
import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

from ...core.errors import FileFormatError

SECTION = "default"
CONFIG_VARIABLE = "QBRAID_CONFIG_FILE"
KEY_VARIABLE = "QBRAID_API_KEY"
TOKEN_VARIABLE = "QBRAID_ACCESS_TOKEN"
URL_VARIABLE = "QBRAID_API_URL"
DEFAULT_URL = "https://api-v2.qbraid.com/api/v1"

_KEY_WITH_HOST = re.compile(r"[a-z0-9]+_([a-z2-7]{2,405})\.[0-9a-f]{64}")
_HOSTNAME = re.compile(r"(?=.{4,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def config_path(environ: Mapping[str, str], home: Path) -> Path:
    """The file qbraid-core reads: ``$QBRAID_CONFIG_FILE`` or ``~/.qbraid/qbraidrc``."""
    return Path(environ.get(CONFIG_VARIABLE) or home / ".qbraid" / "qbraidrc")


def endpoint_for_api_key(api_key: str | None) -> str | None:
    """The API URL a white-label key carries (``https://<host>/api/v1``), or None (qBraid's own ``qbr_<hex>`` keys
    carry none); qbraid-core's ``endpoint_for_api_key``, rule for rule."""
    match = _KEY_WITH_HOST.fullmatch(api_key or "")
    if not match:
        return None
    encoded = match.group(1)
    try:
        host = base64.b32decode(encoded.upper() + "=" * (-len(encoded) % 8)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    canonical = base64.b32encode(host.encode("ascii")).decode("ascii").rstrip("=").lower()
    if canonical != encoded or not _HOSTNAME.fullmatch(host):
        return None
    return f"https://{host}/api/v1"


def read_options(text: str | None, path: Path) -> dict[str, str]:
    """The ``[default]`` options qbraid-core sees in ``text`` (none for no file). A file it cannot parse, or an option
    whose ``%`` it cannot interpolate, is a :class:`FileFormatError` naming the file (and the option), never a value:
    qbraid-core would silently ignore such a file, and the person would not know why."""
    if not text:
        return {}
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        raise FileFormatError(path, "is not an INI file qbraid-core can read", line) from None
    if not parser.has_section(SECTION):
        return {}
    options: dict[str, str] = {}
    for option in parser.options(SECTION):
        try:
            options[option] = parser.get(SECTION, option)
        except configparser.Error:
            raise FileFormatError(
                path, f"[{SECTION}] {option} holds a '%' qbraid-core cannot interpolate (write '%%')"
            ) from None
    return options


@dataclasses.dataclass(frozen=True)
class Resolved:
    """What a qbraid-core session would use: never printed (it holds the key)."""

    key: str | None
    #: "file", "env" or None
    key_source: str | None
    #: An access token shadows the key: "file", "env" or None.
    token_source: str | None
    url: str
    #: "QBRAID_API_URL", "API key", "qbraidrc", "default"
    url_source: str

    def __repr__(self) -> str:
        return f"Resolved(key_source={self.key_source!r}, token_source={self.token_source!r}, url={self.url!r})"


def resolve(options: Mapping[str, str], environ: Mapping[str, str], key: str | None = None) -> Resolved:
    """The key, access token and URL a session takes from qbraidrc's ``options`` and ``environ``; ``key``: as if
    this key were written into the file (what a key we are about to write will meet)."""
    key_source: str | None = "file" if (key or options.get("api-key")) else None
    key = key or options.get("api-key") or None
    if key is None and environ.get(KEY_VARIABLE):
        key, key_source = environ[KEY_VARIABLE], "env"
    token_source = "file" if options.get("access-token") else "env" if environ.get(TOKEN_VARIABLE) else None
    if environ.get(URL_VARIABLE):
        url, source = environ[URL_VARIABLE], URL_VARIABLE
    elif token_source is None and endpoint_for_api_key(key):
        url, source = endpoint_for_api_key(key) or "", "API key"
    elif options.get("url"):
        url, source = options["url"], "qbraidrc"
    else:
        url, source = DEFAULT_URL, "default"
    return Resolved(key, key_source, token_source, url.rstrip("/"), source)
