"""An SDK that cannot share the test environment gets a venv of its own, as a hub gives it a kernel of its own.

iqm-client 36 requires ``pydantic<2.13`` and ``packaging<25``; qiskit-ibm-runtime 0.51 requires ``pydantic>=2.13``.
No one environment holds both, so the IQM tests run the real iqm-client from a venv built once per test session
with pip (the machine's pip configuration, as for every other package), and hand it only the files and variables
jupyter_qcred wrote — exactly what a kernel of another environment would see.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

#: The IQM Resonance SDK the tests hold the provider against.
IQM_REQUIREMENT = "iqm-client>=36,<37"


def build(folder: Path, requirement: str, probe: str, timeout: float = 900.0) -> Path:
    """A venv in ``folder`` with ``requirement`` installed; returns its python. ``probe`` (Python code) must run
    in it, so a broken install fails here with pip's own words rather than later inside a test."""
    python = folder / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pip could not install {requirement} into {folder}:\n{done.stderr[-4000:]}")
    checked = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=120, env=_clean_environment()
    )
    if checked.returncode != 0:
        raise RuntimeError(f"{requirement} does not import in {folder}:\n{checked.stderr[-4000:]}")
    return python


def _clean_environment() -> dict[str, str]:
    """The environment without this interpreter's own paths (PYTHONPATH would mix the two environments)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.fixture(scope="session")
def iqm_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a venv holding the real iqm-client 36 (about 2.5 minutes to build on the CI machine)."""
    if sys.platform == "win32":  # pragma: no cover - the suite runs on POSIX
        pytest.skip("the SDK venv is built for POSIX paths")
    folder = tmp_path_factory.getbasetemp() / "iqm-sdk-venv"
    return build(folder, IQM_REQUIREMENT, "import iqm.iqm_client")
