"""Checking IBM accounts with their provider: IBM Cloud IAM (API key) or the legacy auth API (API token).

A check says whether the key or token is still accepted and, for a legacy account, which hubs/groups/projects it
may use. What it learns stays in this process's memory (:class:`~.reading.AccountCheck`): the access tokens it
obtains are never written anywhere, the SDKs get their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...core.errors import ProviderError, RefusedError
from ...core.flows import Flow
from ...core.settings import Settings
from ...core.states import CredentialStatus, fingerprint, utcnow
from .credentials import QX_AUTH_URL, unify_ibmq_url
from .reading import AccountCheck, IbmAccount, IbmReading

if TYPE_CHECKING:
    from . import auth as ibm_auth

log = logging.getLogger("jupyter_qcred.ibm")


class IbmChecking(IbmReading):
    """Adds :meth:`refresh`: one check at a time per account, remembered for the statuses :class:`IbmReading` gives."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._refresh_locks: dict[str, asyncio.Lock] = {}

    def _due(self, check: AccountCheck | None, now: datetime) -> bool:
        if check is None or check.access is None or not check.access.valid(now):
            return True
        return check.next_refresh_at is not None and now >= check.next_refresh_at

    def _flow(self, account: IbmAccount, check: AccountCheck | None, force: bool) -> Flow[AccountCheck] | None:
        """The protocol run for ``account``, or None when the last check still stands (IAM, not due)."""
        from . import auth as ibm_auth

        now = utcnow()
        due = force or self._due(check, now)
        token = account.token or ""
        if account.legacy:
            base = unify_ibmq_url(account.url or QX_AUTH_URL)[1]
            keep = None if due or check is None else check.access
            return self._legacy(base, token, keep)
        if not due:
            return None
        return self._iam(ibm_auth.iam_url(account.url, self.settings.environ), token)

    def _legacy(self, base: str, token: str, keep: ibm_auth.AccessToken | None) -> Flow[AccountCheck]:
        from . import auth as ibm_auth

        result = yield from ibm_auth.legacy_account_flow(base, token, keep)
        return self._new_check(token, result.access_token, result.instances, result.default_instance)

    def _iam(self, url: str, token: str) -> Flow[AccountCheck]:
        from . import auth as ibm_auth

        access = yield from ibm_auth.iam_token_flow(url, token)
        return self._new_check(token, access, [], None)

    def _new_check(
        self, token: str, access: ibm_auth.AccessToken, instances: list[dict[str, Any]], default: str | None
    ) -> AccountCheck:
        due = self.settings.policy.due_at(access.issued_at, access.expires_at) if access.expires_at else None
        return AccountCheck(fingerprint(token), access, access.issued_at, due, instances, default)

    def _prepare(self, name: str, force: bool) -> tuple[IbmAccount, AccountCheck | None, Flow[AccountCheck] | None]:
        account = self._account(name)
        check = self._check_for(account)
        if check is not None and check.refused and not force:
            raise RefusedError(self.key, check.refused.removeprefix("IBM Quantum: "))
        return account, check, self._flow(account, check, force)

    def _record(self, account: IbmAccount, outcome: AccountCheck | BaseException) -> None:
        if isinstance(outcome, RefusedError):
            self._checks[account.name] = AccountCheck(fingerprint(account.token), refused=str(outcome))
            self.remembered.refuse(self.key, account.name, account.token, str(outcome))
            log.warning("IBM Quantum account %r was refused; it needs a new key", account.name)
        elif isinstance(outcome, ProviderError):
            log.warning("IBM Quantum account %r could not be checked: %s", account.name, outcome)
        elif isinstance(outcome, AccountCheck):
            self._checks[account.name] = outcome
            self.remembered.accepted(self.key, account.name)
            log.info("IBM Quantum account %r checked (%s)", account.name, account.channel)

    @contextlib.contextmanager
    def _failure_recorded(self, account: IbmAccount) -> Iterator[None]:
        """A check that fails is remembered (a refusal) or logged before the failure goes on to the caller."""
        try:
            yield
        except ProviderError as exc:
            self._record(account, exc)
            raise

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Check account ``name`` with IAM or the legacy API (API key / token still accepted?) and fetch its hubs.

        One check at a time per account in this process; an IAM token that is not yet due is not requested again
        unless ``force``; a remembered refusal is raised again without asking the provider unless ``force``.
        """
        from . import auth as ibm_auth

        lock = self._refresh_locks.setdefault(name, asyncio.Lock())
        async with lock:
            account, _, flow = self._prepare(name, force)
            if flow is not None:
                with self._failure_recorded(account):
                    outcome = await ibm_auth.run_async(
                        flow, timeout=self.settings.timeout, verify=account.verify, proxies=account.proxies
                    )
                self._record(account, outcome)
            return self._status(account)

    def refresh_sync(self, name: str, *, force: bool = False) -> CredentialStatus:
        """:meth:`refresh` without an event loop (the CLI)."""
        from . import auth as ibm_auth

        account, _, flow = self._prepare(name, force)
        if flow is not None:
            with self._failure_recorded(account):
                outcome = ibm_auth.run_sync(
                    flow, timeout=self.settings.timeout, verify=account.verify, proxies=account.proxies
                )
            self._record(account, outcome)
        return self._status(account)
