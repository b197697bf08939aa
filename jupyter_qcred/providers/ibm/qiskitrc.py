"""``~/.qiskit/qiskitrc``: the legacy IBM Quantum provider's INI file, read strictly and edited losslessly.

The original provider rewrote the whole file with ``configparser`` (dropping comments and every section it did not
understand), dropped ``verify = False``, wrote hub-specific URLs it could not parse back, crashed with a raw
``SyntaxError`` on a bad ``proxies`` value, and wrote in place with mode 0644. Here:

- reading uses ``configparser`` (case preserved, no interpolation) and turns every problem into a
  :class:`~jupyter_qcred.core.errors.FileFormatError` naming the file, the section and the line, never a value;
- writing edits the text line by line: only the options of the sections we set change, so comments, blank lines,
  foreign sections and unknown keys survive byte for byte; the result is re-parsed and checked before it is used;
- the caller writes it with :func:`jupyter_qcred.core.files.atomic_write` under :func:`jupyter_qcred.core.files.locked`.
"""

from __future__ import annotations

import ast
import configparser
import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...core.errors import FieldError, FileFormatError, QCredError
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
_NO_DEFAULT_SECTION = "\x00no-default-section"
_SECTCRE = configparser.RawConfigParser.SECTCRE
_OPTCRE = configparser.RawConfigParser.OPTCRE
_NONSPACE = re.compile(r"\S")


def _parser() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, default_section=_NO_DEFAULT_SECTION, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep case, like the original
    return parser


def _split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` kept, split exactly where ``configparser.read_string`` splits."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


@dataclasses.dataclass
class _Option:
    key: str
    start: int  # index of the option's first line
    end: int  # index after its last continuation line


@dataclasses.dataclass
class _Section:
    name: str
    header: int
    end: int
    options: list[_Option]


def _scan(lines: list[str]) -> list[_Section]:
    """Where sections and options are, following ``RawConfigParser._read`` (default comment prefixes)."""
    sections: list[_Section] = []
    option: _Option | None = None
    indent_level = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        match = _NONSPACE.search(line)
        indent = match.start() if match else 0
        if sections and option is not None and indent > indent_level:
            option.end = index + 1
            sections[-1].end = index + 1
            continue
        indent_level = indent
        header = _SECTCRE.match(stripped)
        if header:
            if sections:
                sections[-1].end = index
            sections.append(_Section(header.group("header"), index, index + 1, []))
            option = None
            continue
        if not sections:
            continue  # configparser reports this (MissingSectionHeaderError) before we get here
        opt = _OPTCRE.match(stripped)
        if opt:
            option = _Option(opt.group("option").rstrip(), index, index + 1)
            sections[-1].options.append(option)
    if sections:
        sections[-1].end = len(lines)
    return sections


def _check_value(key: str, value: str) -> str:
    """A value we write must read back identically: one line, no surrounding spaces, not empty."""
    if not isinstance(value, str) or not value or "\n" in value or "\r" in value or value != value.strip():
        raise FieldError(
            "qiskitrc", key, "must be a non-empty single line without leading or trailing spaces to be stored"
        )
    return value


class RcDocument:
    """The lines of a qiskitrc, parsed and checked, that can set sections' options without touching anything else."""

    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.lines = _split_lines(text)
        self.parser = self._parse(text)
        sections = _scan(self.lines)
        layout = [(s.name, sorted({o.key for o in s.options})) for s in sections]
        expected = [(name, sorted(self.parser[name].keys())) for name in self.parser.sections()]
        if layout != expected:
            raise FileFormatError(path, "has a layout this tool cannot edit safely (an unusual indentation?)")

    def _parse(self, text: str) -> configparser.ConfigParser:
        parser = _parser()
        try:
            parser.read_string(text, source=str(self.path))
        except configparser.MissingSectionHeaderError as exc:
            raise FileFormatError(self.path, "has settings before the first [section] header", exc.lineno) from None
        except configparser.DuplicateSectionError as exc:
            raise FileFormatError(self.path, f"has the section [{exc.section}] twice", exc.lineno) from None
        except configparser.DuplicateOptionError as exc:
            raise FileFormatError(
                self.path, f"section [{exc.section}] has the key {exc.option!r} twice", exc.lineno
            ) from None
        except configparser.ParsingError as exc:
            # The exception's text quotes the bad lines, which may hold a token: keep only the line number.
            line = exc.errors[0][0] if exc.errors else None
            detail = "is not a valid INI file (a line is neither a [section] header nor key = value)"
            raise FileFormatError(self.path, detail, line) from None
        except configparser.Error:
            raise FileFormatError(self.path, "is not a valid INI file") from None
        return parser

    @property
    def text(self) -> str:
        """The current text."""
        return "".join(self.lines)

    def sections(self) -> list[str]:
        """Section names in file order."""
        return self.parser.sections()

    def values(self, section: str) -> dict[str, str]:
        """A section's raw values (strings as configparser reads them)."""
        return dict(self.parser[section].items()) if self.parser.has_section(section) else {}

    def line_of(self, section: str, key: str | None = None) -> int | None:
        """1-based line of a section header or of one of its keys, for error messages."""
        for found in _scan(self.lines):
            if found.name == section:
                if key is None:
                    return found.header + 1
                for option in found.options:
                    if option.key == key:
                        return option.start + 1
                return found.header + 1
        return None

    def set_section(self, section: str, values: Mapping[str, str | None]) -> None:
        """Set (str) or remove (None) options of ``section``, creating it at the end if needed.

        Lines of other options, comments and other sections are kept as they are; the result is re-parsed and
        checked so a write can never change more than asked.
        """
        for key, value in values.items():
            if value is not None:
                _check_value(key, value)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        before = {name: self.values(name) for name in self.sections() if name != section}
        expected = self.values(section)
        for key, value in values.items():
            if value is None:
                expected.pop(key, None)
            else:
                expected[key] = value
        found = next((s for s in _scan(self.lines) if s.name == section), None)
        if found is None:
            new = [f"{key} = {value}\n" for key, value in values.items() if value is not None]
            if self.lines and self.lines[-1].strip():
                self.lines.append("\n")
            self.lines.extend([f"[{section}]\n", *new])
        else:
            self._edit(found, values)
        self.parser = self._parse(self.text)
        after = {name: self.values(name) for name in self.sections() if name != section}
        if before != after or self.values(section) != expected:
            raise QCredError(f"Editing {self.path} would have changed more than section [{section}]; nothing written.")

    def _edit(self, found: _Section, values: Mapping[str, str | None]) -> None:
        starts = {option.start: option for option in found.options}
        body: list[str] = []
        done: set[str] = set()
        after_last_option = 0
        index = found.header + 1
        while index < found.end:
            option = starts.get(index)
            if option is None:
                body.append(self.lines[index])
                index += 1
                continue
            if option.key in values:
                value = values[option.key]
                if value is not None:
                    body.append(f"{option.key} = {value}\n")
                done.add(option.key)
            else:
                body.extend(self.lines[option.start : option.end])
            after_last_option = len(body)
            index = option.end
        body[after_last_option:after_last_option] = [
            f"{key} = {value}\n" for key, value in values.items() if key not in done and value is not None
        ]
        self.lines[found.header + 1 : found.end] = body


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
            try:
                configs[key] = document.parser[section].getboolean("verify")
            except ValueError:
                raise FileFormatError(
                    document.path,
                    f"section [{section}]: 'verify' must be true or false",
                    document.line_of(section, key),
                ) from None
        elif key == "default_provider":
            try:
                configs[key] = HubGroupProject.from_stored_format(value)
            except InvalidHubGroupProjectError:
                raise FileFormatError(
                    document.path,
                    f"section [{section}]: 'default_provider' must be hub/group/project",
                    document.line_of(section, key),
                ) from None
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
