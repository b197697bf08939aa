"""A lossless ``KEY=VALUE`` file (``.env``, qnexus's config): keys we set are edited in place, every other line is
kept as it was."""

from __future__ import annotations

import re

from ...core.errors import FieldError
from ...core.validation import line_problem

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
#: The line ends python-dotenv knows (it reads in text mode: ``\r\n``, ``\r`` and ``\n``); ``str.splitlines``
#: would also break on ``\x0b``, ``\x85``, ``\u2028``..., which python-dotenv keeps inside a value, so a line we
#: kept "as is" could become a new assignment when we write the file back.
_NEWLINE = re.compile(r"\r\n|\r|\n")


class LineFile:
    """A ``KEY=VALUE`` file (python-dotenv's format, as far as we write it): keys we set are replaced in place,
    every other line (comments, other keys, ``export``) is kept byte for byte.

    A value we write is one line python-dotenv reads back as exactly that value: a value that could end the line or
    the quotes early (a line break, a control character, a quote, a backslash) is refused with a
    :class:`FieldError` naming ``where`` and the key, before anything is written.
    """

    def __init__(self, text: str | None, where: str = "the .env file") -> None:
        self.where = where
        self.lines = _NEWLINE.split(text or "")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()

    def get(self, key: str) -> str | None:
        """The value of ``key`` as python-dotenv reads it (the last assignment wins; quotes removed)."""
        value = None
        for line in self.lines:
            match = _LINE.match(line)
            if match and match.group(1) == key:
                value = _unquote(match.group(2))
        return value or None

    def set(self, key: str, value: str | None) -> None:
        """Set (or with None, remove) ``key``: the first assignment is replaced, later ones removed."""
        written = None if value is None else f"{key}={self._quote(key, value)}"
        kept: list[str] = []
        done = False
        for line in self.lines:
            match = _LINE.match(line)
            if match and match.group(1) == key:
                if written is not None and not done:
                    kept.append(written)
                done = True
                continue
            kept.append(line)
        if written is not None and not done:
            kept.append(written)
        self.lines = kept

    def text(self) -> str:
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def _quote(self, key: str, value: str) -> str:
        """The value as python-dotenv reads it back unchanged: bare when it is plain, else in single quotes (no
        ``${VAR}`` expansion, no escapes); what neither can hold is refused (see :func:`line_problem`)."""
        problem = line_problem(value)
        if problem:
            raise FieldError(self.where, key, problem)
        if re.fullmatch(r"[A-Za-z0-9_./:@+=-]*", value):
            return value
        return f"'{value}'"


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw.split(" #", 1)[0].strip()
