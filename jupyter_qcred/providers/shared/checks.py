"""What this process learnt by checking credentials, and the status of one stored credential from it.

- :class:`Checks`: account details for the views, and a refusal remembered by the fingerprint of the refused secret
  (a new secret clears it without a check);
- :func:`status_from_checks`: the status of one stored credential from its file and those checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ...core.states import CredentialStatus, State, fingerprint, isoformat, mask, utcnow


@dataclasses.dataclass
class Checks:
    """What this process learnt by checking credentials (never written to disk)."""

    #: name -> account details the views show (``checked_at`` included)
    accounts: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: name -> (fingerprint of the refused secret, the sentence)
    refused: dict[str, tuple[str | None, str]] = dataclasses.field(default_factory=dict)
    refreshed_at: dict[str, datetime] = dataclasses.field(default_factory=dict)

    def accepted(self, name: str, account: Mapping[str, Any]) -> None:
        self.refused.pop(name, None)
        self.accounts[name] = {**account, "checked_at": isoformat(utcnow())}

    def refuse(self, name: str, secret: str | None, sentence: str) -> None:
        self.accounts.pop(name, None)
        self.refused[name] = (fingerprint(secret), sentence)

    def refusal(self, name: str, secret: str | None) -> str | None:
        """The refusal of exactly this secret (a new secret is not refused until checked)."""
        found = self.refused.get(name)
        return found[1] if found and found[0] == fingerprint(secret) else None

    def account(self, name: str, secret: str | None) -> dict[str, Any]:
        """Account details learnt with this secret (forgotten when the secret changes)."""
        details = self.accounts.get(name) or {}
        return dict(details) if details.get("fingerprint") == fingerprint(secret) else {}


def status_from_checks(
    provider: str,
    name: str,
    secret: str | None,
    checks: Checks,
    *,
    file: Path | None,
    source: str = "file",
    default: bool = True,
    expires_at: datetime | None = None,
    next_refresh_at: datetime | None = None,
    account: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> CredentialStatus:
    """One credential's status: refused (needs_reinit), expired by its stored expiry, or ok."""
    refusal = checks.refusal(name, secret)
    details = {**(account or {}), **checks.account(name, secret)}
    details.pop("fingerprint", None)
    state = State.OK
    if refusal:
        state = State.NEEDS_REINIT
    elif expires_at is not None and expires_at <= (now or utcnow()):
        state = State.EXPIRED
    return CredentialStatus(
        provider=provider,
        name=name,
        state=state,
        expires_at=expires_at,
        error=refusal,
        default=default,
        source=source,
        token_hint=mask(secret),
        refreshed_at=checks.refreshed_at.get(name),
        next_refresh_at=next_refresh_at,
        file=file,
        account=details,
    )
