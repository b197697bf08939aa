"""``jupyter qcred scan``: credential values in a tree of notebooks and text files, before a commit or a share.

Three kinds of finding, strongest first (an occurrence is reported once, as the strongest kind that matches it):

- ``current``: a value the SDK files hold now (:class:`~.secrets.SecretIndex`, exact match and its encodings);
- ``rotated``: a value rotated away within the last 90 days (:class:`~.rotated.RotatedValues`: every token-shaped run
  of the text is hashed and looked up, since only hashes are kept);
- ``format``: a token of one of the clouds' public formats (each provider's ``token_formats()``): an IBM Cloud API
  key, a QCS or Nexus JWT by its issuer, an IonQ key where it is assigned... which may be someone else's.

Notebooks (nbformat JSON) are read per cell: the source and each output, reported as ``file:cell N:line L`` and
``file:cell N:output M:line L``; other files as ``file:line L``. A finding never holds the value: only its kind, the
provider, the credential's name when known and the last four characters.

What is not read: files larger than :data:`MAX_BYTES`, binary files (a NUL byte in the first 8 KiB), anything git
ignores when the folder is in a git work tree (``git ls-files``: tracked and untracked-not-ignored files), and
otherwise the folders of :data:`SKIPPED_DIRS` and virtual environments (a ``pyvenv.cfg``). Files named on the
command line are always read (pre-commit passes the staged files). Knows nothing of Jupyter nor of any one cloud.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .rotated import RotatedValues
from .secrets import SecretIndex, TokenFormat

#: Files larger than this are not read (a data file, a model's weights).
MAX_BYTES = 5 * 1024 * 1024
#: Folders never walked into when git does not say what to read (tools' caches, installed packages, checkpoints).
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        ".ipynb_checkpoints",
        "site-packages",
    }
)
KINDS = ("current", "rotated", "format")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One credential value found (never the value: its last four characters at most)."""

    path: str
    line: int
    kind: str
    provider: str
    description: str
    name: str | None = None
    cell: int | None = None
    output: int | None = None
    tail: str = ""

    @property
    def place(self) -> str:
        """``file:cell N:output M:line L`` (the parts that apply)."""
        parts = [self.path]
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.output is not None:
            parts.append(f"output {self.output}")
        parts.append(f"line {self.line}")
        return ":".join(parts)

    def sentence(self) -> str:
        tail = f" …{self.tail}" if self.tail else ""
        return f"{self.place}: {self.kind}: {self.description}{tail} ({self.provider})"

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "place": self.place}


@dataclasses.dataclass
class Result:
    findings: list[Finding] = dataclasses.field(default_factory=list)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    #: (path, reason) of what was not read.
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    #: How the files were listed, per path given: "git" (git ls-files) or "walk".
    listing: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [finding.to_json() for finding in self.findings],
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "skipped": [{"path": path, "reason": reason} for path, reason in self.skipped],
            "listing": self.listing,
        }


def _random_looking(token: str) -> bool:
    """Whether a token of a public format looks generated (letters and digits): a placeholder such as
    ``IONQ_API_KEY = "your-api-key-here"`` or ``"second-key-value"`` is not somebody's key. Only for formats: a
    current or rotated value is matched exactly, whatever it looks like."""
    return any(char.isdigit() for char in token) and any(char.isalpha() for char in token)


#: A line holding this is a sample on purpose (detect-secrets' spelling, which linters already know): a token of
#: a public format there is not reported. A current or rotated value is reported wherever it is.
ALLOW = "pragma: allowlist secret"


def _allowed(text: str, offset: int) -> bool:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return ALLOW in text[start : end if end >= 0 else len(text)]


def _tail(token: str) -> str:
    return token[-4:] if len(token) >= 16 else ""


class Scanner:
    """The matchers, built once for a whole scan."""

    def __init__(
        self,
        index: SecretIndex | None,
        rotated: RotatedValues | None,
        formats: Iterable[TokenFormat],
        title: Callable[[str], str] = str,
    ) -> None:
        self.index = index
        self.rotated = rotated
        self.title = title
        #: Each distinct pattern once (QCS and Nexus share the JWT one), with the formats that use it.
        self.formats: dict[str, tuple[re.Pattern[str], list[TokenFormat]]] = {}
        for fmt in formats:
            self.formats.setdefault(fmt.pattern, (re.compile(fmt.pattern), []))[1].append(fmt)
        if index is not None:
            index.current()

    def text(self, text: str) -> list[tuple[int, str, str, str | None, str, str]]:
        """(offset, kind, provider, name, description, tail) of every finding in ``text``, in order."""
        found: list[tuple[int, int, str, str, str | None, str, str]] = []

        def free(start: int, end: int) -> bool:
            return not any(s < end and start < e for s, e, *_ in found)

        if self.index is not None:
            for secret, start, end in self.index.find(text):
                what = f"{secret.title} {secret.kind} ‘{secret.name}’"
                found.append((start, end, "current", secret.provider, secret.name, what, _tail(secret.value)))
        if self.rotated is not None:
            for entry, start, end in self.rotated.find(text):
                if free(start, end):
                    provider = str(entry.get("provider"))
                    day = str(entry.get("rotated_at", ""))[:10]
                    what = f"{self.title(provider)} {entry.get('kind')} ‘{entry.get('name')}’, rotated away on {day}"
                    found.append((start, end, "rotated", provider, entry.get("name"), what, _tail(text[start:end])))
        for pattern, fmts in self.formats.values():
            group = "token" if "token" in pattern.groupindex else 0
            for match in pattern.finditer(text):
                token, start, end = match.group(group), match.start(group), match.end(group)
                fmt = next((f for f in fmts if f.check is None or f.check(token)), None)
                if (
                    token
                    and fmt is not None
                    and _random_looking(token)
                    and free(start, end)
                    and not _allowed(text, start)
                ):
                    found.append((start, end, "format", fmt.provider, None, fmt.description, _tail(token)))
        found.sort()
        return [(start, kind, provider, name, what, tail) for start, _, kind, provider, name, what, tail in found]


def _findings(scanner: Scanner, text: str, path: str, **where: int | None) -> Iterator[Finding]:
    hits = scanner.text(text)
    if not hits:
        return
    for offset, kind, provider, name, what, tail in hits:
        yield Finding(
            path,
            text.count("\n", 0, offset) + 1,
            kind,
            provider,
            what,
            name,
            where.get("cell"),
            where.get("output"),
            tail,
        )


def _strings(node: Any) -> Iterator[str]:
    """The texts inside an output or metadata: strings, and lists of strings joined (nbformat splits text in lines)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        if node and all(isinstance(item, str) for item in node):
            yield "".join(node)
        else:
            for item in node:
                yield from _strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def scan_notebook(scanner: Scanner, notebook: dict[str, Any], path: str) -> list[Finding]:
    found: list[Finding] = []
    for number, cell in enumerate(notebook.get("cells") or [], start=1):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source")
        text = "".join(source) if isinstance(source, list) else str(source or "")
        found += _findings(scanner, text, path, cell=number)
        for index, output in enumerate(cell.get("outputs") or [], start=1):
            for piece in _strings(output):
                found += _findings(scanner, piece, path, cell=number, output=index)
        for piece in _strings(cell.get("metadata") or {}):
            found += _findings(scanner, piece, path, cell=number)
    for piece in _strings(notebook.get("metadata") or {}):
        found += _findings(scanner, piece, path)
    return found


def scan_file(scanner: Scanner, path: str, result: Result) -> None:
    """Read one file (when it is a regular text file of at most MAX_BYTES) and add what it holds to ``result``."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            result.skipped.append((path, "not a regular file"))
            return
        if info.st_size > MAX_BYTES:
            result.skipped.append((path, f"larger than {MAX_BYTES // (1024 * 1024)} MB"))
            return
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        result.skipped.append((path, f"could not be read ({exc.strerror or type(exc).__name__})"))
        return
    if b"\0" in data[:8192]:
        result.skipped.append((path, "binary"))
        return
    result.files += 1
    result.bytes += len(data)
    text = data.decode("utf-8", errors="replace")
    if path.endswith(".ipynb"):
        try:
            notebook = json.loads(text)
        except ValueError:
            notebook = None
        if isinstance(notebook, dict) and isinstance(notebook.get("cells"), list):
            result.findings += scan_notebook(scanner, notebook, path)
            return
    result.findings += _findings(scanner, text, path)


def _git_files(folder: str) -> list[str] | None:
    """The files git would commit under ``folder`` (tracked, and untracked but not ignored), or None when it is not
    in a git work tree (or git is missing)."""
    try:
        listed = subprocess.run(
            ["git", "-C", folder, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if listed.returncode != 0:
        return None
    names = dict.fromkeys(name for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if name)
    return [os.path.join(folder, name) if folder != "." else name for name in names]


def _walk(folder: str, result: Result) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        kept = []
        for name in sorted(dirs):
            inside = os.path.join(root, name)
            if name in SKIPPED_DIRS or os.path.exists(os.path.join(inside, "pyvenv.cfg")):
                result.skipped.append(
                    (inside, "a virtual environment" if name not in SKIPPED_DIRS else "skipped folder")
                )
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            yield os.path.join(root, name)


def scan(paths: Iterable[str], scanner: Scanner, *, use_git: bool = True) -> Result:
    """Scan files and folders (see the module docstring)."""
    result = Result()
    began = time.perf_counter()
    for given in paths:
        if os.path.isdir(given):
            listed = _git_files(given) if use_git else None
            result.listing[given] = "walk" if listed is None else "git"
            for path in listed if listed is not None else _walk(given, result):
                if listed is not None and not os.path.lexists(path):
                    continue  # tracked but deleted in the work tree
                scan_file(scanner, path, result)
        else:
            scan_file(scanner, given, result)
    result.seconds = time.perf_counter() - began
    return result
