"""Adding an account a person typed (checked with IBM before anything is written) and removing one.

A pasted key is first checked with IAM (or the legacy API for an ``ibm_quantum`` token), so a key IBM refuses never
reaches ``qiskit-ibm.json``. Replacing an account keeps what the person did not type (its instance, url, region...),
because an API key alone says nothing about them. Removing an account takes it out of both files and keeps
everything else.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...core.errors import FieldError, QCredError, RefusedError
from .credentials import QX_AUTH_URL, HubGroupProject, InvalidHubGroupProjectError, unify_ibmq_url
from .importing import IbmImporting
from .reading import AccountCheck, supported
from .sdk import unsupported_advice
from .spec import IbmAccountSpec

log = logging.getLogger("jupyter_qcred.ibm")

#: Fields of a saved account that a replacement keeps unless the person typed a new value.
_KEPT = ("url", "instance", "region", "plans_preference", "tags", "private_endpoint", "proxies", "verify")


class IbmChanging(IbmImporting):
    """Adds :meth:`replacement`, :meth:`check_spec`, :meth:`remember_check`, :meth:`remove` and
    :meth:`can_be_default`."""

    def names(self) -> list[str]:
        """The accounts both files hold now (empty when one does not parse: nothing can be said about names)."""
        return [account.name for account in self._stores().accounts]

    def replacement(self, spec: IbmAccountSpec, given: set[str]) -> IbmAccountSpec:
        """``spec`` completed with what the saved account of the same name holds and the person did not give
        (``given`` names the fields they typed): a new key must not drop the account's instance CRN or url."""
        text_data = self._stores().data
        old = text_data.get(spec.name)
        if old is None:
            return spec
        changes: dict[str, object] = {}
        old_channel = old.get("channel")
        # An account the installed SDK cannot load is re-initialized into a channel it can: nothing of the old
        # channel's (its legacy url, its hub/group/project) is carried over.
        carry = isinstance(old_channel, str) and (supported(old_channel) or "channel" in given)
        if carry and "channel" not in given and old_channel != spec.channel:
            changes["channel"] = old_channel
        channel = str(changes.get("channel", spec.channel))
        for field in _KEPT:
            if field in given or old.get(field) is None:
                continue
            if not carry and field in ("url", "instance"):
                continue
            if field == "instance" and channel == "ibm_quantum":
                try:
                    hgp = HubGroupProject.from_stored_format(str(old["instance"]))
                except InvalidHubGroupProjectError:
                    continue
                changes.update(hub=hgp.hub, group=hgp.group, project=hgp.project)
                continue
            changes[field] = old[field]
        return dataclasses.replace(spec, **changes) if changes else spec  # type: ignore[arg-type]

    async def check_spec(self, spec: IbmAccountSpec) -> AccountCheck:
        """Ask IBM whether ``spec``'s key (or legacy token) is accepted, before it is written anywhere.

        Raises :class:`RefusedError` (IBM refused it, or the installed SDK could not load such an account anyway)
        or :class:`TransientProviderError` (IBM could not be asked).
        """
        from . import auth as ibm_auth

        if (spec.hub, spec.group, spec.project) != (None, None, None):  # bad input, not a refusal: 400
            try:
                HubGroupProject.from_stored_format(f"{spec.hub}/{spec.group}/{spec.project}")
            except InvalidHubGroupProjectError:
                raise FieldError(
                    "The account you entered",
                    "instance",
                    "must be hub/group/project: three names without spaces, like 'ibm-q/open/main'",
                ) from None
        if not supported(spec.channel):
            raise RefusedError(
                self.key,
                f"the installed qiskit-ibm-runtime cannot load accounts of the channel {spec.channel!r} (account "
                f"{spec.name!r}); use an IBM Cloud API key (channel ibm_quantum_platform) instead",
            )
        if spec.channel == "ibm_quantum":
            base = unify_ibmq_url(spec.url or QX_AUTH_URL)[1]
            flow = self._legacy(base, spec.token, None)
        else:
            flow = self._iam(ibm_auth.iam_url(spec.url, self.settings.environ), spec.token)
        check = await ibm_auth.run_async(flow, timeout=self.settings.timeout, verify=spec.verify, proxies=spec.proxies)
        log.info("IBM Quantum: the key for account %r was accepted", spec.name)
        return check

    async def check_upload(self, filename: str, content: str) -> None:
        """Check every account of an uploaded qiskit-ibm.json with IBM before it is written (RefusedError or
        TransientProviderError otherwise). A qiskitrc (legacy tokens) is checked after it is imported, as before."""
        if self._kind(filename, content) != "json":
            return
        where = Path(Path(filename).name or "uploaded file")
        for name, entry in self._incoming_json(where, content).items():
            spec = IbmAccountSpec(
                name=name,
                channel=entry["channel"],
                token=entry["token"],
                url=entry.get("url"),
                verify=entry.get("verify") is not False,
                proxies=entry.get("proxies"),
            )
            self._checks[name] = await self.check_spec(spec)

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """Check each account with IBM before it is written; the check counts for the account written (same key),
        so saving it makes no second request."""
        for spec in specs:
            self._checks[spec.name] = await self.check_spec(spec)
        return list(specs)

    def save(self, specs: Sequence[Any]) -> list[str]:
        """Write checked accounts a person gave; a legacy account replaced by a current one leaves no qiskitrc
        section behind."""
        names: list[str] = []
        for spec in specs:
            section = self.rc_section_of(spec.name)
            names += self.materialize([spec], source="user", reinit=True)
            if section is not None and spec.channel != "ibm_quantum":
                self.drop_rc_section(section)
        return names

    def remember_check(self, name: str, check: AccountCheck) -> None:
        """The check made before writing counts for the account written (same key): no second request."""
        self._checks[name] = check

    def can_be_default(self, name: str) -> str | None:
        """Why ``name`` cannot be the default (the installed SDK refuses its channel), or None."""
        account = next((a for a in self._stores().accounts if a.name == name), None)
        if account is not None and not supported(account.channel):
            return unsupported_advice(account.name, account.channel) + " It was not made the default."
        return None

    def rc_section_of(self, name: str) -> str | None:
        """The qiskitrc section that is the same (legacy) account as ``name``, if any."""
        account = next((a for a in self._stores().accounts if a.name == name), None)
        return account.rc_entry.section if account is not None and account.rc_entry is not None else None

    def drop_rc_section(self, section: str) -> None:
        """Remove a qiskitrc section left behind by a legacy account that was replaced by a current one."""
        with self._locked():
            data, json_before, document, rc_before = self._load_for_write(False)
            if document.remove_section(section):
                self._save(data, json_before, document, rc_before)
                log.info("removed [%s] from %s: its account was replaced", section, self.qiskitrc_path)

    def remove(self, name: str) -> list[Path]:
        """Take account ``name`` out of qiskit-ibm.json and qiskitrc (every other entry, field, section and
        comment stays); returns the files it was removed from."""
        removed: list[Path] = []
        with self._locked():
            stores = self._stores()
            if stores.errors:
                raise stores.errors[0]
            account = next((a for a in stores.accounts if a.name == name), None)
            if account is None:
                raise QCredError(
                    f"IBM Quantum has no account named {name!r} in {self.json_path} or {self.qiskitrc_path}."
                )
            data, json_before, document, rc_before = self._load_for_write(False)
            if account.in_json and name in data:
                del data[name]
                removed.append(self.json_path)
            if account.rc_entry is not None and document.remove_section(account.rc_entry.section):
                removed.append(self.qiskitrc_path)
            self._save(data, json_before, document, rc_before)
        self._checks.pop(name, None)
        self.remembered.accepted(self.key, name)
        self._sources.pop(name, None)
        log.info("IBM Quantum account %r removed from %s", name, ", ".join(str(path) for path in removed))
        return removed
