"""IBM accounts from outside the stores: a qiskit-ibm.json or qiskitrc the user uploads, merged into ours, and the
accounts the SDKs' environment variables define (a source like the spawn bundle)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ...core.errors import FieldError, FileFormatError, QCredError, UploadRefusedError
from ...core.validation import web_url
from . import accounts_json as ibm_json
from .credentials import QX_AUTH_URL, HubGroupProject, InvalidHubGroupProjectError
from .qiskitrc import PREFERENCES_SECTION, parse_qiskitrc
from .spec import DEFAULT_IBM_NAMES, IBM_CHANNELS, IbmAccountSpec
from .writing import IbmWriting

log = logging.getLogger("jupyter_qcred.ibm")
#: IBM's own domains (the SDKs' defaults live there): keys go there without asking.
IBM_DOMAINS = ("ibm.com",)


class IbmImporting(IbmWriting):
    """Adds :meth:`import_file` (through :class:`IbmWriting`'s locked writes) and :meth:`environment_specs`."""

    @staticmethod
    def _kind(filename: str, content: str) -> str:
        lowered = Path(filename).name.lower()
        if lowered.endswith(".json"):
            return "json"
        if "qiskitrc" in lowered or lowered.endswith((".ini", ".rc", ".cfg")):
            return "qiskitrc"
        return "json" if content.lstrip().startswith("{") else "qiskitrc"

    def upload_names(self, filename: str, content: str) -> list[str]:
        """The accounts an upload holds, validated completely (nothing is written): FileFormatError otherwise."""
        where = Path(Path(filename).name or "uploaded file")
        if self._kind(filename, content) == "json":
            return list(self._incoming_json(where, content))
        incoming = parse_qiskitrc(content, where)
        if not incoming.entries:
            raise FileFormatError(where, "holds no [ibmq] section")
        return [entry.name for entry in incoming.entries]

    def upload_hosts(self, filename: str, content: str) -> list[str]:
        """The hosts an uploaded file's accounts would send their keys to (``url``, the IAM host the SDK derives from
        it, ``proxies``) that are neither IBM's nor used by our accounts now; a ``url`` that is not https (or http
        on loopback) is refused. An upload's accounts always bring their own token, so no existing key moves."""
        where = Path(Path(filename).name or "uploaded file")
        wanted: set[str] = set()
        for name, url, legacy, proxies in self._upload_destinations(where, filename, content):
            if not web_url(url):
                raise UploadRefusedError(
                    f"The uploaded {where.name} sets the url of {name!r} to an address that is not https (or http "
                    "on this computer only): the IBM SDKs send your API key there; nothing was written. Fix that "
                    "url in the file and upload it again."
                )
            wanted |= self._destinations(url, legacy, proxies)
        try:
            accounts = self.accounts()
        except QCredError:
            accounts = []
        in_use: set[str] = set()
        for account in accounts:
            url = account.url or (QX_AUTH_URL if account.legacy else ibm_json.IBM_CLOUD_URL)
            in_use |= self._destinations(url, account.legacy, account.proxies)
        from ...core.hosts import new_hosts

        return new_hosts(wanted, in_use, IBM_DOMAINS)

    def _upload_destinations(
        self, where: Path, filename: str, content: str
    ) -> list[tuple[str, str, bool, dict[str, Any] | None]]:
        """(account, url, legacy, proxies) of each account of an upload (validated as :meth:`upload_names` does)."""
        if self._kind(filename, content) == "json":
            found = []
            for name, entry in self._incoming_json(where, content).items():
                legacy = entry["channel"] == "ibm_quantum"
                url = entry.get("url") or (QX_AUTH_URL if legacy else ibm_json.IBM_CLOUD_URL)
                found.append((name, url, legacy, entry.get("proxies")))
            return found
        return [
            (entry.name, entry.credentials.url, True, entry.credentials.proxies or None)
            for entry in parse_qiskitrc(content, where).entries
        ]

    def _destinations(self, url: str, legacy: bool, proxies: dict[str, Any] | None) -> set[str]:
        """The hosts a key goes to: the account's URL, the IAM host the SDK derives from it (current channels,
        unless ``IAM_URL`` says where), and its proxies."""
        from ...core.hosts import host_of
        from . import auth as ibm_auth

        hosts = {host_of(url)}
        if not legacy:
            hosts.add(host_of(ibm_auth.iam_url(url, self.settings.environ)))
        urls = proxies.get("urls") if isinstance(proxies, dict) else None
        if isinstance(urls, dict):
            hosts |= {host_of(value) for value in urls.values() if isinstance(value, str)}
        return hosts

    def import_file(self, filename: str, content: str, *, make_default: bool = False) -> list[str]:
        """Merge an uploaded qiskit-ibm.json or qiskitrc: validated completely first, then merged account by
        account (same names replaced, everything else kept). The file's ``is_default_account`` counts only with
        ``make_default`` (which also makes its first account the default when it marks none)."""
        where = Path(Path(filename).name or "uploaded file")
        if self._kind(filename, content) == "json":
            return self._import_json(where, content, make_default)
        return self._import_qiskitrc(where, content)

    def _incoming_json(self, where: Path, content: str) -> dict[str, dict[str, Any]]:
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
        return incoming

    def _import_json(self, where: Path, content: str, make_default: bool = False) -> list[str]:
        incoming = self._incoming_json(where, content)
        defaults = [name for name, entry in incoming.items() if entry.get("is_default_account")]
        if len(defaults) > 1:
            raise FileFormatError(where, "marks more than one account as is_default_account")
        if make_default and not defaults:
            defaults = [next(iter(incoming))]
        with self._locked():
            data, json_before, document, rc_before = self._load_for_write(False)
            for name, entry in incoming.items():
                kept = data.get(name, {}).get("is_default_account")
                data[name] = {key: value for key, value in entry.items() if key != "is_default_account"}
                if kept:
                    data[name]["is_default_account"] = True
            for name in defaults if make_default else []:
                ibm_json.set_default_account(data, name)
            self._save(data, json_before, document, rc_before)
        for name in incoming:
            self._sources[name] = "file"
        return list(incoming)

    def _import_qiskitrc(self, where: Path, content: str) -> list[str]:
        incoming = parse_qiskitrc(content, where)
        if not incoming.entries:
            raise FileFormatError(where, "holds no [ibmq] section")
        with self._locked():
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
