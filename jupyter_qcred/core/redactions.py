"""Notices of credential values kept out of files and outputs: the panel's "1 key kept out of analysis.ipynb".

The save guard (server), the kernels' output filter (through ``POST qcred/redactions``) and any other view report
through :meth:`CredentialService.record_redaction`, which is :func:`record_redaction` here (a service method that
lives in its own module, as ``import_file`` does). The notices are kept in the server's memory only, per provider,
newest first, at most :data:`KEEP` each, and appear in the status JSON as ``redactions``; they name the credential
and the place, never the value (which nobody who reads the status needs, and which must never travel again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .states import isoformat, utcnow

if TYPE_CHECKING:
    from .service import CredentialService

#: Notices kept per provider (newest first).
KEEP = 20
#: What was kept out: a notebook's outputs, a notebook's or script's source, a plain text file, a kernel's output.
WHATS = ("output", "source", "file", "kernel output")
#: What was done: the value replaced (``redacted``), the save refused, or saved as it was and reported (``warned``).
ACTIONS = ("redacted", "refused", "warned")
MAX_NAME = 200
MAX_WHERE = 1024


def notice_sentence(count: int, where: str, what: str, action: str) -> str:
    """The one line the panel shows ("1 key kept out of the outputs of analysis.ipynb"): which part of the file
    says what happened (an output now shows a label; code now reads the value from the SDK files)."""
    keys = f"{count} key{'' if count == 1 else 's'}"
    place = {"output": f"the outputs of {where}", "source": f"the code of {where}"}.get(what, where)
    if what == "kernel output":  # a kernel not started for a notebook reports no path
        place = "a kernel's output" if where == "kernel output" else f"the output of {where}"
    if action == "refused":
        return f"{where} was not saved: it holds {keys}"
    if action == "warned":
        return f"{keys} left in {place} (the save guard only warns)"
    return f"{keys} kept out of {place}"


class Redactions:
    """The recent notices of one server (thread-safe: the save guard may run in the contents manager's thread);
    ``changed()`` publishes the status after each one, so open panels show it at once."""

    def __init__(self, changed: Callable[[], None] = lambda: None) -> None:
        self._changed = changed
        self._lock = threading.Lock()
        self._notices: dict[str, list[dict[str, Any]]] = {}

    def add(self, provider: str, name: str, where: str, what: str, action: str, count: int = 1) -> dict[str, Any]:
        """Record one notice (a repeat of the same credential, place and kind replaces the older one, so an
        autosave every two minutes does not push every other notice out) and publish the status."""
        notice = {
            "name": name,
            "where": where,
            "what": what,
            "action": action,
            "at": isoformat(utcnow()),
            "count": count,
            "notice": notice_sentence(count, where, what, action),
        }
        with self._lock:
            kept = [
                old
                for old in self._notices.get(provider, [])
                if (old["name"], old["where"], old["what"]) != (name, where, what)
            ]
            self._notices[provider] = [notice, *kept][:KEEP]
        self._changed()
        return dict(notice)

    def records(self, providers: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """The status JSON's ``redactions``: every enabled provider's notices, newest first (an empty list when
        none)."""
        with self._lock:
            return {key: [dict(notice) for notice in self._notices.get(key, [])] for key in providers}


def _text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"Field {field!r} is required: a non-empty string.")
    if len(value) > limit:
        raise InputError(f"Field {field!r} is longer than {limit} characters.")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise InputError(f"Field {field!r} holds control characters.")
    return value


def record_redaction(
    self: CredentialService,
    provider: str,
    name: str,
    where: str,
    what: str,
    action: str = "redacted",
    count: int = 1,
) -> dict[str, Any]:
    """Record that ``count`` values of ``provider``'s credential ``name`` were kept out of (or, with ``action``
    ``warned``, left in) ``where``: a notice in the status and the ``secret_redacted`` event (the action observers).
    The inputs are checked (a kernel reports them): a known provider, short texts without control characters."""
    provider = self.provider(provider)
    name = _text("name", name, MAX_NAME)
    where = _text("where", where, MAX_WHERE)
    if what not in WHATS:
        raise InputError(f"Field 'what' must be one of: {', '.join(WHATS)}.")
    if action not in ACTIONS:
        raise InputError(f"Field 'action' must be one of: {', '.join(ACTIONS)}.")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1_000_000:
        raise InputError("Field 'count' must be a whole number from 1 to 1000000.")
    notice = self.manager.redactions.add(provider, name, where, what, action, count)
    details = {"provider": provider, "name": name, "where": where, "what": what, "action": action, "count": count}
    self._notify("secret_redacted", details)
    return notice
