"""The one rule of "action needed" (``jupyter_qcred.core.states``) and the views that read it: the status table
(``core.report``), the CLI's exit code (``cli.commands.exit_code``) and the widget's HTML say the same for each state
(the panel's side is in labextension/src/__tests__/health.spec.ts and tests/browser/test_panel_story.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from jupyter_qcred.cli.commands import exit_code
from jupyter_qcred.cli.help import EXIT_ATTENTION, EXIT_NONE, EXIT_OK
from jupyter_qcred.core.report import format_status
from jupyter_qcred.core.states import CredentialStatus, State, summary
from jupyter_qcred.notebook.widget import render_credential

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def failed_refresh(minutes_left: float) -> CredentialStatus:
    """An IBM account whose last refresh got an IAM 500, its token valid for ``minutes_left`` more minutes."""
    return CredentialStatus(
        provider="ibm",
        name="default",
        state=State.ERROR,
        expires_at=NOW + timedelta(minutes=minutes_left),
        error="IBM Cloud IAM answered HTTP 500.",
        failures=6,
        retry_at=NOW + timedelta(seconds=40),
        last_refresh={"outcome": "failed", "at": "2026-12-06T11:59:00Z", "error": "HTTP 500"},
    )


@pytest.mark.parametrize(
    ("state", "needed"),
    [
        (State.OK, False),
        (State.EXPIRING, False),
        (State.REFRESHING, False),
        (State.ABSENT, False),
        (State.EXPIRED, True),
        (State.NEEDS_REINIT, True),
        (State.UNSUPPORTED, True),
        (State.ERROR, True),
    ],
)
def test_each_state_needs_action_or_not(state: State, needed: bool) -> None:
    entry = CredentialStatus(provider="ibm", name="x", state=state).to_json(NOW)
    assert entry["action_needed"] is needed and entry["retrying"] is False
    code = exit_code([entry])
    assert code == (EXIT_ATTENTION if needed else EXIT_NONE if state == State.ABSENT else EXIT_OK)


def test_a_failed_refresh_with_59_minutes_left_is_calm_everywhere() -> None:
    entry = failed_refresh(59).to_json(NOW)
    assert entry["action_needed"] is False and entry["retrying"] is True
    assert exit_code([entry]) == EXIT_OK  # `jupyter qcred status`
    assert exit_code([entry], refreshed=True) == EXIT_ATTENTION  # `jupyter qcred refresh`: the asked refresh failed
    snapshot = {"providers": [entry], "logins": [], "summary": summary([entry])}
    assert snapshot["summary"]["action_needed"] is False
    table = format_status(snapshot, NOW)
    row = next(line for line in table.splitlines() if line.startswith("IBM Quantum"))
    assert "retrying" in row and "ERROR" not in row
    assert "(retrying; the token is valid for 59 min)" in table
    html = render_credential(entry)
    assert ">retrying</span>" in html and "Retrying; the token is valid for" in html
    assert "#c62828" not in html and "#ef6c00" not in html  # neither red nor the error's orange


def test_a_failed_refresh_without_time_left_needs_action() -> None:
    entry = failed_refresh(-1).to_json(NOW)
    assert entry["action_needed"] is True and entry["retrying"] is False
    assert exit_code([entry]) == EXIT_ATTENTION
    assert "ERROR" in format_status({"providers": [entry]}, NOW)


def test_a_failed_refresh_nobody_retries_is_not_called_retrying() -> None:
    """A one-shot CLI call schedules no retry: it never promises one, and its failure is an error."""
    status = failed_refresh(59)
    status.retry_at = None
    entry = status.to_json(NOW)
    assert entry["retrying"] is False and entry["action_needed"] is True
    assert "retrying" not in format_status({"providers": [entry]}, NOW)


def test_the_summary_counts_what_needs_a_person() -> None:
    legacy = CredentialStatus(provider="ibm", name="legacy", state=State.UNSUPPORTED, error="unsupported").to_json(NOW)
    fine = CredentialStatus(provider="qcs", name="default", state=State.OK).to_json(NOW)
    assert summary([fine])["action_needed"] is False
    assert summary([fine])["message"] == "All quantum credentials are usable."
    both = summary([fine, legacy])
    assert both["action_needed"] is True and both["count"] == 1
    assert both["message"] == "1 quantum credential needs your attention."
    assert summary([CredentialStatus(provider="qcs", name=None, state=State.ABSENT).to_json(NOW)])["message"] == (
        "No quantum credentials are configured."
    )


def test_warnings_are_lines_of_the_table_and_of_the_widget() -> None:
    warning = "/home/a/.qiskit/qiskit-ibm.json can be read by other users: run chmod 600 on it."
    entry = CredentialStatus(provider="ibm", name="default", state=State.OK, warnings=[warning]).to_json(NOW)
    table = format_status({"providers": [entry], "logins": []}, NOW)
    assert f"note: IBM Quantum default: {warning}" in table.splitlines()
    assert exit_code([entry]) == EXIT_OK  # a warning is calm
    assert "chmod 600" in render_credential(entry)


def test_the_documented_table_is_the_one_the_code_makes() -> None:
    from pathlib import Path

    from jupyter_qcred.cli.attention import markdown

    api = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    assert markdown() in api, "run: python -m jupyter_qcred.cli.attention (and paste it into docs/api.md)"
    assert "| `unsupported` | yes | Unsupported | Quantum: action needed |" in api
    assert "| `error (retrying, token still valid)` | no | Retrying | Quantum: OK |" in api


def test_the_widget_lists_no_hub_group_project_for_an_account_nobody_can_use() -> None:
    instances = [{"hub": "ibm-q", "group": "open", "project": "main", "default": True}]
    account = {"channel": "ibm_quantum", "instances": instances}
    usable = CredentialStatus(provider="ibm", name="legacy", state=State.OK, account=account).to_json(NOW)
    refused = CredentialStatus(provider="ibm", name="legacy", state=State.UNSUPPORTED, account=account).to_json(NOW)
    assert "ibm-q/open/main" in render_credential(usable)
    assert "ibm-q/open/main" not in render_credential(refused)
