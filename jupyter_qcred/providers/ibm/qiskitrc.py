"""``~/.qiskit/qiskitrc``: the legacy IBM Quantum provider's INI file, read strictly and edited losslessly.

The original provider rewrote the whole file with ``configparser`` (dropping comments and every section it did not
understand), dropped ``verify = False``, wrote hub-specific URLs it could not parse back, crashed with a raw
``SyntaxError`` on a bad ``proxies`` value, and wrote in place with mode 0644. Here:

- reading uses ``configparser`` (case preserved, no interpolation) and turns every problem into a
  :class:`~jupyter_qcred.core.errors.FileFormatError` naming the file, the section and the line, never a value;
- writing edits the text line by line: only the options of the sections we set change, so comments, blank lines,
  foreign sections and unknown keys survive byte for byte; the result is re-parsed and checked before it is used;
- the caller writes it with :func:`jupyter_qcred.core.files.atomic_write` under :func:`jupyter_qcred.core.files.locked`.

This module says what the sections mean (credentials, preferences, section names and values);
:class:`~jupyter_qcred.providers.shared.rcdocument.RcDocument` (importable from here too) parses and edits the text.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

from ...core.errors import FieldError, FileFormatError
from ..shared.rcdocument import RcDocument
from .credentials import Credentials, HubGroupProject, InvalidHubGroupProjectError

SECTION_PREFIX = "ibmq"
PREFERENCES_SECTION = "ibmq.preferences"
#: Keys a credentials section may hold that the legacy ``Credentials`` understands.
CREDENTIAL_KEYS = ("token", "url", "websockets_url", "hub", "group", "project", "proxies", "verify", "default_provider")
#: Keys we rewrite when we set a section (``hub``/``group``/``project`` are expressed by the URL and
#: ``default_provider`` instead, so stale ones are removed).
MANAGED_KEYS = ("token", "url", "proxies", "verify", "default_provider", "hub", "group", "project")
#: Preference values the original converts (everything else stays a string).
_BOOLEAN_PREFERENCES = {("experiment", "auto_save")}


@dataclasses.dataclass
class RcEntry:
    """One credentials section of a qiskitrc."""

    section: str
    credentials: Credentials
    #: Keys the legacy provider does not know; kept verbatim.
    extra: dict[str, str]

    @property
    def name(self) -> str:
        """The account name shown for a qiskitrc-only entry: ``qiskitrc`` or ``qiskitrc:hub/group/project``."""
        if self.section == SECTION_PREFIX:
            return "qiskitrc"
        if self.credentials.is_ibmq():
            return f"qiskitrc:{self.credentials.unique_id().to_stored_format()}"
        return f"qiskitrc:{self.section}"

    @property
    def instance(self) -> HubGroupProject | None:
        """The hub/group/project this entry uses: its URL's, else its ``default_provider``."""
        if self.credentials.is_ibmq():
            return self.credentials.unique_id()
        return self.credentials.default_provider


@dataclasses.dataclass
class Qiskitrc:
    """A parsed qiskitrc: its credentials sections in file order and its preferences."""

    path: Path
    document: RcDocument
    entries: list[RcEntry]
    preferences: dict[HubGroupProject, dict[str, dict[str, Any]]]

    @property
    def default_provider(self) -> HubGroupProject | None:
        """The stored default provider (from ``[ibmq]`` first, else the first section that has one)."""
        ordered = sorted(self.entries, key=lambda entry: entry.section != SECTION_PREFIX)
        return next((e.credentials.default_provider for e in ordered if e.credentials.default_provider), None)

    def entry(self, section: str) -> RcEntry | None:
        """The entry of ``section``, if any."""
        return next((entry for entry in self.entries if entry.section == section), None)


def _literal(document: RcDocument, section: str, key: str, raw: str) -> Any:
    try:
        return ast.literal_eval(raw)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise FileFormatError(
            document.path,
            f"section [{section}]: {key!r} is not a Python literal such as "
            "{'urls': {'https': 'http://proxy.example:8080'}}",
            document.line_of(section, key),
        ) from None


def _proxies(document: RcDocument, section: str, raw: str) -> dict[str, Any]:
    value = _literal(document, section, "proxies", raw)
    line = document.line_of(section, "proxies")
    if not isinstance(value, dict):
        raise FileFormatError(document.path, f"section [{section}]: 'proxies' must be a dict", line)
    urls = value.get("urls")
    if urls is not None and (
        not isinstance(urls, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in urls.items())
    ):
        raise FileFormatError(
            document.path, f"section [{section}]: 'proxies' has 'urls' that are not a dict of strings", line
        )
    return value


def _parsed(document: RcDocument, section: str, key: str, expected: str, parse: Any, value: str) -> Any:
    """``parse(value)``, or the file's error naming the section, key and line when the value does not parse."""
    try:
        return parse(value)
    except (ValueError, InvalidHubGroupProjectError):
        raise FileFormatError(
            document.path, f"section [{section}]: {key!r} must be {expected}", document.line_of(section, key)
        ) from None


def _entry(document: RcDocument, section: str) -> RcEntry:
    raw = document.values(section)
    for key in ("token", "url"):
        if not raw.get(key):
            raise FileFormatError(document.path, f"section [{section}] has no {key!r}", document.line_of(section, key))
    configs: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for key, value in raw.items():
        if key == "proxies":
            configs[key] = _proxies(document, section, value)
        elif key == "verify":
            configs[key] = _parsed(document, section, key, "true or false", document.parser[section].getboolean, key)
        elif key == "default_provider":
            configs[key] = _parsed(
                document, section, key, "hub/group/project", HubGroupProject.from_stored_format, value
            )
        elif key in CREDENTIAL_KEYS:
            configs[key] = value
        else:
            extra[key] = value
    return RcEntry(section, Credentials(**configs), extra)


def _preferences(document: RcDocument) -> dict[HubGroupProject, dict[str, dict[str, Any]]]:
    """``[ibmq.preferences]`` keys ``hub/group/project,category,key``; malformed keys are ignored, as before."""
    preferences: dict[HubGroupProject, dict[str, dict[str, Any]]] = {}
    for key, value in document.values(PREFERENCES_SECTION).items():
        parts = key.split(",")
        if len(parts) != 3:
            continue
        try:
            hgp = HubGroupProject.from_stored_format(parts[0])
        except InvalidHubGroupProjectError:
            continue
        converted: Any = value.lower() == "true" if (parts[1], parts[2]) in _BOOLEAN_PREFERENCES else value
        preferences.setdefault(hgp, {}).setdefault(parts[1], {})[parts[2]] = converted
    return preferences


def parse_qiskitrc(text: str, path: Path) -> Qiskitrc:
    """Parse a qiskitrc's text; raises FileFormatError naming ``path``, the section and the line."""
    document = RcDocument(text, path)
    preferences = _preferences(document)
    entries = []
    for section in document.sections():
        if section.startswith(SECTION_PREFIX) and section != PREFERENCES_SECTION:
            entry = _entry(document, section)
            hgp = entry.instance
            if hgp is not None:
                entry.credentials.preferences = preferences.get(hgp, {})
            entries.append(entry)
    return Qiskitrc(path, document, entries, preferences)


def section_name(credentials: Credentials, hub_specific: bool) -> str:
    """``ibmq`` or ``ibmq_<hub>_<group>_<project>`` (the original's names)."""
    if hub_specific and credentials.is_ibmq():
        return "{}_{}_{}_{}".format(SECTION_PREFIX, *credentials.unique_id().to_tuple())
    return SECTION_PREFIX


def section_values(credentials: Credentials, *, hub_specific: bool) -> dict[str, str | None]:
    """The options to set for ``credentials`` (None removes a key).

    ``verify = False`` is kept (the original dropped it); ``verify = True`` is the default and is left out. A
    hub-specific section carries the hub in its URL (``/Network/`` form, which we read back); an ``[ibmq]`` section
    keeps the bare URL and names the hub in ``default_provider``, like ``IBMQ.save_account`` does.
    """
    proxies = None
    if credentials.proxies:
        proxies = repr(credentials.proxies)
        try:
            same = ast.literal_eval(proxies) == credentials.proxies
        except (ValueError, SyntaxError):
            same = False
        if not same:
            raise FieldError("qiskitrc", "proxies", "must hold only strings, numbers, booleans, lists and dicts")
    if hub_specific and credentials.is_ibmq():
        url = credentials.url
        default = credentials.default_provider
    else:
        url = credentials.base_url
        default = credentials.default_provider or (credentials.unique_id() if credentials.is_ibmq() else None)
    return {
        "token": credentials.token,
        "url": url,
        "proxies": proxies,
        "verify": None if credentials.verify else "False",
        "default_provider": default.to_stored_format() if default else None,
        "hub": None,
        "group": None,
        "project": None,
    }
