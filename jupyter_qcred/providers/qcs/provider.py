"""Rigetti QCS: ``~/.qcs/settings.toml`` profiles, ``~/.qcs/secrets.toml`` credentials, OIDC refresh, user/groups.

The QCS SDK (``qcs_api_client_common``) refreshes an access token only after it expired, in every process on its
own, and writes back without a lock. This provider refreshes *ahead* of expiry and once for everyone: whoever finds
the stored token due takes the lock on ``secrets.toml``, re-reads it, and asks for a token only if it is still
due; everyone else then finds the fresh token in the file. ``updated_at`` is written the way the SDK writes it, so
the SDK (which writes back only when the file's ``updated_at`` is older than its own) never replaces a newer token
with an older one, and we re-check it before writing so we never do either.

The file model lives in :mod:`.qcs_model`, the edits in :mod:`.qcs_store`, the protocols in :mod:`.qcs_oidc`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import secrets
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx
import tomlkit

from ...core import files, flows
from ...core.bundle import QcsProfileSpec
from ...core.errors import FieldError, FileFormatError, QCredError, RefusedError
from ...core.flows import Flow
from ...core.settings import Settings
from ...core.states import CredentialStatus, State, absent, isoformat, mask, utcnow
from ..base import Provider
from ..registry import PROVIDER_TITLES
from . import store
from .model import (
    DEFAULT_PROFILE_NAME,
    AuthServer,
    Credential,
    Profile,
    QcsSecrets,
    QcsSettings,
    TokenPayload,
    format_rfc3339,
    jwt_times,
    load_secrets,
    load_settings,
    parse_toml,
    secrets_from_document,
    settings_from_document,
)
from .oidc import (
    PROVIDER,
    Discovery,
    TokenResponse,
    account_flow,
    client_credentials_flow,
    device_authorization_flow,
    device_poll_flow,
    refresh_grant_flow,
)

log = logging.getLogger("jupyter_qcred.qcs")

T = TypeVar("T")

REINIT_ADVICE = (
    "sign in again: re-initialize the QCS credential (device login, a new token, the secrets.toml from the QCS "
    "tokens page, or a server restart from JupyterHub)."
)


def _fingerprint(secret: str | None) -> str | None:
    """A stable, irreversible identity of a secret, so memory can say "this refresh token was refused"."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest() if secret else None


@dataclasses.dataclass
class DeviceLogin:
    """A pending RFC 8628 device login for one profile.

    The ``device_code`` is what the poller proves itself with, so it stays private: it is in neither ``repr`` nor
    :meth:`to_json`; people only ever see the user code and the verification URL.
    """

    id: str
    profile: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_at: datetime
    interval: int
    state: str = "pending"
    error: str | None = None
    provider: str = PROVIDER
    device_code: str = dataclasses.field(default="", repr=False, compare=False)
    token_endpoint: str = dataclasses.field(default="", repr=False, compare=False)
    client_id: str = dataclasses.field(default="", repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """Whether polling can stop (done, failed or expired)."""
        return self.state != "pending"

    def to_json(self) -> dict[str, Any]:
        """The login object of docs/api.md (never the device code)."""
        return {
            "id": self.id,
            "provider": self.provider,
            "profile": self.profile,
            "state": self.state,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": self.verification_uri_complete,
            "user_code": self.user_code,
            "expires_at": isoformat(self.expires_at),
            "interval": self.interval,
            "error": self.error,
        }


@dataclasses.dataclass
class _Snapshot:
    """Both files, parsed and validated together (what the SDK would load right now)."""

    settings_doc: tomlkit.TOMLDocument
    settings: QcsSettings
    secrets_doc: tomlkit.TOMLDocument
    secrets: QcsSecrets
    settings_exists: bool
    secrets_exists: bool


@dataclasses.dataclass
class _Target:
    """A profile resolved to everything a token request needs."""

    profile: Profile
    server: AuthServer
    credential: Credential


@dataclasses.dataclass
class _Outcome:
    """What a locked refresh did: the token to use, and whether a token request was made."""

    access_token: str = dataclasses.field(repr=False)
    requested: bool


@dataclasses.dataclass
class _ClientToken:
    """An access token from the client_credentials grant (the SDK keeps those in memory only; so do we)."""

    fingerprint: str | None
    access_token: str = dataclasses.field(repr=False)
    issued_at: datetime | None
    expires_at: datetime | None


@dataclasses.dataclass
class _Memory:
    """What this process learnt beyond the files (the views show it; nothing here is written to disk)."""

    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    refresh_via: dict[str, str] = dataclasses.field(default_factory=dict)
    #: credential -> (fingerprint of the refused refresh token or client secret, sentence)
    refused: dict[str, tuple[str | None, str]] = dataclasses.field(default_factory=dict)
    #: credential -> {"user", "groups", "note", "checked_at"}
    accounts: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    client_tokens: dict[str, _ClientToken] = dataclasses.field(default_factory=dict)
    refreshed_at: dict[str, datetime] = dataclasses.field(default_factory=dict)


class QcsProvider(Provider):
    """Rigetti QCS credentials in the SDK's own files."""

    key: ClassVar[str] = "qcs"
    title: ClassVar[str] = PROVIDER_TITLES["qcs"]

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._memory = _Memory()
        self._discovery: dict[str, Discovery] = {}
        self._ssl: ssl.SSLContext | bool | None = None

    # ------------------------------------------------------------------------------------------- paths, files

    @property
    def settings_path(self) -> Path:
        """``settings.toml`` (``QCS_SETTINGS_FILE_PATH`` honoured by :class:`Settings`)."""
        return self.settings.qcs_settings_path

    @property
    def secrets_path(self) -> Path:
        """``secrets.toml`` (``QCS_SECRETS_FILE_PATH`` honoured by :class:`Settings`)."""
        return self.settings.qcs_secrets_path

    def watched_paths(self) -> list[Path]:
        """Both files: the SDK and other processes change them."""
        return [self.settings_path, self.secrets_path]

    def _load(self) -> _Snapshot:
        settings_text = files.read_text(self.settings_path)
        settings_doc, settings = load_settings(self.settings_path, settings_text)
        secrets_text = files.read_text(self.secrets_path)
        secrets_doc, secrets_model = load_secrets(self.secrets_path, secrets_text)
        return _Snapshot(
            settings_doc, settings, secrets_doc, secrets_model, settings_text is not None, secrets_text is not None
        )

    def _load_secrets(self) -> tuple[tomlkit.TOMLDocument, QcsSecrets]:
        return load_secrets(self.secrets_path, files.read_text(self.secrets_path))

    def _environ(self) -> dict[str, str]:
        return dict(self.settings.environ)

    def _resolve(self, snapshot: _Snapshot, profile: str | None) -> _Target:
        """The profile (``None``: the SDK's default one) with its auth server and credential, or a clear error."""
        environ = self._environ()
        name = profile or snapshot.settings.effective_default(environ)
        found = snapshot.settings.profiles.get(name)
        if found is None:
            known = ", ".join(sorted(snapshot.settings.profiles)) or "none"
            raise QCredError(
                f"Rigetti QCS: there is no profile {name!r} in {self.settings_path} (profiles: {known}); choose "
                "another profile or re-initialize the credentials."
            )
        resolved = snapshot.settings.resolved(found, environ)
        server = snapshot.settings.auth_servers.get(resolved.auth_server_name)
        if server is None:
            raise QCredError(
                f"Rigetti QCS: profile {name!r} uses the auth server {resolved.auth_server_name!r}, which "
                f"{self.settings_path} does not define; add [auth_servers.{resolved.auth_server_name}] with "
                "client_id and issuer, or re-initialize."
            )
        credential = snapshot.secrets.credentials.get(resolved.credentials_name)
        if credential is None or not credential.usable:
            raise QCredError(
                f"Rigetti QCS: profile {name!r} uses the credential {resolved.credentials_name!r}, which "
                f"{self.secrets_path} does not hold; " + REINIT_ADVICE
            )
        return _Target(resolved, server, credential)

    def _verify(self) -> ssl.SSLContext | bool:
        """TLS trust like the SDK: ``SSL_CERT_FILE``/``SSL_CERT_DIR`` from the settings' environment, else defaults."""
        if self._ssl is None:
            environ = self._environ()
            cafile, capath = environ.get("SSL_CERT_FILE"), environ.get("SSL_CERT_DIR")
            self._ssl = ssl.create_default_context(cafile=cafile, capath=capath) if cafile or capath else True
        return self._ssl

    def _client_options(self) -> dict[str, Any]:
        options = flows.client_options(timeout=self.settings.timeout)
        options["verify"] = self._verify()
        return options

    def _run_sync(self, flow: Flow[T]) -> T:
        return flows.run_sync(flow, lambda: httpx.Client(**self._client_options()), PROVIDER)

    async def _run_async(self, flow: Flow[T]) -> T:
        return await flows.run_async(flow, lambda: httpx.AsyncClient(**self._client_options()), PROVIDER)

    # ------------------------------------------------------------------------------------------- status

    def read(self) -> list[CredentialStatus]:
        """One status per profile that has a credential, from the files and this process's memory; never raises."""
        try:
            snapshot = self._load()
        except (FileFormatError, FieldError, QCredError) as exc:
            path = exc.path if isinstance(exc, FileFormatError) else self._error_path(exc)
            return [CredentialStatus(PROVIDER, None, State.ERROR, error=str(exc), file=path)]
        statuses = []
        for name in snapshot.settings.profiles:
            status = self._profile_status(snapshot, name)
            if status is not None:
                statuses.append(status)
        if not statuses:
            return [
                absent(
                    PROVIDER,
                    self.secrets_path,
                    f"No Rigetti QCS credential is configured ({self.secrets_path} holds none that a profile of "
                    f"{self.settings_path} uses). Sign in with the QCS device login, paste a refresh token, upload "
                    "the secrets.toml from the QCS tokens page, or restart your server from JupyterHub.",
                )
            ]
        return statuses

    def _error_path(self, exc: Exception) -> Path:
        where = getattr(exc, "where", None)
        if where == str(self.settings_path):
            return self.settings_path
        return self.secrets_path if where == str(self.secrets_path) else self.settings_path

    def status(self, name: str) -> CredentialStatus:
        """The status of profile ``name`` (an error status when the files or the profile are unusable)."""
        try:
            snapshot = self._load()
        except (FileFormatError, FieldError, QCredError) as exc:
            return CredentialStatus(PROVIDER, name, State.ERROR, error=str(exc), file=self.secrets_path)
        status = self._profile_status(snapshot, name)
        if status is None:
            return CredentialStatus(
                PROVIDER,
                name,
                State.ABSENT,
                error=f"Rigetti QCS profile {name!r} has no credential; " + REINIT_ADVICE,
                file=self.secrets_path,
            )
        return status

    def _profile_status(self, snapshot: _Snapshot, name: str) -> CredentialStatus | None:
        environ = self._environ()
        found = snapshot.settings.profiles.get(name)
        if found is None:
            return None
        profile = snapshot.settings.resolved(found, environ)
        credential = snapshot.secrets.credentials.get(profile.credentials_name)
        if credential is None or not credential.usable:
            return None
        server = snapshot.settings.auth_servers.get(profile.auth_server_name)
        memory = self._memory
        account: dict[str, Any] = {
            "credentials_name": credential.name,
            "credential_kind": credential.kind,
            "refresh_token_state": None,
            "api_url": profile.api_url,
            "grpc_api_url": profile.grpc_api_url,
            "auth_server_name": profile.auth_server_name,
            "issuer": server.issuer if server else None,
            "client_id": server.client_id if server else None,
            "refresh_via": memory.refresh_via.get(credential.name, "provider"),
            "user": None,
            "groups": [],
        }
        details = memory.accounts.get(credential.name)
        if details:
            account["user"] = details.get("user")
            account["groups"] = details.get("groups") or []
            if details.get("note"):
                account["note"] = details["note"]
        status = CredentialStatus(
            provider=PROVIDER,
            name=name,
            state=State.OK,
            default=name == snapshot.settings.effective_default(environ),
            source=memory.sources.get(name, "file"),
            file=self.secrets_path,
            account=account,
        )
        if server is None:
            status.state = State.ERROR
            status.error = (
                f"Rigetti QCS profile {name!r} uses the auth server {profile.auth_server_name!r}, which "
                f"{self.settings_path} does not define; add it (client_id and issuer) or re-initialize."
            )
            return status
        if credential.kind == "token_payload" and credential.token_payload is not None:
            self._token_payload_status(status, name, credential.name, credential.token_payload)
        elif credential.kind == "client_credentials" and credential.client_credentials is not None:
            self._client_credentials_status(status, name, credential)
        elif credential.kind == "externally_managed" and credential.externally_managed is not None:
            account["command"] = os.path.basename(credential.externally_managed.command)
            account["refresh_via"] = "external"
        return status

    def _refused(self, credential: str, secret: str | None) -> str | None:
        """The remembered refusal sentence if ``secret`` is the one that was refused (a new one clears it)."""
        remembered = self._memory.refused.get(credential)
        if remembered and remembered[0] == _fingerprint(secret):
            return remembered[1]
        return None

    def _token_payload_status(
        self, status: CredentialStatus, name: str, credential: str, payload: TokenPayload
    ) -> None:
        account = status.account
        now = utcnow()
        has_refresh = bool(payload.refresh_token)
        account["refresh_token_state"] = "ok" if has_refresh else "missing"
        times = jwt_times(payload.access_token)
        status.token_hint = mask(payload.access_token)
        status.expires_at = times.expires_at
        status.refreshed_at = self._memory.refreshed_at.get(credential) or payload.updated_at or times.issued_at
        refused = self._refused(credential, payload.refresh_token)
        if refused:
            account["refresh_token_state"] = "refused"
            status.state, status.error = State.NEEDS_REINIT, refused
            return
        if times.expires_at is None:
            if has_refresh:
                status.state = State.EXPIRED
                status.error = (
                    f"The stored access token of Rigetti QCS profile {name!r} {times.problem}, so its expiry is "
                    "unknown; the next refresh replaces it."
                )
            else:
                status.state = State.ERROR
                status.error = (
                    f"The stored access token of Rigetti QCS profile {name!r} {times.problem} and there is no "
                    "refresh token; " + REINIT_ADVICE
                )
            return
        if has_refresh:
            status.next_refresh_at = self.settings.policy.due_at(times.issued_at, times.expires_at)
        if now >= times.expires_at:
            if has_refresh:
                status.state = State.EXPIRED
                status.error = (
                    f"The access token of Rigetti QCS profile {name!r} expired at {isoformat(times.expires_at)}; "
                    "it is renewed with the refresh token at the next refresh."
                )
            else:
                status.state = State.NEEDS_REINIT
                status.error = (
                    f"The access token of Rigetti QCS profile {name!r} expired and there is no refresh token to "
                    "renew it; " + REINIT_ADVICE
                )
        elif self.settings.policy.is_due(times.issued_at, times.expires_at, now):
            status.state = State.EXPIRING
            if not has_refresh:
                status.error = (
                    f"The access token of Rigetti QCS profile {name!r} expires at {isoformat(times.expires_at)} "
                    "and there is no refresh token to renew it; " + REINIT_ADVICE
                )

    def _client_credentials_status(self, status: CredentialStatus, name: str, credential: Credential) -> None:
        assert credential.client_credentials is not None
        secret = credential.client_credentials.client_secret
        status.account["refresh_token_state"] = None
        refused = self._refused(credential.name, secret)
        if refused:
            status.state, status.error = State.NEEDS_REINIT, refused
            return
        token = self._memory.client_tokens.get(credential.name)
        if token and token.fingerprint == _fingerprint(secret):
            status.token_hint = mask(token.access_token)
            status.expires_at = token.expires_at
            status.refreshed_at = token.issued_at
            if token.expires_at:
                status.next_refresh_at = self.settings.policy.due_at(token.issued_at, token.expires_at)
                now = utcnow()
                if self.settings.policy.is_due(token.issued_at, token.expires_at, now):
                    status.state = State.EXPIRING

    # ------------------------------------------------------------------------------------------- refresh

    def _due(self, payload: TokenPayload, now: datetime) -> bool:
        """Whether the stored access token must be renewed now (unknown expiry counts as due, like the SDK)."""
        times = jwt_times(payload.access_token)
        if times.expires_at is None:
            return True
        return self.settings.policy.is_due(times.issued_at, times.expires_at, now)

    def _client_token_valid(self, credential: Credential, now: datetime) -> str | None:
        assert credential.client_credentials is not None
        token = self._memory.client_tokens.get(credential.name)
        if token is None or token.fingerprint != _fingerprint(credential.client_credentials.client_secret):
            return None
        if token.expires_at is None or self.settings.policy.is_due(token.issued_at, token.expires_at, now):
            return None
        return token.access_token

    def _fast_path(self, target: _Target, force: bool) -> str | None:
        """The stored token when no request is needed (no lock, no network): the common case."""
        credential = target.credential
        now = utcnow()
        if credential.kind == "externally_managed":
            raise QCredError(
                f"Rigetti QCS profile {target.profile.name!r} uses an externally managed credential "
                f"({credential.name!r}); its command provides the token, jupyter_qcred does not hold one."
            )
        if credential.kind == "client_credentials":
            return None if force else self._client_token_valid(credential, now)
        payload = credential.token_payload
        assert payload is not None
        if self._memory.refresh_via.get(credential.name) == "hub":
            times = jwt_times(payload.access_token)
            if payload.access_token and times.expires_at and now < times.expires_at:
                return payload.access_token
            raise QCredError(
                f"Rigetti QCS profile {target.profile.name!r} is refreshed through JupyterHub and its access token "
                "has expired; re-initialize from the hub (or restart the server from JupyterHub)."
            )
        if not force and payload.access_token and not self._due(payload, now):
            return payload.access_token
        return None

    def _locked_refresh_flow(self, profile: str | None, force: bool, seen: str | None) -> Flow[_Outcome]:
        """Runs while holding the ``secrets.toml`` lock: re-read, and ask for a token only if still needed.

        ``seen`` is the access token the caller saw before locking: if the file holds another one now, some other
        process refreshed in between and even a forced refresh is not repeated.
        """
        target = self._resolve(self._load(), profile)
        credential = target.credential
        name = target.profile.name
        if credential.kind == "client_credentials":
            return (yield from self._client_credentials_flow(target, force))
        payload = credential.token_payload
        if payload is None:  # externally managed: the fast path already refused
            raise QCredError(f"Rigetti QCS profile {name!r} has no token to refresh.")
        now = utcnow()
        someone_refreshed = seen is not None and payload.access_token != seen
        if payload.access_token and not self._due(payload, now) and (not force or someone_refreshed):
            log.debug("QCS profile %s: another process refreshed the token already", name)
            return _Outcome(payload.access_token, requested=False)
        if not payload.refresh_token:
            raise RefusedError(
                PROVIDER, f"profile {name!r} has no refresh token to renew its access token; " + REINIT_ADVICE
            )
        refresh_token = payload.refresh_token
        try:
            tokens = yield from refresh_grant_flow(
                target.server.issuer,
                target.server.client_id,
                refresh_token,
                self._discovery,
                what=f"the identity provider of profile {name!r}",
                advice=REINIT_ADVICE,
            )
        except RefusedError as exc:
            self._memory.refused[credential.name] = (_fingerprint(refresh_token), str(exc))
            log.warning("QCS profile %s: the refresh token was refused; the credential needs re-initializing", name)
            raise
        obtained = utcnow()
        access = self._write_refreshed(credential.name, tokens, obtained)
        self._memory.refused.pop(credential.name, None)
        self._memory.refreshed_at[credential.name] = obtained
        log.info("QCS profile %s: refreshed the access token of credential %s", name, credential.name)
        return _Outcome(access, requested=True)

    def _client_credentials_flow(self, target: _Target, force: bool) -> Flow[_Outcome]:
        credential = target.credential
        assert credential.client_credentials is not None
        if not force:
            valid = self._client_token_valid(credential, utcnow())
            if valid:
                return _Outcome(valid, requested=False)
        pair = credential.client_credentials
        try:
            tokens = yield from client_credentials_flow(
                target.server.issuer,
                pair.client_id,
                pair.client_secret,
                self._discovery,
                what=f"the identity provider of profile {target.profile.name!r}",
                advice="check client_id and client_secret in secrets.toml or re-initialize.",
            )
        except RefusedError as exc:
            self._memory.refused[credential.name] = (_fingerprint(pair.client_secret), str(exc))
            raise
        times = jwt_times(tokens.access_token)
        issued = times.issued_at or utcnow()
        expires = times.expires_at or (
            issued + timedelta(seconds=tokens.expires_in) if tokens.expires_in is not None else None
        )
        self._memory.client_tokens[credential.name] = _ClientToken(
            _fingerprint(pair.client_secret), tokens.access_token, issued, expires
        )
        self._memory.refused.pop(credential.name, None)
        log.info("QCS profile %s: obtained an access token with the client_credentials grant", target.profile.name)
        return _Outcome(tokens.access_token, requested=True)

    def _write_refreshed(self, credential: str, tokens: TokenResponse, obtained: datetime) -> str:
        """Save a refresh result (we hold the lock); keep a token another writer saved after ours was issued."""
        document, current = self._load_secrets()
        existing = current.credentials.get(credential)
        if existing is None or existing.kind != "token_payload" or existing.token_payload is None:
            raise QCredError(
                f"Rigetti QCS: the credential {credential!r} was removed from {self.secrets_path} while it was "
                "being refreshed; the new token was not saved. Re-initialize if you still need it."
            )
        payload = existing.token_payload
        if payload.updated_at and payload.updated_at > obtained and payload.access_token:
            log.info("QCS credential %s: kept the newer token another process saved meanwhile", credential)
            return payload.access_token
        store.update_refreshed_tokens(
            document,
            credential,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            updated_at=obtained,
            expires_in=tokens.expires_in,
            id_token=tokens.id_token,
        )
        files.atomic_write(self.secrets_path, tomlkit.dumps(document))
        return tokens.access_token

    def token_sync(self, profile: str | None = None) -> str:
        """A valid access token for ``profile`` (default: the SDK's default profile), refreshed once for everyone.

        This is ``jupyter qcred token qcs [--profile P]``, which the QCS SDK can run as an ``externally_managed``
        command. A token that is not due is returned without any request or lock; otherwise the lock on
        ``secrets.toml`` is taken, the file re-read, and a token requested only if it is still due.
        """
        target = self._resolve(self._load(), profile)
        token = self._fast_path(target, force=False)
        if token is not None:
            return token
        seen = target.credential.token_payload.access_token if target.credential.token_payload else None
        with files.locked(self.secrets_path, self.settings.lock_timeout):
            outcome = self._run_sync(self._locked_refresh_flow(profile, False, seen))
        return outcome.access_token

    async def token(self, profile: str | None = None, *, force: bool = False) -> str:
        """The async twin of :meth:`token_sync` (same flow, same lock)."""
        target = self._resolve(self._load(), profile)
        token = self._fast_path(target, force=force)
        if token is not None:
            return token
        seen = target.credential.token_payload.access_token if target.credential.token_payload else None
        async with files.alocked(self.secrets_path, self.settings.lock_timeout):
            outcome = await self._run_async(self._locked_refresh_flow(profile, force, seen))
        return outcome.access_token

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Make profile ``name`` fresh, check it with QCS (user and groups), and return its status.

        No token request when the stored token is not due (unless ``force``), when another process refreshed it
        meanwhile, for externally managed credentials, or for credentials refreshed through JupyterHub (the manager
        pulls those from the hub). Raises :class:`RefusedError` (the refresh token or client secret was refused:
        the status then says ``needs_reinit``), :class:`TransientProviderError` (network, 5xx, timeout, garbage:
        nothing was written), :class:`FileFormatError`/:class:`FieldError` (a file the SDK cannot read either) or
        :class:`QCredError` (no such profile or credential). A failure to read the account details does not fail
        the refresh: it becomes ``account.note``.
        """
        target = self._resolve(self._load(), name)
        credential = target.credential
        if credential.kind == "externally_managed":
            return self.status(name)
        if self._memory.refresh_via.get(credential.name) == "hub":
            token = credential.token_payload.access_token if credential.token_payload else None
        else:
            token = await self.token(name, force=force)
        if token and not jwt_times(token).problem:
            await self._update_account(credential.name, target.profile.api_url, token)
        return self.status(name)

    async def _update_account(self, credential: str, api_url: str, token: str) -> None:
        """Fetch user and groups; a failure is a note, never a credential state."""
        entry = self._memory.accounts.setdefault(credential, {})
        try:
            user, groups = await self._run_async(account_flow(api_url, token))
        except QCredError as exc:
            entry["note"] = f"Could not read the account details: {exc}"
            log.info("QCS credential %s: account details unavailable (%s)", credential, type(exc).__name__)
            return
        entry.update(user=user, groups=groups, note=None, checked_at=utcnow())

    # ------------------------------------------------------------------------------------------- writing

    def _document_for_write(
        self, path: Path, validate: Callable[[tomlkit.TOMLDocument, Path], object], reinit: bool
    ) -> tomlkit.TOMLDocument:
        """The current document of ``path`` for a read-modify-write (we hold its lock).

        A file the SDK could not read either is an error, unless ``reinit``: it is then kept as a timestamped
        backup and replaced.
        """
        try:
            text = files.read_text(path)
            document = parse_toml(text or "", path)
            validate(document, path)
            return document
        except (FileFormatError, FieldError) as exc:
            if not reinit:
                raise
            kept = files.backup(path)
            log.warning("QCS: %s could not be read (%s); kept as %s and replaced", path, type(exc).__name__, kept)
            return tomlkit.document()

    def _write_documents(self, settings_doc: tomlkit.TOMLDocument, secrets_doc: tomlkit.TOMLDocument) -> None:
        """Validate both results as the SDK will read them, then write secrets first (a profile never points at a
        credential that is not on disk yet)."""
        settings_from_document(settings_doc, self.settings_path)
        secrets_from_document(secrets_doc, self.secrets_path)
        files.atomic_write(self.secrets_path, tomlkit.dumps(secrets_doc))
        files.atomic_write(self.settings_path, tomlkit.dumps(settings_doc))

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        """Write bundle profiles (``bundle.QcsProfileSpec``) into both files; returns the profile names written.

        Settings get api/grpc URLs, the auth server (issuer, client_id) and ``credentials_name`` (the profile's own
        name unless the spec says otherwise); secrets get one credential per profile. A token already on disk that
        is newer than the bundle's (a later ``iat``) is kept: the bundle was made at spawn time, we may have
        refreshed since. ``spec.refresh == "hub"`` is remembered: such credentials are renewed by pulling from
        the hub, not by us.
        """
        return self._materialize(list(specs), source=source, reinit=reinit, keep_newer=True)

    def _materialize(self, specs: list[QcsProfileSpec], *, source: str, reinit: bool, keep_newer: bool) -> list[str]:
        if not specs:
            return []
        for spec in specs:
            if not isinstance(spec, QcsProfileSpec):
                raise TypeError(f"QcsProvider.materialize takes QcsProfileSpec entries, not {type(spec).__name__}")
        with (
            files.locked(self.settings_path, self.settings.lock_timeout),
            files.locked(self.secrets_path, self.settings.lock_timeout),
        ):
            settings_doc = self._document_for_write(self.settings_path, settings_from_document, reinit)
            secrets_doc = self._document_for_write(self.secrets_path, secrets_from_document, reinit)
            before = settings_from_document(settings_doc, self.settings_path)
            existing = secrets_from_document(secrets_doc, self.secrets_path)
            now = utcnow()
            written: list[str] = []
            for spec in specs:
                credential = self._apply_spec(settings_doc, secrets_doc, before, existing, spec, now, keep_newer)
                self._memory.sources[spec.profile] = source
                self._memory.refresh_via[credential] = spec.refresh
                written.append(spec.profile)
            if not any(spec.default for spec in specs):
                self._choose_default(settings_doc, secrets_doc, specs[0].profile)
            self._write_documents(settings_doc, secrets_doc)
        log.info("QCS: wrote profiles %s from %s", ", ".join(written), source)
        return written

    def _apply_spec(
        self,
        settings_doc: tomlkit.TOMLDocument,
        secrets_doc: tomlkit.TOMLDocument,
        before: QcsSettings,
        existing: QcsSecrets,
        spec: QcsProfileSpec,
        now: datetime,
        keep_newer: bool,
    ) -> str:
        """Edit both documents for one spec; returns the credential name it wrote."""
        old = before.profiles.get(spec.profile) if "profiles" in settings_doc else None
        credential = spec.credentials_name or (old.credentials_name if old else spec.profile)
        values: dict[str, str | None] = {
            "api_url": spec.api_url,
            "grpc_api_url": spec.grpc_api_url,
            "credentials_name": credential,
        }
        # For client credentials, spec.client_id names the confidential client, not the auth server's client.
        server_client_id = None if spec.client_secret else spec.client_id
        if spec.issuer or server_client_id or spec.auth_server_name:
            custom = bool(spec.issuer or server_client_id)
            server_name = spec.auth_server_name or (spec.profile if custom else DEFAULT_PROFILE_NAME)
            known = before.auth_servers.get(server_name) or AuthServer()
            server = AuthServer(client_id=server_client_id or known.client_id, issuer=spec.issuer or known.issuer)
            store.upsert_auth_server(settings_doc, server_name, server)
            values["auth_server_name"] = server_name
        elif old is None:
            values["auth_server_name"] = DEFAULT_PROFILE_NAME
            if "auth_servers" in settings_doc and DEFAULT_PROFILE_NAME not in before.auth_servers:
                store.upsert_auth_server(settings_doc, DEFAULT_PROFILE_NAME, AuthServer())
        store.upsert_profile(settings_doc, spec.profile, values=values)
        if spec.default:
            store.set_default_profile(settings_doc, spec.profile)
        if spec.client_secret and spec.client_id:
            store.replace_client_credentials(secrets_doc, credential, spec.client_id, spec.client_secret)
            return credential
        current = existing.credentials.get(credential)
        payload = current.token_payload if current is not None else None
        if keep_newer and payload is not None and _newer(payload.access_token, spec.access_token):
            log.info("QCS credential %s: kept the newer token already on disk", credential)
            return credential
        times = jwt_times(spec.access_token)
        lifetime = times.lifetime
        store.replace_token_payload(
            secrets_doc,
            credential,
            access_token=spec.access_token,
            refresh_token=spec.refresh_token,
            updated_at=now,
            expires_in=int(lifetime.total_seconds()) if lifetime and lifetime.total_seconds() >= 0 else None,
        )
        self._forget(credential)
        return credential

    def _forget(self, credential: str) -> None:
        """New tokens: the old refusal and account details no longer apply."""
        self._memory.refused.pop(credential, None)
        self._memory.accounts.pop(credential, None)
        self._memory.client_tokens.pop(credential, None)

    def _choose_default(
        self, settings_doc: tomlkit.TOMLDocument, secrets_doc: tomlkit.TOMLDocument, candidate: str
    ) -> None:
        """Make ``candidate`` the default when the current default profile is missing or has no credential."""
        settings = settings_from_document(settings_doc, self.settings_path)
        credentials = secrets_from_document(secrets_doc, self.secrets_path).credentials
        current = settings.profiles.get(settings.default_profile_name)
        credential = credentials.get(current.credentials_name) if current is not None else None
        if credential is None or not credential.usable:
            store.set_default_profile(settings_doc, candidate)

    def set_default(self, name: str, instance: str | None = None) -> None:
        """Make profile ``name`` the default (``default_profile_name``; ``QCS_PROFILE_NAME`` still wins)."""
        with files.locked(self.settings_path, self.settings.lock_timeout):
            document = self._document_for_write(self.settings_path, settings_from_document, reinit=False)
            settings = settings_from_document(document, self.settings_path)
            if name not in settings.profiles:
                known = ", ".join(sorted(settings.profiles)) or "none"
                raise QCredError(
                    f"Rigetti QCS: there is no profile {name!r} in {self.settings_path} (profiles: {known})."
                )
            store.set_default_profile(document, name)
            files.atomic_write(self.settings_path, tomlkit.dumps(document))
        if self._environ().get("QCS_PROFILE_NAME"):
            log.info("QCS: default profile set to %s, but QCS_PROFILE_NAME overrides it in this environment", name)

    def import_file(self, filename: str, content: str) -> list[str]:
        """Merge a downloaded ``secrets.toml`` or ``settings.toml`` into ours; returns the names imported.

        The upload is validated first (as the SDK would read it); a bad one raises a clear error and nothing is
        written. Its entries replace ours of the same name; everything else in our files stays. A credential no
        profile uses gets a profile of its own name. Imported tokens without ``updated_at`` get the current time.
        Uploading is a re-initialization: one of our files the SDK cannot read is kept as a backup and replaced.
        """
        label = Path(Path(filename or "upload.toml").name)
        try:
            document = parse_toml(content, label)
        except FileFormatError as exc:
            where = f" (line {exc.line})" if exc.line else ""
            raise QCredError(
                f"The uploaded {label} {exc.detail}{where}; nothing was changed. Upload the file exactly as "
                "downloaded from the QCS tokens page."
            ) from None
        kind = self._upload_kind(label.name.lower(), document)
        now = utcnow()
        with (
            files.locked(self.settings_path, self.settings.lock_timeout),
            files.locked(self.secrets_path, self.settings.lock_timeout),
        ):
            settings_doc = self._document_for_write(self.settings_path, settings_from_document, reinit=True)
            secrets_doc = self._document_for_write(self.secrets_path, secrets_from_document, reinit=True)
            if kind == "secrets":
                uploaded = secrets_from_document(document, label)
                if not uploaded.credentials:
                    raise FieldError(str(label), "credentials", "is missing: the file holds no credential")
                entries = document["credentials"]
                for name, credential in uploaded.credentials.items():
                    table = entries[name]
                    payload = table.get("token_payload") if credential.kind == "token_payload" else None
                    if payload is not None and "updated_at" not in payload:
                        payload["updated_at"] = format_rfc3339(now)
                names = store.merge_entries(secrets_doc, "credentials", {n: entries[n] for n in uploaded.credentials})
                settings = settings_from_document(settings_doc, self.settings_path)
                used = {profile.credentials_name for profile in settings.profiles.values()}
                for name in names:
                    self._forget(name)
                    if name not in used:
                        store.upsert_profile(settings_doc, name, values={"credentials_name": name})
                        self._memory.sources[name] = "import"
                self._choose_default(settings_doc, secrets_doc, names[0])
            else:
                uploaded_settings = settings_from_document(document, label)
                names = []
                store.keep_implicit_defaults(settings_doc)
                for section in ("auth_servers", "profiles"):
                    if section in document:
                        merged = store.merge_entries(settings_doc, section, dict(document[section]))
                        if section == "profiles":
                            names = merged
                if "default_profile_name" in document:
                    store.set_default_profile(settings_doc, uploaded_settings.default_profile_name)
                for name in names:
                    self._memory.sources[name] = "import"
            self._write_documents(settings_doc, secrets_doc)
        log.info("QCS: imported %s %s from an uploaded file", kind, ", ".join(names))
        return names

    @staticmethod
    def _upload_kind(filename: str, document: tomlkit.TOMLDocument) -> str:
        keys = set(document)
        if "secret" in filename or (keys and keys <= {"credentials"}):
            if keys - {"credentials"}:
                raise FieldError(filename, sorted(keys - {"credentials"})[0], "does not belong in a secrets.toml")
            return "secrets"
        if "setting" in filename or keys & {"profiles", "auth_servers", "default_profile_name"}:
            if "credentials" in keys:
                raise FieldError(filename, "credentials", "belongs in secrets.toml, not settings.toml")
            return "settings"
        raise QCredError(
            f"{filename}: this is neither a QCS secrets.toml (with [credentials...]) nor a settings.toml (with "
            "[profiles...]); upload the file downloaded from the QCS tokens page."
        )

    # ------------------------------------------------------------------------------------------- user-driven sign-in

    def _profile_target(self, profile: str | None) -> tuple[str, AuthServer, str]:
        """Profile name, its auth server and its credential name, for a profile that may not exist yet."""
        snapshot = self._load()
        name = profile or snapshot.settings.effective_default(self._environ())
        found = snapshot.settings.profiles.get(name) or self._template(snapshot)
        server_name = found.auth_server_name if found else DEFAULT_PROFILE_NAME
        server = snapshot.settings.auth_servers.get(server_name) or AuthServer()
        return name, server, found.credentials_name if name in snapshot.settings.profiles and found else name

    def _template(self, snapshot: _Snapshot) -> Profile | None:
        """The default profile, whose API and auth server a profile created by a sign-in starts from (a group
        account on the same QCS deployment), rather than the public service's defaults."""
        return snapshot.settings.profiles.get(snapshot.settings.effective_default(self._environ()))

    async def store_tokens(
        self, profile: str | None = None, *, access_token: str | None = None, refresh_token: str | None = None
    ) -> CredentialStatus:
        """Re-initialize ``profile`` from tokens a person pasted, and return its status.

        With only a refresh token it is exchanged at once (nothing is written if the provider refuses it: the
        error says so); with an access token both are written as given.
        """
        access_token = (access_token or "").strip() or None
        refresh_token = (refresh_token or "").strip() or None
        if not access_token and not refresh_token:
            raise FieldError("QCS sign-in", "refresh_token", "is required (or an access_token)")
        name, server, _credential = self._profile_target(profile)
        if access_token is None:
            assert refresh_token is not None
            try:
                tokens = await self._run_async(
                    refresh_grant_flow(
                        server.issuer,
                        server.client_id,
                        refresh_token,
                        self._discovery,
                        what="the identity provider",
                        advice="the pasted refresh token is not valid (expired, revoked or from another client); "
                        "copy a fresh one.",
                    )
                )
            except RefusedError:
                log.warning("QCS profile %s: the pasted refresh token was refused; nothing was written", name)
                raise
            access_token, refresh_token = tokens.access_token, tokens.refresh_token or refresh_token
        await asyncio.to_thread(self._save_sign_in, name, access_token, refresh_token, "token")
        return await self._after_sign_in(name)

    async def _after_sign_in(self, name: str) -> CredentialStatus:
        snapshot = self._load()
        target = self._resolve(snapshot, name)
        payload = target.credential.token_payload
        if payload and payload.access_token and not jwt_times(payload.access_token).problem:
            await self._update_account(target.credential.name, target.profile.api_url, payload.access_token)
        return self.status(name)

    def _device_start_flow(self, profile: str | None) -> Flow[DeviceLogin]:
        name, server, _credential = self._profile_target(profile)
        discovery, authorization = yield from device_authorization_flow(
            server.issuer, server.client_id, self._discovery
        )
        return DeviceLogin(
            id=secrets.token_urlsafe(6),
            profile=name,
            user_code=authorization.user_code,
            verification_uri=authorization.verification_uri,
            verification_uri_complete=authorization.verification_uri_complete,
            expires_at=utcnow() + timedelta(seconds=authorization.expires_in),
            interval=authorization.interval,
            device_code=authorization.device_code,
            token_endpoint=discovery.token_endpoint,
            client_id=server.client_id,
        )

    async def start_device_login(self, profile: str | None = None) -> DeviceLogin:
        """Begin a browser sign-in (RFC 8628) for ``profile``: show ``user_code`` and ``verification_uri``."""
        login = await self._run_async(self._device_start_flow(profile))
        log.info("QCS profile %s: device login %s started", login.profile, login.id)
        return login

    def start_device_login_sync(self, profile: str | None = None) -> DeviceLogin:
        """:meth:`start_device_login` for the CLI."""
        return self._run_sync(self._device_start_flow(profile))

    def _device_poll_flow(self, login: DeviceLogin) -> Flow[TokenResponse | None]:
        """One poll; updates ``login`` and returns the tokens when the person finished signing in."""
        if login.finished:
            return None
        if utcnow() >= login.expires_at:
            login.state = "expired"
            login.error = "The sign-in code expired before it was used; start the QCS login again."
            return None
        poll = yield from device_poll_flow(login.token_endpoint, login.client_id, login.device_code)
        if poll.outcome == "slow_down":
            login.interval += 5
        elif poll.outcome == "expired":
            login.state = "expired"
            login.error = "The sign-in code expired before it was used; start the QCS login again."
        elif poll.outcome == "denied":
            login.state = "failed"
            login.error = "The QCS sign-in was denied in the browser; start the login again to retry."
        elif poll.outcome == "done":
            return poll.tokens
        return None

    def _save_sign_in(self, profile: str, access_token: str, refresh_token: str | None, source: str) -> None:
        """Write tokens a person just obtained into ``profile`` (creating it if needed), whatever was there."""
        name, _server, credential = self._profile_target(profile)
        snapshot = self._load()
        template = None if name in snapshot.settings.profiles else self._template(snapshot)
        spec = QcsProfileSpec(
            profile=name,
            access_token=access_token,
            refresh_token=refresh_token,
            credentials_name=credential,
            api_url=template.api_url if template else None,
            grpc_api_url=template.grpc_api_url if template else None,
            auth_server_name=template.auth_server_name if template else None,
        )
        self._materialize([spec], source=source, reinit=True, keep_newer=False)
        self._memory.refresh_via[credential] = "provider"

    def _finish_login(self, login: DeviceLogin, tokens: TokenResponse | None) -> None:
        if tokens is None:
            return
        self._save_sign_in(login.profile, tokens.access_token, tokens.refresh_token, "device")
        login.state = "done"
        log.info("QCS profile %s: device login %s finished; tokens saved", login.profile, login.id)

    async def poll_device_login(self, login: DeviceLogin) -> DeviceLogin:
        """Ask once whether the person finished signing in; on success the tokens are saved into the profile.

        Updates and returns ``login``: ``state`` stays ``pending`` (poll again after ``login.interval`` seconds,
        which grows on ``slow_down``), or becomes ``done``, ``failed`` (denied) or ``expired``. Transport trouble
        raises :class:`TransientProviderError` and leaves the login pending.
        """
        tokens = await self._run_async(self._device_poll_flow(login))
        if tokens is not None:
            # Writing waits for the file locks: keep the event loop free meanwhile.
            await asyncio.to_thread(self._finish_login, login, tokens)
            await self._after_sign_in(login.profile)
        return login

    def poll_device_login_sync(self, login: DeviceLogin) -> DeviceLogin:
        """:meth:`poll_device_login` for the CLI (without fetching account details)."""
        self._finish_login(login, self._run_sync(self._device_poll_flow(login)))
        return login


def _newer(on_disk: str | None, incoming: str | None) -> bool:
    """Whether the access token on disk was issued after the incoming one (then the disk's is kept)."""
    disk, new = jwt_times(on_disk), jwt_times(incoming)
    disk_at = disk.issued_at or disk.expires_at
    new_at = new.issued_at or new.expires_at
    return disk_at is not None and new_at is not None and disk_at > new_at
