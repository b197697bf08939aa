"""``jupyter-qcred token qcs``'s fast path: print the stored access token when no refresh is due.

Every SDK process whose credential is handed off (see :mod:`.handoff`) runs the token command at its first request
and after each expiry, so this path must cost about as much as starting Python: it imports only the standard
library (files in the plain layout jupyter_qcred writes are read line by line, anything else with ``tomllib``),
:mod:`.claims` and :mod:`jupyter_qcred.core.margin`, and decides "due" exactly as
:meth:`.refresh.QcsRefresher.token_sync` does. Anything it is not sure about (a missing or odd
file, a profile or credential it cannot follow, a token that is due or unreadable) returns ``None``: the full
command then runs, which refreshes under the lock or explains the problem. It never writes and never logs.
"""

from __future__ import annotations

import os
import re
import stat
import time

from ...core.margin import margin_seconds
from .claims import jwt_claims

TYPE_CHECKING = False  # (not typing's: importing typing would double this path's own import time)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

#: The credential ``jupyter_qcred-NAME`` holds the tokens of the handed-off credential ``NAME``.
MANAGED_PREFIX = "jupyter_qcred-"
DEFAULT = "default"
FALLBACK_LIFETIME = 3600.0


_BARE = r"[A-Za-z0-9_-]+"
_SCALAR = r"[0-9A-Za-z_.:+-]+"
_STRING = r"\"(?P<basic>[^\"\\]*)\"|'(?P<literal>[^']*)'"
_ITEM = rf"\s*(?:\"[^\"\\]*\"|'[^']*'|{_SCALAR})\s*"
_LINE = re.compile(
    rf"\s*(?:\[\s*(?P<header>{_BARE}(?:\s*\.\s*{_BARE})*)\s*\]"
    rf"|(?P<key>{_BARE})\s*=\s*(?:{_STRING}|\[(?:{_ITEM},)*(?:{_ITEM})?\]|{_SCALAR}))?\s*(?:#.*)?"
)


def _plain_toml(text: str) -> dict[str, Any] | None:
    """The tables and string values of a TOML file written in the plain style tomlkit (and people) write: bare
    keys, one ``key = value`` per line, single-line strings without escapes. Anything else gives None, and the
    caller parses the file with ``tomllib`` instead (whose import costs more than this whole path)."""
    root: dict[str, Any] = {}
    table = root
    for line in text.splitlines():
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        header, key = match.group("header"), match.group("key")
        if header is not None:
            table = root
            for part in header.split("."):
                table = table.setdefault(part.strip(), {})
                if not isinstance(table, dict):
                    return None
        elif key is not None:
            if key in table:
                return None
            basic, literal = match.group("basic"), match.group("literal")
            table[key] = basic if basic is not None else literal
    return root


#: As :data:`jupyter_qcred.core.files.MAX_READ_BYTES` (not imported: this path stays on the standard library).
MAX_READ_BYTES = 1024 * 1024


def _read(path: str) -> dict[str, Any] | None:
    """The file's tables; ``{}`` when it is missing; None for anything the full command must explain: a FIFO
    (reading it would wait forever), a device such as ``/dev/zero`` (endless), a file over the size limit, or
    text that does not decode."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_READ_BYTES:
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            data = handle.read(MAX_READ_BYTES + 1)
        if len(data) > MAX_READ_BYTES:
            return None
        text = data.decode()
    except (OSError, ValueError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    plain = _plain_toml(text)
    if plain is not None:
        return plain
    import tomllib

    try:
        return tomllib.loads(text)
    except ValueError:
        return None


def _profile_arg(args: Sequence[str]) -> str | bool | None:
    """The ``--profile`` value, None without one, or False for anything the fast path does not handle."""
    if not args:
        return None
    if len(args) == 2 and args[0] == "--profile" and args[1]:
        return args[1]
    if len(args) == 1 and args[0].startswith("--profile=") and len(args[0]) > len("--profile="):
        return args[0].split("=", 1)[1]
    return False


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def stored_token(args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The access token of the profile (``--profile`` or the SDK's default) if it is not due, else None."""
    profile_name = _profile_arg(args)
    if profile_name is False:
        return None
    home = environ.get("HOME") or os.path.expanduser("~")
    settings = _read(environ.get("QCS_SETTINGS_FILE_PATH") or os.path.join(home, ".qcs", "settings.toml"))
    secrets = _read(environ.get("QCS_SECRETS_FILE_PATH") or os.path.join(home, ".qcs", "secrets.toml"))
    if settings is None or not secrets:
        return None
    name = profile_name or environ.get("QCS_PROFILE_NAME") or settings.get("default_profile_name") or DEFAULT
    profiles = settings.get("profiles", {DEFAULT: {}})
    servers = settings.get("auth_servers", {DEFAULT: {}})
    profile = profiles.get(name) if isinstance(profiles, dict) else None
    if not isinstance(profile, dict) or not isinstance(servers, dict):
        return None
    if profile.get("auth_server_name", DEFAULT) not in servers:
        return None
    credentials = secrets.get("credentials")
    credential_name = profile.get("credentials_name", DEFAULT)
    if not isinstance(credentials, dict) or not isinstance(credential_name, str):
        return None
    entry = credentials.get(credential_name)
    if isinstance(entry, dict) and "externally_managed" in entry:
        entry = credentials.get(MANAGED_PREFIX + credential_name)
    payload = entry.get("token_payload") if isinstance(entry, dict) else None
    token = payload.get("access_token") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token:
        return None
    claims = jwt_claims(token)
    if isinstance(claims, str):
        return None
    expires, issued = _number(claims.get("exp")), _number(claims.get("iat"))
    if expires is None:
        return None
    lifetime = expires - issued if issued is not None else FALLBACK_LIFETIME
    return token if time.time() < expires - margin_seconds(lifetime) else None
