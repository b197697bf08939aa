"""The manager: one state per credential, refreshed ahead of expiry, published on every change.

Data flows one way: providers read the stores, the manager overlays what only it knows (a refresh in flight, a
transient failure and its backoff) and publishes the result; views (REST, WebSocket, CLI, notebook) only read
snapshots. Changes made by other processes (a kernel's SDK that refreshed, a user who edited a file) are picked up
by polling the files' ``stat`` — cheap, portable, and enough at a one-second scale.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import files
from .bundle import Bundle
from .errors import FileFormatError, ProviderError, QCredError, RefusedError
from .hubpulls import HubPulls, is_due
from .logins import Logins
from .loop import RefreshLoop, mark
from .overlay import Overlay
from .policy import Backoff
from .provider import Provider
from .redactions import Redactions
from .registry import provider_info, title
from .states import CredentialStatus, State, isoformat, summary, utcnow

log = logging.getLogger("jupyter_qcred.core.manager")

Listener = Callable[[dict[str, Any]], None]
Key = tuple[str, str | None]


class CredentialManager(RefreshLoop, HubPulls):
    """Holds the providers, the current statuses and the refresh loop."""

    def __init__(
        self,
        providers: dict[str, Provider],
        *,
        clock: Callable[[], datetime] = utcnow,
        watch_interval: float = 1.0,
        hub_info: Callable[[], dict[str, Any]] | None = None,
        hub_refresh: Callable[[], Awaitable[Any]] | None = None,
        hub_retry: float = 30.0,
        first_check_delay: float = 1.0,
        backoff: Callable[[], Backoff] = Backoff,
        rng: random.Random | None = None,
        min_refresh_interval: float = 0.0,
    ) -> None:
        self.providers = providers
        self.clock = clock
        self.watch_interval = watch_interval
        self.hub_info = hub_info or (lambda: {"available": False})
        #: Pulls fresh credentials from JupyterHub, for credentials only the hub can refresh (a confidential
        #: OAuth client whose secret stays on the hub); ``hub_retry`` spaces pulls that brought nothing newer.
        self.hub_refresh = hub_refresh
        self.hub_retry = hub_retry
        #: The first check of each credential (account details for the views) waits this long after start, so it
        #: never competes with the server's own start-up.
        self.first_check_delay = first_check_delay
        self._new_backoff = backoff
        self._hub_backoff = backoff()
        #: A person asking to refresh the same credential again within this many seconds gets the last result:
        #: a refresh button (or a script) can never turn into a stream of token grants. The server sets it
        #: (``QCredApp.refresh_min_interval``); a process of its own (the CLI) refreshes when asked.
        self.min_refresh_interval = min_refresh_interval
        self._asked: dict[Key, float] = {}
        self._first_check_at: datetime | None = None
        self._encoded: tuple[object, str] | None = None
        self._adapters: list[dict[str, Any]] | None = None
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._statuses: dict[Key, CredentialStatus] = {}
        self._overlays: dict[Key, Overlay] = {}
        self._listeners: list[Listener] = []
        self._file_marks: dict[Path, tuple[int, int, int, int] | None] = {}
        #: Each provider's statuses as its last read gave them (before this process's overlays).
        self._read_statuses: dict[str, list[CredentialStatus]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[Key, asyncio.Task[CredentialStatus]] = {}
        self._forced: dict[Key, bool] = {}
        #: Called after every refresh attempt with the credential's key, the outcome ("ok", "refused" or
        #: "failed"), and its status before and after (metrics and events of the server).
        self.refresh_observers: list[Callable[[Key, str, CredentialStatus | None, CredentialStatus | None], None]] = []
        #: Sign-ins a person started from a view; their records are part of the status.
        self.logins = Logins(self.publish)
        #: Values kept out of files and outputs (:mod:`.redactions`); their notices are part of the status.
        self.redactions = Redactions(self.publish)
        #: Bumped whenever anything the status shows may have changed (statuses replaced, an event published).
        self._version = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        #: The OS errors of the last read (a file we may not open, a symlink loop): shown as error entries, and
        #: the CLI's exit code 1.
        self.read_errors: list[OSError] = []
        self.reload(publish=False)

    # ----- reading -------------------------------------------------------------------------------------------

    def reload(self, publish: bool = True) -> None:
        """Re-read every provider's stores and publish what changed (an OS error reading them becomes the provider's
        error state and is kept in :attr:`read_errors`, which the CLI turns into its exit status)."""
        self._apply(self._read(), publish)

    async def areload(self, publish: bool = True, *, only: str | None = None) -> None:
        """:meth:`reload` for the event loop: the files are read in a worker thread, so a slow or odd file never
        stalls the server (reads are also bounded in size and type, see :func:`jupyter_qcred.core.files.read_text`).
        ``only``: re-read that provider's stores alone (a refresh of one of its credentials)."""
        self._apply(await asyncio.to_thread(self._read, only), publish)

    def _read(
        self, only: str | None = None
    ) -> tuple[list[CredentialStatus], dict[Path, tuple[int, int, int, int] | None]]:
        """What the stores hold now, and their marks (file I/O only: safe in a worker thread); with ``only``, the
        other providers' statuses and marks are those of their last read."""
        keys = [only] if only is not None else list(self.providers)
        errors: list[OSError] = []
        for key in keys:
            provider = self.providers[key]
            try:
                found = provider.read()
            except Exception as exc:  # a provider's read should not raise; never let one take the others down
                if isinstance(exc, OSError):
                    errors.append(exc)
                found = [CredentialStatus(provider=key, name=None, state=State.ERROR, error=_sentence(exc))]
            exposed: dict[Path, str | None] = {}
            for status in found:
                if status.file is not None:
                    if status.file not in exposed:
                        exposed[status.file] = files.exposure(status.file)
                    warning = exposed[status.file]
                    if warning:
                        status.warnings.append(warning)
            self._read_statuses[key] = found
        marks = dict(self._file_marks) if only is not None else {}
        marks.update({path: mark(path) for path in self._watched(keys)})
        if only is None:
            self.read_errors = errors
        return [status for key in self.providers for status in self._read_statuses.get(key, [])], marks

    def _apply(
        self, read: tuple[list[CredentialStatus], dict[Path, tuple[int, int, int, int] | None]], publish: bool
    ) -> None:
        statuses, marks = read
        fresh = {status.key: self._overlay(status) for status in statuses}
        for key in set(self._overlays) - set(fresh):
            del self._overlays[key]
        self._file_marks = marks
        self._replace(fresh, publish)

    def _overlay(self, status: CredentialStatus) -> CredentialStatus:
        overlay = self._overlays.get(status.key)
        return status if overlay is None else overlay.apply(status)

    def statuses(self) -> list[CredentialStatus]:
        """Current statuses, providers in their configured order."""
        order = list(self.providers)
        return sorted(self._statuses.values(), key=lambda s: (order.index(s.provider), not s.default, s.name or ""))

    def snapshot_json(self) -> str:
        """:meth:`snapshot` encoded, re-encoded only when something in it changed (the hot path of GET status)."""
        hub = self.hub_info()
        # ``retrying`` turns into "action needed" when the token's time runs out, with nothing else changing.
        now = self.clock()
        key = (self._version, json.dumps(hub, sort_keys=True), tuple(s.retrying(now) for s in self._statuses.values()))
        if self._encoded is None or self._encoded[0] != key:
            body = self.snapshot()
            del body["generated_at"]
            self._encoded = (key, json.dumps(body))
        return f'{{"generated_at": {json.dumps(isoformat(self.clock()))}, {self._encoded[1][1:]}'

    def snapshot(self, change: dict[str, Any] | None = None) -> dict[str, Any]:
        """The status JSON of docs/api.md."""
        defaults: dict[str, str | None] = {key: None for key in self.providers}
        for status in self._statuses.values():
            if status.default and status.name:
                defaults[status.provider] = status.name
        now = self.clock()
        entries = [status.to_json(now) for status in self.statuses()]
        return {
            "version": 1,
            "generated_at": isoformat(now),
            "hub": self.hub_info(),
            "defaults": defaults,
            "provider_info": {key: provider_info(key) for key in self.providers},
            "providers": entries,
            "summary": summary(entries),
            "logins": self.logins.records(),
            "adapters": self.adapters(),
            "redactions": self.redactions.records(self.providers),
        }

    def adapters(self) -> list[dict[str, Any]]:
        """The SDK adapters of the enabled providers (:mod:`.adapters`), read once: installed versions and the
        switch do not change under a running process."""
        if self._adapters is None:
            from .adapters import describe_all

            self._adapters = describe_all(self.providers)
        return self._adapters

    # ----- events --------------------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` on each change; returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _replace(self, fresh: dict[Key, CredentialStatus], publish: bool) -> None:
        now = self.clock()
        before = {key: status.to_json(now) for key, status in self._statuses.items()}
        self._statuses = fresh
        self._version += 1
        if not publish:
            return
        after = {key: status.to_json(now) for key, status in fresh.items()}
        if before == after:
            return
        change = None
        for key in after.keys() | before.keys():
            old, new = before.get(key), after.get(key)
            old_state = old["state"] if old else None
            new_state = new["state"] if new else None
            if old_state != new_state:
                change = {"provider": key[0], "name": key[1], "state": new_state, "previous": old_state}
                break
        self.publish(change)

    def publish(self, change: dict[str, Any] | None = None) -> None:
        """Send the current snapshot to every listener (on the event loop's thread, wherever the change came from)."""
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self.publish, change)
            return
        self._version += 1  # logins change in place: make the next snapshot_json re-encode
        event = {"type": "status", "status": self.snapshot(), "change": change}
        if change:
            log.info("%s %s: %s -> %s", change["provider"], change["name"], change["previous"], change["state"])
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken view must not stop the others
                log.exception("A status listener failed")

    # ----- refreshing ----------------------------------------------------------------------------------------

    async def refresh(
        self, provider: str | None = None, name: str | None = None, *, force: bool = True
    ) -> dict[str, Any]:
        """Refresh the chosen credentials (all by default) and return the resulting snapshot.

        Failures become states; this only raises for an unknown provider or name.
        """
        await self.refresh_statuses(provider, name, force=force)
        return self.snapshot()

    async def refresh_statuses(
        self, provider: str | None = None, name: str | None = None, *, force: bool = True, asked: bool = False
    ) -> list[CredentialStatus]:
        """Refresh the chosen credentials and return their statuses afterwards (``last_refresh`` says how it went).

        ``asked``: a person asked for it; a credential they had refreshed less than ``min_refresh_interval``
        seconds ago is not refreshed again, and concurrent requests share one refresh.
        """
        keys = self.select(provider, name)
        await asyncio.gather(
            *(self._asked_refresh(key) if asked else self._refresh_one(key, force=force) for key in keys)
        )
        return [status for status in self.statuses() if status.key in keys]

    def asked_ago(self, key: Key) -> float | None:
        """Seconds since a person's refresh of ``key`` finished, if that is recent enough to answer with its result."""
        at = self._asked.get(key)
        if at is None:
            return None
        age = time.monotonic() - at
        return age if age < self.min_refresh_interval else None

    async def _asked_refresh(self, key: Key) -> None:
        if key not in self._inflight and self.asked_ago(key) is not None:
            return
        await self._refresh_one(key, force=True)
        self._asked[key] = time.monotonic()

    def select(self, provider: str | None, name: str | None) -> list[Key]:
        """The keys of the named credentials (all of ``provider``'s, or all), or a QCredError naming what is unknown."""
        if provider is not None and provider not in self.providers:
            raise QCredError(f"Unknown provider {provider!r}; use one of: {', '.join(self.providers)}.")
        keys = [
            status.key
            for status in self.statuses()
            if status.name is not None
            and (provider is None or status.provider == provider)
            and (name is None or status.name == name)
        ]
        if name is not None and not keys:
            which = f"{title(provider)} " if provider else ""
            raise QCredError(f"There is no {which}credential named {name!r}.")
        return keys

    async def _refresh_one(self, key: Key, *, force: bool) -> CredentialStatus:
        running = self._inflight.get(key)
        if running is not None and force and not self._forced.get(key):
            # A background check is in flight; the user asked for a real refresh: do it right after.
            await asyncio.shield(running)
        return await asyncio.shield(self._launch(key, force=force))

    def _launch(self, key: Key, *, force: bool) -> asyncio.Task[CredentialStatus]:
        """The refresh task of ``key``: the one in flight, or a new one (one at a time; callers share it)."""
        running = self._inflight.get(key)
        if running is None:
            running = asyncio.ensure_future(self._do_refresh(key, force=force))
            self._inflight[key] = running
            self._forced[key] = force

            def done(_: object) -> None:
                self._inflight.pop(key, None)
                self._forced.pop(key, None)

            running.add_done_callback(done)
        return running

    async def _do_refresh(self, key: Key, *, force: bool) -> CredentialStatus:
        provider_key, name = key
        assert name is not None
        self._overlays.setdefault(key, self._new_overlay()).refreshing = True
        await self.areload(only=provider_key)
        overlay = self._overlays.setdefault(key, self._new_overlay())  # the re-read may have dropped it
        before = self._statuses.get(key)
        overlay.seen_expiry = before.expires_at if before else None
        via_hub = before is not None and before.account.get("refresh_via") == "hub"
        pull = via_hub and (force or before is None or is_due(before, self.clock()))
        gate = self.hub_gate() if pull else None
        if gate is not None:
            # The hub could not renew a due credential a moment ago: wait for its backoff, ask nobody now.
            overlay.retry_at, overlay.refreshing, overlay.checked = gate, False, True
            await self.areload(only=provider_key)
            return self._statuses.get(key) or CredentialStatus(provider_key, name, State.ABSENT)
        try:
            if pull:
                await self._refresh_through_hub(key)
            await self.providers[provider_key].refresh(name, force=force and not via_hub)
        except RefusedError as exc:
            overlay.refused(self.clock(), str(exc))
        except (ProviderError, FileFormatError, QCredError, OSError) as exc:
            # The sentence is the provider's answer only, the same in every view; when (and whether) it is retried is
            # ``retry_at``, which only a running loop sets, so a one-shot CLI call never promises a retry.
            overlay.failed(self.clock(), _sentence(exc))
            if self._task is not None:
                delay = overlay.backoff.next_delay(self._rng)
                overlay.retry_at, overlay.retry_force = self.clock() + timedelta(seconds=delay), force
                log.warning("%s %s: refresh failed, retrying in %.1f s: %s", provider_key, name, delay, overlay.error)
            else:
                log.warning("%s %s: refresh failed: %s", provider_key, name, overlay.error)
        else:
            overlay.succeeded(self.clock(), keep_retry=via_hub)
        finally:
            overlay.refreshing = False
            overlay.checked = True
        gate = self.hub_gate() if via_hub else None
        if gate is not None and overlay.retry_at is not None:  # a failure's own retry waits for the hub's backoff
            overlay.retry_at = max(overlay.retry_at, gate)
        await self.areload(only=provider_key)
        self._wake.set()
        outcome = (overlay.last_refresh or {}).get("outcome", "failed")
        for observer in list(self.refresh_observers):
            try:
                observer(key, outcome, before, self._statuses.get(key))
            except Exception:  # metrics or events must never break a refresh
                log.exception("A refresh observer failed")
        return self._statuses.get(key) or CredentialStatus(provider_key, name, State.ABSENT)

    # ----- writing -------------------------------------------------------------------------------------------

    def materialize(
        self, bundle: Bundle, *, source: str, reinit: bool = False, keep_defaults: bool = False
    ) -> list[str]:
        """Write a validated bundle into the stores (sources -> stores), then re-read and publish.

        ``keep_defaults`` (background pulls, start-up hand-overs): a provider that already has a default keeps it,
        whatever the bundle marks; only an explicit re-initialization may change the user's choice.
        """
        written: list[str] = []
        chosen = self.snapshot()["defaults"] if keep_defaults else {}
        for key, specs in bundle.sections().items():
            if chosen.get(key):
                specs = tuple(dataclasses.replace(spec, default=False) for spec in specs)
            if specs and key in self.providers:
                names = self.providers[key].materialize(specs, source=source, reinit=reinit)
                written += [f"{key}:{name}" for name in names]
                for name in names:  # new credentials start with a clean slate
                    self._clear((key, name))
        self.reload()
        self._wake.set()
        return written

    def adopt(self, mode: str | None = None, *, strict: bool = False) -> dict[str, list[str]]:
        """Each provider lays out its credentials for SDK processes (:meth:`Provider.adopt`); returns those changed
        by provider. Unless ``strict`` (the CLI, which tells the person), a provider that cannot (its files
        read-only or unreadable) leaves them as they are, and the status says why."""
        changed: dict[str, list[str]] = {}
        for key, provider in self.providers.items():
            try:
                changed[key] = provider.adopt(mode)
            except Exception as exc:
                if strict:
                    raise
                log.info("%s: credentials left as they are: %s", title(key), _sentence(exc))
        if any(changed.values()):
            self.reload(publish=False)
        return changed

    def save(self, key: str, specs: Sequence[Any]) -> list[str]:
        """Write checked entries a person gave (:meth:`Provider.save`), then re-read and publish."""
        names = self.providers[key].save(specs)
        for name in names:  # new credentials start with a clean slate
            self._clear((key, name))
        self.reload()
        self._wake.set()
        return names

    def forget(self, keys: Iterable[Key]) -> None:
        """Drop what the manager remembers about these credentials (after a re-initialization)."""
        for key in keys:
            self._clear(key)
        self.reload()
        self._wake.set()

    async def aforget(self, keys: Iterable[Key]) -> None:
        """:meth:`forget` for the event loop (the files are re-read in a worker thread)."""
        for key in keys:
            self._clear(key)
        await self.areload()
        self._wake.set()

    def _new_overlay(self) -> Overlay:
        return Overlay(backoff=self._new_backoff())

    def _clear(self, key: Key) -> None:
        """Forget failures and schedules of ``key`` (a refresh in flight keeps its flag)."""
        self._asked.pop(key, None)  # new credentials: the next refresh a person asks for really happens
        overlay = self._overlays.get(key)
        if overlay is not None:
            overlay.clear()


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, QCredError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:  # a path is no secret; the error's other text could be
        return f"Could not read {exc.filename}: {exc.strerror or type(exc).__name__}; check that path."
    return f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or 'unexpected failure'}."
