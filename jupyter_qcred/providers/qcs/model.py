"""The Rigetti QCS configuration model: ``settings.toml`` profiles and ``secrets.toml`` credentials, read offline.

This module mirrors what ``qcs_api_client_common`` 0.27 really accepts (checked by running it), because a file we
call valid must load in the SDK and a file the SDK rejects must be reported, not half-used:

- a missing table means the SDK default: no ``profiles`` table means one implicit ``default`` profile, no
  ``auth_servers`` table one implicit ``default`` auth server; once the table exists only its entries count;
- every profile key is optional; an auth server needs both ``client_id`` and ``issuer``;
- a credential table holds only ``token_payload``, ``client_credentials`` or ``externally_managed`` (any other key
  makes the SDK refuse the whole file); an empty credential table is refused too;
- ``token_payload.updated_at`` must be an RFC 3339 *string*: the SDK cannot read a TOML date-time there;
- one wrong type anywhere makes the SDK refuse the whole file, so a type error is a file-level error here too.

Nothing here logs or formats a secret: values are never part of an error; dataclass reprs hide tokens. The token
times (RFC 3339 ``updated_at``, a JWT's ``iat``/``exp``) live in :mod:`jupyter_qcred.providers.shared.times` and are
re-exported here.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Item

from ...core.errors import FieldError, FileFormatError
from ..shared.times import JwtTimes as JwtTimes
from ..shared.times import format_rfc3339 as format_rfc3339
from ..shared.times import jwt_times as jwt_times
from ..shared.times import parse_rfc3339

DEFAULT_PROFILE_NAME = "default"
DEFAULT_API_URL = "https://api.qcs.rigetti.com"
DEFAULT_GRPC_API_URL = "https://grpc.qcs.rigetti.com"
DEFAULT_QVM_URL = "http://127.0.0.1:5000"
DEFAULT_QUILC_URL = "tcp://127.0.0.1:5555"
DEFAULT_CLIENT_ID = "0oa3ykoirzDKpkfzk357"
DEFAULT_ISSUER = "https://auth.qcs.rigetti.com/oauth2/aus8jcovzG0gW2TUG355"

PROFILE_NAME_VAR = "QCS_PROFILE_NAME"
ENV_OVERRIDES = {
    "api_url": "QCS_SETTINGS_APPLICATIONS_API_URL",
    "grpc_api_url": "QCS_SETTINGS_APPLICATIONS_GRPC_URL",
    "qvm_url": "QCS_SETTINGS_APPLICATIONS_QVM_URL",
    "quilc_url": "QCS_SETTINGS_APPLICATIONS_QUILC_URL",
}

KINDS = ("token_payload", "client_credentials", "externally_managed")
TOKEN_PAYLOAD_STRINGS = ("access_token", "refresh_token", "id_token", "scope", "token_type")
#: The largest ``expires_in`` the SDK accepts (it reads a u32).
MAX_U32 = 2**32 - 1


# --------------------------------------------------------------------------------------------------- model


@dataclasses.dataclass(frozen=True)
class AuthServer:
    """An OAuth 2.0 / OIDC authorization server (the SDK's ``[auth_servers.NAME]``)."""

    client_id: str = DEFAULT_CLIENT_ID
    issuer: str = DEFAULT_ISSUER


@dataclasses.dataclass(frozen=True)
class Profile:
    """One ``[profiles.NAME]`` with the SDK defaults filled in (before environment overrides)."""

    name: str
    api_url: str = DEFAULT_API_URL
    grpc_api_url: str = DEFAULT_GRPC_API_URL
    auth_server_name: str = DEFAULT_PROFILE_NAME
    credentials_name: str = DEFAULT_PROFILE_NAME
    qvm_url: str = DEFAULT_QVM_URL
    quilc_url: str = DEFAULT_QUILC_URL


@dataclasses.dataclass(frozen=True)
class QcsSettings:
    """The whole ``settings.toml`` as the SDK sees it."""

    default_profile_name: str = DEFAULT_PROFILE_NAME
    profiles: dict[str, Profile] = dataclasses.field(
        default_factory=lambda: {DEFAULT_PROFILE_NAME: Profile(DEFAULT_PROFILE_NAME)}
    )
    auth_servers: dict[str, AuthServer] = dataclasses.field(
        default_factory=lambda: {DEFAULT_PROFILE_NAME: AuthServer()}
    )

    def effective_default(self, environ: Mapping[str, str]) -> str:
        """The profile the SDK loads by default: ``QCS_PROFILE_NAME`` wins over ``default_profile_name``."""
        return environ.get(PROFILE_NAME_VAR) or self.default_profile_name

    def resolved(self, profile: Profile, environ: Mapping[str, str]) -> Profile:
        """``profile`` with the SDK's environment overrides applied (they apply to whichever profile loads)."""
        changes = {key: environ[var] for key, var in ENV_OVERRIDES.items() if environ.get(var)}
        return dataclasses.replace(profile, **changes) if changes else profile


@dataclasses.dataclass(frozen=True)
class TokenPayload:
    """``[credentials.NAME.token_payload]``; the tokens never appear in ``repr``."""

    access_token: str | None = dataclasses.field(default=None, repr=False)
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    id_token: str | None = dataclasses.field(default=None, repr=False)
    expires_in: int | None = None
    scope: str | None = None
    token_type: str | None = None
    updated_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class ClientCredentials:
    """``[credentials.NAME.client_credentials]``: a confidential client using the client_credentials grant."""

    client_id: str
    client_secret: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class ExternallyManaged:
    """``[credentials.NAME.externally_managed]``: the SDK runs ``command args...`` and reads a token on stdout."""

    command: str
    args: tuple[str, ...] = dataclasses.field(default=(), repr=False)
    timeout_seconds: int | None = None


@dataclasses.dataclass(frozen=True)
class Credential:
    """One credential; ``kind`` is None for an entry without any usable table."""

    name: str
    kind: str | None = None
    token_payload: TokenPayload | None = None
    client_credentials: ClientCredentials | None = None
    externally_managed: ExternallyManaged | None = None
    #: Handed off (see :mod:`.handoff`): the SDK runs this command of ours, and the tokens live in ``stored_as``.
    handoff: ExternallyManaged | None = None
    stored_as: str | None = None

    @property
    def stored_name(self) -> str:
        """The credential table that holds this credential's tokens on disk."""
        return self.stored_as or self.name

    @property
    def usable(self) -> bool:
        """Whether this credential can give the SDK a token at all."""
        if self.kind == "token_payload":
            payload = self.token_payload
            return bool(payload and (payload.access_token or payload.refresh_token))
        return self.kind is not None


@dataclasses.dataclass(frozen=True)
class QcsSecrets:
    """The whole ``secrets.toml``."""

    credentials: dict[str, Credential] = dataclasses.field(default_factory=dict)


# --------------------------------------------------------------------------------------------------- TOML


_PARSE_ERRORS = {
    "UnexpectedCharError": "an unexpected character",
    "UnexpectedEofError": "the file ends in the middle of a value",
    "InvalidControlChar": "a control character inside a string",
    "InvalidCharInStringError": "an invalid character inside a string",
    "EmptyKeyError": "an empty key",
    "EmptyTableNameError": "an empty table name",
    "InvalidNumberError": "an invalid number",
    "InvalidDateError": "an invalid date",
    "InvalidTimeError": "an invalid time",
    "InvalidDateTimeError": "an invalid date-time",
    "InvalidUnicodeValueError": "an invalid unicode escape",
    "MixedArrayTypesError": "an array mixing types",
    "InvalidNumberOrDateError": "an invalid number or date",
    "InternalParserError": "a syntax error",
}


def parse_toml(text: str, path: Path) -> tomlkit.TOMLDocument:
    """Parse ``text`` keeping comments and layout; a syntax error names the line, never the offending text."""
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        name = type(exc).__name__
        if name in _PARSE_ERRORS:
            what = _PARSE_ERRORS[name]
        elif "already exists" in str(exc):
            what = "a key or table defined twice"
        else:
            what = "a syntax error"
        raise FileFormatError(path, f"is not valid TOML ({what} at column {exc.col + 1})", exc.line) from None
    except tomlkit.exceptions.TOMLKitError:
        raise FileFormatError(path, "is not valid TOML") from None


def plain(value: Any) -> Any:
    """A tomlkit item as plain Python (dicts, lists, str, int, datetime...)."""
    if isinstance(value, Item) or hasattr(value, "unwrap"):
        return value.unwrap()
    return value


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime):
        return "a TOML date-time"
    return "a date or time"


def dotted(*parts: str) -> str:
    """A TOML key path for messages; names that are not bare keys are quoted."""
    return ".".join(part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part) for part in parts)


class _Reader:
    """Typed access to one table of a file, raising :class:`FieldError` naming the file and the key path."""

    def __init__(self, path: Path, data: Mapping[str, Any], *where: str) -> None:
        self.path = path
        self.data = data
        self.where = where

    def _field(self, key: str) -> str:
        return dotted(*self.where, key)

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise FieldError(str(self.path), self._field(key), "is required (a string)")
            return None
        if not isinstance(value, str):
            raise FieldError(str(self.path), self._field(key), f"must be a string, not {_kind_of(value)}")
        return value

    def integer(self, key: str, minimum: int = 0, maximum: int = MAX_U32) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(str(self.path), self._field(key), f"must be a whole number, not {_kind_of(value)}")
        if not minimum <= value <= maximum:
            raise FieldError(str(self.path), self._field(key), f"must be between {minimum} and {maximum}")
        return value

    def table(self, key: str) -> _Reader | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise FieldError(str(self.path), self._field(key), f"must be a table, not {_kind_of(value)}")
        return _Reader(self.path, value, *self.where, key)

    def tables(self, key: str) -> dict[str, _Reader] | None:
        outer = self.table(key)
        if outer is None:
            return None
        result: dict[str, _Reader] = {}
        for name in outer.data:
            inner = outer.table(str(name))
            if inner is not None:
                result[str(name)] = inner
        return result

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise FieldError(str(self.path), self._field(key), "must be an array of strings")
        return tuple(value)


# --------------------------------------------------------------------------------------------------- parsing


def settings_from_document(document: Mapping[str, Any], path: Path) -> QcsSettings:
    """Validate a parsed ``settings.toml`` like the SDK does and fill in its defaults."""
    root = _Reader(path, plain(document))
    default_name = root.text("default_profile_name") or DEFAULT_PROFILE_NAME
    profile_tables = root.tables("profiles")
    profiles: dict[str, Profile] = {}
    if profile_tables is None:
        profiles[DEFAULT_PROFILE_NAME] = Profile(DEFAULT_PROFILE_NAME)
    else:
        for name, table in profile_tables.items():
            values: dict[str, str] = {}
            for key in ("api_url", "grpc_api_url", "auth_server_name", "credentials_name"):
                value = table.text(key)
                if value is not None:
                    values[key] = value
            applications = table.table("applications")
            pyquil = applications.table("pyquil") if applications else None
            if pyquil is not None:
                for key in ("qvm_url", "quilc_url"):
                    value = pyquil.text(key)
                    if value is not None:
                        values[key] = value
            profiles[name] = Profile(name, **values)
    server_tables = root.tables("auth_servers")
    servers: dict[str, AuthServer] = {}
    if server_tables is None:
        servers[DEFAULT_PROFILE_NAME] = AuthServer()
    else:
        for name, table in server_tables.items():
            servers[name] = AuthServer(
                client_id=table.text("client_id", required=True) or "",
                issuer=table.text("issuer", required=True) or "",
            )
    return QcsSettings(default_profile_name=default_name, profiles=profiles, auth_servers=servers)


def secrets_from_document(document: Mapping[str, Any], path: Path) -> QcsSecrets:
    """Validate a parsed ``secrets.toml`` like the SDK does."""
    root = _Reader(path, plain(document))
    tables = root.tables("credentials") or {}
    credentials: dict[str, Credential] = {}
    for name, table in tables.items():
        credentials[name] = _credential(name, table)
    return QcsSecrets(credentials)


def _credential(name: str, table: _Reader) -> Credential:
    where = str(table.path)
    unknown = [str(key) for key in table.data if key not in KINDS]
    if unknown:
        raise FieldError(
            where,
            dotted(*table.where, unknown[0]),
            "is not something the QCS SDK knows (a credential holds exactly one of " + ", ".join(KINDS) + ")",
        )
    present = [kind for kind in KINDS if kind in table.data]
    if not present:
        raise FieldError(where, dotted(*table.where), "must hold one of " + ", ".join(KINDS))
    # qcs_api_client_common 0.27 takes externally_managed when a token_payload sits beside it (the hand-off's
    # copy for older clients, see handoff.py); any other pair it refuses.
    pyquil_copy = present == ["token_payload", "externally_managed"]
    if len(present) > 1 and not pyquil_copy:
        raise FieldError(
            where, dotted(*table.where), f"holds both {present[0]} and {present[1]}; keep exactly one of them"
        )
    kind = present[-1] if pyquil_copy else present[0]
    inner = table.table(kind) or _Reader(table.path, {}, *table.where, kind)
    if kind == "token_payload":
        values = {key: inner.text(key) for key in TOKEN_PAYLOAD_STRINGS}
        updated = inner.data.get("updated_at")
        updated_at = None
        if updated is not None:
            if not isinstance(updated, str):
                raise FieldError(
                    where,
                    dotted(*inner.where, "updated_at"),
                    f"must be an RFC 3339 date-time in quotes (the QCS SDK cannot read {_kind_of(updated)})",
                )
            updated_at = parse_rfc3339(updated)
            if updated_at is None:
                raise FieldError(where, dotted(*inner.where, "updated_at"), "must be an RFC 3339 date-time")
        payload = TokenPayload(expires_in=inner.integer("expires_in"), updated_at=updated_at, **values)
        return Credential(name, kind, token_payload=payload)
    if kind == "client_credentials":
        client = ClientCredentials(
            client_id=inner.text("client_id", required=True) or "",
            client_secret=inner.text("client_secret", required=True) or "",
        )
        return Credential(name, kind, client_credentials=client)
    external = ExternallyManaged(
        command=inner.text("command", required=True) or "",
        args=inner.strings("args") or (),
        timeout_seconds=inner.integer("timeout_seconds", maximum=2**63 - 1),
    )
    copy = None
    if pyquil_copy:
        copy = _credential(name, _Reader(table.path, {"token_payload": table.data["token_payload"]}, *table.where))
    return Credential(name, kind, externally_managed=external, token_payload=copy.token_payload if copy else None)


def load_settings(path: Path, text: str | None) -> tuple[tomlkit.TOMLDocument, QcsSettings]:
    """Parse and validate ``settings.toml`` text (None: the file is missing, so SDK defaults)."""
    document = parse_toml(text or "", path)
    return document, settings_from_document(document, path)


def load_secrets(path: Path, text: str | None) -> tuple[tomlkit.TOMLDocument, QcsSecrets]:
    """Parse and validate ``secrets.toml`` text (None: the file is missing, so no credential)."""
    document = parse_toml(text or "", path)
    return document, secrets_from_document(document, path)
