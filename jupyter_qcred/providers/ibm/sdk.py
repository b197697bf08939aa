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
from collections.abc import Mapping
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


#: With this variable set, qiskit-ibm-runtime does not search the IBM Cloud account's instances (Global Search): an
#: account without an instance then finds no backend ("Invalid instance None"). The demo's sandbox sets it.
NO_INSTANCE_SEARCH = "QISKIT_FUNCTIONS_EXPERIMENTAL"


@functools.cache
def runtime_version() -> str:
    """The installed qiskit-ibm-runtime's version, for sentences ("unknown" when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qiskit-ibm-runtime")
    except PackageNotFoundError:
        return "unknown"


def no_instance_advice(name: str, environ: Mapping[str, str]) -> str | None:
    """Why an IBM Cloud account without an instance finds no backend here, or None when the SDK picks one itself.

    Without an instance qiskit-ibm-runtime (0.40 and later) lists the account's instances with IBM Cloud's Global
    Search and picks one, free and trial plans first (it warns about that itself each time): usable. With
    :data:`NO_INSTANCE_SEARCH` set it does not search, so ``QiskitRuntimeService().backends()`` is empty ("Invalid
    instance None"): a person must choose an instance.
    """
    if not environ.get(NO_INSTANCE_SEARCH):
        return None
    return (
        f"Choose an instance for IBM Quantum account {name!r}: it names none, and qiskit-ibm-runtime "
        f"{runtime_version()} finds no backend without one here ({NO_INSTANCE_SEARCH} is set, so it does not "
        "search the account's instances). Add the key again with its instance CRN (IBM Cloud, Quantum, "
        "Instances) and replace this account."
    )
