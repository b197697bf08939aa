"""The real qiskit-ionq in a real kernel finds the IonQ key jupyter_qcred wrote into ~/.env (the rest of the IonQ
provider is in tests/sandbox/test_ionq.py)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel
from support.ionq import manager

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.slow


def test_qiskit_ionq_in_a_kernel_finds_the_key_we_wrote(tmp_path: Path, sandbox: Sandbox) -> None:
    """The real SDK, in a real IPython kernel working in a folder under the home: python-dotenv walks up to
    ``~/.env``; a job lookup reaches the stand-in with alice's key (404 for the job, not 401 for the key)."""
    pytest.importorskip("qiskit_ionq")
    home = tmp_path / "home"
    work = home / "projects" / "ionq"
    work.mkdir(parents=True)
    key = sandbox.issue_ionq_key("alice")
    m = manager(home)
    m.materialize(parse_bundle({"version": 1, "ionq": [{"key": key, "url": sandbox.ionq_url}]}), source="bundle")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("IONQ_", "QISKIT_IONQ_"))}
    km, kc = start_new_kernel(cwd=str(work), env={**environ, "HOME": str(home)})
    try:
        code = textwrap.dedent(
            """
            from qiskit_ionq import IonQProvider
            from qiskit_ionq.exceptions import IonQAPIError
            backend = IonQProvider().get_backend("simulator")
            try:
                backend.client.retrieve_job("no-such-job")
            except IonQAPIError as exc:
                print("status", exc.status_code)
            """
        )
        outputs: list[str] = []
        kc.execute_interactive(
            code, timeout=120, output_hook=lambda msg: outputs.append(str(msg["content"].get("text", "")))
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert "status 404" in "".join(outputs), outputs
    job_lookup = sandbox.log("ionq_jobs")[-1]
    assert job_lookup["user"] == "alice" and job_lookup["status"] == 404
