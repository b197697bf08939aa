"""Attack 8 of issue 13 with the real SDK: a qiskit-ibm.json that qiskit-ibm-runtime's save_account left readable by
others (mode 0644) is reported, and made private by our next write. The other file attacks are in
tests/unit/test_files_attacks.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.ibm.provider import IbmProvider

pytestmark = pytest.mark.timeout(60)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_qiskit_ibm_json_left_0644_by_save_account_is_reported_and_fixed_by_our_next_write(tmp_path: Path) -> None:
    from qiskit_ibm_runtime import QiskitRuntimeService

    home = tmp_path / "home"
    (home / ".qiskit").mkdir(parents=True, mode=0o700)
    path = home / ".qiskit" / "qiskit-ibm.json"
    old_umask = os.umask(0o022)
    try:  # the SDK's own call, with the usual umask
        QiskitRuntimeService.save_account(
            channel="ibm_quantum_platform", token="ibm-key-saved-by-the-sdk-01", filename=str(path), name="sdk"
        )
    finally:
        os.umask(old_umask)
    assert mode(path) == 0o644
    settings = Settings.from_environment({"HOME": str(home)})
    manager = CredentialManager({"ibm": IbmProvider(settings)})
    [entry] = manager.snapshot()["providers"]
    assert entry["warnings"] == [
        f"{path} can be read by other users (mode 0644); jupyter_qcred makes it private (0600) the next time it "
        f"writes it. To fix it now, run: chmod 600 {path}"
    ]
    manager.providers["ibm"].set_default("sdk")  # any write of ours
    manager.reload()
    assert mode(path) == 0o600
    assert manager.snapshot()["providers"][0]["warnings"] == []
