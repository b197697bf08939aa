"""An SDK that cannot share the test environment gets its own folder of packages, as a hub gives it a kernel of its own.

iqm-client 36 requires ``pydantic<2.13`` and ``packaging<25``; qiskit-ibm-runtime 0.51 requires ``pydantic>=2.13``.
No one environment satisfies both, so iqm-client is not in the test extra. Once per test session, pip installs it
with the exact dependencies it declares into a folder of its own (``pip install --target``, the machine's pip
configuration as for every other package), and the IQM tests put that folder first on ``PYTHONPATH`` of the
kernels, probes and servers they start: there iqm-client runs on its own pydantic, and ipykernel, the output filter
and jupyter_qcred still come from the test environment, exactly as in a kernel of another environment that has
jupyter_qcred installed too. The test process itself never imports iqm-client.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

#: The IQM Resonance SDK the tests hold the provider against.
IQM_REQUIREMENT = "iqm-client>=36,<37"


def build(folder: Path, requirement: str, probe: str, timeout: float = 900.0) -> Path:
    """``folder`` holding ``requirement`` and everything it declares; ``probe`` (Python code) must then run with the
    folder first on the path, so a broken install fails here with pip's own words rather than inside a test."""
    marker = folder / ".installed"
    if not marker.exists():
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        done = subprocess.run(
            [*pip, "--target", str(folder), requirement],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pip could not install {requirement} into {folder}:\n{done.stderr[-4000:]}")
        marker.write_text(requirement + "\n")
    checked = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=with_path(os.environ, folder)
    )
    if checked.returncode != 0:
        raise RuntimeError(f"{requirement} does not import from {folder}:\n{checked.stderr[-4000:]}")
    return folder


def with_path(environ: os._Environ[str] | dict[str, str], folder: Path) -> dict[str, str]:
    """``environ`` with ``folder`` first on ``PYTHONPATH``."""
    rest = environ.get("PYTHONPATH", "")
    return {**environ, "PYTHONPATH": os.pathsep.join(p for p in (str(folder), rest) if p)}


@pytest.fixture(scope="session")
def iqm_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the real iqm-client 36 with its own dependencies (about 2.5 minutes on the CI machine)."""
    folder = tmp_path_factory.getbasetemp() / "iqm-sdk"
    return build(
        folder,
        IQM_REQUIREMENT,
        "import iqm.iqm_client, pydantic, sys; assert pydantic.VERSION < '2.13', pydantic.VERSION",
    )


@pytest.fixture
def iqm_on_path(iqm_sdk: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The iqm-client folder first on ``PYTHONPATH`` of every process this test starts from ``os.environ`` (the
    test's own interpreter has long started: nothing changes in it)."""
    monkeypatch.setenv("PYTHONPATH", with_path(os.environ, iqm_sdk)["PYTHONPATH"])
    return iqm_sdk
