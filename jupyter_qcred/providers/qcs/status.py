"""What the views show for each QCS profile, read offline from both files and this process's memory.

A status never needs the network and ``read`` never raises: a file the SDK cannot read becomes one ``error`` status
naming it, so the panel, the CLI and the notebook always have something true to say. Refusals remembered from an
earlier refresh count only while the same refresh token or client secret is on disk: a new one clears them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...core.errors import FieldError, FileFormatError, QCredError
from ...core.remembered import Remembered
from ...core.states import CredentialStatus, State, absent, fingerprint, isoformat, mask, utcnow
from ..shared.claims import jwt_claims
from ..shared.times import jwt_times
from .api import PROVIDER
from .base import REINIT_ADVICE, Memory, QcsFiles, Snapshot
from .model import Credential, TokenPayload
from .tokencommand import SCRIPT


def summary(account: dict[str, Any]) -> str:
    """The one-line 'where' of a profile the views show: the QCS user's email and groups (empty until a refresh has
    read them)."""
    user = account.get("user") or {}
    groups = ", ".join(group.get("name", "") for group in account.get("groups") or [])
    parts = [user.get("email") or "", f"groups: {groups}" if groups else ""]
    return "; ".join(part for part in parts if part)


class QcsStatus:
    """Statuses of QCS profiles (the ``read`` and ``status`` of the provider interface), from the files and what
    this process learnt (``memory``)."""

    def __init__(self, files: QcsFiles, memory: Memory) -> None:
        self.files = files
        self.memory = memory
        self.settings = files.settings
        #: refusals and account details on disk, shared by every process and kept across restarts
        self.remembered = Remembered.default(files.settings.environ, files.settings.home)

    def subject(self, credential: Credential) -> str | None:
        """Who ``credential`` belongs to, for the account details kept on disk: its access token's subject (a token
        payload), or its client (client credentials); None when unknown."""
        if credential.kind == "client_credentials" and credential.client_credentials is not None:
            return f"client:{credential.client_credentials.client_id}"
        payload = self.files.payload(credential)
        token = payload.access_token if payload is not None else None
        claims = jwt_claims(token) if token else None
        sub = claims.get("sub") if isinstance(claims, dict) else None
        return f"sub:{sub}" if isinstance(sub, str) and sub else None

    def read(self) -> list[CredentialStatus]:
        """One status per profile that has a credential, from the files and this process's memory; never raises."""
        try:
            snapshot = self.files.load()
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
                    self.files.secrets_path,
                    f"No Rigetti QCS credential is configured ({self.files.secrets_path} holds none that a profile of "
                    f"{self.files.settings_path} uses). Sign in with the QCS device login, paste a refresh token, "
                    "upload the secrets.toml from the QCS tokens page, or restart your server from JupyterHub.",
                )
            ]
        return statuses

    def _error_path(self, exc: Exception) -> Path:
        where = getattr(exc, "where", None)
        if where == str(self.files.settings_path):
            return self.files.settings_path
        return self.files.secrets_path if where == str(self.files.secrets_path) else self.files.settings_path

    def status(self, name: str) -> CredentialStatus:
        """The status of profile ``name`` (an error status when the files or the profile are unusable)."""
        try:
            snapshot = self.files.load()
        except (FileFormatError, FieldError, QCredError) as exc:
            return CredentialStatus(PROVIDER, name, State.ERROR, error=str(exc), file=self.files.secrets_path)
        status = self._profile_status(snapshot, name)
        if status is None:
            return CredentialStatus(
                PROVIDER,
                name,
                State.ABSENT,
                error=f"Rigetti QCS profile {name!r} has no credential; " + REINIT_ADVICE,
                file=self.files.secrets_path,
            )
        return status

    def _profile_status(self, snapshot: Snapshot, name: str) -> CredentialStatus | None:
        environ = self.files.environ()
        found = snapshot.settings.profiles.get(name)
        if found is None:
            return None
        profile = snapshot.settings.resolved(found, environ)
        credential = snapshot.secrets.credentials.get(profile.credentials_name)
        if credential is None or not credential.usable:
            return None
        server = snapshot.settings.auth_servers.get(profile.auth_server_name)
        memory = self.memory
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
            # How SDK processes get this credential's tokens (see providers/qcs/handoff.py): "command" (they run
            # our token command; the tokens live in ``stored_as``), "files" (they read and refresh the file).
            "handoff": "command" if credential.handoff else ("files" if credential.kind == "token_payload" else None),
            "stored_as": credential.stored_as,
        }
        if credential.handoff is not None:  # our token command, whichever way it is started (see handoff.py)
            account["command"] = SCRIPT
        if self.files.read_only and credential.kind == "token_payload":
            account["secrets_read_only"] = (
                f"QCS_SECRETS_READ_ONLY is set, so jupyter_qcred never writes {self.files.secrets_path}: a token it "
                "refreshes stays in this process, the file's access token goes stale, and SDK processes reading "
                "the file refresh on their own."
            )
        details = memory.accounts.get(credential.name) or {}
        if not details.get("user"):  # a restart, another process: what an earlier check learnt about the same person
            kept = self.remembered.account(PROVIDER, credential.name, self.subject(credential)) or {}
            details = {**kept, **details}
        if details:
            account["user"] = details.get("user")
            account["groups"] = details.get("groups") or []
            if details.get("note"):
                account["note"] = details["note"]
        account["summary"] = summary(account)
        status = CredentialStatus(
            provider=PROVIDER,
            name=name,
            state=State.OK,
            default=name == snapshot.settings.effective_default(environ),
            source=memory.sources.get(name, "file"),
            file=self.files.secrets_path,
            account=account,
        )
        if server is None:
            status.state = State.ERROR
            status.error = (
                f"Rigetti QCS profile {name!r} uses the auth server {profile.auth_server_name!r}, which "
                f"{self.files.settings_path} does not define; add it (client_id and issuer) or re-initialize."
            )
            return status
        payload = self.files.payload(credential)
        if credential.kind == "token_payload" and payload is not None:
            self._token_payload_status(status, name, credential.name, payload)
        elif credential.kind == "client_credentials" and credential.client_credentials is not None:
            self._client_credentials_status(status, name, credential)
        elif credential.kind == "externally_managed" and credential.externally_managed is not None:
            account["command"] = os.path.basename(credential.externally_managed.command)
            account["refresh_via"] = "external"
        return status

    def _refused(self, credential: str, secret: str | None) -> str | None:
        """The remembered refusal sentence if ``secret`` is the one that was refused (a new one clears it)."""
        remembered = self.memory.refused.get(credential)
        if remembered and remembered[0] == fingerprint(secret):
            return remembered[1]
        # Another process (``jupyter qcred refresh``, the server before a restart) may have been refused.
        return self.remembered.refusal(PROVIDER, credential, secret)

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
        status.refreshed_at = self.memory.refreshed_at.get(credential) or payload.updated_at or times.issued_at
        refused = self._refused(credential, payload.refresh_token)
        if refused:
            account["refresh_token_state"] = "refused"
            status.state, status.error = State.NEEDS_REINIT, refused
            return
        profile = f"Rigetti QCS profile {name!r}"
        # (state, sentence) with a refresh token to renew the access token, and without one.
        outcomes: tuple[tuple[State, str], tuple[State, str]] | None = None
        if times.expires_at is None:
            stored = f"The stored access token of {profile} {times.problem}"
            outcomes = (
                (State.EXPIRED, f"{stored}, so its expiry is unknown; the next refresh replaces it."),
                (State.ERROR, f"{stored} and there is no refresh token; {REINIT_ADVICE}"),
            )
        elif now >= times.expires_at:
            outcomes = (
                (
                    State.EXPIRED,
                    f"The access token of {profile} expired at {isoformat(times.expires_at)}; it is renewed with "
                    "the refresh token at the next refresh.",
                ),
                (
                    State.NEEDS_REINIT,
                    f"The access token of {profile} expired and there is no refresh token to renew it; {REINIT_ADVICE}",
                ),
            )
        if has_refresh and times.expires_at is not None:
            status.next_refresh_at = self.settings.policy.due_at(times.issued_at, times.expires_at)
        if outcomes is not None:
            status.state, status.error = outcomes[0] if has_refresh else outcomes[1]
            return
        assert times.expires_at is not None
        if self.settings.policy.is_due(times.issued_at, times.expires_at, now):
            status.state = State.EXPIRING
            if not has_refresh:
                status.error = (
                    f"The access token of {profile} expires at {isoformat(times.expires_at)} and there is no refresh "
                    f"token to renew it; {REINIT_ADVICE}"
                )

    def _client_credentials_status(self, status: CredentialStatus, name: str, credential: Credential) -> None:
        assert credential.client_credentials is not None
        secret = credential.client_credentials.client_secret
        status.account["refresh_token_state"] = None
        refused = self._refused(credential.name, secret)
        if refused:
            status.state, status.error = State.NEEDS_REINIT, refused
            return
        token = self.memory.client_tokens.get(credential.name)
        if token and token.fingerprint == fingerprint(secret):
            status.token_hint = mask(token.access_token)
            status.expires_at = token.expires_at
            status.refreshed_at = token.issued_at
            if token.expires_at:
                status.next_refresh_at = self.settings.policy.due_at(token.issued_at, token.expires_at)
                now = utcnow()
                if self.settings.policy.is_due(token.issued_at, token.expires_at, now):
                    status.state = State.EXPIRING
