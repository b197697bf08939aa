"""What the manager knows about one credential beyond its files.

The files say which token a credential holds and when it expires; only the manager knows that a refresh is in
flight, how the last attempts ended, when it retries, and when the next (jittered) refresh is scheduled. An
:class:`Overlay` keeps that per credential and lays it over the status read from the files.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from .policy import Backoff
from .states import CredentialStatus, State, isoformat


@dataclasses.dataclass
class Overlay:
    """One credential's state in the manager: refreshing, failures, retries, schedule."""

    refreshing: bool = False
    error: str | None = None
    state: State | None = None
    backoff: Backoff = dataclasses.field(default_factory=Backoff)
    #: The token expiry the files showed when ``state`` was recorded: a new token makes ``state`` stale.
    seen_expiry: datetime | None = None
    retry_at: datetime | None = None
    #: Whether the retry repeats a forced refresh (a user's or a scheduled one): it must reach the provider again.
    retry_force: bool = False
    #: Consecutive failed attempts, and the last attempt ({"at", "outcome": ok|failed|refused, "error"}).
    failures: int = 0
    last_refresh: dict[str, Any] | None = None
    jitter_for: datetime | None = None
    scheduled_at: datetime | None = None
    #: Whether this process has checked the credential with its provider yet (the first check fetches the account
    #: details the views show; it happens in the background right after start).
    checked: bool = False

    def apply(self, status: CredentialStatus) -> CredentialStatus:
        """``status`` (read from the files) with what only the manager knows."""
        if self.state is not None and not self.refreshing and status.expires_at != self.seen_expiry:
            # Another process (a kernel's SDK, the CLI, the user) stored a new token: our failure is history.
            self.state, self.error, self.retry_at, self.failures = None, None, None, 0
            self.backoff.reset()
        status.failures, status.retry_at, status.last_refresh = self.failures, self.retry_at, self.last_refresh
        if self.refreshing:
            status.state = State.REFRESHING
        elif self.state is not None and status.state not in (State.ABSENT, State.UNSUPPORTED):
            status.state, status.error = self.state, self.error
        return status

    def succeeded(self, now: datetime, *, keep_retry: bool) -> None:
        """The provider accepted the credential (``keep_retry``: a hub pull that may still need a later one)."""
        self.state, self.error = None, None
        if not keep_retry:
            self.retry_at = None
        self.backoff.reset()
        self._record(now, "ok", None)
        self.failures = 0

    def refused(self, now: datetime, error: str) -> None:
        """The provider refused the refresh token or key: only a new login helps, so no retry."""
        self.state, self.error, self.retry_at = State.NEEDS_REINIT, error, None
        self._record(now, "refused", error)

    def failed(self, now: datetime, error: str) -> None:
        """A transient failure (network, provider 5xx, a file that does not parse); the caller plans the retry."""
        self.state, self.error = State.ERROR, error
        self._record(now, "failed", error)

    def _record(self, now: datetime, outcome: str, error: str | None) -> None:
        """Remember how the last attempt ended (the views read it instead of guessing from transitions)."""
        self.last_refresh = {"at": isoformat(now), "outcome": outcome, "error": error}
        if outcome != "ok":
            self.failures += 1

    def clear(self) -> None:
        """Forget failures and schedules (new credentials start with a clean slate; a refresh in flight keeps
        its flag)."""
        self.state = self.error = self.retry_at = self.jitter_for = self.scheduled_at = None
        self.failures, self.retry_force = 0, False
        self.backoff.reset()
