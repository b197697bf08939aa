"""jupyter_qcred.core.sentences: the one sentence an operation's answer gives every view."""

from __future__ import annotations

from jupyter_qcred.core.sentences import outcome_of
from jupyter_qcred.core.states import CredentialStatus

NEEDS_INSTANCE = "Choose an instance for IBM Quantum account 'second': it names none."


def test_a_saved_credential_that_needs_action_is_not_simply_done() -> None:
    fine = CredentialStatus("ibm", "main", "ok", last_refresh={"outcome": "ok"})
    needs = CredentialStatus("ibm", "second", "error", error=NEEDS_INSTANCE, last_refresh={"outcome": "ok"})

    result = outcome_of([fine, needs], "Checked and saved.")
    assert result["outcome"] == "ok", "it was saved: the dialog closes"
    assert result["attention"] is True
    assert result["message"] == f"Checked and saved. {NEEDS_INSTANCE}"

    plain = outcome_of([fine], "Checked and saved.")
    assert plain == {"outcome": "ok", "message": "Checked and saved.", "credentials": plain["credentials"]}
