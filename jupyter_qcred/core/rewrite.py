"""Text and Python source with the credential values taken out (the save guard's edits, :mod:`..server.saveguard`).

Two ways out, chosen by where the value sits:

- in a Python string literal (``token = "…"``, ``QiskitRuntimeService(token="…")``): the literal becomes a call that
  reads the value from the SDK's files when the code runs, ``jupyter_qcred.credential("ibm", "name", kind="key")``,
  and ``import jupyter_qcred`` is added if the code lacks it. The code still works, for its author and for anyone who
  runs it with their own credential of that name; the saved text holds no value;
- anywhere else (a comment, markdown, a text file, an f-string or bytes literal, code that does not tokenize):
  the value becomes its label, ``<IBM Quantum key ‘name’ …abcd>``, which says what was there without showing it.

Knows nothing of Jupyter nor of any cloud: it takes the matches of a :class:`~.secrets.SecretIndex`.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from typing import NamedTuple

from .secrets import Secret

Find = Callable[[str], list[tuple[Secret, int, int]]]

#: The module the replacement calls live in (``import jupyter_qcred`` is cheap: extension points only).
IMPORT_LINE = "import jupyter_qcred"
_IMPORTED = re.compile(r"^\s*import\s+(?:[\w.]+\s*,\s*)*jupyter_qcred\s*(?:,|#|$)", re.MULTILINE)
#: Lines that must stay first: a shebang, an encoding declaration, a cell magic.
_FIRST = re.compile(r"^(#!|#.*coding[:=]|%%)")


class Hit(NamedTuple):
    """One value taken out: whose, on which line (1-based) of the original text, and how ("call" or "label")."""

    secret: Secret
    line: int
    how: str


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def call_for(secret: Secret) -> str:
    """The expression that reads ``secret`` from the SDK's files when the code runs."""
    return f"jupyter_qcred.credential({secret.provider!r}, {secret.name!r}, kind={secret.kind!r})"


def labelled(text: str, find: Find) -> tuple[str, list[Hit]]:
    """``text`` with every value replaced by its label."""
    hits = find(text)
    if not hits:
        return text, []
    parts: list[str] = []
    last = 0
    for secret, start, end in hits:
        parts += [text[last:start], secret.label()]
        last = end
    parts.append(text[last:])
    return "".join(parts), [Hit(secret, line_of(text, start), "label") for secret, start, _ in hits]


def _strings(text: str) -> list[tuple[int, int, bool]] | None:
    """The string literals of ``text`` as (start, end, alone): ``alone`` when no other literal is next to it
    (implicit concatenation ``"a" "b"`` cannot take a call in place of one part). None if it does not tokenize."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(position: tuple[int, int]) -> int:
        row, col = position
        return starts[row - 1] + col if row - 1 < len(starts) else len(text)

    skip = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}  # NEWLINE ends a statement
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in skip]
    except (tokenize.TokenError, SyntaxError):
        return None
    found = []
    for index, token in enumerate(tokens):
        if token.type == tokenize.STRING:
            before = tokens[index - 1].type if index else None
            after = tokens[index + 1].type if index + 1 < len(tokens) else None
            alone = tokenize.STRING not in (before, after)
            found.append((offset(token.start), offset(token.end), alone))
    return found


def _as_call(literal: str, secrets: list[Secret]) -> str | None:
    """The expression replacing a plain string literal holding ``secrets`` (None: f-string, bytes, or a literal
    that does not evaluate to what the values were found in)."""
    prefix = literal[: len(literal) - len(literal.lstrip("rRuUbBfF"))]
    if set(prefix.lower()) & {"b", "f"}:
        return None
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return None
    if not isinstance(value, str):
        return None
    by_value = {secret.value: secret for secret in secrets}
    pattern = re.compile("|".join(re.escape(v) for v in sorted(by_value, key=len, reverse=True)))
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(value):
        if match.start() > last:
            parts.append(repr(value[last : match.start()]))
        parts.append(call_for(by_value[match.group()]))
        last = match.end()
    if last == 0:
        return None
    if last < len(value):
        parts.append(repr(value[last:]))
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def _with_import(text: str) -> str:
    """``text`` with ``import jupyter_qcred`` after what must stay first (a cell magic, a shebang or encoding line,
    a module docstring, ``from __future__`` imports)."""
    if _IMPORTED.search(text):
        return text
    lines = text.splitlines(keepends=True)
    at = 0
    while at < len(lines) and at < 2 and _FIRST.match(lines[at]):
        at += 1
    try:
        body = ast.parse(text).body
    except SyntaxError:
        body = []
    for node in body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is body[0]
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        at = max(at, node.end_lineno or at)
    if at and at <= len(lines) and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines.insert(at, IMPORT_LINE + "\n")
    return "".join(lines)


def python(text: str, find: Find) -> tuple[str, list[Hit]]:
    """Python source with each value in a plain string literal replaced by a call to
    :func:`jupyter_qcred.credential` (and the import added), every other value by its label.

    A literal becomes a call only when everything found in it is a bare value (an encoded form, say base64 of
    ``user:token``, stays in the text as a label) and it stands alone (not part of ``"a" "b"``)."""
    hits = find(text)
    if not hits:
        return text, []
    literals = _strings(text) or []
    groups: dict[tuple[int, int] | None, list[tuple[Secret, int, int]]] = {}
    for secret, start, end in hits:
        literal = next(((s, e) for s, e, alone in literals if s <= start and end <= e and alone), None)
        groups.setdefault(literal, []).append((secret, start, end))
    edits: list[tuple[int, int, str]] = []
    found: list[Hit] = []
    for literal, inside in groups.items():
        call = None
        if literal is not None and all(secret.value == text[s:e] for secret, s, e in inside):
            call = _as_call(text[literal[0] : literal[1]], [secret for secret, _, _ in inside])
        if literal is not None and call is not None:
            edits.append((literal[0], literal[1], call))
            found += [Hit(secret, line_of(text, s), "call") for secret, s, _ in inside]
        else:
            edits += [(s, e, secret.label()) for secret, s, e in inside]
            found += [Hit(secret, line_of(text, s), "label") for secret, s, _ in inside]
    result = text
    for start, end, new in sorted(edits, reverse=True):
        result = result[:start] + new + result[end:]
    if any(hit.how == "call" for hit in found):
        result = _with_import(result)
    found.sort(key=lambda hit: hit.line)
    return result, found
