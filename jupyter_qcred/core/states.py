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

    def to_json(self) -> dict[str, Any]:
        """The status JSON entry of docs/api.md."""
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
        }


def absent(provider: str, file: Path | None, hint: str) -> CredentialStatus:
    """The entry that says a provider has no credential at all, with what to do about it."""
    return CredentialStatus(provider=provider, name=None, state=State.ABSENT, error=hint, file=file)
