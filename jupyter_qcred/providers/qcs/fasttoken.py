"""``jupyter-qcred token qcs``'s fast path: print the stored access token when no refresh is due.

Every SDK process whose credential is handed off (see :mod:`.handoff`) runs the token command at its first request
and after each expiry, so this path must cost about as much as starting Python: it imports only the standard
library (files in the plain layout jupyter_qcred writes are read line by line, anything else with ``tomllib``),
:mod:`jupyter_qcred.providers.shared.claims` and :mod:`jupyter_qcred.core.margin`, and decides "due" exactly as
:meth:`.refresh.QcsRefresher.token_sync` does. Anything it is not sure about (a missing or odd
file, a profile or credential it cannot follow, a token that is due or unreadable) returns ``None``: the full
command then runs, which refreshes under the lock or explains the problem. It never writes and never logs.
"""

from __future__ import annotations

import os
import stat
import time

from ...core.margin import margin_seconds
from ..shared.claims import jwt_claims

TYPE_CHECKING = False  # (not typing's: importing typing would double this path's own import time)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

#: The credential ``jupyter_qcred-NAME`` holds the tokens of the handed-off credential ``NAME``.
MANAGED_PREFIX = "jupyter_qcred-"
DEFAULT = "default"
FALLBACK_LIFETIME = 3600.0


_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR = _BARE | frozenset(".:+")


class _NotPlain(Exception):
    """A line outside the plain style: the caller parses the file with ``tomllib`` instead."""


def _bare(text: str) -> str:
    if not text or not _BARE.issuperset(text):
        raise _NotPlain
    return text


def _quoted(line: str, start: int) -> tuple[str, int]:
    """The single-line string opening at ``start`` (no escapes in a basic one) and the index after it."""
    quote = line[start]
    end = line.find(quote, start + 1)
    if end < 0 or (quote == '"' and "\\" in line[start + 1 : end]):
        raise _NotPlain
    return line[start + 1 : end], end + 1


def _item(line: str, start: int) -> tuple[str | None, int]:
    """A string or a bare scalar (number, date, boolean) at ``start``: its text if a string, and the index after."""
    if line[start : start + 1] in ("'", '"'):
        return _quoted(line, start)
    end = start
    while end < len(line) and line[end] in _SCALAR:
        end += 1
    if end == start:
        raise _NotPlain
    return None, end


def _skip_space(line: str, index: int) -> int:
    while index < len(line) and line[index].isspace():
        index += 1
    return index


def _value(line: str, start: int) -> tuple[str | None, int]:
    """A value (a string, a scalar, or a one-line array of them) and the index after it; strings keep their text."""
    if line[start : start + 1] != "[":
        return _item(line, start)
    index = start + 1
    if line[index : index + 1] == "]":
        return None, index + 1
    while True:
        _, index = _item(line, _skip_space(line, index))
        index = _skip_space(line, index)
        if line[index : index + 1] == "]":
            return None, index + 1
        if line[index : index + 1] != ",":
            raise _NotPlain
        index += 1
        if line[index : index + 1] == "]":
            return None, index + 1


def _plain_toml(text: str) -> dict[str, Any] | None:
    """The tables and string values of a TOML file written in the plain style tomlkit (and people) write: bare
    keys, one ``key = value`` per line, single-line strings without escapes. Anything else gives None, and the
    caller parses the file with ``tomllib`` instead (whose import, like that of ``re``, costs more than this whole
    path: so the lines are read with string methods)."""
    root: dict[str, Any] = {}
    table = root
    headers: set[str] = set()
    try:
        for line in text.splitlines():
            index = _skip_space(line, 0)
            if index == len(line) or line[index] == "#":
                continue
            if line[index] == "[":
                close = line.find("]", index)
                if close < 0:
                    raise _NotPlain
                table = root
                names = [_bare(part.strip()) for part in line[index + 1 : close].split(".")]
                if ".".join(names) in headers:  # a table defined twice: TOML refuses the file
                    raise _NotPlain
                headers.add(".".join(names))
                for name in names:
                    table = table.setdefault(name, {})
                    if not isinstance(table, dict):
                        raise _NotPlain
                index = close + 1
            else:
                equals = line.find("=", index)
                if equals < 0:
                    raise _NotPlain
                key = _bare(line[index:equals].rstrip())
                value, index = _value(line, _skip_space(line, equals + 1))
                if key in table:
                    raise _NotPlain
                table[key] = value
            rest = line[index:].lstrip()
            if rest and rest[0] != "#":
                raise _NotPlain
    except _NotPlain:
        return None
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
    claims = jwt_claims(token, fallback=False)
    if isinstance(claims, str):
        return None
    expires, issued = _number(claims.get("exp")), _number(claims.get("iat"))
    if expires is None:
        return None
    lifetime = expires - issued if issued is not None else FALLBACK_LIFETIME
    return token if time.time() < expires - margin_seconds(lifetime) else None
