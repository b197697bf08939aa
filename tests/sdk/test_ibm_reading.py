"""An IBM Cloud account saved without an instance: the status says what the real qiskit-ibm-runtime does with it.

Under the sandbox (``QISKIT_FUNCTIONS_EXPERIMENTAL`` set, as in the demo) the SDK does not search the account's
instances and ``QiskitRuntimeService(...).backends()`` is empty ("Invalid instance None"): the status must then be
action needed with a sentence that says to choose an instance, never ok. With the instance, both are fine. Ran with
the installed qiskit-ibm-runtime (0.51.0 when written).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from support.ibm import platform, provider

from jupyter_qcred.core.states import State
from jupyter_qcred.providers.ibm.sdk import NO_INSTANCE_SEARCH, runtime_version
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(180)


def sdk_backends(home: Path, name: str) -> list[str]:
    """What the real SDK finds for the saved account ``name`` (the environment is the test's, set by monkeypatch)."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    service = QiskitRuntimeService(name=name, filename=str(home / ".qiskit" / "qiskit-ibm.json"))
    return sorted(backend.name for backend in service.backends())


@pytest.mark.slow
def test_an_account_without_instance_is_action_needed_when_the_sdk_finds_no_backend(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_env = {"IAM_URL": sandbox.iam_url, NO_INSTANCE_SEARCH: "1"}
    for key, value in demo_env.items():
        monkeypatch.setenv(key, value)
    creds = sandbox.ibm_credentials("bob")
    ibm = provider(tmp_path, env=demo_env)
    with_instance = platform(sandbox, creds["apikey"], creds["instance"], name="chosen", default=True)
    without = dataclasses.replace(platform(sandbox, creds["apikey"], "", name="no-instance"), instance=None)
    ibm.materialize([with_instance, without], source="token")

    said: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    sdk_log = logging.getLogger("qiskit_ibm_runtime")  # it does not propagate: listen to it directly
    sdk_log.addHandler(handler)
    try:
        assert sdk_backends(tmp_path, "no-instance") == [], "the SDK finds nothing without an instance here"
    finally:
        sdk_log.removeHandler(handler)
    assert "Invalid instance None" in said
    assert sdk_backends(tmp_path, "chosen") == ["ibm_sandbox_fez", "ibm_sandbox_torino"]

    statuses = {s.name: s for s in ibm.read()}
    assert statuses["chosen"].state == State.OK and not statuses["chosen"].action_needed()
    blocked = statuses["no-instance"]
    assert blocked.action_needed(), blocked
    assert blocked.error and blocked.error.startswith("Choose an instance for IBM Quantum account 'no-instance'")
    assert f"qiskit-ibm-runtime {runtime_version()}" in blocked.error
    assert creds["apikey"] not in blocked.error

    # A check with IAM (the key is fine) does not make it look usable.
    checked = ibm.refresh_sync("no-instance", force=True)
    assert checked.action_needed() and checked.error == blocked.error

    # Where the SDK searches the account's instances (the real IBM Cloud), it picks one itself (and warns about it
    # itself): usable. The SDK is not run here: it would ask IBM Cloud's Global Search.
    searching = {s.name: s for s in provider(tmp_path, env={"IAM_URL": sandbox.iam_url}).read()}["no-instance"]
    assert searching.state == State.OK and not searching.action_needed()
