"""Row 1: Jupyter Server start-up with and without the extension, same spawn bundle, side by side.

Each start is a fresh ``python -m jupyter_server`` in a fresh ``HOME`` (what a spawner does), with
``QCRED_BUNDLE`` from :func:`jupyter_qcred.demo.world.demo_bundle` and
:func:`~jupyter_qcred.demo.world.sandbox_environment` in both cases; "without" only adds
``--ServerApp.jpserver_extensions={'jupyter_qcred': False}``, so every other installed extension (JupyterLab, ...)
loads in both. The time runs from just before spawning the process until
``GET /api/status`` (token auth) answers 200, polled every 5 ms on loopback. Repetitions alternate the order
(with, without, without, with, ...) after one discarded warm-up start of each.
"""

from __future__ import annotations

import compileall
import contextlib
import http.client
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchlib import REPO, Row, Samples, free_port, pair_ratios, start_group, stop_group, tail

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

GOAL = 1.02  # issue 10: the extension adds at most 2% to a server start
POLL_SECONDS = 0.005
START_TIMEOUT = 120.0
DISABLE = "--ServerApp.jpserver_extensions={'jupyter_qcred': False}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux ``/proc``; NaN elsewhere), 10 ms resolution."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class JupyterServer:
    """One ``python -m jupyter_server`` on loopback with its own HOME; started and timed by :meth:`start`."""

    def __init__(self, root: Path, bundle: str, sandbox_env: dict[str, str], *, with_extension: bool) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="home-", dir=root))
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.with_extension = with_extension
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log_path = self.home.with_suffix(".log")
        self.env = {
            **os.environ,
            **sandbox_env,
            "HOME": str(self.home),
            "QCRED_BUNDLE": bundle,
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        }
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "QCRED_BUNDLE_FILE"):
            self.env.pop(name, None)  # everything follows HOME, like a spawned server
        self.command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.home}",
        ]
        if os.getuid() == 0:
            self.command.append("--allow-root")
        if not with_extension:
            self.command.append(DISABLE)
        self.process: Any = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def _status_ok(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/api/status", headers=self.headers)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def start(self) -> tuple[float, float]:
        """Spawn the server; return the seconds until ``/api/status`` answers 200, and its CPU seconds by then."""
        log = self.log_path.open("ab")
        try:
            started = time.perf_counter()
            self.process = start_group(self.command, env=self.env, cwd=self.home, log=log)
        finally:
            log.close()
        deadline = started + START_TIMEOUT
        while True:
            if self._status_ok():
                return time.perf_counter() - started, cpu_seconds(self.process.pid)
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter_server exited with {self.process.returncode}:\n{tail(self.log_path)}")
            if time.perf_counter() > deadline:
                raise TimeoutError(f"jupyter_server did not answer within {START_TIMEOUT} s:\n{tail(self.log_path)}")
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        """Stop the server's process group and remove its HOME."""
        if self.process is not None:
            stop_group(self.process)
            self.process = None
        shutil.rmtree(self.home, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)


@contextlib.contextmanager
def running_server(root: Path, bundle: str, sandbox_env: dict[str, str], *, with_extension: bool) -> Iterator[Any]:
    """A started :class:`JupyterServer`, always stopped afterwards."""
    server = JupyterServer(root, bundle, sandbox_env, with_extension=with_extension)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def bundle_for(sandbox: Sandbox) -> str:
    """The spawn bundle both cases get (the demo user alice, both providers)."""
    return json.dumps(demo_bundle(sandbox))


def time_start(root: Path, bundle: str, sandbox_env: dict[str, str], with_extension: bool) -> tuple[float, float]:
    """One timed start: (wall seconds, server CPU seconds); the server is stopped and its HOME removed."""
    server = JupyterServer(root, bundle, sandbox_env, with_extension=with_extension)
    try:
        return server.start()
    finally:
        server.stop()


def run(sandbox: Sandbox, repeats: int, root: Path) -> list[Row]:
    """Row 1 (wall time, the goal) and its CPU-time companion (robust to other load on the machine)."""
    bundle = bundle_for(sandbox)
    sandbox_env = sandbox_environment(sandbox)
    # The checkout's modules compiled, as pip compiles an installed wheel's (and the baseline's site-packages): with
    # PYTHONDONTWRITEBYTECODE set, a warm-up start would not write them, and every start would compile ours again.
    compileall.compile_dir(REPO / "jupyter_qcred", quiet=1)
    for with_extension in (True, False):  # warm-up: page cache, lazily built caches
        time_start(root, bundle, sandbox_env, with_extension)
    wall = {True: Samples(unit="ms"), False: Samples(unit="ms")}
    cpu = {True: Samples(unit="ms"), False: Samples(unit="ms")}
    for index in range(repeats):
        order = (True, False) if index % 2 == 0 else (False, True)
        for with_extension in order:
            seconds, cpu_used = time_start(root, bundle, sandbox_env, with_extension)
            wall[with_extension].values.append(seconds * 1000)
            cpu[with_extension].values.append(cpu_used * 1000)
    row = Row(
        key="startup",
        label="Jupyter Server start-up, wall time: spawn → `GET /api/status` 200 (same bundle)",
        ours=wall[True],
        baseline=wall[False],
        baseline_name="disabled",
        goal=f"ratio ≤ {GOAL}",
        threshold=GOAL,
        pair_ratios=pair_ratios(wall[True].values, wall[False].values),
    )
    row.met = row.ratio <= GOAL
    row.notes.append(
        f"{repeats} starts each, alternating order, after one warm-up start each; fresh HOME per start; "
        f"extension cost {row.ours.median - row.baseline.median:+.0f} ms (difference of medians)."
    )
    cpu_row = Row(
        key="startup_cpu",
        label="… same starts, CPU time of the server process until ready (user+sys)",
        ours=cpu[True],
        baseline=cpu[False],
        baseline_name="disabled",
        goal="(informative)",
        pair_ratios=pair_ratios(cpu[True].values, cpu[False].values),
    )
    cpu_row.notes.append(
        "CPU time is much less sensitive than wall time to other load on the machine; "
        f"extension cost {cpu_row.ours.median - cpu_row.baseline.median:+.0f} ms of CPU (difference of medians)."
    )
    return [row, cpu_row]
