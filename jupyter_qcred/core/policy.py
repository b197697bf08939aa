"""When to refresh, and how long to wait after a failure.

The QCS SDK refreshes only after a token has expired and every process does so on its own; we refresh *ahead*
of expiry, once for everyone, so a kernel never holds a token that dies mid-job.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

from .margin import DEFAULT_FRACTION, DEFAULT_LATEST, margin_seconds


@dataclasses.dataclass(frozen=True)
class RefreshPolicy:
    """Refresh when less than ``fraction`` of a token's lifetime is left, and never later than ``latest`` seconds
    before it expires; for very short tokens the margin is capped at half the lifetime."""

    fraction: float = DEFAULT_FRACTION
    latest: float = DEFAULT_LATEST
    jitter: float = 0.1

    def margin(self, lifetime: timedelta) -> timedelta:
        """How long before expiry a token of this lifetime is due."""
        return timedelta(seconds=margin_seconds(lifetime.total_seconds(), self.fraction, self.latest))

    def due_at(self, issued_at: datetime | None, expires_at: datetime) -> datetime:
        """The moment a token should be refreshed (deterministic: every process agrees)."""
        lifetime = expires_at - issued_at if issued_at else timedelta(hours=1)
        return expires_at - self.margin(lifetime)

    def is_due(self, issued_at: datetime | None, expires_at: datetime, now: datetime) -> bool:
        """Whether a token must be refreshed now."""
        return now >= self.due_at(issued_at, expires_at)

    def jittered(self, due: datetime, expires_at: datetime | None, rng: random.Random | None = None) -> datetime:
        """``due`` moved earlier by a random part of ``jitter`` x margin (the time between ``due`` and expiry), so
        that many servers started together do not all call the provider at the same second."""
        margin = (expires_at - due).total_seconds() if expires_at else 0.0
        return due - timedelta(seconds=(rng or random).uniform(0, max(margin, 0.0) * self.jitter))


@dataclasses.dataclass
class Backoff:
    """Exponential backoff with full jitter, for network errors and 5xx."""

    initial: float = 2.0
    factor: float = 2.0
    maximum: float = 300.0
    failures: int = 0

    def next_delay(self, rng: random.Random | None = None) -> float:
        """Record one more failure and return how long to wait before the next try."""
        ceiling = min(self.maximum, self.initial * self.factor**self.failures)
        self.failures += 1
        return (rng or random).uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """Forget past failures after a success."""
        self.failures = 0
