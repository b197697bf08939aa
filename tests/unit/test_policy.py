"""When to refresh and how to back off."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from jupyter_qcred.core.policy import Backoff, RefreshPolicy

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_hour_token_is_due_with_a_fifth_of_its_life_left() -> None:
    policy = RefreshPolicy()
    due = policy.due_at(T0, T0 + timedelta(hours=1))
    assert due == T0 + timedelta(minutes=48)
    assert not policy.is_due(T0, T0 + timedelta(hours=1), T0 + timedelta(minutes=47))
    assert policy.is_due(T0, T0 + timedelta(hours=1), T0 + timedelta(minutes=48))


def test_never_later_than_five_minutes_before_expiry() -> None:
    due = RefreshPolicy().due_at(T0, T0 + timedelta(minutes=20))
    assert due == T0 + timedelta(minutes=15)


def test_short_tokens_are_refreshed_at_half_life() -> None:
    due = RefreshPolicy().due_at(T0, T0 + timedelta(seconds=30))
    assert due == T0 + timedelta(seconds=15)


def test_jitter_only_moves_earlier_and_stays_within_a_tenth_of_the_margin() -> None:
    policy = RefreshPolicy()
    rng = random.Random(7)
    expires = T0 + timedelta(hours=1)
    for _ in range(200):
        moment = policy.jittered(policy.due_at(T0, expires), expires, rng)
        assert T0 + timedelta(minutes=48) - timedelta(seconds=72) <= moment <= T0 + timedelta(minutes=48)


def test_jitter_follows_the_setting() -> None:
    expires, due = T0 + timedelta(hours=1), T0 + timedelta(minutes=48)
    assert RefreshPolicy(jitter=0.0).jittered(due, expires, random.Random(1)) == due
    wide = [RefreshPolicy(jitter=0.5).jittered(due, expires, random.Random(seed)) for seed in range(50)]
    assert min(wide) < due - timedelta(seconds=72), "a jitter of 0.5 spreads over half the 12-minute margin"
    assert all(due - timedelta(minutes=6) <= moment <= due for moment in wide)


def test_backoff_grows_to_the_cap_and_resets() -> None:
    backoff = Backoff(initial=2, factor=2, maximum=60)
    rng = random.Random(3)
    delays = [backoff.next_delay(rng) for _ in range(10)]
    assert 1 <= delays[0] <= 2
    assert all(30 <= d <= 60 for d in delays[6:])
    backoff.reset()
    assert backoff.next_delay(rng) <= 2
