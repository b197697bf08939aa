"""``jupyter qcred demo``'s exit codes with the JupyterLab it starts (a real server): 1 when its port is taken, 0 on
Ctrl-C. The other commands are in tests/sandbox/test_cli.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from support import cli_runs
from support.helpers import wait_until

from jupyter_qcred.demo.processes import free_port

pytestmark = pytest.mark.slow

# The CLI run in a private HOME, its output scanned for secrets (tests/support/cli_runs.py).
home, cli_run = cli_runs.home, cli_runs.cli_run


def demo_environment(tmp_path: Path) -> dict[str, str]:
    return {"JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}


def test_demo_exits_1_when_its_port_is_taken(tmp_path: Path, home: Path, cli_run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli_run("demo", "--no-browser", "--port", str(port), env=demo_environment(tmp_path))
    assert result.returncode == 1
    assert "JupyterLab exited with code" in result.stderr
    assert "try --port" in result.stderr


def test_demo_exits_0_on_ctrl_c(tmp_path: Path, home: Path) -> None:
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("QCRED_", "QCS_", "QE_"))}
    environment.update({"HOME": str(home), **demo_environment(tmp_path)})
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_qcred.cli", "demo", "--no-browser", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:

        def serving() -> bool:
            assert process.poll() is None, "the demo exited before it served"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2) as answer:
                    return bool(answer.status == 200)
            except OSError:
                return False

        wait_until(serving, timeout=120, what="the demo's JupyterLab")
        process.send_signal(signal.SIGINT)  # what the terminal's Ctrl-C does (the demo has a session of its own)
        _, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
