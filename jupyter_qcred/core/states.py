"""The states and the status JSON shared by the CLI, the REST API and the notebook (see docs/api.md)."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class State(str, enum.Enum):
    """Health of one credential, as every view shows it."""

    OK = "ok"
    EXPIRING = "expiring"
    REFRESHING = "refreshing"
    EXPIRED = "expired"
    NEEDS_REINIT = "needs_reinit"
    #: The installed SDK refuses this credential (e.g. an IBM ``ibm_quantum`` account): remove or re-initialize it.
    UNSUPPORTED = "unsupported"
    ERROR = "error"
    ABSENT = "absent"


#: The one rule of "action needed" (docs/api.md, "Action needed"), used by the card badge, the status bar, the
#: notifications, the widget and the CLI's exit code alike, so no view derives its own:
#:
#: - usable, calm: ``ok``, ``expiring`` (renewed on its own), ``refreshing``;
#: - calm while retrying: ``error`` after a failed refresh while the access token still has time left (the server
#:   retries; the SDKs keep working) -- see :func:`retrying`;
#: - action needed: ``expired``, ``needs_reinit``, ``unsupported`` (the installed SDK cannot use the account: nobody
#:   can use it until a person removes or replaces it) and every other ``error`` (a file that does not parse, a
#:   profile that cannot be used, a failed refresh with no time left);
#: - nothing to do: ``absent`` (not set up is a choice, not a fault).
CALM_STATES = frozenset({State.OK, State.EXPIRING, State.REFRESHING})
ACTION_STATES = frozenset({State.EXPIRED, State.NEEDS_REINIT, State.UNSUPPORTED, State.ERROR})


def utcnow() -> datetime:
    """Aware UTC now; one function so tests and the reliability clock can agree."""
    return datetime.now(timezone.utc)


def isoformat(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``, or None."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def mask(secret: str | None) -> str | None:
    """A hint that lets a person tell two tokens apart without revealing either: its last four characters."""
    if not secret:
        return None
    return "…" + secret[-4:] if len(secret) > 8 else "…"


def fingerprint(secret: str | None) -> str | None:
    """A stable, irreversible identity of a secret, so memory can say "this is the token that was checked (or
    refused)" without keeping it; None for no secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest() if secret else None


@dataclasses.dataclass
class CredentialStatus:
    """What we know about one credential (one QCS profile, one IBM account)."""

    provider: str
    name: str | None
    state: State
    expires_at: datetime | None = None
    error: str | None = None
    default: bool = False
    source: str = "file"
    token_hint: str | None = None
    refreshed_at: datetime | None = None
    next_refresh_at: datetime | None = None
    file: Path | None = None
    account: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: What the manager knows beyond the files: consecutive failed refreshes, when it retries, the last attempt.
    failures: int = 0
    retry_at: datetime | None = None
    last_refresh: dict[str, Any] | None = None
    #: Sentences about something to fix that does not stop the credential from working (a file others can read).
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def key(self) -> tuple[str, str | None]:
        """Identity of the credential across reads."""
        return (self.provider, self.name)

    def retrying(self, now: datetime | None = None) -> bool:
        """A refresh failed (not refused), a retry is scheduled and the access token still has time left: every SDK
        keeps working meanwhile, so this is calm in every view ("retrying; the token is valid for 59 min"). Only a
        running server schedules retries (``retry_at``); a one-shot CLI call never promises one."""
        return (
            self.state == State.ERROR
            and self.name is not None
            and self.retry_at is not None
            and (self.last_refresh or {}).get("outcome") == "failed"
            and self.expires_at is not None
            and self.expires_at > (now or utcnow())
        )

    def action_needed(self, now: datetime | None = None) -> bool:
        """The one rule of "action needed" (:data:`ACTION_STATES`, minus a refresh that is retrying with time left)."""
        return self.state in ACTION_STATES and not self.retrying(now)

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        """The status JSON entry of docs/api.md (``action_needed`` and ``retrying`` as of ``now``)."""
        now = now or utcnow()
        return {
            "provider": self.provider,
            "name": self.name,
            "state": self.state.value,
            "expires_at": isoformat(self.expires_at),
            "error": self.error,
            "default": self.default,
            "source": self.source,
            "token_hint": self.token_hint,
            "refreshed_at": isoformat(self.refreshed_at),
            "next_refresh_at": isoformat(self.next_refresh_at),
            "file": str(self.file) if self.file else None,
            "account": self.account,
            "failures": self.failures,
            "retry_at": isoformat(self.retry_at),
            "last_refresh": self.last_refresh,
            "warnings": list(self.warnings),
            "action_needed": self.action_needed(now),
            "retrying": self.retrying(now),
        }


def summary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The status JSON's top-level ``summary``: whether anything needs a person, and one sentence every view can show
    (the status bar's tooltip, the widget's header, the CLI's last line), from the entries' own ``action_needed``."""
    named = [entry for entry in entries if entry.get("name") is not None]
    action = [entry for entry in entries if entry.get("action_needed")]
    retrying = [entry for entry in named if entry.get("retrying")]
    if action:
        several = len(action) > 1
        sentence = f"{len(action)} quantum credential{'s need' if several else ' needs'} your attention."
    elif not named:
        sentence = "No quantum credentials are configured."
    elif retrying:
        sentence = "All quantum credentials are usable; a refresh is being retried while the token is still valid."
    else:
        sentence = "All quantum credentials are usable."
    return {"action_needed": bool(action), "count": len(action), "retrying": len(retrying), "message": sentence}


def absent(provider: str, file: Path | None, hint: str) -> CredentialStatus:
    """The entry that says a provider has no credential at all, with what to do about it."""
    return CredentialStatus(provider=provider, name=None, state=State.ABSENT, error=hint, file=file)
