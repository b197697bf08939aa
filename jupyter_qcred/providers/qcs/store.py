"""Format-preserving edits of the QCS ``settings.toml`` and ``secrets.toml`` documents (tomlkit).

Only the keys an edit is about change: comments, key order, foreign profiles and credentials and keys this project
does not know all survive. Every function edits a parsed document in memory; the caller reads, edits and writes
under the file lock (see :mod:`jupyter_qcred.core.files`), so no writer ever loses another's entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Table

from ..shared.times import format_rfc3339
from .model import DEFAULT_PROFILE_NAME, AuthServer

#: Keys of a token payload that describe one particular token response; stale once the tokens are replaced.
RESPONSE_KEYS = ("access_token", "refresh_token", "id_token", "expires_in", "scope", "token_type", "updated_at")


def _table(container: Container | Table, key: str, *, super_table: bool = False) -> Table:
    """The sub-table ``key`` of ``container``, created (as a super table for ``[a.b]`` headers) if missing."""
    existing = container.get(key)
    if isinstance(existing, Table):
        return existing
    if existing is not None and isinstance(existing, Mapping):
        # An inline table or an out-of-order proxy: tomlkit lets us edit through it like a table.
        return existing  # type: ignore[return-value]
    created = tomlkit.table(is_super_table=super_table)
    container[key] = created
    found: Table = container[key]
    return found


def _set(table: Table, key: str, value: Any) -> None:
    """Set ``key`` (keeping its position and trailing comment when it exists) or remove it when ``value`` is None."""
    if value is None:
        if key in table:
            del table[key]
        return
    table[key] = value


def upsert_profile(
    document: Container,
    name: str,
    *,
    values: Mapping[str, str | None],
    keep_implicit_default: bool = True,
) -> Table:
    """Create or update ``[profiles.NAME]``; keys given as None are left as they are.

    Creating the ``profiles`` table removes the SDK's implicit ``default`` profile, so (unless told otherwise) it is
    then written explicitly: adding a profile never breaks ``ClientConfiguration.load_default()``.
    """
    created = "profiles" not in document
    profiles = _table(document, "profiles", super_table=True)
    if created and keep_implicit_default and name != DEFAULT_PROFILE_NAME:
        profiles[DEFAULT_PROFILE_NAME] = _new_table()
    new = name not in profiles
    profile = _table(profiles, name)
    for key, value in values.items():
        if value is not None:
            profile[key] = value
    if new:
        _tidy(profile)
    return profile


def upsert_auth_server(document: Container, name: str, server: AuthServer) -> None:
    """Create or update ``[auth_servers.NAME]`` (creating the table keeps the implicit default explicit)."""
    created = "auth_servers" not in document
    servers = _table(document, "auth_servers", super_table=True)
    if created and name != DEFAULT_PROFILE_NAME:
        default = _new_table()
        default["client_id"] = AuthServer().client_id
        default["issuer"] = AuthServer().issuer
        _tidy(default)
        servers[DEFAULT_PROFILE_NAME] = default
    new = name not in servers
    table = _table(servers, name)
    table["client_id"] = server.client_id
    table["issuer"] = server.issuer
    if new:
        _tidy(table)


def keep_implicit_defaults(document: Container) -> None:
    """Write the SDK's implicit ``default`` profile and auth server explicitly before tables are merged in.

    Without a ``profiles`` (``auth_servers``) table the SDK invents a ``default`` entry; once the table exists only
    its entries count, so merging foreign entries into a missing table would silently drop the default.
    """
    if "profiles" not in document:
        upsert_profile(document, DEFAULT_PROFILE_NAME, values={})
    if "auth_servers" not in document:
        upsert_auth_server(document, DEFAULT_PROFILE_NAME, AuthServer())


def set_default_profile(document: Container, name: str) -> None:
    """Point ``default_profile_name`` at ``name`` (tomlkit puts a new bare key before the first table header)."""
    document["default_profile_name"] = name


def _new_table() -> Table:
    table = tomlkit.table()
    return table


def _tidy(table: Table) -> None:
    """End a table we created with a blank line, so the next header stands apart like in hand-written files."""
    body = table.value.body
    if body and body[-1][0] is not None:
        table.add(tomlkit.nl())


def credential_table(document: Container, name: str) -> Table:
    """``[credentials.NAME]`` (a super table: it holds exactly one kind table)."""
    credentials = _table(document, "credentials", super_table=True)
    return _table(credentials, name, super_table=True)


def _only_kind(credential: Table, kind: str) -> tuple[Table, bool]:
    """Remove the other kind tables of a credential (the SDK takes the first one it meets) and return ``kind``
    (and whether it was created)."""
    for other in ("token_payload", "client_credentials", "externally_managed"):
        if other != kind and other in credential:
            del credential[other]
    new = kind not in credential
    return _table(credential, kind), new


def replace_token_payload(
    document: Container,
    name: str,
    *,
    access_token: str | None,
    refresh_token: str | None,
    updated_at: datetime,
    expires_in: int | None = None,
    id_token: str | None = None,
    scope: str | None = None,
    token_type: str | None = None,
) -> None:
    """Make credential ``name`` a token payload holding exactly these tokens (keys we don't know are kept)."""
    payload, new = _only_kind(credential_table(document, name), "token_payload")
    values = {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "expires_in": expires_in,
        "id_token": id_token,
        "scope": scope,
        "token_type": token_type,
        "updated_at": format_rfc3339(updated_at),
    }
    for key in RESPONSE_KEYS:
        _set(payload, key, values[key])
    if new:
        _tidy(payload)


def update_refreshed_tokens(
    document: Container,
    name: str,
    *,
    access_token: str,
    refresh_token: str | None,
    updated_at: datetime,
    expires_in: int | None = None,
    id_token: str | None = None,
) -> None:
    """Write a refresh result like the SDK does: the new access token, a rotated refresh token, ``updated_at``.

    ``expires_in`` and ``id_token`` are refreshed when the answer had them; other keys stay as they are.
    """
    payload, new = _only_kind(credential_table(document, name), "token_payload")
    payload["access_token"] = access_token
    if refresh_token:
        payload["refresh_token"] = refresh_token
    if expires_in is not None:
        payload["expires_in"] = expires_in
    if id_token is not None:
        payload["id_token"] = id_token
    payload["updated_at"] = format_rfc3339(updated_at)
    if new:
        _tidy(payload)


def replace_client_credentials(document: Container, name: str, client_id: str, client_secret: str) -> None:
    """Make credential ``name`` a client-credentials pair."""
    table, new = _only_kind(credential_table(document, name), "client_credentials")
    table["client_id"] = client_id
    table["client_secret"] = client_secret
    if new:
        _tidy(table)


def merge_entries(document: Container, section: str, entries: Mapping[str, Any]) -> list[str]:
    """Replace (or add) each entry of ``[section.NAME]`` with the given (tomlkit) tables; returns the names."""
    target = _table(document, section, super_table=True)
    names: list[str] = []
    for name, value in entries.items():
        if name in target:
            del target[name]
        target[name] = value
        names.append(str(name))
    return names


def _replace_table(container: Table, key: str, values: Mapping[str, Any]) -> Table:
    """``container[key]`` made a fresh table holding exactly ``values`` (in their order)."""
    if key in container:
        del container[key]
    table = _new_table()
    for name, value in values.items():
        table[name] = value
    container[key] = table
    _tidy(container[key])
    found: Table = container[key]
    return found


def hand_off(document: Container, name: str, managed: str, command: str, args: list[str], timeout_seconds: int) -> None:
    """Make credential ``name`` run our token command, its token payload (if plain) moved to ``managed``.

    ``name`` keeps a copy of the access token alone (see :func:`mirror`). Used again on a credential already
    handed off, it only refreshes the command (a moved environment) and the copy.
    """
    credential = credential_table(document, name)
    if "token_payload" in credential and "externally_managed" not in credential:
        payload = {key: value for key, value in credential["token_payload"].unwrap().items()}
        _replace_table(credential_table(document, managed), "token_payload", payload)
    if "client_credentials" in credential:
        del credential["client_credentials"]
    wanted = {"command": command, "args": list(args), "timeout_seconds": timeout_seconds}
    external = credential.get("externally_managed")
    if external is None or {key: external.get(key) for key in wanted} != wanted:
        _replace_table(credential, "externally_managed", wanted)
    mirror(document, name, managed)


def mirror(document: Container, name: str, managed: str) -> None:
    """Copy the access token (and ``updated_at``) of ``managed`` into ``name``'s own ``token_payload``.

    pyquil 4's bundled client (qcs-sdk-python 0.21.22, client crate 0.12.8) does not know ``externally_managed``
    and reads only this table: it gets the current access token and no refresh token, so it can never spend ours;
    alone it fails ("No refresh token is configured") once the copy is more than 60 s past its expiry.
    :mod:`.pyquil_adapter` makes its ``QCSClient.load()`` run the command instead, and seeds that client with this
    copy while it is not due. qcs_api_client_common 0.27 runs the command when both tables are there.
    """
    stored = _table(document, "credentials", super_table=True).get(managed)
    if stored is None or "token_payload" not in stored:
        return
    source = stored["token_payload"]
    values = {key: source[key] for key in ("access_token", "updated_at") if key in source}
    credential = credential_table(document, name)
    current = credential.get("token_payload")
    if current is None or {key: current.get(key) for key in values} != values or len(current) != len(values):
        _replace_table(credential, "token_payload", values)


def take_back(document: Container, name: str, managed: str) -> None:
    """Put the token payload of ``managed`` back into credential ``name`` (plain files) and remove ``managed``."""
    credentials = _table(document, "credentials", super_table=True)
    stored = credentials.get(managed)
    if stored is None or "token_payload" not in stored:
        return
    payload = {key: value for key, value in stored["token_payload"].unwrap().items()}
    credential = credential_table(document, name)
    for other in ("client_credentials", "externally_managed"):
        if other in credential:
            del credential[other]
    _replace_table(credential, "token_payload", payload)
    del credentials[managed]
