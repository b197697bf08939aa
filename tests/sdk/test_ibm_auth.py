"""The real qiskit-ibm-runtime authenticates through the sandbox with the account jupyter_qcred saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.helpers import SecretScanner
from support.ibm import legacy, platform, provider

from jupyter_qcred.sandbox.client import Sandbox


def test_real_sdk_authenticates_with_our_saved_account(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, secret_scanner: SecretScanner
) -> None:
    from qiskit_ibm_runtime import QiskitRuntimeService

    monkeypatch.setenv("IAM_URL", sandbox.iam_url)
    monkeypatch.setenv("QISKIT_FUNCTIONS_EXPERIMENTAL", "1")
    creds = sandbox.ibm_credentials("alice")
    secret_scanner.add_secrets(creds["apikey"], creds["legacy_token"])
    ibm = provider(tmp_path)
    ibm.materialize(
        [
            platform(sandbox, creds["apikey"], creds["instance"], name="sandbox-alice", default=True),
            legacy(sandbox, creds["legacy_token"], name="old-legacy"),
        ],
        source="bundle",
    )
    filename = str(tmp_path / ".qiskit/qiskit-ibm.json")
    service = QiskitRuntimeService(name="sandbox-alice", filename=filename)
    assert sorted(b.name for b in service.backends()) == ["ibm_sandbox_fez", "ibm_sandbox_torino"]
    default_service = QiskitRuntimeService(filename=filename)  # is_default_account picks ours
    assert default_service.active_account()["instance"] == creds["instance"]
    log = sandbox.log()
    assert log[0]["endpoint"] == "iam"
    assert all(e["status"] == 200 and e["user"] == "alice" for e in log)
