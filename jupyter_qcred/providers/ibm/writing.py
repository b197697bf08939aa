"""Writing IBM accounts: bundle accounts into both files, and the default account (and its hub or instance).

Both files are changed under both locks, taken in one order, and written atomically only when their text changes;
entries, fields, sections and comments this project does not own are kept. A file that does not parse is never
overwritten, except by a re-initialization, which keeps it as a backup first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from ...core import files
from ...core.errors import FieldError, QCredError
from ..shared import editing
from ..shared.rcdocument import RcDocument
from . import accounts_json as ibm_json
from .checking import IbmChecking
from .credentials import QX_AUTH_URL, Credentials, HubGroupProject, InvalidHubGroupProjectError, unify_ibmq_url
from .qiskitrc import SECTION_PREFIX, parse_qiskitrc, section_name, section_values
from .reading import IbmAccount
from .spec import IBM_CHANNELS, IbmAccountSpec

log = logging.getLogger("jupyter_qcred.ibm")


class IbmWriting(IbmChecking):
    """Adds :meth:`materialize` and :meth:`set_default`, and the locked read-modify-write both of them use."""

    def _locked(self) -> AbstractContextManager[None]:
        """Both files' locks, always in the same order so two writers never deadlock."""
        return editing.locked(self.settings, self.json_path, self.qiskitrc_path)

    def _load_for_write(self, reinit: bool) -> tuple[dict[str, dict[str, Any]], str, RcDocument, str]:
        """Both files parsed (under the locks), or FileFormatError; with ``reinit`` a broken file is backed up
        and started afresh."""
        data, json_text = editing.read_for_write(
            self.json_path,
            lambda text: ibm_json.parse_accounts(text, self.json_path),
            dict[str, dict[str, Any]],
            reinit=reinit,
            log=log,
        )
        document, rc_text = editing.read_for_write(
            self.qiskitrc_path,
            lambda text: parse_qiskitrc(text, self.qiskitrc_path).document,
            lambda: RcDocument("", self.qiskitrc_path),
            reinit=reinit,
            log=log,
        )
        return data, json_text, document, rc_text

    def _save(self, data: dict[str, dict[str, Any]], json_before: str, document: RcDocument, rc_before: str) -> None:
        text = ibm_json.dumps_accounts(data)
        if (data or json_before.strip()) and text != json_before:
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
        with self._locked():
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
        with self._locked():
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
