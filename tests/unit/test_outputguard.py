"""The kernel output filter's parts that need no kernel (``notebook/outputguard.py``): what a message becomes, that
the caller's objects are never changed, the switches, and installing once. The real kernels are in
``tests/server/test_outputguard.py``."""

from __future__ import annotations

import copy
import types
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.core.secrets import Secret, SecretIndex
from jupyter_qcred.notebook import outputguard

VALUE = "Zq9-value-of-the-output-guard-test-01"


class OneValue:
    def watched_paths(self) -> list[Path]:
        return []

    def secret_values(self) -> list[Secret]:
        return [Secret(VALUE, "ibm", "IBM Quantum", "main", "API key", None)]


class FakeSession:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, Any, Any]] = []

    def send(self, stream: Any, msg_or_type: Any, content: Any = None, parent: Any = None, **kw: Any) -> None:
        self.sent.append((msg_or_type, content, parent))


@pytest.fixture
def guard() -> outputguard.OutputGuard:
    reports: list[tuple[str, str, str]] = []
    found = outputguard.OutputGuard(lambda: SecretIndex([OneValue()]), lambda *args: reports.append(args))
    found.reports = reports  # type: ignore[attr-defined]
    return found


def test_every_string_of_a_message_is_redacted_and_the_callers_objects_stay_as_they_were(
    guard: outputguard.OutputGuard,
) -> None:
    content = {
        "data": {"text/plain": f"'{VALUE}'", "text/html": f"<i>{VALUE}</i>", "application/json": {VALUE: [VALUE]}},
        "metadata": {},
        "transient": {"display_id": "x"},
    }
    before = copy.deepcopy(content)
    redacted = guard.redact(content, "cell-1")
    assert content == before
    assert VALUE not in repr(redacted)
    assert redacted["data"]["text/plain"] == "'<IBM Quantum API key ‘main’ …t-01>'"
    assert redacted["data"]["text/html"] == "<i>&lt;IBM Quantum API key ‘main’ …t-01&gt;</i>"
    assert redacted["transient"] is content["transient"]  # untouched parts are not copied
    quiet = {"name": "stdout", "text": "nothing secret here"}
    assert guard.redact(quiet) is quiet


def test_the_session_sends_the_redacted_message_once_installed(guard: outputguard.OutputGuard) -> None:
    session = FakeSession()
    assert guard.install(session) is True
    assert guard.install(session) is False  # idempotent: one wrapper
    session.send(None, "stream", {"name": "stdout", "text": VALUE}, {"header": {"msg_id": "cell-1"}})
    message = {"msg_type": "stream", "content": {"text": VALUE}, "parent_header": {"msg_id": "cell-1"}}
    session.send(None, message)
    assert VALUE not in repr(session.sent)
    assert message["content"]["text"] == VALUE  # the caller's message object is not modified


def test_a_credential_is_reported_once_per_cell(guard: outputguard.OutputGuard) -> None:
    from support.helpers import wait_until

    for cell in ("cell-1", "cell-1", "cell-2"):
        guard.redact({"text": VALUE}, cell)
    reports = guard.reports  # type: ignore[attr-defined]
    wait_until(lambda: len(reports) == 2, timeout=10, what="two reports")
    assert reports == [("ibm", "main", "kernel output"), ("ibm", "main", "kernel output")]


def test_an_index_that_cannot_be_built_lets_the_kernel_run() -> None:
    def broken() -> SecretIndex:
        raise RuntimeError("no HOME")

    guard = outputguard.OutputGuard(broken, None)
    content = {"text": VALUE}
    assert guard.redact(content) is content
    assert guard.problem == "RuntimeError: no HOME"


@pytest.mark.parametrize(("value", "on"), [("", True), ("on", True), ("off", False), ("0", False), ("False", False)])
def test_the_switch(value: str, on: bool) -> None:
    assert outputguard.enabled({outputguard.ENV: value}) is on


def test_the_hook_wraps_init_io_once_and_stays_out_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    class App:
        def init_io(self) -> None:
            self.io = True

    module = types.ModuleType("fake_kernelapp")
    module.IPKernelApp = App  # type: ignore[attr-defined]
    monkeypatch.setenv(outputguard.ENV, "off")
    assert outputguard.adapt(module).startswith("off")
    assert App.init_io.__name__ == "init_io" and not hasattr(App.init_io, "_qcred_output_guard")
    monkeypatch.delenv(outputguard.ENV)
    installed: list[Any] = []
    monkeypatch.setattr(outputguard, "install", lambda session: installed.append(session) or "active")
    assert outputguard.adapt(module) == "active"
    wrapped = App.init_io
    assert outputguard.adapt(module) == "active" and App.init_io is wrapped
    app = App()
    app.session = "the session"  # type: ignore[attr-defined]
    app.init_io()
    assert installed == ["the session"] and app.io  # type: ignore[attr-defined]
    assert outputguard.adapt(types.ModuleType("other")).startswith("stayed out")


def test_a_kernels_first_messages_do_not_wait_for_the_first_read_and_output_does() -> None:
    import threading

    release = threading.Event()

    def slow() -> SecretIndex:
        release.wait(10)
        return SecretIndex([OneValue()])

    guard = outputguard.OutputGuard(slow, None)
    session = FakeSession()
    guard.install(session)
    session.send(None, "status", {"execution_state": "starting"})
    session.send(None, {"header": {"msg_type": "kernel_info_reply"}, "content": {"banner": "IPython"}})
    assert len(session.sent) == 2  # sent at once, while the values are still being read
    output = threading.Thread(target=session.send, args=(None, "stream", {"name": "stdout", "text": VALUE}))
    output.start()
    output.join(0.2)
    assert output.is_alive() and len(session.sent) == 2  # output waits for the values...
    release.set()
    output.join(10)
    assert VALUE not in repr(session.sent[2])  # ...and leaves without them
