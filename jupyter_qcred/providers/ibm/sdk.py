"""What the installed qiskit-ibm-runtime accepts, read from its source rather than assumed from a version number.

qiskit-ibm-runtime 0.40 still loaded ``ibm_quantum`` (legacy) accounts; later versions raise
``InvalidAccountError`` for them. The channels an installed version accepts are the ``ChannelType`` literal of its
``accounts/account.py``; reading that file (without importing the SDK, which would import Qiskit) tells us which
saved accounts ``QiskitRuntimeService`` can load here.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path

#: Channels that are not accounts a person saves (``local`` is the SDK's simulator mode).
_NOT_ACCOUNTS = frozenset({"local"})


@functools.cache
def runtime_channels() -> frozenset[str] | None:
    """The account channels the installed qiskit-ibm-runtime accepts, or None when it is not installed (or its
    source cannot be read): then no account is flagged, since we cannot know."""
    try:
        spec = importlib.util.find_spec("qiskit_ibm_runtime")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    try:
        source = (Path(spec.origin).parent / "accounts" / "account.py").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    statement = _channel_statement(source)
    if statement is not None:
        return channels_in(statement)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return channels_in(tree)


def _channel_statement(source: str) -> ast.Module | None:
    """The top-level ``ChannelType`` statement alone, parsed from the shortest run of lines from its first line that
    parses (a server's start reads this file: parsing all of it costs milliseconds, one statement microseconds); None
    when there is no such line or it does not parse alone (then the caller parses the whole file)."""
    match = re.search(r"^ChannelType\b", source, re.MULTILINE)
    if match is None:
        return None
    lines = source[match.start() :].split("\n", 40)[:40]
    for end in range(1, len(lines) + 1):
        try:
            tree = ast.parse("\n".join(lines[:end]))
        except SyntaxError:
            continue
        except ValueError:
            return None
        return tree if channels_in(tree) is not None else None
    return None


def channels_in(tree: ast.Module) -> frozenset[str] | None:
    """The string literals of the module's ``ChannelType`` alias (``Literal[...]``, optional or not)."""
    for node in tree.body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "ChannelType" and value is not None:
            found = {
                item.value for item in ast.walk(value) if isinstance(item, ast.Constant) and isinstance(item.value, str)
            }
            return frozenset(found - _NOT_ACCOUNTS) or None
    return None


def unsupported_advice(name: str, channel: str) -> str:
    """What a person does about an account the installed SDK refuses (never a secret: names and channels only)."""
    return (
        f"IBM Quantum account {name!r} uses the channel {channel!r}, which the installed qiskit-ibm-runtime no longer "
        "accepts (QiskitRuntimeService cannot load it). Re-initialize it with an IBM Cloud API key (channel "
        "ibm_quantum_platform), or remove it."
    )
