"""A private HOME holding alice's demo credentials (IBM and QCS), with this process's environment pointed at it and the
sandbox: what the notebook's code finds when it runs in this process (it reads ``os.environ``). Also a manager of
that HOME, and the key the real qiskit-ibm-runtime then uses (asked in a fresh process).

Import the fixture into a test module::

    from support import private_home

    home = private_home.home
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers import create_providers


@pytest.fixture
def home(tmp_path: Path, sandbox, monkeypatch: pytest.MonkeyPatch, secret_scanner) -> Path:
    """A HOME holding the demo bundle's credentials, and this process's environment pointing at it and the sandbox
    (the notebook reads ``os.environ``)."""
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    for key in [k for k in os.environ if k.startswith(("QCRED_", "JUPYTERHUB_", "QCS_", "QISKIT_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(path))
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    bundle = demo_bundle(sandbox, clouds=("ibm", "qcs"), scenarios=("legacy",))
    secret_scanner.add_bundle(bundle)
    manager(path).materialize(parse_bundle(bundle), source="bundle")
    return path


def manager(home: Path) -> CredentialManager:
    settings = Settings.from_environment({**os.environ, "HOME": str(home)})
    return CredentialManager(create_providers(settings))


def runtime_default(home: Path, sandbox) -> str:
    """The sha256 of the key ``QiskitRuntimeService()`` uses with these files (the real SDK, a fresh process)."""
    script = (
        "import hashlib\nfrom qiskit_ibm_runtime import QiskitRuntimeService\n"
        "print(hashlib.sha256(QiskitRuntimeService().active_account()['token'].encode()).hexdigest())\n"
    )
    env = {**os.environ, "HOME": str(home), **sandbox_environment(sandbox)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
