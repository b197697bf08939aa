"""IBM Quantum: the legacy ``Credentials`` model, both SDKs' files, the auth/IAM protocols, and :class:`IbmProvider`.

Two SDKs read credentials from ``~/.qiskit``: the legacy qiskit-ibmq-provider (``qiskitrc``, hub/group/project,
an API token traded for an access token) and qiskit-ibm-runtime (``qiskit-ibm.json``, named accounts of the
``ibm_quantum_platform`` and ``ibm_cloud`` channels, an API key traded for an IAM JWT). The provider shows one
status per account across both files, checks each account with its provider, and writes both files losslessly
(atomic, locked, 0600). Access tokens obtained by checks stay in this process's memory: the SDKs get their own.

The pieces live in sibling modules for readability: :mod:`.ibm_credentials` (the seed API), :mod:`.ibm_qiskitrc`,
:mod:`.ibm_json` and :mod:`.ibm_auth`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from ...core import files
from ...core.bundle import DEFAULT_IBM_NAMES, IBM_CHANNELS, IbmAccountSpec
from ...core.errors import FieldError, FileFormatError, ProviderError, QCredError, RefusedError
from ...core.flows import Flow
from ...core.settings import Settings
from ...core.states import CredentialStatus, State, absent, mask, utcnow
from ..base import Provider
from ..registry import PROVIDER_TITLES
from . import accounts_json as ibm_json
from . import auth as ibm_auth
from .credentials import (
    QX_AUTH_URL,
    Credentials,
    HubGroupProject,
    InvalidHubGroupProjectError,
    unify_ibmq_url,
)
from .qiskitrc import (
    PREFERENCES_SECTION,
    SECTION_PREFIX,
    Qiskitrc,
    RcDocument,
    RcEntry,
    parse_qiskitrc,
    section_name,
    section_values,
)

__all__ = [
    "QX_AUTH_URL",
    "Credentials",
    "HubGroupProject",
    "IbmAccount",
    "IbmProvider",
    "InvalidHubGroupProjectError",
]

log = logging.getLogger("jupyter_qcred.ibm")


def _fingerprint(token: str | None) -> str:
    """Identifies a token in memory without keeping it: a remembered check applies only to the same token."""
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def _same_url(a: str | None, b: str | None) -> bool:
    return (a or QX_AUTH_URL).rstrip("/").lower() == (b or QX_AUTH_URL).rstrip("/").lower()


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
class _Check:
    """What the last refresh of an account learnt, kept in memory only."""

    fingerprint: str
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


class IbmProvider(Provider):
    """IBM Quantum accounts of both SDKs (see the module docstring)."""

    key: ClassVar[str] = "ibm"
    title: ClassVar[str] = PROVIDER_TITLES["ibm"]

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._checks: dict[str, _Check] = {}
        self._sources: dict[str, str] = {}
        self._refresh_locks: dict[str, asyncio.Lock] = {}

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
        # of a legacy account unflags the others), else whatever the runtime SDK would pick by name.
        default = next((name for name, entry in data.items() if entry.get("is_default_account")), None)
        if default is None:
            default = next((a.name for a in accounts if a.rc_entry and a.rc_entry.section == SECTION_PREFIX), None)
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

    def credentials(self, name: str) -> Credentials:
        """A legacy ``Credentials`` object for account ``name`` (any channel; hub/group/project when known)."""
        account = self._account(name)
        hgp = None
        if account.instance and account.legacy:
            try:
                hgp = HubGroupProject.from_stored_format(account.instance)
            except InvalidHubGroupProjectError:
                hgp = None
        if account.rc_entry is not None:
            return account.rc_entry.credentials
        return Credentials(
            account.token or "",
            account.url or (QX_AUTH_URL if account.legacy else ibm_json.IBM_CLOUD_URL),
            proxies=account.proxies,
            verify=account.verify,
            default_provider=hgp,
        )

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

    def _check_for(self, account: IbmAccount) -> _Check | None:
        check = self._checks.get(account.name)
        return check if check is not None and check.fingerprint == _fingerprint(account.token) else None

    def _status(self, account: IbmAccount, now: datetime | None = None) -> CredentialStatus:
        now = now or utcnow()
        check = self._check_for(account)
        state, error = State.OK, None
        expires_at = check.access.expires_at if check and check.access else None
        if account.problem:
            state = State.ERROR
            error = f"{account.file}: account {account.name!r} {account.problem}; fix the file or re-initialize."
        elif check and check.refused:
            state, error = State.NEEDS_REINIT, check.refused
        elif expires_at is not None and now >= expires_at:
            state = State.EXPIRED
            error = f"IBM Quantum: the access token of account {account.name!r} has expired; refresh to renew it."
        elif check and check.next_refresh_at and now >= check.next_refresh_at:
            state = State.EXPIRING
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

    # -- checking with the provider ----------------------------------------------------------------------

    def _due(self, check: _Check | None, now: datetime) -> bool:
        if check is None or check.access is None or not check.access.valid(now):
            return True
        return check.next_refresh_at is not None and now >= check.next_refresh_at

    def _flow(self, account: IbmAccount, check: _Check | None, force: bool) -> Flow[_Check] | None:
        """The protocol run for ``account``, or None when the last check still stands (IAM, not due)."""
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

    def _legacy(self, base: str, token: str, keep: ibm_auth.AccessToken | None) -> Flow[_Check]:
        result = yield from ibm_auth.legacy_account_flow(base, token, keep)
        return self._new_check(token, result.access_token, result.instances, result.default_instance)

    def _iam(self, url: str, token: str) -> Flow[_Check]:
        access = yield from ibm_auth.iam_token_flow(url, token)
        return self._new_check(token, access, [], None)

    def _new_check(
        self, token: str, access: ibm_auth.AccessToken, instances: list[dict[str, Any]], default: str | None
    ) -> _Check:
        due = self.settings.policy.due_at(access.issued_at, access.expires_at) if access.expires_at else None
        return _Check(_fingerprint(token), access, access.issued_at, due, instances, default)

    def _prepare(self, name: str, force: bool) -> tuple[IbmAccount, _Check | None, Flow[_Check] | None]:
        account = self._account(name)
        check = self._check_for(account)
        if check is not None and check.refused and not force:
            raise RefusedError(self.key, check.refused.removeprefix("IBM Quantum: "))
        return account, check, self._flow(account, check, force)

    def _record(self, account: IbmAccount, outcome: _Check | BaseException) -> None:
        if isinstance(outcome, RefusedError):
            self._checks[account.name] = _Check(_fingerprint(account.token), refused=str(outcome))
            log.warning("IBM Quantum account %r was refused; it needs a new key", account.name)
        elif isinstance(outcome, ProviderError):
            log.warning("IBM Quantum account %r could not be checked: %s", account.name, outcome)
        elif isinstance(outcome, _Check):
            self._checks[account.name] = outcome
            log.info("IBM Quantum account %r checked (%s)", account.name, account.channel)

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Check account ``name`` with IAM or the legacy API (API key / token still accepted?) and fetch its hubs.

        One check at a time per account in this process; an IAM token that is not yet due is not requested again
        unless ``force``; a remembered refusal is raised again without asking the provider unless ``force``.
        """
        lock = self._refresh_locks.setdefault(name, asyncio.Lock())
        async with lock:
            account, _, flow = self._prepare(name, force)
            if flow is not None:
                try:
                    outcome = await ibm_auth.run_async(
                        flow, timeout=self.settings.timeout, verify=account.verify, proxies=account.proxies
                    )
                except ProviderError as exc:
                    self._record(account, exc)
                    raise
                self._record(account, outcome)
            return self._status(account)

    def refresh_sync(self, name: str, *, force: bool = False) -> CredentialStatus:
        """:meth:`refresh` without an event loop (the CLI)."""
        account, _, flow = self._prepare(name, force)
        if flow is not None:
            try:
                outcome = ibm_auth.run_sync(
                    flow, timeout=self.settings.timeout, verify=account.verify, proxies=account.proxies
                )
            except ProviderError as exc:
                self._record(account, exc)
                raise
            self._record(account, outcome)
        return self._status(account)

    # -- writing -----------------------------------------------------------------------------------------

    def _locked(self, stack: ExitStack) -> None:
        """Both files' locks, always in the same order so two writers never deadlock."""
        stack.enter_context(files.locked(self.json_path, self.settings.lock_timeout))
        stack.enter_context(files.locked(self.qiskitrc_path, self.settings.lock_timeout))

    def _load_for_write(self, reinit: bool) -> tuple[dict[str, dict[str, Any]], str, RcDocument, str]:
        """Both files parsed (under the locks), or FileFormatError; with ``reinit`` a broken file is backed up
        and started afresh."""
        json_text = files.read_text(self.json_path) or ""
        try:
            data = ibm_json.parse_accounts(json_text, self.json_path)
        except FileFormatError:
            if not reinit:
                raise
            kept = files.backup(self.json_path)
            log.warning("%s did not parse; kept it as %s and started a new one", self.json_path, kept)
            data, json_text = {}, ""
        rc_text = files.read_text(self.qiskitrc_path) or ""
        try:
            document = parse_qiskitrc(rc_text, self.qiskitrc_path).document
        except FileFormatError:
            if not reinit:
                raise
            kept = files.backup(self.qiskitrc_path)
            log.warning("%s did not parse; kept it as %s and started a new one", self.qiskitrc_path, kept)
            document, rc_text = RcDocument("", self.qiskitrc_path), ""
        return data, json_text, document, rc_text

    def _save(self, data: dict[str, dict[str, Any]], json_before: str, document: RcDocument, rc_before: str) -> None:
        text = ibm_json.dumps_accounts(data)
        if data and text != json_before:
            files.atomic_write(self.json_path, text)
            log.info("wrote %s", self.json_path)
        if document.text != rc_before:
            files.atomic_write(self.qiskitrc_path, document.text)
            log.info("wrote %s", self.qiskitrc_path)

    @staticmethod
    def _spec_credentials(spec: IbmAccountSpec) -> Credentials:
        hgp = HubGroupProject(spec.hub, spec.group, spec.project)
        if not hgp.complete and spec.instance:
            try:
                hgp = HubGroupProject.from_stored_format(spec.instance)
            except InvalidHubGroupProjectError:
                raise FieldError(
                    f"IBM account {spec.name!r}", "instance", "must be hub/group/project for channel ibm_quantum"
                ) from None
        if hgp.complete:
            try:
                HubGroupProject.from_stored_format(hgp.to_stored_format())
            except InvalidHubGroupProjectError:
                raise FieldError(
                    f"IBM account {spec.name!r}", "hub", "and group and project must be names without spaces or slashes"
                ) from None
        return Credentials(
            spec.token,
            spec.url or QX_AUTH_URL,
            hub=hgp.hub,
            group=hgp.group,
            project=hgp.project,
            proxies=dict(spec.proxies) if spec.proxies else None,
            verify=spec.verify,
        )

    def _rc_plan(self, specs: Sequence[IbmAccountSpec]) -> list[tuple[str, dict[str, str | None]]]:
        """Which qiskitrc sections the legacy accounts go to: the default (or first) one to ``[ibmq]`` with its
        hub as ``default_provider`` (what ``IBMQ.save_account`` writes), others to hub-specific sections."""
        legacy = [spec for spec in specs if spec.channel == "ibm_quantum"]
        if not legacy:
            return []
        main = next((spec for spec in legacy if spec.default), legacy[0])
        plan = [(SECTION_PREFIX, section_values(self._spec_credentials(main), hub_specific=False))]
        for spec in legacy:
            if spec is main:
                continue
            creds = self._spec_credentials(spec)
            if not creds.is_ibmq():
                log.info("IBM account %r has no hub/group/project; it goes to qiskit-ibm.json only", spec.name)
                continue
            plan.append((section_name(creds, True), section_values(creds, hub_specific=True)))
        return plan

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        """Write bundle accounts: every one to qiskit-ibm.json, ``ibm_quantum`` ones to qiskitrc as well.

        Entries, fields, sections and comments we do not own are kept. A ``default`` account becomes the SDK's
        ``is_default_account`` (never for a legacy entry: the SDK cannot load those and would fail to start).
        """
        specs = list(specs)
        for index, spec in enumerate(specs):
            if not isinstance(spec, IbmAccountSpec):
                raise FieldError(source, f"ibm[{index}]", "must be an IBM account")
            if spec.channel not in IBM_CHANNELS:
                raise FieldError(source, f"ibm[{index}].channel", f"must be one of {', '.join(IBM_CHANNELS)}")
        configs = [(spec, ibm_json.saved_format(spec)) for spec in specs]
        plan = self._rc_plan(specs)
        with ExitStack() as stack:
            self._locked(stack)
            data, json_before, document, rc_before = self._load_for_write(reinit)
            for spec, config in configs:
                ibm_json.merge_account(data, spec.name, config)
                if spec.default and spec.channel != "ibm_quantum":
                    ibm_json.set_default_account(data, spec.name)
            for section, values in plan:
                document.set_section(section, values)
            self._save(data, json_before, document, rc_before)
        for spec in specs:
            self._sources[spec.name] = source
        log.info("materialized %d IBM Quantum account(s) from %s", len(specs), source)
        return [spec.name for spec in specs]

    def set_default(self, name: str, instance: str | None = None) -> None:
        """Make ``name`` the default account; ``instance`` sets its hub/group/project (legacy) or instance.

        For a legacy account the default is the legacy provider's: ``default_provider`` in its qiskitrc section
        (the section is created as ``[ibmq]`` when the account lives only in qiskit-ibm.json and ``[ibmq]`` is free).
        """
        hgp: HubGroupProject | None = None
        with ExitStack() as stack:
            self._locked(stack)
            account = self._account(name)
            if account.legacy and instance is not None:
                try:
                    hgp = HubGroupProject.from_stored_format(instance)
                except InvalidHubGroupProjectError as exc:
                    raise FieldError("default", "instance", str(exc).rstrip(".")) from None
            data, json_before, document, rc_before = self._load_for_write(False)
            if account.in_json and instance is not None:
                data[name]["instance"] = hgp.to_stored_format() if hgp else instance
            if not account.legacy:
                ibm_json.set_default_account(data, name)
            else:  # the runtime SDK cannot load legacy entries: unflag the others so the legacy choice shows
                for entry in data.values():
                    entry.pop("is_default_account", None)
            if account.legacy:
                self._legacy_default(account, document, hgp)
            self._save(data, json_before, document, rc_before)
        log.info("IBM Quantum default account is now %r", name)

    def _legacy_default(self, account: IbmAccount, document: RcDocument, hgp: HubGroupProject | None) -> None:
        target = hgp or (HubGroupProject.from_stored_format(account.instance) if account.instance else None)
        if account.rc_entry is not None:
            if target is not None:
                document.set_section(account.rc_entry.section, {"default_provider": target.to_stored_format()})
            return
        if SECTION_PREFIX in document.sections():
            raise QCredError(
                f"{self.qiskitrc_path} already holds another legacy account in [ibmq]; the legacy provider can "
                f"only have one default. Remove that section or re-initialize to make {account.name!r} the default."
            )
        creds = Credentials(
            account.token or "",
            unify_ibmq_url(account.url or QX_AUTH_URL)[1],
            proxies=account.proxies,
            verify=account.verify,
            default_provider=target,
        )
        document.set_section(SECTION_PREFIX, section_values(creds, hub_specific=False))

    # -- importing a file the user uploads ---------------------------------------------------------------

    @staticmethod
    def _kind(filename: str, content: str) -> str:
        lowered = Path(filename).name.lower()
        if lowered.endswith(".json"):
            return "json"
        if "qiskitrc" in lowered or lowered.endswith((".ini", ".rc", ".cfg")):
            return "qiskitrc"
        return "json" if content.lstrip().startswith("{") else "qiskitrc"

    def import_file(self, filename: str, content: str) -> list[str]:
        """Merge an uploaded qiskit-ibm.json or qiskitrc: validated completely first, then merged account by
        account (same names replaced, everything else kept)."""
        where = Path(Path(filename).name or "uploaded file")
        if self._kind(filename, content) == "json":
            return self._import_json(where, content)
        return self._import_qiskitrc(where, content)

    def _import_json(self, where: Path, content: str) -> list[str]:
        incoming = ibm_json.parse_accounts(content, where)
        if not incoming:
            raise FileFormatError(where, "holds no IBM Quantum account")
        for name, entry in incoming.items():
            if entry["channel"] not in IBM_CHANNELS:
                raise FileFormatError(
                    where,
                    f"account {name!r} has channel {entry['channel']!r}; expected one of {', '.join(IBM_CHANNELS)}",
                )
            if not isinstance(entry.get("token"), str) or not entry["token"]:
                raise FileFormatError(where, f"account {name!r} has no token")
        defaults = [name for name, entry in incoming.items() if entry.get("is_default_account")]
        if len(defaults) > 1:
            raise FileFormatError(where, "marks more than one account as is_default_account")
        with ExitStack() as stack:
            self._locked(stack)
            data, json_before, document, rc_before = self._load_for_write(False)
            for name, entry in incoming.items():
                data[name] = dict(entry)
            for name in defaults:
                ibm_json.set_default_account(data, name)
            self._save(data, json_before, document, rc_before)
        for name in incoming:
            self._sources[name] = "file"
        return list(incoming)

    def _import_qiskitrc(self, where: Path, content: str) -> list[str]:
        incoming = parse_qiskitrc(content, where)
        if not incoming.entries:
            raise FileFormatError(where, "holds no [ibmq] section")
        with ExitStack() as stack:
            self._locked(stack)
            data, json_before, document, rc_before = self._load_for_write(False)
            existing = set(document.sections())
            for entry in incoming.entries:
                values: dict[str, str | None] = dict.fromkeys(document.values(entry.section))
                values.update(incoming.document.values(entry.section))
                document.set_section(entry.section, values)
            preferences = incoming.document.values(PREFERENCES_SECTION)
            if preferences:
                document.set_section(PREFERENCES_SECTION, dict(preferences))
            self._save(data, json_before, document, rc_before)
        names = [entry.name for entry in incoming.entries]
        for name in names:
            self._sources[name] = "file"
        log.info("imported %d qiskitrc section(s) (%d replaced)", len(names), len(existing & set(names)))
        return names

    # -- the environment as a source ---------------------------------------------------------------------

    def environment_specs(self) -> list[IbmAccountSpec]:
        """Accounts the SDKs' environment variables define: ``QE_TOKEN``+``QE_URL`` (legacy, both required, with
        ``QE_HUB``/``QE_GROUP``/``QE_PROJECT``) and ``QISKIT_IBM_TOKEN`` (with ``QISKIT_IBM_URL``,
        ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_CHANNEL``)."""
        env = self.settings.environ
        specs: list[IbmAccountSpec] = []
        qe_token, qe_url = (env.get("QE_TOKEN") or "").strip(), (env.get("QE_URL") or "").strip()
        if qe_token and qe_url:
            hgp = [(env.get(key) or "").strip() or None for key in ("QE_HUB", "QE_GROUP", "QE_PROJECT")]
            complete = all(hgp)
            specs.append(
                IbmAccountSpec(
                    name="env-qe",
                    channel="ibm_quantum",
                    token=qe_token,
                    url=qe_url,
                    hub=hgp[0] if complete else None,
                    group=hgp[1] if complete else None,
                    project=hgp[2] if complete else None,
                )
            )
        elif qe_token or qe_url:
            log.info("QE_TOKEN and QE_URL must both be set to define a legacy IBM Quantum account; ignoring them")
        token = (env.get("QISKIT_IBM_TOKEN") or "").strip()
        if token:
            channel = (env.get("QISKIT_IBM_CHANNEL") or "").strip() or "ibm_quantum_platform"
            if channel not in IBM_CHANNELS:
                raise FieldError("environment", "QISKIT_IBM_CHANNEL", f"must be one of {', '.join(IBM_CHANNELS)}")
            instance = (env.get("QISKIT_IBM_INSTANCE") or "").strip() or None
            hub = group = project = None
            if channel == "ibm_quantum" and instance:
                try:
                    hub, group, project = HubGroupProject.from_stored_format(instance).to_tuple()
                except InvalidHubGroupProjectError:
                    raise FieldError(
                        "environment", "QISKIT_IBM_INSTANCE", "must be hub/group/project for channel ibm_quantum"
                    ) from None
                instance = None
            specs.append(
                IbmAccountSpec(
                    name=f"env-{DEFAULT_IBM_NAMES[channel]}",
                    channel=channel,
                    token=token,
                    url=(env.get("QISKIT_IBM_URL") or "").strip() or None,
                    instance=instance,
                    hub=hub,
                    group=group,
                    project=project,
                )
            )
        return specs
