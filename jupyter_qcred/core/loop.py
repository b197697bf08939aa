"""The manager's background loop: start the refreshes that are due, notice files other processes changed.

A mixin of :class:`~jupyter_qcred.core.manager.CredentialManager` (kept apart for size): it works on the manager's
statuses and overlays, and starts refreshes through the manager's own ``_launch``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .overlay import Overlay
from .states import CredentialStatus, State

if TYPE_CHECKING:
    from .provider import Provider

log = logging.getLogger("jupyter_qcred.core.manager")

Key = tuple[str, str | None]
#: How long a stopping server waits for cancelled refreshes to finish their cleanup.
STOP_GRACE_SECONDS = 5.0


def mark(path: Path) -> tuple[int, int, int, int] | None:
    """What changes when another process rewrites (or chmods) ``path``; None when it does not exist."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino, info.st_mode)  # a chmod changes the warnings


class RefreshLoop:
    """Refresh ahead of expiry (with each token's jitter), retry after failures, watch the files."""

    providers: dict[str, Provider]
    clock: Callable[[], datetime]
    watch_interval: float
    first_check_delay: float
    _task: asyncio.Task[None] | None
    _loop: asyncio.AbstractEventLoop | None
    _loop_thread: int | None
    _first_check_at: datetime | None
    _inflight: dict[Key, asyncio.Task[CredentialStatus]]
    _overlays: dict[Key, Overlay]
    _file_marks: dict[Path, tuple[int, int, int, int] | None]
    _wake: asyncio.Event
    _stopping: bool = False
    _rng: random.Random

    if TYPE_CHECKING:  # the manager's own

        def statuses(self) -> list[CredentialStatus]: ...
        async def areload(self, publish: bool = True) -> None: ...
        def _launch(self, key: Key, *, force: bool) -> asyncio.Task[CredentialStatus]: ...
        def _new_overlay(self) -> Overlay: ...

    def start(self) -> None:
        """Start the background loop (refresh ahead of expiry, watch files). Returns at once."""
        if self._task is None:
            self._loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
            self._first_check_at = self.clock() + timedelta(seconds=self.first_check_delay)
            self._stopping = False
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop the loop and wait (at most :data:`STOP_GRACE_SECONDS`) for in-flight refreshes to settle."""
        task, self._task = self._task, None
        if task is not None:
            # The flag ends the loop even if the cancel is lost: Python 3.11's ``asyncio.wait_for`` swallows a
            # cancel that arrives as the awaited event completes (a refresh finishing as the server stops).
            self._stopping = True
            self._wake.set()
            task.cancel()
            await asyncio.wait([task], timeout=STOP_GRACE_SECONDS)
        pending = list(self._inflight.values())
        for running in pending:
            running.cancel()
        if pending:  # a provider's request cannot hold up the server's shutdown for more than a moment
            await asyncio.wait(pending, timeout=STOP_GRACE_SECONDS)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if await asyncio.to_thread(self._files_changed):
                    await self.areload()
                wait = self._schedule_due()
            except Exception:  # the loop must survive anything a provider does
                log.exception("The credentials loop failed; retrying")
                wait = self.watch_interval
            self._wake.clear()
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(wait, self.watch_interval)):  # keeps a cancel, unlike wait_for
                    await self._wake.wait()

    def _schedule_due(self) -> float:
        """Start refreshes that are due; return the seconds until the next one."""
        now = self.clock()
        next_at: datetime | None = None
        for status in self.statuses():
            due = self._due_at(status, now)
            if due is None:
                continue
            if due <= now:
                # A scheduled refresh must happen even though the jitter moved it before the provider's own due
                # time; first checks and retries after a failure only refresh what is due.
                overlay = self._overlays[status.key]
                if overlay.retry_at is not None:
                    self._launch(status.key, force=overlay.retry_force)
                else:
                    self._launch(status.key, force=overlay.checked)
            elif next_at is None or due < next_at:
                next_at = due
        return max((next_at - now).total_seconds(), 0.05) if next_at else self.watch_interval

    def _due_at(self, status: CredentialStatus, now: datetime) -> datetime | None:
        if status.name is None or status.state in (
            State.NEEDS_REINIT,
            State.UNSUPPORTED,
            State.ABSENT,
            State.REFRESHING,
        ):
            return None
        overlay = self._overlays.setdefault(status.key, self._new_overlay())
        if overlay.retry_at is not None:
            return overlay.retry_at
        if not overlay.checked:
            return self._first_check_at or now
        if status.next_refresh_at is None:
            return None
        if overlay.jitter_for != status.next_refresh_at:  # new token: draw its jitter once
            policy = self.providers[status.provider].settings.policy
            overlay.jitter_for = status.next_refresh_at
            overlay.scheduled_at = policy.jittered(status.next_refresh_at, status.expires_at, self._rng)
        return overlay.scheduled_at

    def _watched(self, keys: list[str] | None = None) -> list[Path]:
        """The files the providers (``keys``: these only) ask to be watched."""
        paths: list[Path] = []
        for key in keys if keys is not None else self.providers:
            paths += self.providers[key].watched_paths()
        return paths

    def _files_changed(self) -> bool:
        return any(mark(path) != known for path, known in self._file_marks.items())
