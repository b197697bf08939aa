"""Quantinuum Nexus logins in qnexus's own files, refreshed ahead of expiry once for every process.

qnexus 0.51 reads ``id.json`` and ``token.json`` once per process, when it builds its client (the first API call,
not at import), and never reads them again: after a 401 it posts its own refresh request and rewrites ``id.json``
with a plain ``open("w")``, without a lock. Here whoever finds the stored access token due takes the lock of
``id.json``, re-reads it, and asks Nexus only if it is still due, writing the file atomically; a process that starts
later finds a valid token in the file. A qnexus process that is already running keeps the token it read, so the
qnexus adapter (:mod:`.qnexus_adapter`, installed at import by the post-import hook) makes it ask this renewer
(:meth:`NexusProvider.token_sync`) ahead of expiry and after a 401, instead of refreshing by itself. In managed-token
mode (``NEXUS_MANAGED_TOKENS``) ``token.json`` belongs to the hub: it is written from the bundle only, and access
tokens go to ``~/.qnx/managed_auth/id.json``, where qnexus looks for them in that mode.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...core import files, safejson
from ...core.errors import FileFormatError, QCredError, RefusedError
from ...core.logins import DeviceLogin
from ...core.settings import Settings
from ...core.states import CredentialStatus, State, absent, fingerprint, utcnow
from ..shared.checks import status_from_checks
from ..shared.specprovider import SpecProvider
from ..shared.times import jwt_times
from .spec import LOGIN_NAME, NexusLoginSpec, parse_entry
from .store import NexusStore

if TYPE_CHECKING:
    from ...core.flows import Flow
    from ...core.secrets import Secret, TokenFormat
    from ..shared.renewer import Renewer

# The protocol modules (the cookie-token API, the renewer, the client) are imported by the first refresh or login,
# not at start-up.
PROVIDER = "nexus"

log = logging.getLogger("jupyter_qcred.nexus")


class NexusProvider(SpecProvider):
    """The qnexus login of this home (see the module docstring)."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "Quantinuum Nexus"
    noun: ClassVar[str] = "login"
    methods: ClassVar[tuple[str, ...]] = ("token", "upload", "login")
    download_hint: ClassVar[str] = (
        "take ~/.qnx/auth/token.json from a machine where qnexus is logged in (qnx.auth.login())"
    )
    order: ClassVar[int] = 50
    parse_entry = staticmethod(parse_entry)
    sdk_adapters: ClassVar[tuple[str, ...]] = ("jupyter_qcred.providers.nexus.qnexus_adapter",)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.store = NexusStore(settings)

    @cached_property
    def renewer(self) -> Renewer:
        from ..shared.renewer import Renewer

        return Renewer(self.settings, self.client)

    def watched_paths(self) -> list[Path]:
        return [self.store.refresh_path, self.store.access_path, self.store.config_path]

    # ----- reading -------------------------------------------------------------------------------------------

    def read(self) -> list[CredentialStatus]:
        try:
            refresh, access = self.store.refresh_token(), self.store.access_token()
        except QCredError as exc:
            path = exc.path if isinstance(exc, FileFormatError) else self.store.refresh_path
            return [CredentialStatus(provider=PROVIDER, name=None, state=State.ERROR, error=str(exc), file=path)]
        if refresh is None:
            hint = "No Quantinuum Nexus login: sign in with the Nexus login, or re-initialize from JupyterHub."
            return [absent(PROVIDER, self.store.refresh_path, hint)]
        times = jwt_times(access)
        due = self.settings.policy.due_at(times.issued_at, times.expires_at) if times.expires_at else None
        status = status_from_checks(
            PROVIDER,
            LOGIN_NAME,
            refresh,
            self.checks,
            file=self.store.refresh_path,
            expires_at=times.expires_at,
            next_refresh_at=due or utcnow(),
            account={"url": self.store.url, "managed_tokens": self.store.managed},
        )
        status.token_hint = f"…{refresh[-4:]}" if len(refresh) > 8 else "…"
        if status.state is State.EXPIRED or access is None:
            status.state = State.EXPIRING  # the refresh token still works: renewing is routine
        elif status.state is State.OK and due is not None and due <= utcnow():
            status.state = State.EXPIRING
        account = status.account
        who = account.get("display_name")
        ttl = account.get("refresh_token_ttl")
        account["summary"] = f"{who} at {self.store.url}" if who else self.store.url
        account["fields"] = [
            ["User", who or "not checked yet"],
            ["Nexus", self.store.url],
            ["Login", f"valid {_days(ttl)} more" if isinstance(ttl, int) else "not checked yet"],
            ["Tokens", "managed (NEXUS_MANAGED_TOKENS)" if self.store.managed else "~/.qnx/auth"],
        ]
        return [status]

    # ----- refreshing ----------------------------------------------------------------------------------------

    def _renew_flow(self, refresh: str) -> Flow[str]:
        """Under the lock of the access token file, the access token still due (or forced): ask Nexus, save it."""
        from .protocol import refresh_flow

        try:
            token = yield from refresh_flow(self.store.checked_url(), refresh)
        except RefusedError as exc:
            self.checks.refuse(LOGIN_NAME, refresh, str(exc))
            raise
        self.store.write_access(token)
        self.checks.refreshed_at[LOGIN_NAME] = utcnow()
        log.info("Nexus: renewed the access token")
        return token

    def token_sync(self, *, force: bool = False, refused: str | None = None) -> str:
        """A valid access token, renewed once for every process (the CLI, the qnexus adapter). ``refused``: the
        token a request was just refused with; a forced renewal is skipped when the file already holds another
        one that is not due (another process renewed it), so N processes refused together renew once."""
        seen = refused if refused is not None else self.store.access_token()
        return self.renewer.token_sync(_LoginRenewal(self), seen, force=force)

    async def token(self, *, force: bool = False) -> str:
        return await self.renewer.token(_LoginRenewal(self), self.store.access_token(), force=force)

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Renew the access token if due, then read who the login belongs to and how long it lasts."""
        from .protocol import account_flow

        if name != LOGIN_NAME:
            raise QCredError(f"There is no Nexus login named {name!r}.")
        access = await self.token(force=force)
        refresh = self.store.refresh_token() or ""
        try:
            account = await self.client.arun(account_flow(self.store.checked_url(), refresh, access))
        except RefusedError as exc:
            self.checks.refuse(name, refresh, str(exc))
            raise
        self.checks.accepted(name, {**account, "fingerprint": fingerprint(refresh)})
        return self.read()[0]

    # ----- writing and signing in ----------------------------------------------------------------------------

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        if not specs:
            return []
        spec: NexusLoginSpec = specs[0]
        if spec.url:
            self.store.write_url(spec.url)
        self._save(spec.refresh_token, spec.access_token)
        log.info("Nexus: login written from %s%s", source, " (managed tokens)" if self.store.managed else "")
        return [LOGIN_NAME]

    def _save(self, refresh_token: str, access_token: str | None) -> None:
        with files.locked(self.store.access_path, self.settings.lock_timeout):
            try:
                self.store.write_refresh(refresh_token)
            except OSError as exc:
                raise QCredError(
                    f"{self.store.refresh_path} cannot be written ({exc.strerror}); with NEXUS_MANAGED_TOKENS the hub "
                    "must be able to write it."
                ) from None
            if access_token:
                self.store.write_access(access_token)
        self.checks.forget(LOGIN_NAME)

    def set_default(self, name: str, instance: str | None = None) -> None:
        if name != LOGIN_NAME:
            raise QCredError(f"qnexus keeps one login ({LOGIN_NAME!r}); there is no {name!r}.")

    def upload_specs(self, filename: str, content: str) -> list[Any]:
        """``token.json`` from another machine's ``~/.qnx/auth`` (the refresh token)."""
        try:
            token = safejson.loads(content)["data"]["refresh_token"]
        except (ValueError, KeyError, TypeError):
            raise FileFormatError(
                Path(filename).name, 'is not qnexus\'s token.json ({"data": {"refresh_token": ...}})'
            ) from None
        if not isinstance(token, str) or not token:
            raise FileFormatError(Path(filename).name, "holds no refresh token")
        return [NexusLoginSpec(refresh_token=token)]

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """Exchange the refresh token for an access token once before it is written (Nexus does not rotate it)."""
        from .protocol import refresh_flow

        for spec in specs:
            url = spec.url or self.store.checked_url()
            await self.client.arun(refresh_flow(url, spec.refresh_token))
        return list(specs)

    def remove(self, name: str) -> list[Path]:
        """Sign out as ``qnx.auth.logout()`` does: both token files go; the Nexus URL in the config stays."""
        if name != LOGIN_NAME:
            raise QCredError(f"qnexus keeps one login ({LOGIN_NAME!r}); there is no {name!r} to remove.")
        removed = []
        with files.locked(self.store.access_path, self.settings.lock_timeout):
            for path in (self.store.refresh_path, self.store.access_path):
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise QCredError(f"{path} cannot be removed ({exc.strerror}); nothing else was changed.") from None
                removed.append(path)
        self.checks.forget(LOGIN_NAME)
        self.checks.accounts.pop(LOGIN_NAME, None)
        log.info("Nexus: removed the login (%d files)", len(removed))
        return removed

    def login_profile(self, profile: str | None) -> str:
        """The one login qnexus keeps, whatever was asked for."""
        return LOGIN_NAME

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        token = str(data.get("token") or data.get("refresh_token") or "").strip()
        if not token:
            raise QCredError("Paste your Nexus refresh token (the myqos_oat cookie), or use the Nexus login instead.")
        return [NexusLoginSpec(refresh_token=token)]

    async def start_device_login(self, profile: str | None = None) -> DeviceLogin:
        import secrets

        from .protocol import device_start_flow

        answer = await self.client.arun(device_start_flow(self.store.checked_url()))
        return DeviceLogin(
            id=secrets.token_hex(8),
            profile=LOGIN_NAME,
            user_code=str(answer["user_code"]),
            verification_uri=str(answer.get("verification_uri") or answer["verification_uri_complete"]),
            verification_uri_complete=str(answer["verification_uri_complete"]),
            expires_at=utcnow() + timedelta(seconds=int(answer["expires_in"])),
            interval=max(1, int(answer["interval"])),
            provider=PROVIDER,
            device_code=str(answer["device_code"]),
        )

    async def poll_device_login(self, login: DeviceLogin) -> DeviceLogin:
        from .protocol import device_poll_flow

        if login.finished:
            return login
        if utcnow() >= login.expires_at:
            login.state, login.error = "expired", "The Nexus login code expired; start the login again."
            return login
        url = self.store.checked_url()
        tokens = await self.client.arun(device_poll_flow(url, login.device_code))
        if tokens is not None:
            await asyncio.to_thread(self._save, str(tokens["refresh_token"]), str(tokens["access_token"]))
            login.state = "done"
        return login

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)


class _LoginRenewal:
    """The login's access token for the renewer (:class:`~..shared.renewer.Renewal`): qnexus's ``id.json``, renewed
    with the refresh token of ``token.json``."""

    def __init__(self, provider: NexusProvider) -> None:
        self.provider = provider
        self.lock = provider.store.access_path
        self.refresh: str | None = None

    def stored(self) -> str | None:
        store = self.provider.store
        self.refresh = store.refresh_token()
        if self.refresh is None:
            raise RefusedError(PROVIDER, "there is no Nexus login to refresh; sign in to Nexus first.")
        return store.access_token()

    def due(self, token: str) -> bool:
        from ..shared.renewer import token_due

        return token_due(self.provider.settings, token)

    def renew(self, stored: str | None) -> Flow[str]:
        assert self.refresh is not None
        return self.provider._renew_flow(self.refresh)


def _days(seconds: int) -> str:
    return f"{seconds // 86400} days" if seconds >= 2 * 86400 else f"{max(seconds, 0) // 3600} h"
