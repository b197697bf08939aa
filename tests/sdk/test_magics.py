"""``%qcred remove`` and ``%qcred use`` in a real IPython shell in this process, on the files of a private HOME (no
Jupyter server: the same service layer as ``jupyter qcred``), against the sandbox; what the real qiskit-ibm-runtime
then uses is asked in a fresh process. The widget's Remove is in tests/sandbox/test_widget.py, background hand-overs
in test_handover.py, the channels the SDK accepts in test_ibm_sdk.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import private_home
from support.private_home import runtime_default, sha

from jupyter_qcred.providers.ibm.sdk import runtime_channels

pytestmark = pytest.mark.timeout(120)

# alice's credentials in a private HOME this process points at (tests/support/private_home.py).
home = private_home.home


@pytest.fixture
def qcred(home: Path) -> Iterator[Any]:
    """``%qcred`` in a real IPython shell."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    from jupyter_qcred.notebook.magics import load_ipython_extension

    load_ipython_extension(shell)
    yield lambda line: shell.run_line_magic("qcred", line)
    magics = shell.magics_manager.registry["QCredMagics"]
    if magics._feed is not None:
        magics._feed.stop()
    magics._session = None
    InteractiveShell.clear_instance()


def test_magic_remove_says_what_it_would_remove_and_removes_with_yes(
    home: Path, qcred, capsys: pytest.CaptureFixture[str], secret_scanner
) -> None:
    accounts = home / ".qiskit/qiskit-ibm.json"
    before = accounts.read_bytes()
    qcred("remove ibm legacy")
    shown = capsys.readouterr()
    assert "This would remove the IBM Quantum account 'legacy' from" in shown.out
    assert "%qcred remove ibm legacy --yes" in shown.out
    assert accounts.read_bytes() == before

    qcred("remove ibm nobody")
    assert "there is no IBM Quantum credential named 'nobody'" in capsys.readouterr().err

    status = qcred("remove ibm legacy --yes")
    shown = capsys.readouterr()
    assert f"Removed the IBM Quantum account 'legacy' from {accounts}" in shown.out
    assert "legacy" not in json.loads(accounts.read_text())
    assert status.state("ibm") == "ok"
    secret_scanner.saw("%qcred remove", shown.out + shown.err)


@pytest.mark.slow
def test_magic_use_of_an_account_the_sdk_cannot_load_does_not_claim_success(
    home: Path, qcred, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    if "ibm_quantum" in (runtime_channels() or {"ibm_quantum"}):
        pytest.skip("the installed qiskit-ibm-runtime still loads legacy accounts")
    alice = sandbox.ibm_credentials("alice")
    qcred("use ibm legacy")
    shown = capsys.readouterr()
    assert "is now the default" not in shown.out + shown.err
    assert "no longer accepts" in shown.err and "It was not made the default." in shown.err
    assert runtime_default(home, sandbox) == sha(alice["apikey"])
