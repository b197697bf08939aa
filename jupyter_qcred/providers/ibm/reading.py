"""What the two IBM stores hold, merged into one account each, and each account's status (offline: no network).

qiskit-ibm-runtime's ``qiskit-ibm.json`` and the legacy provider's ``qiskitrc`` may both hold the same legacy account;
the merge shows it once. A status joins what the files say to what the last check in this process learnt
(:class:`AccountCheck`, kept in memory and trusted only for the same token).

:class:`IbmReading` is the first link of the provider's chain of classes, each adding one job: :mod:`.checking`
(the check with the provider), :mod:`.writing` (both files and the default), :mod:`.importing` (uploaded files and
the environment), and :class:`~.provider.IbmProvider` at the end.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core import files
from ...core.errors import FileFormatError, QCredError
from ...core.remembered import Remembered
from ...core.settings import Settings
from ...core.states import CredentialStatus, State, absent, fingerprint, mask, utcnow
from ..base import Provider
from . import accounts_json as ibm_json
from .credentials import QX_AUTH_URL, Credentials, unify_ibmq_url
from .qiskitrc import SECTION_PREFIX, Qiskitrc, RcEntry, parse_qiskitrc
from .sdk import no_instance_advice, runtime_channels, unsupported_advice

if TYPE_CHECKING:
    from . import auth as ibm_auth


def _same_url(a: str | None, b: str | None) -> bool:
    """Whether two legacy auth URLs name the same API (a missing one is the default; case and a trailing slash
    do not count)."""
    return (a or QX_AUTH_URL).rstrip("/").lower() == (b or QX_AUTH_URL).rstrip("/").lower()


def supported(channel: str) -> bool:
    """Whether the installed qiskit-ibm-runtime can load an account of ``channel`` (True when we cannot tell)."""
    channels = runtime_channels()
    return channels is None or channel in channels


@dataclasses.dataclass
class IbmAccount:
    """One account as the stores hold it, merged across qiskit-ibm.json and qiskitrc."""

    name: str
    channel: str
    token: str | None = dataclasses.field(repr=False)
    url: str | None
    instance: str | None
    verify: bool
    proxies: dict[str, Any] | None
    file: Path
    files: list[Path]
    default: bool = False
    rc_entry: RcEntry | None = dataclasses.field(default=None, repr=False)
    in_json: bool = False
    problem: str | None = None

    @property
    def legacy(self) -> bool:
        """An ``ibm_quantum`` account (legacy auth API, hub/group/project)."""
        return self.channel == "ibm_quantum"


@dataclasses.dataclass
class AccountCheck:
    """What the last refresh of an account learnt, kept in memory only."""

    fingerprint: str | None
    access: ibm_auth.AccessToken | None = None
    refreshed_at: datetime | None = None
    next_refresh_at: datetime | None = None
    instances: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    default_instance: str | None = None
    refused: str | None = None


@dataclasses.dataclass
class _Stores:
    """Both files as read at one moment, or the errors that kept them from being read."""

    data: dict[str, dict[str, Any]]
    rc: Qiskitrc | None
    errors: list[FileFormatError]
    accounts: list[IbmAccount]


class IbmReading(Provider):
    """Both files read and merged into accounts, and their statuses; the memory every later link shares."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._checks: dict[str, AccountCheck] = {}
        #: Refusals kept for every process and the next start (fingerprints and sentences only): a refused key
        #: found by ``jupyter qcred refresh`` is still refused in the next ``status``.
        self.remembered = Remembered.default(settings.environ, settings.home)
        self._sources: dict[str, str] = {}

    # -- paths -------------------------------------------------------------------------------------------

    @property
    def json_path(self) -> Path:
        """qiskit-ibm-runtime's accounts file."""
        return Path(self.settings.qiskit_ibm_json_path)

    @property
    def qiskitrc_path(self) -> Path:
        """The legacy provider's INI file."""
        return Path(self.settings.qiskitrc_path)

    def watched_paths(self) -> list[Path]:
        """Both files: either SDK (or the user) may change them behind our back."""
        return [self.json_path, self.qiskitrc_path]

    # -- reading -----------------------------------------------------------------------------------------

    def _read_json(self) -> dict[str, dict[str, Any]]:
        text = files.read_text(self.json_path)
        return ibm_json.parse_accounts(text, self.json_path) if text is not None else {}

    def _read_rc(self) -> Qiskitrc | None:
        text = files.read_text(self.qiskitrc_path)
        return parse_qiskitrc(text, self.qiskitrc_path) if text is not None else None

    def _stores(self) -> _Stores:
        errors: list[FileFormatError] = []
        try:
            data = self._read_json()
        except FileFormatError as exc:
            errors.append(exc)
            data = {}
        try:
            rc = self._read_rc()
        except FileFormatError as exc:
            errors.append(exc)
            rc = None
        return _Stores(data, rc, errors, self._merge(data, rc))

    def _merge(self, data: dict[str, dict[str, Any]], rc: Qiskitrc | None) -> list[IbmAccount]:
        """One account per JSON entry, plus qiskitrc sections that are not the same legacy account already."""
        accounts: list[IbmAccount] = []
        for name, entry in data.items():
            token = entry.get("token")
            accounts.append(
                IbmAccount(
                    name=name,
                    channel=str(entry["channel"]),
                    token=token if isinstance(token, str) and token else None,
                    url=entry.get("url"),
                    instance=entry.get("instance"),
                    verify=entry.get("verify") is not False,
                    proxies=entry.get("proxies"),
                    file=self.json_path,
                    files=[self.json_path],
                    in_json=True,
                    problem=None if isinstance(token, str) and token else "has no token",
                )
            )
        for rc_entry in rc.entries if rc else []:
            creds = rc_entry.credentials
            hgp = rc_entry.instance
            stored = hgp.to_stored_format() if hgp and hgp.complete else None
            twin = self._twin(accounts, creds, stored)
            if twin is not None:
                twin.rc_entry = rc_entry
                twin.file = self.qiskitrc_path
                twin.files.append(self.qiskitrc_path)
                twin.instance = twin.instance or stored
                continue
            accounts.append(
                IbmAccount(
                    name=rc_entry.name,
                    channel="ibm_quantum",
                    token=creds.token,
                    url=creds.base_url,
                    instance=stored,
                    verify=bool(creds.verify),
                    proxies=creds.proxies or None,
                    file=self.qiskitrc_path,
                    files=[self.qiskitrc_path],
                    rc_entry=rc_entry,
                )
            )
        # An explicit choice wins: a flagged runtime account, else the legacy provider's [ibmq] account (set_default
        # of a legacy account unflags the others) if the installed runtime SDK still loads legacy accounts, else
        # whatever the runtime SDK would pick by name.
        default = next((name for name, entry in data.items() if entry.get("is_default_account")), None)
        if default is None:  # the [ibmq] account counts if the installed runtime SDK loads it: show what it uses
            chosen = next((a.name for a in accounts if a.rc_entry and a.rc_entry.section == SECTION_PREFIX), None)
            default = chosen if chosen is not None and supported("ibm_quantum") else None
        if default is None:
            default = ibm_json.sdk_default(data, self.settings.environ.get("QISKIT_IBM_CHANNEL"))
        for account in accounts:
            account.default = account.name == default
        return accounts

    @staticmethod
    def _twin(accounts: list[IbmAccount], creds: Credentials, stored: str | None) -> IbmAccount | None:
        """The qiskit-ibm.json legacy entry that is the same account as a qiskitrc section: same token and auth URL,
        preferably the same hub/group/project (the legacy SDK may have changed ``default_provider`` since)."""
        candidates = [
            a
            for a in accounts
            if a.legacy
            and a.in_json
            and a.rc_entry is None
            and a.token == creds.token
            and _same_url(unify_ibmq_url(a.url or QX_AUTH_URL)[1], creds.base_url)
        ]
        exact = [a for a in candidates if a.instance in (None, stored)]
        return exact[0] if exact else (candidates[0] if candidates else None)

    def accounts(self) -> list[IbmAccount]:
        """Every account of both files (raises FileFormatError if one does not parse)."""
        stores = self._stores()
        if stores.errors:
            raise stores.errors[0]
        return stores.accounts

    def read(self) -> list[CredentialStatus]:
        """One status per account, one ``error`` per unreadable file, or one ``absent`` saying what to do."""
        stores = self._stores()
        statuses = [
            CredentialStatus(provider=self.key, name=exc.path.name, state=State.ERROR, error=str(exc), file=exc.path)
            for exc in stores.errors
        ]
        statuses.extend(self._status(account) for account in stores.accounts)
        if not statuses:
            statuses.append(
                absent(
                    self.key,
                    self.json_path,
                    f"No IBM Quantum account in {self.json_path} or {self.qiskitrc_path}. Paste an API key in the "
                    "credentials panel, upload a qiskit-ibm.json, or ask your JupyterHub admin to hand one over.",
                )
            )
        return statuses

    def _check_for(self, account: IbmAccount) -> AccountCheck | None:
        check = self._checks.get(account.name)
        if check is not None and check.fingerprint == fingerprint(account.token):
            return check
        refused = self.remembered.refusal(self.key, account.name, account.token)  # learnt by another process
        return AccountCheck(fingerprint(account.token), refused=refused) if refused else None

    def _status(self, account: IbmAccount, now: datetime | None = None) -> CredentialStatus:
        now = now or utcnow()
        check = self._check_for(account)
        state, error = State.OK, None
        expires_at = check.access.expires_at if check and check.access else None
        if account.problem:
            state = State.ERROR
            error = f"{account.file}: account {account.name!r} {account.problem}; fix the file or re-initialize."
        elif not supported(account.channel):
            state, error = State.UNSUPPORTED, unsupported_advice(account.name, account.channel)
        elif check and check.refused:
            state, error = State.NEEDS_REINIT, check.refused
        elif expires_at is not None and now >= expires_at:
            state = State.EXPIRED
            error = f"IBM Quantum: the access token of account {account.name!r} has expired; refresh to renew it."
        elif check and check.next_refresh_at and now >= check.next_refresh_at:
            state = State.EXPIRING
        if state in (State.OK, State.EXPIRING) and not account.legacy and not account.instance:
            # What the SDK does without an instance decides: it searches the account's (fine), or finds nothing.
            advice = no_instance_advice(account.name, self.settings.environ)
            if advice:
                state, error = State.ERROR, advice
        default_instance = check.default_instance if check else None
        if account.legacy:
            stored = account.rc_entry.credentials.default_provider if account.rc_entry else None
            default_instance = (stored.to_stored_format() if stored else None) or account.instance or default_instance
        return CredentialStatus(
            provider=self.key,
            name=account.name,
            state=state,
            expires_at=expires_at,
            error=error,
            default=account.default,
            source=self._sources.get(account.name, "file"),
            token_hint=mask(account.token),
            refreshed_at=check.refreshed_at if check else None,
            next_refresh_at=check.next_refresh_at if check else None,
            file=account.file,
            account={
                "channel": account.channel,
                "url": account.url,
                "instance": account.instance,
                "instances": list(check.instances) if check else [],
                "default_instance": default_instance,
                # the one-line 'where' the views show
                "summary": str(default_instance or account.instance or account.channel or ""),
            },
        )

    def _account(self, name: str) -> IbmAccount:
        stores = self._stores()
        for exc in stores.errors:
            if exc.path.name == name:
                raise exc
        account = next((a for a in stores.accounts if a.name == name), None)
        if account is None:
            if stores.errors:
                raise stores.errors[0]
            raise QCredError(
                f"IBM Quantum has no account named {name!r} in {self.json_path} or {self.qiskitrc_path}; "
                "check the name (jupyter qcred status lists them)."
            )
        if account.problem:
            raise QCredError(f"{account.file}: account {name!r} {account.problem}; fix the file or re-initialize.")
        return account
