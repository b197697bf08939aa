"""The hub login's OIDC id_token kept in a 0600 file for an SDK that federates it, renewed once for every process.

Some SDKs trade an OIDC id_token read from a file for short-lived cloud credentials by themselves (boto3's web
identity, azure-identity's ``WorkloadIdentityCredential``), so no cloud secret is ever stored: all the kernels need
is a token file that is valid whenever the SDK looks. The provider keeps, for each of its credentials, two files in
one folder of its own: ``NAME.token`` (the id_token alone, what the SDK reads) and ``NAME.json`` (the note: how to
renew it, ``refresh``: "provider" with ``issuer``, the OIDC client id and the ``refresh_token``, or "hub"). The
note's lock is the refresh lock: whoever renews the token holds it.

This module is that logic once, composed by each such provider:

- :class:`TokenFiles`: the two files' paths (from a checked name), the token read, the locked write of the token
  and its note, and their removal;
- :class:`LoginTokens`: when a token is due, the renewal with the login's refresh token (the OIDC refresh grant of
  :mod:`.oidc`, driven by :mod:`.renewer` so N processes make one request) with the refusals in the provider's own
  words, a hub-renewed token handed back as stored (the manager pulls it), and the status of a stored token;
- :func:`login_secrets`: the token and the refresh token for the leak guard.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core import files
from ...core.errors import FileFormatError, QCredError, RefusedError
from ...core.secrets import Secret
from ...core.states import CredentialStatus, State, utcnow
from .checks import Checks, status_from_checks
from .times import jwt_times

if TYPE_CHECKING:
    from ...core.flows import Flow
    from ...core.settings import Settings
    from .client import Client
    from .oidc import Oidc
    from .renewer import Renewer

REINIT_ADVICE = "sign in to JupyterHub again (or restart your server from the hub) to get a new login token."
NO_TOKEN_YET = "There is no login token yet; it is fetched at the next refresh."


def json_object(path: Path, text: str, *, line: bool = False) -> dict[str, Any]:
    """A note's JSON object; FileFormatError naming the file (never its text) otherwise (``line``: with the line
    of a syntax error)."""
    try:
        note = json.loads(text)
    except ValueError as exc:
        raise FileFormatError(path, "is not valid JSON", getattr(exc, "lineno", None) if line else None) from None
    if not isinstance(note, dict):
        raise FileFormatError(path, "is not a JSON object")
    return note


def due_at(settings: Settings, token: str | None, reread: timedelta | None = None) -> datetime | None:
    """When the file's token must be renewed: the policy's moment, but never later than ``reread`` (how long the SDK
    may keep presenting a copy it read from the file) before expiry. A token that lives no longer than that margin
    cannot be kept safe from the SDK's cached copy at all; it follows the policy alone (renewed ahead of expiry, not
    at every call). None: no readable expiry."""
    times = jwt_times(token)
    if times.expires_at is None:
        return None
    due = settings.policy.due_at(times.issued_at, times.expires_at)
    if reread is None or (times.issued_at is not None and times.expires_at - times.issued_at <= reread):
        return due
    return min(due, times.expires_at - reread)


class TokenFiles:
    """``NAME.token`` and ``NAME.json`` in ``folder``; every path is built from a name ``checked`` accepts (a plain
    file name, or a QCredError with the provider's sentence), so none is ever outside that folder. A provider's
    store is one (and adds what its SDK reads besides)."""

    def __init__(self, settings: Settings, folder: Path, checked: Callable[[str], str]) -> None:
        self.settings, self.folder, self.checked = settings, folder, checked

    def token_path(self, name: str) -> Path:
        return self.folder / f"{self.checked(name)}.token"

    def note_path(self, name: str) -> Path:
        return self.folder / f"{self.checked(name)}.json"

    def read_token(self, name: str) -> str | None:
        """The stored token (None: no file, or an empty one)."""
        return (files.read_text(self.token_path(name)) or "").strip() or None

    def write_tokens(self, name: str, note: Mapping[str, Any], id_token: str | None, refresh_token: str | None) -> None:
        """Under the caller's lock of the note: the token file first (what the SDK reads), then the note with the
        (possibly rotated) refresh token; keys without a value are left out."""
        if id_token:
            files.atomic_write(self.token_path(name), id_token)
        kept = {key: value for key, value in note.items() if value is not None and key != "refresh_token"}
        if refresh_token:
            kept["refresh_token"] = refresh_token
        files.atomic_write(self.note_path(name), json.dumps(kept, indent=2) + "\n")

    def remove_files(self, name: str) -> list[Path]:
        """The token file and the note, under the note's lock; returns the files removed. A name that is not ours
        is refused before anything is touched."""
        changed = []
        with files.locked(self.note_path(name), self.settings.lock_timeout):
            for path in (self.token_path(name), self.note_path(name)):
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                changed.append(path)
        return changed


@dataclasses.dataclass
class Held:
    """One stored login token as the files hold it (a provider's record adds its own settings)."""

    token_file: Path
    token: str | None = dataclasses.field(repr=False)
    #: how to renew it, and for some providers the settings the SDK is given
    note: dict[str, Any] = dataclasses.field(repr=False)

    @property
    def refresh_via(self) -> str:
        return str(self.note.get("refresh") or "hub")


@dataclasses.dataclass
class Wording:
    """The provider's own words in what :class:`LoginTokens` says."""

    #: what one credential is called ("profile", "workspace")
    noun: str
    #: the log's name for one ("Braket profile")
    logged: str
    #: the note's key of the OIDC client id ("client_id", "oidc_client_id")
    client_key: str = "client_id"
    #: said after "returned no id_token" (" (is 'openid' granted?)")
    no_id_token: str = ""


class LoginTokens:
    """A provider's login tokens: renewed once for every process (see the module docstring).

    ``load`` reads one stored credential by name (the provider's sentence when there is none); ``reread`` is how
    long the SDK may keep presenting a copy it read from the file (the token is renewed at the latest that long
    before it expires; None: the policy alone)."""

    def __init__(
        self,
        provider: str,
        title: str,
        settings: Settings,
        checks: Checks,
        token_files: TokenFiles,
        load: Callable[[str], Held],
        wording: Wording,
        reread: timedelta | None = None,
    ) -> None:
        self.provider, self.title, self.settings, self.checks = provider, title, settings, checks
        self.files, self.load, self.wording, self.reread = token_files, load, wording, reread
        self.log = logging.getLogger(f"jupyter_qcred.{provider}")

    # ----- the protocol parts, built on first use (their modules are imported by the first refresh) -------------

    @cached_property
    def client(self) -> Client:
        from .client import Client

        return Client.from_settings(self.settings, self.provider)

    @cached_property
    def oidc(self) -> Oidc:
        from .oidc import Oidc

        return Oidc(self.provider, self.title, f"the login settings JupyterHub gave this {self.wording.noun}")

    @cached_property
    def renewer(self) -> Renewer:
        from .renewer import Renewer

        return Renewer(self.settings, self.client)

    # ----- when -----------------------------------------------------------------------------------------------

    def due_at(self, token: str | None) -> datetime | None:
        return due_at(self.settings, token, self.reread)

    def due(self, token: str | None) -> bool:
        """Whether the stored token must be renewed now (no token, or one whose expiry cannot be read, is due)."""
        moment = self.due_at(token)
        return moment is None or moment <= utcnow()

    # ----- renewing ---------------------------------------------------------------------------------------------

    def renew_flow(self, name: str, stored: Held) -> Flow[str]:
        """Under the note's lock, the token still due (or forced): the OIDC refresh grant, saved."""
        note, words = stored.note, self.wording
        refresh_token = note.get("refresh_token")
        if not (refresh_token and note.get("issuer") and note.get(words.client_key)):
            raise RefusedError(
                self.provider, f"{words.noun} {name!r} has no refresh token to renew its login token; {REINIT_ADVICE}"
            )
        try:
            tokens = yield from self.oidc.refresh_grant(
                str(note["issuer"]),
                str(note[words.client_key]),
                str(refresh_token),
                what=f"the identity provider of {words.noun} {name!r}",
                advice=REINIT_ADVICE,
            )
        except RefusedError as exc:
            self.checks.refuse(name, stored.token, str(exc))
            raise
        if not tokens.id_token:
            raise RefusedError(
                self.provider, f"the identity provider of {words.noun} {name!r} returned no id_token{words.no_id_token}"
            )
        self.files.write_tokens(name, note, tokens.id_token, tokens.refresh_token or str(refresh_token))
        self.checks.refreshed_at[name] = utcnow()
        self.log.info("%s %s: renewed the login token", words.logged, name)
        return tokens.id_token

    def token_sync(self, name: str, *, force: bool = False) -> str:
        """A valid login token for ``name``, renewed once for every process (blocking: the CLI, a kernel)."""
        renewal = _Renewal(self, name, self.load(name))
        if renewal.record.refresh_via == "hub":  # renewed by the hub: the manager pulls it
            return renewal.seen or ""
        return self.renewer.token_sync(renewal, renewal.seen, force=force)

    async def token(self, name: str, *, force: bool = False) -> str:
        """The async twin of :meth:`token_sync` (same flow, same lock)."""
        renewal = _Renewal(self, name, self.load(name))
        if renewal.record.refresh_via == "hub":
            return renewal.seen or ""
        return await self.renewer.token(renewal, renewal.seen, force=force)

    # ----- reading ----------------------------------------------------------------------------------------------

    def status(
        self, name: str, stored: Held, *, file: Path, default: bool, account: Mapping[str, Any]
    ) -> CredentialStatus:
        """The status of a stored login token: refused, expired, expiring (its renewal moment has come) or ok; no
        token yet reads as expired."""
        times, now = jwt_times(stored.token), utcnow()
        next_refresh = self.due_at(stored.token)
        status = status_from_checks(
            self.provider,
            name,
            stored.token,
            self.checks,
            file=file,
            default=default,
            expires_at=times.expires_at,
            next_refresh_at=next_refresh,
            account=account,
            now=now,
        )
        if stored.token is None and status.state is State.OK:
            status.state, status.error = State.EXPIRED, NO_TOKEN_YET
        elif status.state is State.OK and next_refresh is not None and next_refresh <= now:
            status.state = State.EXPIRING
        return status


def login_row(refresh_via: str, stored: str) -> list[str]:
    """The status field that says who renews the login token, and ``stored`` (what is never stored)."""
    return ["Login token", f"renewed {'by JupyterHub' if refresh_via == 'hub' else 'by this server'}; {stored}"]


def login_secrets(
    provider: str, title: str, names: Iterable[str], load: Callable[[str], Held], kind: str, token_files: TokenFiles
) -> list[Secret]:
    """The login token (named ``kind``) and the refresh token of each credential, for the leak guard; one whose
    files do not read is left out (the others still count)."""
    found = []
    for name in names:
        try:
            held = load(name)
        except QCredError:
            continue
        if held.token:
            found.append(Secret(held.token, provider, title, name, kind, str(token_files.token_path(name))))
        refresh = held.note.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            found.append(Secret(refresh, provider, title, name, "refresh token", str(token_files.note_path(name))))
    return found


class _Renewal:
    """One stored login token for the renewer (:class:`~.renewer.Renewal`): the file the SDK reads, under the lock
    of the note."""

    def __init__(self, tokens: LoginTokens, name: str, stored: Held) -> None:
        self.tokens, self.name, self.record = tokens, name, stored
        #: the token the caller found, before locking
        self.seen = stored.token
        self.lock = tokens.files.note_path(name)

    def stored(self) -> str | None:
        self.record = self.tokens.load(self.name)
        return self.record.token

    def due(self, token: str) -> bool:
        return self.tokens.due(token)

    def renew(self, stored: str | None) -> Flow[str]:
        return self.tokens.renew_flow(self.name, self.record)
