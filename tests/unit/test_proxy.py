"""configurable-http-proxy from npm (jupyter_qcred/demo/proxy.py): it says what it installs and where before npm runs,
and a hanging or failing npm ends in a sentence naming the command and what to check, with nothing left running.
npm itself is a stand-in script here (the real one needs the network); the real install runs in tests/hub."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from support.helpers import wait_until

from jupyter_qcred.demo import proxy

pytestmark = pytest.mark.timeout(60)

SLEEP = shutil.which("sleep") or "/bin/sleep"


def fake_npm(folder: Path, body: str) -> Path:
    """An ``npm`` on PATH that runs ``body`` (sh) and records its pid."""
    folder.mkdir()
    npm = folder / "npm"
    npm.write_text(f'#!/bin/sh\necho $$ > "{folder}/pid"\n{body}\n')
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    return npm


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no configurable-http-proxy, only the stand-in npm
    return tmp_path


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_a_hanging_npm_is_stopped_after_the_deadline_with_a_sentence(place: Path) -> None:
    npm = fake_npm(place / "bin", f'{SLEEP} 300 &\necho $! > "{place}/child"\nwait')
    lines: list[str] = []

    def report(line: str) -> None:
        assert not (place / "bin" / "pid").exists(), "the line comes before npm runs"
        lines.append(line)

    with pytest.raises(RuntimeError) as failure:
        proxy.ensure_proxy(report=report, timeout=1)
    message = str(failure.value)
    assert message.startswith("npm did not finish within 1 s, so it was stopped: `")
    assert f"{npm} install --prefix {place / 'data' / 'jupyter_qcred' / 'node'}" in message
    assert "npm config get registry" in message and "cafile" in message
    assert lines and proxy.PACKAGE in lines[0] and str(place / "data" / "jupyter_qcred" / "node") in lines[0]
    for pid in (int((place / "bin" / "pid").read_text()), int((place / "child").read_text())):
        wait_until(lambda pid=pid: gone(pid), timeout=10, what="the stopped npm and its child to be gone")


def test_a_failing_npm_says_its_exit_code_and_what_to_check(place: Path) -> None:
    fake_npm(place / "bin", "echo 'npm error code SELF_SIGNED_CERT_IN_CHAIN' >&2\nexit 7")
    with pytest.raises(RuntimeError, match=r"^npm failed \(exit code 7\): `.*npm install .*`; its messages are above"):
        proxy.ensure_proxy(timeout=30)


def test_no_npm_says_to_install_node(place: Path) -> None:
    (place / "bin").mkdir()
    with pytest.raises(RuntimeError, match=r"npm is not on PATH: install Node\.js"):
        proxy.ensure_proxy()


def test_the_deadline_can_be_set_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QCRED_NPM_TIMEOUT", "12")
    assert proxy.npm_timeout() == 12
    monkeypatch.setenv("QCRED_NPM_TIMEOUT", "soon")
    assert proxy.npm_timeout() == proxy.NPM_TIMEOUT
