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


def shown_rows(widget: Any) -> list[Any]:
    """The Remove rows a person sees: those of the open sections."""
    return [
        row for section in widget.body.children if section in widget.sections.values() for row in section.rows.children
    ]


def test_widget_remove_asks_in_place_then_removes(home: Path, secret_scanner) -> None:
    from jupyter_qcred.notebook.backend import Session
    from jupyter_qcred.notebook.feed import StatusFeed
    from jupyter_qcred.notebook.widget import CredentialsWidget

    session = Session()
    widget = CredentialsWidget(session, StatusFeed(session), session.status())
    try:

        def row(name: str) -> Any:
            (found,) = [r for r in shown_rows(widget) if name in r.children[0].value]
            return found

        # IBM needs action (the legacy account), so it is open and first; QCS, all well, is one line; then the
        # clouds not set up, one line each.
        ibm, qcs = widget.sections["ibm"], widget.sections["qcs"]
        assert list(widget.body.children)[:2] == [ibm, qcs]
        for section in list(widget.body.children)[2:]:
            assert not section.expanded and "not set up" in section.line.value, section.line.value
        assert ibm.expanded and not qcs.expanded and qcs.rows.children == ()
        qcs.toggle.click()  # open it, as a person would
        assert [r.children[1].description for r in shown_rows(widget)] == ["Remove"] * 3
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
        # All well now: IBM folds to one line by itself; QCS stays open as the person left it.
        wait_for(lambda: not ibm.expanded, what="the IBM section to fold")
        assert "data-health='ok'" in ibm.line.value and ">OK<" in ibm.line.value
        assert qcs.expanded and "data-state='ok'" in qcs.details.value
        ibm.toggle.click()
        assert "data-state='ok'" in ibm.details.value and "healthy" not in ibm.details.value
        wait_for(lambda: len(shown_rows(widget)) == 2, what="the removed row to go")
        shown = "".join(s.line.value + s.details.value for s in widget.sections.values())
        secret_scanner.saw("widget", shown + widget.message.value)
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


def test_widget_folds_what_is_well_and_opens_what_needs_action(home: Path, sandbox) -> None:
    """A person's fold holds while the provider is well; once it needs action, it opens by itself and comes first."""
    from support.helpers import stored_qcs_payload

    from jupyter_qcred.notebook.backend import Session
    from jupyter_qcred.notebook.feed import StatusFeed
    from jupyter_qcred.notebook.widget import CredentialsWidget

    session = Session()
    widget = CredentialsWidget(session, StatusFeed(session), session.status())
    try:
        qcs = widget.sections["qcs"]
        assert not qcs.expanded and qcs.details.value == ""
        line = html.unescape(qcs.line.value)
        assert "<b>Rigetti QCS</b> · " in line and ">profile default<" in line and ">OK<" in line, line
        assert "expires in 59 min" in line or "expires in 60 min" in line, line
        qcs.toggle.click()
        assert qcs.expanded and qcs.toggle.tooltip == "Hide Rigetti QCS" and "Access token" in qcs.details.value
        qcs.toggle.click()
        assert not qcs.expanded and qcs.toggle.tooltip == "Show Rigetti QCS"

        refresh_token = stored_qcs_payload((home / ".qcs/secrets.toml").read_text())["refresh_token"]
        sandbox.revoke(refresh_token=refresh_token)
        widget.refresh_button.click()
        wait_for(lambda: qcs.expanded, what=f"the QCS section to open by itself (shows {qcs.line.value!r})")
        assert list(widget.body.children)[:2] in ([widget.sections["ibm"], qcs], [qcs, widget.sections["ibm"]])
        assert "data-health='action'" in qcs.line.value and "needs_reinit" in qcs.details.value
        assert [s for s in widget.body.children if s.expanded] == list(widget.body.children)[:2], "action first"
    finally:
        widget.close()
