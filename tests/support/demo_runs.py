"""``jupyter qcred demo [--hub]`` as real processes, the way a newcomer meets them, seen from the outside.

Each demo runs as ``python -m jupyter_qcred.cli demo ... --no-browser --port FREE`` in a session of its own, with a
``PATH`` that does not hold this interpreter's bin folder and Jupyter's data folder in a temp dir; whether everything
stopped is judged with psutil, not with the demo's own bookkeeping. Assign the fixture in a test module::

    from support import demo_runs

    start_demo = demo_runs.start_demo
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from jupyter_qcred.demo.processes import free_port, wait_until_serving

from .helpers import wait_until

psutil = pytest.importorskip("psutil")

REPO = Path(__file__).resolve().parents[2]


OUR_BIN = {os.path.realpath(p) for p in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)) if p}


STOP_DEADLINE = 60.0  # seconds for the demo and everything it started to be gone after the signal


def path_without_our_bin() -> str:
    return os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if os.path.realpath(p) not in OUR_BIN
    )


class DemoRun:
    """``python -m jupyter_qcred.cli demo ARGS --no-browser --port FREE`` and what it started, seen from outside."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.port = free_port()
        self.root = tmp_path / "data" / "jupyter_qcred" / "demo"
        self.log_path = tmp_path / "demo.log"
        self.token = os.urandom(12).hex()
        path = path_without_our_bin()
        if "--hub" in args:
            path = self.proxy_dir(tmp_path) + os.pathsep + path
        self.env = {
            **os.environ,
            "PATH": path,
            "JUPYTER_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
            "JUPYTER_TOKEN": self.token,  # JupyterLab's login token, so the test can start a kernel
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyter_qcred.cli", "demo", *args, "--no-browser", "--port", str(self.port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.seen: dict[int, float] = {}

    @staticmethod
    def proxy_dir(tmp_path: Path) -> str:
        """A folder holding only configurable-http-proxy (installed by run_all.sh), for the demo's PATH."""
        from jupyter_qcred.demo.proxy import ensure_proxy

        try:
            proxy = ensure_proxy()
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"configurable-http-proxy is not available: {exc}")
        folder = tmp_path / "proxy-bin"
        folder.mkdir()
        (folder / "configurable-http-proxy").symlink_to(proxy)
        return str(folder)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_serving(self, path: str, timeout: float = 90.0) -> None:
        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{self.port}/{path}", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until_serving(self.process, answers, timeout=timeout, what="the demo", log_tail=self.log_tail)

    def tree(self) -> list[Any]:
        """The demo and every process below it now (remembered for :meth:`running` and the cleanup)."""
        top = psutil.Process(self.process.pid)
        processes = []
        for process in [top, *top.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):  # one that ended meanwhile (a zombie too) is gone
                self.seen[process.pid] = process.create_time()
                processes.append(process)
        return processes

    def running(self) -> list[str]:
        """What is still running of all it ever started (a zombie counts as gone)."""
        alive = []
        for pid, created in self.seen.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                process = psutil.Process(pid)
                if process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{pid} {' '.join(process.cmdline())[:100]}")
        return alive

    def kill_all(self) -> None:
        """Test cleanup, whatever happened: stop the demo, then SIGKILL its session and all it was seen to start."""
        with contextlib.suppress(psutil.Error):
            self.tree()  # first, while the demo still runs: what runs in other sessions is found through it
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_DEADLINE)
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid, created in self.seen.items():
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                if process.create_time() == created:
                    process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


@pytest.fixture
def start_demo(tmp_path: Path) -> Iterator[Any]:
    runs: list[DemoRun] = []

    def start(*args: str) -> DemoRun:
        runs.append(DemoRun(tmp_path, *args))
        return runs[-1]

    yield start
    for run in runs:
        run.kill_all()


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port (connections left in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def command_lines(processes: list[Any]) -> list[str]:
    lines = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            lines.append(" ".join(process.cmdline()))
    return lines


def stop_and_check(demo: DemoRun, signum: int, ports: list[int]) -> None:
    """Send ``signum`` to the demo alone; it exits 0, and nothing it started runs or listens any more."""
    demo.tree()
    demo.process.send_signal(signum)
    try:
        code = demo.process.wait(timeout=STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo did not exit within {STOP_DEADLINE} s of {signal.Signals(signum).name}")
    wait_until(lambda: not demo.running(), timeout=STOP_DEADLINE, what="every process the demo started to end")
    for port in ports:
        wait_until(lambda port=port: port_free(port), timeout=10, what=f"port {port} to be free")
    assert code == 0, demo.log_tail()


def sandbox_ports(root: Path) -> list[int]:
    info = json.loads((root / "sandbox" / "sandbox.json").read_text())
    return [int(urlparse(info[key]).port or 0) for key in ("http_url", "https_url")]


def start_kernel(client: httpx.Client, server_url: str, headers: dict[str, str]) -> None:
    answer = client.post(server_url + "api/kernels", json={"name": "python3"}, headers=headers)
    assert answer.status_code == 201, answer.text


def kernel_processes(demo: DemoRun) -> list[Any]:
    return [p for p in demo.tree() if any("ipykernel" in line for line in command_lines([p]))]


def cli_status(lines: list[str], env: dict[str, str], legacy: bool = False) -> dict[str, Any]:
    """``jupyter qcred status --json`` in a fresh POSIX shell that ran ``lines`` (exports change HOME and PATH).

    A demo starts all green (exit 0, nothing needs action); with ``legacy`` (``--scenario legacy``) the legacy IBM
    account is the one credential that needs action (unsupported: exit 3).
    """
    script = "\n".join([*lines, "exec jupyter qcred status --json"])
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    status = dict(json.loads(result.stdout))
    needing = [(e["provider"], e["name"], e["state"]) for e in status["providers"] if e["action_needed"]]
    assert needing == ([("ibm", "legacy", "unsupported")] if legacy else []), result.stdout
    assert result.returncode == (3 if legacy else 0), result.stderr + result.stdout
    return status


def demo_cli(demo: DemoRun, *args: str) -> subprocess.CompletedProcess[str]:
    """``jupyter qcred demo ARGS`` from another shell of the same user (the demo's data folder, the checkout)."""
    return subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", "demo", *args],
        env=demo.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def entry(status: dict[str, Any], provider: str, name: str) -> dict[str, Any]:
    return next(e for e in status["providers"] if e["provider"] == provider and e["name"] == name)
