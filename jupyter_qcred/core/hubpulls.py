"""Pulls from JupyterHub, for the credentials only the hub can refresh (a confidential OAuth client whose secret
stays on the hub): one pull at a time for all of them, and a backoff that no pull can reset.

A pull rewrites the stores, which gives the written credentials a clean slate in the manager (their own backoff
included). So the pace of pulls is kept here, per server: a pull that fails, or that brings no new token for a
credential that is due (the hub cannot renew it: a revoked refresh token, an identity provider answering garbage),
doubles the wait before the next one (with jitter, up to the manager's longest retry wait); only a pull that renews
something resets it. Without this, an expired token the hub cannot renew made every server pull several times a
second until its user logged in again.

A mixin of :class:`~jupyter_qcred.core.manager.CredentialManager` (kept apart for size).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import QCredError
from .overlay import Overlay
from .policy import Backoff
from .states import CredentialStatus

Key = tuple[str, str | None]


class HubPulls:
    """One pull in flight at a time, spaced by a backoff that only a renewing pull resets."""

    clock: Callable[[], datetime]
    hub_refresh: Callable[[], Awaitable[Any]] | None
    hub_retry: float
    _statuses: dict[Key, CredentialStatus]
    _overlays: dict[Key, Overlay]
    _rng: random.Random
    #: Failed or fruitless pulls in a row, and the moment before which no pull is made.
    _hub_backoff: Backoff
    _hub_not_before: datetime | None = None
    _hub_pull: asyncio.Future[None] | None = None

    if TYPE_CHECKING:  # the manager's own

        async def areload(self, publish: bool = True) -> None: ...
        def _new_overlay(self) -> Overlay: ...

    def hub_gate(self) -> datetime | None:
        """When the next pull may happen, if not now (the hub could not renew a due credential a moment ago)."""
        gate = self._hub_not_before
        return gate if gate is not None and self.clock() < gate else None

    async def _refresh_through_hub(self, key: Key) -> None:
        """Ask the hub for fresh tokens; if it had nothing newer yet, try again later (not an error by itself)."""
        if self.hub_refresh is None:
            raise QCredError(
                f"{key[0]} {key[1]}: only JupyterHub can refresh this credential, and this server is not running "
                "under JupyterHub. Re-initialize it with a token, a credentials file or a browser login."
            )
        before = self._statuses.get(key)
        await self._pull_once_for_all()
        after = self._statuses.get(key)
        overlay = self._overlays.setdefault(key, self._new_overlay())
        overlay.retry_at = None
        # The hub handed back the token we had (its own policy found it not yet due, e.g. our jitter moved this pull
        # earlier; or it cannot renew it): ask again later, never at once, and never before the backoff allows.
        now = self.clock()
        unchanged = before is not None and after is not None and after.expires_at == before.expires_at
        scheduled = overlay.scheduled_at is not None and overlay.scheduled_at <= now
        if after is not None and ((unchanged and scheduled) or is_due(after, now)):
            left = (after.expires_at - now).total_seconds() if after.expires_at else self.hub_retry
            at = now + timedelta(seconds=max(1.0, min(self.hub_retry, left / 4)))
            gate = self.hub_gate()
            overlay.retry_at = max(at, gate) if gate is not None else at

    async def _pull_once_for_all(self) -> None:
        """The pull in flight, or a new one: every hub-refreshed credential due at once shares one pull."""
        if self._hub_pull is None:
            self._hub_pull = asyncio.ensure_future(self._pull_and_judge())

            def done(_: object) -> None:
                self._hub_pull = None

            self._hub_pull.add_done_callback(done)
        await asyncio.shield(self._hub_pull)

    async def _pull_and_judge(self) -> None:
        """Pull, then count it as a success only if it renewed a credential that was due (or none was due)."""
        assert self.hub_refresh is not None
        now = self.clock()
        due = {
            key: status.expires_at
            for key, status in self._statuses.items()
            if status.account.get("refresh_via") == "hub" and is_due(status, now)
        }
        try:
            await self.hub_refresh()
        except Exception:
            self._hub_pull_failed()
            raise
        await self.areload(publish=False)
        renewed = any(
            (after := self._statuses.get(key)) is not None and after.expires_at != expiry for key, expiry in due.items()
        )
        if due and not renewed:
            self._hub_pull_failed()
        else:
            self._hub_backoff.reset()
            self._hub_not_before = None

    def _hub_pull_failed(self) -> None:
        delay = self._hub_backoff.next_delay(self._rng)
        self._hub_not_before = self.clock() + timedelta(seconds=delay)


def is_due(status: CredentialStatus, now: datetime) -> bool:
    """Whether the credential's refresh time (without jitter) has come."""
    return status.next_refresh_at is not None and status.next_refresh_at <= now
