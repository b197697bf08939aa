"""The text of an INI file (a qiskitrc, an AWS config) as lines that can be edited without touching anything else
(:class:`RcDocument`).

``configparser`` reads the text (case preserved, no interpolation, strict) and every problem it finds becomes a
:class:`~jupyter_qcred.core.errors.FileFormatError` naming the file and the line, never a value. An edit rewrites only
the option lines of the section it sets, so comments, blank lines, foreign sections and unknown keys survive byte for
byte, and the result is parsed again and compared before it is kept. What the sections mean is the
business of the provider that edits the file (IBM's qiskitrc, Braket's AWS config).
"""

from __future__ import annotations

import configparser
import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

from ...core.errors import FieldError, FileFormatError, QCredError

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

    def remove_section(self, section: str) -> bool:
        """Remove ``section`` (its header up to the next header; other sections and their comments are kept).

        Returns whether it was there; the result is re-parsed and checked like :meth:`set_section`.
        """
        found = next((s for s in _scan(self.lines) if s.name == section), None)
        if found is None:
            return False
        before = {name: self.values(name) for name in self.sections() if name != section}
        del self.lines[found.header : found.end]
        self.parser = self._parse(self.text)
        after = {name: self.values(name) for name in self.sections()}
        if before != after:
            raise QCredError(f"Removing [{section}] from {self.path} would have changed more; nothing written.")
        return True

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
