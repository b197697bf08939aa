"""What this process learnt by checking credentials, and the status of one stored credential from it.

- :class:`Checks`: account details for the views, and a refusal remembered by the fingerprint of the refused secret
  (a new secret clears it without a check), in this process and, with ``remembered``, on disk for every process and
  the next start (:mod:`jupyter_qcred.core.remembered`: ``jupyter qcred refresh`` and a later ``status`` are two
  processes, and must tell the same story);
- :func:`status_from_checks`: the status of one stored credential from its file and those checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ...core.remembered import Remembered
from ...core.states import CredentialStatus, State, fingerprint, isoformat, mask, utcnow


@dataclasses.dataclass
class Checks:
    """What this process learnt by checking credentials; refusals also go to ``remembered`` (fingerprints and
    sentences only, never a secret)."""

    #: name -> account details the views show (``checked_at`` included)
    accounts: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: name -> (fingerprint of the refused secret, the sentence)
    refused: dict[str, tuple[str | None, str]] = dataclasses.field(default_factory=dict)
    refreshed_at: dict[str, datetime] = dataclasses.field(default_factory=dict)
    #: The provider's key, and where its refusals are kept for other processes (None: this process only).
    provider: str = ""
    remembered: Remembered | None = None

    def accepted(self, name: str, account: Mapping[str, Any]) -> None:
        self.forget(name)
        self.accounts[name] = {**account, "checked_at": isoformat(utcnow())}

    def refuse(self, name: str, secret: str | None, sentence: str) -> None:
        self.accounts.pop(name, None)
        self.refused[name] = (fingerprint(secret), sentence)
        if self.remembered is not None:
            self.remembered.refuse(self.provider, name, secret, sentence)

    def forget(self, name: str) -> None:
        """The credential was accepted, replaced or removed: no refusal of it stays, here or on disk."""
        self.refused.pop(name, None)
        if self.remembered is not None:
            self.remembered.accepted(self.provider, name)

    def refusal(self, name: str, secret: str | None) -> str | None:
        """The refusal of exactly this secret (a new secret is not refused until checked), learnt here or by
        another process."""
        found = self.refused.get(name)
        if found and found[0] == fingerprint(secret):
            return found[1]
        return self.remembered.refusal(self.provider, name, secret) if self.remembered is not None else None

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
