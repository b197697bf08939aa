"""Refreshing QCS access tokens ahead of expiry, once for every process, and reading the account they belong to.

The QCS SDK (``qcs_api_client_common``) refreshes an access token only after it expired, in every process on its
own, and writes back without a lock. Here whoever finds the stored token due takes the lock on ``secrets.toml``,
re-reads it, and asks for a token only if it is still due; everyone else then finds the fresh token in the file.
``updated_at`` is written the way the SDK writes it, so the SDK (which writes back only when the file's
``updated_at`` is older than its own) never replaces a newer token with an older one, and we re-check it before
writing so we never do either. Tokens of the client_credentials grant stay in memory, as in the SDK.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import tomlkit

from ...core import files
from ...core.errors import QCredError, RefusedError
from ...core.flows import Flow
from ...core.states import CredentialStatus, fingerprint, utcnow
from ..shared.client import Client
from ..shared.oidc import Oidc, TokenResponse
from ..shared.renewer import Renewer, token_due
from ..shared.times import jwt_times
from . import handoff, store
from .api import PROVIDER, account_flow
from .base import REINIT_ADVICE, ClientToken, Memory, QcsFiles, Target, log
from .model import Credential, TokenPayload
from .status import QcsStatus


class _ProfileRenewal:
    """One profile's access token for the renewer (:class:`~..shared.renewer.Renewal`): the token payload of its
    credential in ``secrets.toml``, or for a client_credentials credential the token this process holds."""

    def __init__(self, refresher: QcsRefresher, profile: str | None, target: Target) -> None:
        self.refresher = refresher
        self.profile = profile
        self.target = target
        self.lock = refresher.files.secrets_path

    def stored(self) -> str | None:
        refresher = self.refresher
        self.target = refresher.files.resolve(refresher.files.load(), self.profile)
        credential = self.target.credential
        if credential.kind == "client_credentials":
            return refresher._client_token_valid(credential, utcnow())
        payload = refresher.files.payload(credential)
        if payload is None:  # externally managed: the fast path already refused
            raise QCredError(f"Rigetti QCS profile {self.target.profile.name!r} has no token to refresh.")
        return payload.access_token

    def due(self, token: str) -> bool:
        if self.target.credential.kind == "client_credentials":
            return False  # only a valid token this process holds is ever stored
        return token_due(self.refresher.settings, token)

    def renew(self, stored: str | None) -> Flow[str]:
        if self.target.credential.kind == "client_credentials":
            return (yield from self.refresher._client_credentials_flow(self.target))
        return (yield from self.refresher._refresh_grant_flow(self.target))


class QcsRefresher:
    """Tokens for the SDK and the views: ``token_sync`` (the CLI), ``token`` and ``refresh`` (the server), renewed
    once for all processes by the shared renewer, with the OIDC grants of the profile's auth server."""

    def __init__(
        self,
        files: QcsFiles,
        memory: Memory,
        reader: QcsStatus,
        *,
        client: Client,
        oidc: Oidc,
        renewer: Renewer,
    ) -> None:
        self.files = files
        self.memory = memory
        self.settings = files.settings
        self.reader = reader
        self.client = client
        self.oidc = oidc
        self.renewer = renewer

    def _client_token_valid(self, credential: Credential, now: datetime) -> str | None:
        assert credential.client_credentials is not None
        token = self.memory.client_tokens.get(credential.name)
        if token is None or token.fingerprint != fingerprint(credential.client_credentials.client_secret):
            return None
        if token.expires_at is None or self.settings.policy.is_due(token.issued_at, token.expires_at, now):
            return None
        return token.access_token

    def _fast_path(self, target: Target, force: bool) -> str | None:
        """The stored token when no request is needed (no lock, no network): the common case."""
        credential = target.credential
        now = utcnow()
        external = credential.externally_managed
        if external is not None and handoff.is_token_command(external):
            raise QCredError(
                f"Rigetti QCS profile {target.profile.name!r} is handed off to jupyter_qcred, but its tokens "
                f"({handoff.managed_name(credential.name)!r}) are missing from {self.files.secrets_path}; "
                + REINIT_ADVICE
            )
        if credential.kind == "externally_managed":
            raise QCredError(
                f"Rigetti QCS profile {target.profile.name!r} uses an externally managed credential "
                f"({credential.name!r}); its command provides the token, jupyter_qcred does not hold one."
            )
        if credential.kind == "client_credentials":
            return None if force else self._client_token_valid(credential, now)
        payload = self.files.payload(credential)
        assert payload is not None
        if self.memory.refresh_via.get(credential.name) == "hub":
            times = jwt_times(payload.access_token)
            if payload.access_token and times.expires_at and now < times.expires_at:
                return payload.access_token
            raise QCredError(
                f"Rigetti QCS profile {target.profile.name!r} is refreshed through JupyterHub and its access token "
                "has expired; re-initialize from the hub (or restart the server from JupyterHub)."
            )
        if not force and payload.access_token and not token_due(self.settings, payload.access_token, now):
            return payload.access_token
        return None

    def _renewal(self, profile: str | None, force: bool) -> tuple[str | None, _ProfileRenewal | None, str | None]:
        """(the token when no request is needed, else the renewal and the token the caller saw before locking)."""
        target = self.files.resolve(self.files.load(), profile)
        token = self._fast_path(target, force=force)
        if token is not None:
            return token, None, None
        payload = self.files.payload(target.credential)
        return None, _ProfileRenewal(self, profile, target), payload.access_token if payload else None

    def _refresh_grant_flow(self, target: Target) -> Flow[str]:
        """Under the lock, the token still due (or forced): the refresh grant, saved (or held, when read-only)."""
        credential = target.credential
        name = target.profile.name
        payload = self.files.payload(credential)
        if payload is None or not payload.refresh_token:
            raise RefusedError(
                PROVIDER, f"profile {name!r} has no refresh token to renew its access token; " + REINIT_ADVICE
            )
        refresh_token = payload.refresh_token
        try:
            tokens = yield from self.oidc.refresh_grant(
                target.server.issuer,
                target.server.client_id,
                refresh_token,
                what=f"the identity provider of profile {name!r}",
                advice=REINIT_ADVICE,
            )
        except RefusedError as exc:
            self.memory.refused[credential.name] = (fingerprint(refresh_token), str(exc))
            self.reader.remembered.refuse(PROVIDER, credential.name, refresh_token, str(exc))
            log.warning("QCS profile %s: the refresh token was refused; the credential needs re-initializing", name)
            raise
        obtained = utcnow()
        if self.files.read_only:
            access = self._hold(credential, tokens, obtained)
        else:
            access = self._write_refreshed(credential.name, tokens, obtained)
        self.memory.refused.pop(credential.name, None)
        self.reader.remembered.accepted(PROVIDER, credential.name)
        self.memory.refreshed_at[credential.name] = obtained
        log.info("QCS profile %s: refreshed the access token of credential %s", name, credential.name)
        return access

    def _client_credentials_flow(self, target: Target) -> Flow[str]:
        """Under the lock, no valid token held (or forced): the client_credentials grant, kept in memory."""
        credential = target.credential
        assert credential.client_credentials is not None
        pair = credential.client_credentials
        try:
            tokens = yield from self.oidc.client_credentials(
                target.server.issuer,
                pair.client_id,
                pair.client_secret,
                what=f"the identity provider of profile {target.profile.name!r}",
                advice="check client_id and client_secret in secrets.toml or re-initialize.",
            )
        except RefusedError as exc:
            self.memory.refused[credential.name] = (fingerprint(pair.client_secret), str(exc))
            self.reader.remembered.refuse(PROVIDER, credential.name, pair.client_secret, str(exc))
            raise
        times = jwt_times(tokens.access_token)
        issued = times.issued_at or utcnow()
        expires = times.expires_at or (
            issued + timedelta(seconds=tokens.expires_in) if tokens.expires_in is not None else None
        )
        self.memory.client_tokens[credential.name] = ClientToken(
            fingerprint(pair.client_secret), tokens.access_token, issued, expires
        )
        self.memory.refused.pop(credential.name, None)
        self.reader.remembered.accepted(PROVIDER, credential.name)
        log.info("QCS profile %s: obtained an access token with the client_credentials grant", target.profile.name)
        return tokens.access_token

    def _hold(self, credential: Credential, tokens: TokenResponse, obtained: datetime) -> str:
        """``QCS_SECRETS_READ_ONLY``: keep a refresh result in this process only (the status says so)."""
        on_disk = credential.token_payload.refresh_token if credential.token_payload else None
        payload = self.files.payload(credential)
        self.memory.held[credential.name] = (
            fingerprint(on_disk),
            TokenPayload(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token or (payload.refresh_token if payload else None),
                expires_in=tokens.expires_in,
                updated_at=obtained,
            ),
        )
        log.info("QCS credential %s: refreshed; QCS_SECRETS_READ_ONLY is set, so not saved", credential.name)
        return tokens.access_token

    def _write_refreshed(self, credential: str, tokens: TokenResponse, obtained: datetime) -> str:
        """Save a refresh result (we hold the lock); keep a token another writer saved after ours was issued.

        A handed-off credential's tokens are written where they live (``jupyter_qcred-NAME``, see :mod:`.handoff`).
        """
        document, current = self.files.load_secrets()
        existing = current.credentials.get(credential)
        if existing is None or existing.kind != "token_payload" or existing.token_payload is None:
            raise QCredError(
                f"Rigetti QCS: the credential {credential!r} was removed from {self.files.secrets_path} while it was "
                "being refreshed; the new token was not saved. Re-initialize if you still need it."
            )
        payload = existing.token_payload
        if payload.updated_at and payload.updated_at > obtained and payload.access_token:
            log.info("QCS credential %s: kept the newer token another process saved meanwhile", credential)
            return payload.access_token
        store.update_refreshed_tokens(
            document,
            existing.stored_name,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            updated_at=obtained,
            expires_in=tokens.expires_in,
            id_token=tokens.id_token,
        )
        if existing.stored_as:  # handed off: older clients read the access token beside the command
            store.mirror(document, existing.name, existing.stored_as)
        files.atomic_write(self.files.secrets_path, tomlkit.dumps(document))
        return tokens.access_token

    def token_sync(self, profile: str | None = None) -> str:
        """A valid access token for ``profile`` (default: the SDK's default profile), refreshed once for everyone.

        This is ``jupyter qcred token qcs [--profile P]``, which the QCS SDK can run as an ``externally_managed``
        command. A token that is not due is returned without any request or lock; otherwise the lock on
        ``secrets.toml`` is taken, the file re-read, and a token requested only if it is still due (the renewer of
        :mod:`jupyter_qcred.providers.shared.renewer`).
        """
        token, renewal, seen = self._renewal(profile, force=False)
        if renewal is None:
            assert token is not None
            return token
        return self.renewer.token_sync(renewal, seen)

    async def token(self, profile: str | None = None, *, force: bool = False) -> str:
        """The async twin of :meth:`token_sync` (same flow, same lock)."""
        token, renewal, seen = self._renewal(profile, force=force)
        if renewal is None:
            assert token is not None
            return token
        return await self.renewer.token(renewal, seen, force=force)

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
        target = self.files.resolve(self.files.load(), name)
        credential = target.credential
        if credential.kind == "externally_managed":
            return self.reader.status(name)
        if self.memory.refresh_via.get(credential.name) == "hub":
            token = credential.token_payload.access_token if credential.token_payload else None
        else:
            token = await self.token(name, force=force)
        if token and not jwt_times(token).problem:
            await self.update_account(credential.name, target.profile.api_url, token)
        return self.reader.status(name)

    async def update_account(self, credential: str, api_url: str, token: str) -> None:
        """Fetch user and groups; a failure is a note, never a credential state."""
        entry = self.memory.accounts.setdefault(credential, {})
        try:
            user, groups = await self.client.arun(account_flow(api_url, token))
        except QCredError as exc:
            entry["note"] = f"Could not read the account details: {exc}"
            log.info("QCS credential %s: account details unavailable (%s)", credential, type(exc).__name__)
            return
        entry.update(user=user, groups=groups, note=None, checked_at=utcnow())
        # Kept on disk (no token: who it describes is a fingerprint of the token's subject), so the card keeps its
        # User row and groups after a restart, before the next refresh.
        target = self.files.load().secrets.credentials.get(credential)
        if target is not None:
            kept = {"user": user, "groups": groups, "checked_at": entry["checked_at"]}
            self.reader.remembered.keep_account(PROVIDER, credential, self.reader.subject(target), kept)
