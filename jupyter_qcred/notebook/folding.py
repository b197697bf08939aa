"""Which providers the ``%qcred`` widget folds to one line and in what order, as the panel does (model/fold.ts).

Eight clouds in a notebook output are as long as in the sidebar: a provider whose credentials are all well is one
line ("IonQ · key default · OK · never expires"), one that needs a person opens by itself and comes first. "Needs a
person" is the status JSON's ``action_needed`` (the one rule of core/states.py); nothing here re-derives it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

#: Card health, in the order the widget shows providers: a person must act; usable but something to read (a refresh
#: retrying, a warning, a refresh token running out); all well; not set up (a choice, not a fault).
HEALTH_ORDER = ("action", "attention", "ok", "none")

_WORST_FIRST = ("needs_reinit", "expired", "error", "unsupported", "retrying", "expiring", "refreshing")
_WORDS = {"needs_reinit": "action needed", "retrying": "retrying"}


def providers_in_order(status: Mapping[str, Any]) -> list[str]:
    """The providers the server manages, in its (registered) order: ``defaults`` has one key per provider."""
    keys = list((status.get("defaults") or {}).keys())
    for entry in status.get("providers") or []:
        if entry.get("provider") not in keys:
            keys.append(str(entry.get("provider")))
    return keys


def entries_of(status: Mapping[str, Any], provider: str) -> list[dict[str, Any]]:
    return [entry for entry in status.get("providers") or [] if entry.get("provider") == provider]


def _wants_attention(entry: Mapping[str, Any]) -> bool:
    account = entry.get("account") or {}
    return bool(entry.get("retrying") or entry.get("warnings") or account.get("refresh_token_state") == "expiring")


def health(status: Mapping[str, Any], provider: str) -> str:
    """One of :data:`HEALTH_ORDER` for ``provider``'s credentials (a file that cannot be read is an entry too)."""
    entries = entries_of(status, provider)
    if any(entry.get("action_needed") for entry in entries):
        return "action"
    if any(_wants_attention(entry) for entry in entries):
        return "attention"
    return "ok" if any(entry.get("state") != "absent" for entry in entries) else "none"


def ordered(status: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(provider, health)`` pairs, action first, then attention, all well, not set up; stable otherwise."""
    pairs = [(provider, health(status, provider)) for provider in providers_in_order(status)]
    return sorted(pairs, key=lambda pair: HEALTH_ORDER.index(pair[1]))


def opens_by_itself(health_now: str) -> bool:
    """A card with something to read is open until a person closes it; an all-well one is one line."""
    return health_now in ("action", "attention")


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


def soonest_expiry(entries: list[dict[str, Any]], now: datetime | None = None) -> str:
    """ "never expires", "expires in 47 min", "expired 3 min ago": the soonest expiry in plain words."""
    times = [
        datetime.fromisoformat(str(entry["expires_at"]).replace("Z", "+00:00"))
        for entry in entries
        if entry.get("expires_at")
    ]
    if not times:
        return "never expires"
    seconds = (min(times) - (now or datetime.now(timezone.utc))).total_seconds()
    return f"expires in {_span(seconds)}" if seconds > 0 else f"expired {_span(-seconds)} ago"


def fold_line(
    status: Mapping[str, Any], provider: str, title: str, noun: str, now: datetime | None = None
) -> list[str]:
    """The parts of a folded provider's line: ``["IonQ", "key default", "OK", "never expires"]``."""
    entries = entries_of(status, provider)
    named = sorted((entry for entry in entries if entry.get("name") is not None), key=lambda e: str(e["name"]))
    if not named:
        broken = any(entry.get("state") == "error" for entry in entries)
        return [title, "file cannot be read" if broken else "not set up"]
    names = [str(entry["name"]) for entry in named]
    listed = f"{noun}{'s' if len(names) > 1 else ''} {', '.join(names)}" if len(names) <= 2 else f"{len(names)} {noun}s"
    states = {"retrying" if entry.get("retrying") else str(entry.get("state")) for entry in named}
    worst = next((state for state in _WORST_FIRST if state in states), None)
    word = _WORDS.get(worst, worst) if worst else "OK"
    return [title, listed, str(word), soonest_expiry(named, now)]


_COLOURS = {"action": "#c62828", "attention": "#8d6e00", "ok": "#2e7d32"}


def render_fold_line(status: Mapping[str, Any], provider: str, title: str, noun: str) -> str:
    """A provider in one line of HTML, as the panel's folded card: "<b>IonQ</b> · key default · OK · never expires"
    (every value escaped; the state coloured by the provider's health)."""
    first, *rest = fold_line(status, provider, title, noun)
    health_now = health(status, provider)
    colour = _COLOURS.get(health_now, "#757575")
    parts = [f"<b>{html.escape(first)}</b>"] + [
        f"<span data-state='{health_now}' style='color:{colour};font-weight:600'>{html.escape(part)}</span>"
        if index == 1
        else f"<span style='opacity:.75'>{html.escape(part)}</span>"
        for index, part in enumerate(rest)
    ]
    return f"<span class='qcred-fold-line' data-health='{health_now}'>{' &middot; '.join(parts)}</span>"
