"""The service layer: every operation a person can start, written once.

The REST handlers, the notebook (through the server, or on the files when there is none) and the CLI all call
:class:`CredentialService`, so one operation gives one outcome everywhere: the same states, the same sentence, the
same rules about what may be replaced. Operations that change credentials answer the status JSON plus a
``result``: ``{"outcome": "ok" | "failed" | "refused", "message": <the sentence every view shows>,
"credentials": [{"provider", "name", "outcome", "error"}]}``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from . import handover, redactions, uploading
from .bundle import Bundle
from .errors import (
    ExistsError,
    ForbiddenError,
    HostsError,
    InputError,
    NotFoundError,
    ProviderError,
    QCredError,
    UnavailableError,
)
from .manager import CredentialManager
from .registry import methods, title
from .sentences import kind_of, not_saved, outcome_of
from .settings import Settings
from .states import CredentialStatus

__all__ = [
    "CredentialService",
    "ExistsError",
    "ForbiddenError",
    "HostsError",
    "InputError",
    "NotFoundError",
    "UnavailableError",
    "kind_of",
    "outcome_of",
]

log = logging.getLogger("jupyter_qcred.service")


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
        #: Called as ``observer(action, details)`` after "reinitialized" and before "restart_requested" (the
        #: server's events); ``details`` never holds a secret.
        self.action_observers: list[Callable[[str, dict[str, Any]], None]] = []

    def _notify(self, action: str, details: dict[str, Any]) -> None:
        for observer in list(self.action_observers):
            try:
                observer(action, details)
            except Exception:  # an event that cannot be recorded must not fail the user's operation
                log.exception("An action observer failed")

    # ----- reading ----------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The status JSON."""
        return self.manager.snapshot()

    def status_json(self) -> str:
        """The status JSON as text (the REST answer: encoded once per change, not once per request)."""
        return self.manager.snapshot_json()

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``listener({"type": "status", "status": ..., "change": ...})`` now and after every change (the push
        channel, the notebook's live feed); returns the function that unsubscribes."""
        listener({"type": "status", "status": self.manager.snapshot(), "change": None})
        return self.manager.subscribe(listener)

    def reread(self) -> None:
        """Read the files again now (a process with no server: other processes change them meanwhile)."""
        self.manager.reload()

    async def doctor(
        self,
        path: str | None = None,
        *,
        root: Path | None = None,
        environ: Mapping[str, str] | None = None,
        memo: Any = None,
    ) -> dict[str, Any]:
        """Which credential each installed SDK will actually use in folder ``path`` (default: the working folder;
        with ``root``, a path under it that may not leave it), next to what the views show (:mod:`.doctor`).

        Each provider's probe runs the SDK's own resolution in a subprocess with ``environ`` (default: this
        process's environment, which is what kernels and terminals inherit) and ``cwd`` = the folder; ``memo``
        (a :class:`.doctor.Memo`) reuses the answers of SDKs that do not look at the folder (the panel's calls).
        """
        from . import doctor

        try:
            folder = doctor.resolve_folder(path, root=root)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        env = dict(os.environ if environ is None else environ)
        probes = [p for key in self.manager.providers if (p := self.manager.providers[key].doctor_probe()) is not None]
        snapshot = self.manager.snapshot()
        home = Path(env.get("HOME") or Path.home())
        findings = await asyncio.to_thread(
            doctor.examine, probes, snapshot["providers"], folder, env, home=home, memo=memo
        )
        return doctor.answer(findings, folder, snapshot.get("adapters") or [], home)

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
            keys = self.manager.select(provider, name)
        except QCredError as exc:
            raise NotFoundError(str(exc)) from None
        recent = [age for key in keys if (age := self.manager.asked_ago(key)) is not None]
        statuses = await self.manager.refresh_statuses(provider, name, asked=True)
        answer = self._answer(statuses)
        if recent:
            # Said in the sentence every view shows, so nobody mistakes the last result for a new one.
            answer["result"]["message"] += (
                f" This is the result of the refresh {max(recent):.0f} s ago: on request, a credential is refreshed "
                f"at most once every {self.manager.min_refresh_interval:g} s."
            )
        return answer

    async def check(self, provider: str | None = None, name: str | None = None) -> dict[str, Any]:
        """Check the chosen credentials with their providers, renewing only tokens that are due (``jupyter qcred
        init --check``: a start script must not spend a refresh on every start)."""
        statuses = await self.manager.refresh_statuses(provider, name, force=False)
        return self._answer(statuses, "Checked.")

    # ----- re-initializing --------------------------------------------------------------------------------------

    async def add_token(
        self, provider: str, data: Mapping[str, Any], *, replace: bool = False, make_default: bool = False
    ) -> dict[str, Any]:
        """A credential a person typed or pasted (an IBM API key, QCS tokens, an IonQ key, a Nexus refresh token):
        the provider turns the input into bundle entries, which follow the rules of every credential.

        Checked with the provider before anything is written: a refused or uncheckable credential leaves every file
        as it was (``result.outcome`` ``refused``/``failed``). An existing name is replaced only with ``replace``
        (else :class:`ExistsError`), completed with what the stored one holds and the person did not type; nothing
        becomes the default unless ``make_default`` or it is the provider's first credential, and
        ``result.message`` says when the default changed.
        """
        store = self.manager.providers[self.provider(provider)]
        self._takes(provider, "token", "pasted token")
        try:
            specs = store.pasted(data)
        except QCredError as exc:
            raise InputError(str(exc)) from None
        existing = await asyncio.to_thread(store.names)
        given = {key for key, value in data.items() if value}
        for spec in specs:
            self._new_name(provider, spec.name, replace, existing)
        specs = [store.replacement(spec, given) if spec.name in existing else spec for spec in specs]
        try:
            specs = await store.check_specs(specs)
        except ProviderError as exc:
            return self._not_saved(provider, ", ".join(spec.name for spec in specs), exc)
        specs = [dataclasses.replace(spec, default=make_default or not existing) for spec in specs]
        before = self._defaults()
        names = await asyncio.to_thread(self.manager.save, provider, specs)
        await self.manager.aforget((provider, name) for name in names)
        statuses: list[CredentialStatus] = []
        for name in names:
            statuses += await self.manager.refresh_statuses(provider, name, force=False)
        return self._answer(statuses, "Checked and saved." + self._default_news(provider, before))

    def _takes(self, provider: str, method: str, what: str) -> None:
        """Refuse an input the provider's credentials never come from (Amazon Braket: only JupyterHub's login)."""
        if method not in methods(provider):
            raise InputError(f"{title(provider)} takes no {what}; re-initialize it from JupyterHub instead.")

    def _new_name(self, provider: str, name: str, replace: bool, existing: Iterable[str] | None = None) -> None:
        """Adding never silently replaces: an existing name needs ``replace``."""
        if existing is None:
            existing = [s.name for s in self.manager.statuses() if s.provider == provider and s.name]
        if name in existing and not replace:
            raise ExistsError(provider, name)

    def _defaults(self) -> dict[str, str | None]:
        return dict(self.manager.snapshot()["defaults"])

    def _default_news(self, provider: str, before: Mapping[str, str | None]) -> str:
        """The sentence that says the default changed (empty when it did not)."""
        after = self._defaults().get(provider)
        if after == before.get(provider):
            return ""
        if after is None:
            return f" No {title(provider)} {kind_of(provider)} is the default any more."
        return f" {title(provider)}: {after!r} is now the default."

    def _not_saved(self, provider: str, name: str, exc: ProviderError) -> dict[str, Any]:
        """The answer when the provider refused the credential or could not be asked: nothing was written."""
        return {**self.manager.snapshot(), "result": not_saved(provider, name, exc)}

    #: What moves credentials without a person choosing them (start-up, ``init``, the hub's pulls, the token an
    #: SDK process asks for): :mod:`.handover`.
    write_files = handover.write_files
    #: Re-initialize from the hub or the spawn bundle, keeping what the person chose (:mod:`.choices`).
    reinitialize = handover.reinitialize
    pull_from_hub = handover.pull_from_hub
    token = handover.token

    #: A credentials file the user downloaded (QCS secrets/settings TOML, qiskit-ibm.json, qiskitrc, .env): the
    #: rules of uploads (names, hosts, what no upload may do) live in their own module, as a method of the service.
    import_file = uploading.import_file

    #: A value kept out of a file or an output (the save guard, the kernels' output filter): a notice in the status
    #: and the ``secret_redacted`` event (:mod:`.redactions`).
    record_redaction = redactions.record_redaction

    async def remove(self, provider: str, name: str | None) -> dict[str, Any]:
        """Remove a credential: an IBM account (from qiskit-ibm.json and qiskitrc), a QCS profile (and its credential
        when no other profile uses it), the IonQ key, a Braket profile, the Nexus login; everything else is kept."""
        provider = self.provider(provider)
        if not name:
            raise InputError("Field 'name' is required: the credential to remove.")
        self._known(provider, name)
        before = self._defaults()
        try:
            changed = await asyncio.to_thread(self.manager.providers[provider].remove, name)
        except QCredError as exc:
            raise InputError(str(exc)) from None
        self.manager.forget([(provider, name)])
        where = " and ".join(str(path) for path in changed) or "the files"
        message = f"Removed the {title(provider)} {kind_of(provider)} {name!r} from {where}."
        return {
            **self.manager.snapshot(),
            "result": {
                "outcome": "ok",
                "message": message + self._default_news(provider, before),
                "credentials": [{"provider": provider, "name": name, "outcome": "removed", "error": None}],
            },
        }

    async def start_login(self, provider: str | None, profile: str | None) -> dict[str, Any]:
        """Start a browser sign-in (device code) with a provider that has one (QCS, Nexus); the server polls, and
        views follow it through the status."""
        with_login = [key for key in self.manager.providers if "login" in methods(key)]
        key = self.provider(provider or next(iter(with_login), None))
        if key not in with_login:
            names = " and ".join(title(k) for k in with_login) or "no provider enabled here"
            raise InputError(f"The browser login is only available for {names}.")
        chosen = self.manager.providers[key]

        async def signed_in(name: str) -> None:
            await self._signed_in(name, key)

        return {"login": await self.manager.logins.start(chosen, profile, on_done=signed_in)}

    async def _signed_in(self, profile: str, provider: str = "qcs") -> None:
        """A browser sign-in stored new tokens: forget the old failures, then check the credential."""
        await self.manager.aforget([(provider, profile)])
        await self.manager.refresh(provider, profile, force=False)

    # ----- defaults and restart ---------------------------------------------------------------------------------

    async def set_default(self, provider: str, name: str | None, instance: str | None = None) -> dict[str, Any]:
        """Make an account (IBM, optionally with its hub/group/project) or a profile (QCS) the default."""
        provider = self.provider(provider)
        if not name:
            raise InputError("Field 'name' is required: the credential to make the default.")
        self._known(provider, name)
        refusal = await asyncio.to_thread(self.manager.providers[provider].can_be_default, name)
        if refusal:
            raise UnavailableError(refusal)
        try:
            await asyncio.to_thread(self.manager.providers[provider].set_default, name, instance)
        except QCredError as exc:
            raise InputError(str(exc)) from None
        await self.manager.areload()
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
        self._notify("restart_requested", {})
        return await self.stop_server()
