"""The service layer: every operation a person can start, written once.

The REST handlers, the notebook (through the server, or on the files when there is none) and the CLI all call
:class:`CredentialService`, so one operation gives one outcome everywhere: the same states, the same sentence, the
same rules about what may be replaced. Operations that change credentials answer the status JSON plus a
``result``: ``{"outcome": "ok" | "failed" | "refused", "message": <the sentence every view shows>,
"credentials": [{"provider", "name", "outcome", "error"}]}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from ..providers.registry import PROVIDER_METHODS, title
from .bundle import BUNDLE_VERSION, Bundle, IbmAccountSpec, parse_bundle
from .errors import QCredError
from .manager import CredentialManager
from .settings import Settings
from .sources import resolve_source
from .states import CredentialStatus


class InputError(QCredError):
    """The user's input cannot be used (REST answers 400)."""


class UnavailableError(QCredError):
    """What was asked for does not exist here, e.g. a restart without JupyterHub (REST answers 409)."""


class NotFoundError(QCredError):
    """There is no such credential (REST answers 404)."""


class ForbiddenError(QCredError):
    """The hub does not allow this server to do it, e.g. a token without the restart scope (REST answers 403)."""


def outcome_of(statuses: Iterable[CredentialStatus], done: str = "Refreshed.") -> dict[str, Any]:
    """The ``result`` of an operation from the statuses it left: one sentence for every view to show (``done``
    when every credential came out fine, else what went wrong with each)."""
    credentials = []
    problems = []
    for status in statuses:
        last = status.last_refresh or {}
        outcome = str(last.get("outcome") or ("ok" if status.error is None else "failed"))
        credentials.append(
            {"provider": status.provider, "name": status.name, "outcome": outcome, "error": status.error}
        )
        if outcome != "ok":
            error = status.error or "failed"
            # Provider errors already name the provider (and usually the account): say it once.
            named = (
                error
                if error.startswith(title(status.provider))
                else f"{title(status.provider)} {status.name!r}: {error}"
            )
            problems.append((outcome, named))
    if not credentials:
        return {"outcome": "ok", "message": "There was nothing to refresh.", "credentials": []}
    if not problems:
        return {"outcome": "ok", "message": done, "credentials": credentials}
    outcome = "refused" if any(kind == "refused" for kind, _ in problems) else "failed"
    return {"outcome": outcome, "message": " ".join(text for _, text in problems), "credentials": credentials}


class CredentialService:
    """Refresh, re-initialize, add, import, sign in, set the default, restart: for every view.

    ``hub_pull`` fetches the user's credentials from JupyterHub (None when not under a hub); ``spawn_bundle`` gives
    the bundle this server was started with (kept in memory: it is removed from the environment); ``stop_server``
    asks the hub to stop this server (only the server has one).
    """

    @classmethod
    def without_server(cls, settings: Settings, manager: CredentialManager) -> CredentialService:
        """The service of a process with no Jupyter server behind it (the CLI, a kernel on its own): the hub's API
        when under JupyterHub, the spawn bundle still in the environment."""
        from .hubclient import HubClient
        from .sources import spawn_bundle

        hub = HubClient.from_environment(settings.environ, timeout=settings.timeout)
        return cls(
            manager,
            hub_pull=hub.fetch_bundle if hub.available else None,
            spawn_bundle=lambda: spawn_bundle(settings),
            unavailable_restart=(
                "Only a Jupyter server can restart itself, and this process is not connected to a Jupyter server "
                "with jupyter_qcred. Under JupyterHub use File > Hub Control Panel; elsewhere stop and start "
                "Jupyter yourself."
            ),
        )

    def __init__(
        self,
        manager: CredentialManager,
        *,
        hub_pull: Callable[[], Awaitable[Bundle]] | None = None,
        spawn_bundle: Callable[[], Bundle | None] = lambda: None,
        reinitialize_source: str = "auto",
        stop_server: Callable[[], Awaitable[dict[str, Any]]] | None = None,
        unavailable_restart: str = (
            "This server is not running under JupyterHub, so it cannot restart itself: stop it (File > Shut Down) "
            "and start it again."
        ),
    ) -> None:
        self.manager = manager
        self.hub_pull = hub_pull
        self.spawn_bundle = spawn_bundle
        self.reinitialize_source = reinitialize_source
        self.stop_server = stop_server
        self.unavailable_restart = unavailable_restart

    # ----- reading ----------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The status JSON."""
        return self.manager.snapshot()

    def _known(self, provider: str, name: str) -> None:
        self.provider(provider)
        if name not in {s.name for s in self.manager.statuses() if s.provider == provider and s.name}:
            raise NotFoundError(f"There is no {title(provider)} credential named {name!r}.")

    def provider(self, key: str | None) -> str:
        """``key`` checked against the enabled providers."""
        if key not in self.manager.providers:
            raise InputError(f"Unknown provider {key!r}; use one of: {', '.join(self.manager.providers)}.")
        return str(key)

    def _answer(self, statuses: Iterable[CredentialStatus], done: str = "Refreshed.") -> dict[str, Any]:
        return {**self.manager.snapshot(), "result": outcome_of(statuses, done)}

    # ----- refreshing -------------------------------------------------------------------------------------------

    async def refresh(self, provider: str | None = None, name: str | None = None) -> dict[str, Any]:
        """Refresh now (once for every process); failures are outcomes in the answer, not exceptions."""
        if provider is not None:
            self.provider(provider)
        try:
            statuses = await self.manager.refresh_statuses(provider, name, force=True)
        except QCredError as exc:
            raise NotFoundError(str(exc)) from None
        return self._answer(statuses)

    # ----- re-initializing --------------------------------------------------------------------------------------

    async def reinitialize(self, source: str = "auto") -> dict[str, Any]:
        """Replace the credentials with fresh ones from the hub or the spawn bundle, then check them."""
        source = resolve_source(source, configured=self.reinitialize_source, under_hub=self.hub_pull is not None)
        if source == "hub":
            if self.hub_pull is None:
                raise UnavailableError(
                    "This server is not running under JupyterHub; re-initialize with a token, a credentials file "
                    "or the QCS login instead."
                )
            bundle = await self.hub_pull()
        else:
            found = self.spawn_bundle()
            if found is None or found.empty:
                raise UnavailableError(
                    "There is no spawn bundle to re-initialize from; use a token, a credentials file or the QCS login."
                )
            bundle = found
        return await self.write(bundle, source)

    async def write(self, bundle: Bundle, source: str) -> dict[str, Any]:
        """Write ``bundle`` into the stores (replacing broken files, kept as backups), then check what it wrote."""
        written = await asyncio.to_thread(self.manager.materialize, bundle, source=source, reinit=True)
        statuses: list[CredentialStatus] = []
        for item in written:
            provider, name = item.split(":", 1)
            # The hub has just refreshed what it hands over: check it, but do not spend its refresh token again.
            statuses += await self.manager.refresh_statuses(provider, name, force=source != "hub")
        return self._answer(statuses, "Re-initialized: the credentials were written afresh and checked.")

    async def add_token(self, provider: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """An IBM API key (or legacy token), or QCS tokens, that a person typed or pasted."""
        if self.provider(provider) == "ibm":
            return await self.write(Bundle(ibm=(ibm_spec(data),)), "user")
        if provider != "qcs":
            try:
                bundle = self.manager.providers[provider].pasted(data)
            except QCredError as exc:
                raise InputError(str(exc)) from None
            return await self.write(bundle, "user")
        refresh, access = (data.get("refresh_token") or "").strip(), (data.get("access_token") or "").strip()
        if not refresh and not access:
            raise InputError("Paste your QCS refresh token (and optionally an access token).")
        profile = data.get("profile") or self.manager.snapshot()["defaults"].get("qcs") or "default"
        qcs: Any = self.manager.providers["qcs"]
        # Exchanged before anything is written: a refresh token the identity provider refuses never reaches the
        # files (the error says so).
        status = await qcs.store_tokens(profile, access_token=access or None, refresh_token=refresh or None)
        self.manager.forget([status.key])
        statuses = await self.manager.refresh_statuses("qcs", status.name, force=False)
        return self._answer(statuses, "Saved and checked.")

    async def import_file(self, provider: str, filename: str, content: str) -> dict[str, Any]:
        """A credentials file the user downloaded (QCS secrets/settings TOML, qiskit-ibm.json, qiskitrc)."""
        provider = self.provider(provider)
        if not content.strip():
            raise InputError("The credentials file is empty: choose the file you downloaded from the provider.")
        try:
            names = await asyncio.to_thread(self.manager.providers[provider].import_file, filename, content)
        except QCredError as exc:
            raise InputError(str(exc)) from None
        self.manager.forget((provider, name) for name in names)
        statuses: list[CredentialStatus] = []
        for name in names:
            statuses += await self.manager.refresh_statuses(provider, name, force=False)
        return self._answer(statuses, f"Imported {', '.join(repr(name) for name in names)} and checked.")

    async def start_login(self, provider: str | None, profile: str | None) -> dict[str, Any]:
        """Start a browser sign-in (device code); the server polls, and views follow it through the status."""
        key = self.provider(provider or "qcs")
        if "login" not in PROVIDER_METHODS.get(key, ()):
            with_login = [title(k) for k in self.manager.providers if "login" in PROVIDER_METHODS.get(k, ())]
            raise InputError(f"The browser login is only available for {' and '.join(with_login)}.")
        chosen: Any = self.manager.providers[key]

        async def signed_in(name: str) -> None:
            await self._signed_in(name, key)

        return {"login": await self.manager.logins.start(chosen, profile, on_done=signed_in)}

    async def _signed_in(self, profile: str, provider: str = "qcs") -> None:
        """A browser sign-in stored new tokens: forget the old failures, then check the credential."""
        self.manager.forget([(provider, profile)])
        await self.manager.refresh(provider, profile, force=False)

    # ----- defaults and restart ---------------------------------------------------------------------------------

    async def set_default(self, provider: str, name: str | None, instance: str | None = None) -> dict[str, Any]:
        """Make an account (IBM, optionally with its hub/group/project) or a profile (QCS) the default."""
        provider = self.provider(provider)
        if not name:
            raise InputError("Field 'name' is required: the account or profile to make the default.")
        self._known(provider, name)
        try:
            await asyncio.to_thread(self.manager.providers[provider].set_default, name, instance)
        except QCredError as exc:
            raise InputError(str(exc)) from None
        self.manager.reload()
        shown = f"{name!r}{f' ({instance})' if instance else ''}"
        return {
            **self.manager.snapshot(),
            "result": {
                "outcome": "ok",
                "message": f"{title(provider)}: {shown} is now the default.",
                "credentials": [],
            },
        }

    async def restart(self) -> dict[str, Any]:
        """Stop this server through JupyterHub; the answer says where the browser goes to start it again."""
        if self.stop_server is None:
            raise UnavailableError(self.unavailable_restart)
        return await self.stop_server()


def ibm_spec(data: Mapping[str, Any]) -> IbmAccountSpec:
    """The IBM account a person typed (API key or legacy token, channel, instance, name), validated by the same
    rules as a spawn bundle's accounts."""
    token = (data.get("token") or "").strip()
    if not token:
        raise InputError("Paste your IBM Quantum API key (or legacy API token) into the 'token' field.")
    entry: dict[str, Any] = {"token": token, "default": True}
    entry.update({key: data[key] for key in ("name", "channel", "instance") if data.get(key)})
    if entry.get("channel") == "ibm_quantum" and "instance" in entry:
        parts = entry.pop("instance").split("/")
        if len(parts) != 3 or not all(parts):
            raise InputError("For channel ibm_quantum the instance is hub/group/project.")
        entry.update(zip(("hub", "group", "project"), parts, strict=True))
    return parse_bundle({"version": BUNDLE_VERSION, "ibm": [entry]}, where="the account you entered").ibm[0]
