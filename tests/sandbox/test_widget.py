"""The notebook widget on the files of a private HOME (no Jupyter server: the same service layer as ``jupyter qcred``),
against the sandbox: its Remove asks in place, then removes; a failed refresh shows as a failure."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any

import pytest
from support import private_home

pytestmark = pytest.mark.timeout(120)

# alice's credentials in a private HOME this process points at (tests/support/private_home.py).
home = private_home.home


def wait_for(condition: Any, timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_widget_remove_asks_in_place_then_removes(home: Path, secret_scanner) -> None:
    from jupyter_qcred.notebook.backend import Session
    from jupyter_qcred.notebook.feed import StatusFeed
    from jupyter_qcred.notebook.widget import CredentialsWidget

    session = Session()
    widget = CredentialsWidget(session, StatusFeed(session), session.status())
    try:

        def row(name: str) -> Any:
            (found,) = [r for r in widget.manage.children if name in r.children[0].value]
            return found

        assert [r.children[1].description for r in widget.manage.children] == ["Remove"] * 3
        row("legacy").children[1].click()
        question, confirm, cancel = row("legacy").children
        assert question.value == "Remove the IBM Quantum account legacy?"
        assert (confirm.description, cancel.description) == ("Remove", "Cancel")
        cancel.click()
        assert len(row("legacy").children) == 2, "Cancel withdraws the question"
        assert "legacy" in json.loads((home / ".qiskit/qiskit-ibm.json").read_text())

        row("legacy").children[1].click()
        row("legacy").children[1].click()  # the confirmation's Remove
        wait_for(
            lambda: "Removed the IBM Quantum account 'legacy'" in html.unescape(widget.message.value),
            what=f"the message (shows {widget.message.value!r})",
        )
        assert "legacy" not in json.loads((home / ".qiskit/qiskit-ibm.json").read_text())
        assert "data-state='ok'" in widget.body.value and "healthy" not in widget.body.value
        wait_for(lambda: len(widget.manage.children) == 2, what="the removed row to go")
        secret_scanner.saw("widget", widget.body.value + widget.message.value)
    finally:
        widget.close()


def test_widget_shows_a_failed_refresh_as_a_failure(home: Path, sandbox) -> None:
    from jupyter_qcred.notebook.backend import Session
    from jupyter_qcred.notebook.feed import StatusFeed
    from jupyter_qcred.notebook.widget import CredentialsWidget

    session = Session()
    widget = CredentialsWidget(session, StatusFeed(session), session.status())
    try:
        sandbox.fault("qcs_token", status=503)
        widget.refresh_button.click()
        shown = wait_for(
            lambda: "HTTP 503" in html.unescape(widget.message.value) and html.unescape(widget.message.value),
            what=f"the failure (shows {widget.message.value!r})",
        )
        assert "Refreshed." not in shown and "color:#c62828" in shown
        assert "retry" not in shown, "no server behind the widget: nothing retries, so nothing says it will"
    finally:
        widget.close()
