"""The kernel output filter: no credential value of the user leaves a kernel in a message.

Every message an ipykernel kernel sends goes through one object: the ``Session`` that the kernel, its stdout/stderr
streams (``OutStream``), its display hook and display publisher and its comms share (ipykernel 6 and 7 alike). This
module replaces that session's ``send`` (an attribute of the instance: nothing else of the class changes) with one
that first replaces every current credential value in the message's content — stream text, the data of every
mimetype of ``display_data``/``execute_result``/``update_display_data``, ``error`` and ``execute_reply`` tracebacks,
``execute_input`` and ``history_reply`` code, ``inspect_reply`` data, widget state in ``comm_open``/``comm_msg``,
debugger replies — with its label (``<IBM Quantum API key ‘name’ …abcd>``). Binary buffers (a widget's bytes) are
sent as they are.

The values are read by the kernel itself from the SDK files through the registered providers
(:class:`~jupyter_qcred.core.secrets.SecretIndex`), re-read whenever one of those files changes (checked before every
message, a few ``stat`` calls), so a refresh opens no window in which the new token shows; values rotated away during
the kernel's life stay redacted. Matching is exact (a value, or its base64 forms), so no hash or identifier is ever
touched. What this cannot catch is said in :mod:`jupyter_qcred.core.secrets`.

It is installed in two ways, both idempotent:

- in EVERY ipykernel kernel of the environment, by the post-import hook of ``jupyter_qcred_adapters.pth``
  (:func:`adapt`, run when ``ipykernel.kernelapp`` is imported: the kernel's application then installs the guard as
  soon as its session exists, before any output);
- by ``%load_ext jupyter_qcred`` (:func:`load`), for a kernel started without the hook (``python -S``, another
  environment's interpreter running this package from ``PYTHONPATH``).

Switch: ``JUPYTER_QCRED_OUTPUT_GUARD=off`` (read when the kernel starts) turns it off in both ways, and is the only
switch: ``JUPYTER_QCRED_SDK_ADAPTERS=off`` switches the SDK adapters, never this safeguard.

Each redaction is reported to the Jupyter server that started the kernel (``POST qcred/redactions``: provider, name,
and the notebook's path from ``JPY_SESSION_NAME``, never the value), once per credential and cell, from a background
thread; a server without that endpoint, or none at all, is silently skipped.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.secrets import MIN_LENGTH

if TYPE_CHECKING:
    from types import ModuleType

    from ..core.secrets import Secret, SecretIndex

#: The environment variable that turns the filter off (``off``, ``0``, ``false``, ``no``).
ENV = "JUPYTER_QCRED_OUTPUT_GUARD"
#: The adapter's name for ``JUPYTER_QCRED_SDK_ADAPTERS``.
NAME = "outputguard"
_OFF = ("off", "0", "false", "no", "none")
_MARK = "_qcred_output_guard"


def enabled(environ: Any = None) -> bool:
    """Whether ``JUPYTER_QCRED_OUTPUT_GUARD`` lets the filter act (unset: yes)."""
    return (os.environ if environ is None else environ).get(ENV, "").strip().lower() not in _OFF


def default_index() -> SecretIndex:
    """The values of every registered provider, read from this process's ``$HOME`` (as the SDKs in this kernel read
    them), rotations remembered in the state folder."""
    from ..core.registry import create_providers
    from ..core.rotated import RotatedValues
    from ..core.secrets import SecretIndex
    from ..core.settings import Settings

    settings = Settings.from_environment()
    return SecretIndex(create_providers(settings).values(), RotatedValues.default(settings.environ, settings.home))


def report_redaction(provider: str, name: str, where: str) -> None:
    """Tell the server that started this kernel that a value of credential ``provider``/``name`` was kept out of
    ``where`` (``POST qcred/redactions``; the value is never sent). No server, no endpoint (404) or no answer:
    nothing happens."""
    from .backend import NotebookError, ServerBackend, ServerEndpoint

    endpoint = ServerEndpoint.from_environment()
    if endpoint is None:
        return
    try:
        body = {"provider": provider, "name": name, "where": where, "what": "kernel output"}
        ServerBackend(endpoint)._request("POST", "redactions", body)
    except NotebookError:  # 404 (a server without the endpoint), unavailable: the redaction itself happened
        return


class _Reporter:
    """Reports in a daemon thread (a send must never wait for HTTP), once per (provider, name) and cell."""

    def __init__(self, report: Callable[[str, str, str], None]) -> None:
        self._report = report
        self._seen: set[tuple[str, str, str]] = set()
        self._pending: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, secrets: list[Secret], cell: str) -> None:
        where = os.environ.get("JPY_SESSION_NAME") or "kernel output"
        with self._lock:
            for secret in secrets:
                key = (secret.provider, secret.name, cell)
                if key not in self._seen:
                    self._seen.add(key)
                    self._pending.append((secret.provider, secret.name, where))
            if not self._pending:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="qcred-redactions", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                pending, self._pending = self._pending, []
            for provider, name, where in pending:
                with contextlib.suppress(Exception):  # a courtesy: the output was redacted already
                    self._report(provider, name, where)


class OutputGuard:
    """Redacts message contents with a :class:`SecretIndex` built in a background thread (sends wait for it)."""

    def __init__(
        self,
        index: Callable[[], SecretIndex] = default_index,
        report: Callable[[str, str, str], None] | None = report_redaction,
    ) -> None:
        self._index: SecretIndex | None = None
        self._ready = threading.Event()
        self.problem: str | None = None
        self._report = _Reporter(report) if report is not None else None
        threading.Thread(target=self._build, args=(index,), name="qcred-outputguard", daemon=True).start()

    def _build(self, make: Callable[[], SecretIndex]) -> None:
        try:
            index = make()
            index.current()
            self._index = index
        except Exception as exc:  # a kernel must start whatever happens; the problem is kept for the status
            self.problem = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    @property
    def index(self) -> SecretIndex | None:
        """The index once built (waiting for it: the first message of a kernel waits for the first read)."""
        self._ready.wait()
        return self._index

    def redact(self, content: Any, cell: str = "") -> Any:
        """``content`` with every known value replaced by its label: the same object when nothing was found, a copy
        of the containers on the way to what changed otherwise (the caller's objects are never modified)."""
        index = self.index
        if index is None or (not index.current() and not index.recent):
            return content
        found: list[Secret] = []
        redacted = _walk(index, content, found)
        if found and self._report is not None:
            self._report(found, cell)
        return redacted

    def install(self, session: Any) -> bool:
        """Wrap ``session.send`` (once); whether it was wrapped now."""
        if getattr(session, _MARK, None) is not None:
            return False
        original = session.send

        def send(stream: Any, msg_or_type: Any, content: Any = None, parent: Any = None, *args: Any, **kw: Any) -> Any:
            if not self._ready.is_set() and _type(msg_or_type) in EARLY:
                pass  # a kernel's first messages carry no value: they need not wait for the first read of the files
            elif isinstance(msg_or_type, dict):
                redacted = self.redact(msg_or_type.get("content"), _cell(msg_or_type.get("parent_header")))
                if redacted is not msg_or_type.get("content"):
                    msg_or_type = {**msg_or_type, "content": redacted}
            elif content is not None:
                content = self.redact(content, _cell(parent))
            return original(stream, msg_or_type, content, parent, *args, **kw)

        session.send = send
        setattr(session, _MARK, self)
        return True


#: Messages that carry no credential value, sent before the first read of the files is done without waiting for it
#: (a kernel announces itself while the providers are being imported).
EARLY = frozenset({"status", "kernel_info_reply"})


def _type(msg_or_type: Any) -> str:
    if isinstance(msg_or_type, dict):
        header = msg_or_type.get("header")
        return str(header.get("msg_type") if isinstance(header, dict) else msg_or_type.get("msg_type"))
    return str(msg_or_type)


def _cell(parent: Any) -> str:
    """The id of the request a message answers (a cell's execution), from a parent message or header."""
    if not isinstance(parent, dict):
        return ""
    header = parent.get("header")
    return str((header if isinstance(header, dict) else parent).get("msg_id") or "")


#: Mimetypes whose text is markup: a label there is escaped (a bare ``<…>`` would be taken for a tag and hidden).
MARKUP = frozenset({"text/html", "image/svg+xml", "text/markdown"})


def _walk(index: SecretIndex, value: Any, found: list[Secret], html: bool = False) -> Any:
    if isinstance(value, str):
        if len(value) < MIN_LENGTH:
            return value
        text, hits = index.redact(value, refresh=False, html=html)
        found += hits
        return text
    if isinstance(value, dict):
        changed: dict[Any, Any] | None = None
        for key, item in value.items():
            markup = html or key in MARKUP
            new_key, new_item = _walk(index, key, found), _walk(index, item, found, markup)
            if new_key is not key or new_item is not item:
                if changed is None:
                    changed = dict(value)
                if new_key is not key:
                    del changed[key]
                changed[new_key] = new_item
        return value if changed is None else changed
    if isinstance(value, list | tuple):
        items = [_walk(index, item, found, html) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return type(value)(items) if isinstance(value, tuple) else items
        return value
    return value


# ----- installing ----------------------------------------------------------------------------------------------

_guard: OutputGuard | None = None
_guard_lock = threading.Lock()


def guard() -> OutputGuard:
    """This process's one guard (its index is built once, whichever way it was installed)."""
    global _guard
    with _guard_lock:
        if _guard is None:
            _guard = OutputGuard()
        return _guard


def install(session: Any) -> str:
    """Install the guard on a kernel's session unless switched off; what happened, as the adapters report it."""
    if not enabled():
        return f"off ({ENV}={os.environ.get(ENV, '')})"
    if session is None:
        return "stayed out: no kernel session"
    guard().install(session)
    return "active"


def load(ipython: Any) -> str:
    """``%load_ext jupyter_qcred``: install the guard on the kernel running ``ipython`` (nothing outside a kernel)."""
    kernel = getattr(ipython, "kernel", None)
    return install(getattr(kernel, "session", None)) if kernel is not None else "stayed out: not a kernel"


def adapt(module: ModuleType) -> str:
    """The post-import hook for ``ipykernel.kernelapp``: its ``IPKernelApp.init_io`` (which makes the streams that
    carry every ``print``, right after the session exists) installs the guard first."""
    if not enabled():
        return f"off ({ENV}={os.environ.get(ENV, '')})"
    app = getattr(module, "IPKernelApp", None)
    original = getattr(app, "init_io", None)
    if app is None or original is None:
        return "stayed out: ipykernel.kernelapp has no IPKernelApp.init_io"
    if getattr(original, _MARK, False):
        return "active"

    def init_io(self: Any) -> None:
        session = getattr(self, "session", None)
        if session is not None:
            install(session)
        original(self)

    setattr(init_io, _MARK, True)
    init_io.__doc__ = original.__doc__
    app.init_io = init_io
    return "active"
