"""Local processes the demos and tests start on loopback: a free port, waiting until one serves, stopping them all.

Waiting is always for a condition with a deadline, never a fixed sleep; a process that exits early fails at once
with what it logged. Stopping covers every process a child started, in whatever session or group (POSIX only).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    log_tail: Callable[[], str] = lambda: "",
    error: type[Exception] = RuntimeError,
) -> None:
    """Poll ``ready()`` (which may raise OSError while the process starts) until true, the deadline, or an exit."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise error(f"{what} exited with {process.returncode}: {log_tail()}")
        try:
            if ready():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise error(f"{what} did not answer within {timeout:g} s: {log_tail()}")
        time.sleep(0.1)


def tools_path(path: str | None = None) -> str:
    """``PATH`` with this interpreter's own scripts folder first.

    A demo run as ``venv/bin/jupyter qcred demo`` from a shell where the venv is not activated must still find the
    venv's tools (``jupyterhub-singleuser``, ``jupyter``, ``pip``) in everything it starts, kernels included, and
    never a different installation that happens to be on ``PATH``.
    """
    ours = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    rest = (os.environ.get("PATH", os.defpath) if path is None else path).split(os.pathsep)
    return os.pathsep.join(dict.fromkeys(p for p in (*ours, *rest) if p))


class StopRequested(BaseException):
    """A signal asked the demo to stop; raised in the main thread so every ``with`` and ``finally`` cleans up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StopSignals:
    """While entered, the first of ``STOP_SIGNALS`` raises :class:`StopRequested`; :meth:`hold` ends that.

    Python's defaults would end the process on SIGTERM and SIGHUP without running any cleanup, leaving JupyterLab,
    the hub, the proxy and the users' servers running and holding their ports. After :meth:`hold` (cleanup has
    begun and has deadlines of its own) a signal only marks the demo as stopping, so it cannot cut cleanup short.
    """

    def __init__(self, signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> None:
        self.signals = signals
        self.received: int | None = None
        self._armed = True
        self._previous: dict[signal.Signals, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.received is None
        self.received = self.received or signum
        if first and self._armed:
            self._armed = False
            raise StopRequested(signum)

    def hold(self) -> None:
        """From now on a signal no longer raises (cleanup that has begun runs to its end)."""
        self._armed = False

    def __enter__(self) -> StopSignals:
        self._previous = {sig: signal.signal(sig, self._handle) for sig in self.signals}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def process_table() -> dict[int, tuple[int, str]]:
    """Every running process (zombies left out): pid -> (parent pid, start time), from /proc, else from ``ps``.

    The start time tells a process from a later one that got the same pid, so a stale pid is never signalled.
    """
    table: dict[int, tuple[int, str]] = {}
    proc = Path("/proc")
    if (proc / "self" / "stat").exists():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if fields[0] not in ("Z", "X"):  # state; then ppid, ..., starttime (field 22 of stat)
                table[int(entry.name)] = (int(fields[1]), fields[19])
        return table
    listing = subprocess.run(
        ["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat=", "-o", "lstart="],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in listing.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and not parts[2].startswith("Z"):
            table[int(parts[0])] = (int(parts[1]), parts[3].strip())
    return table


def descendants(pid: int, table: dict[int, tuple[int, str]] | None = None) -> dict[int, str]:
    """Every process below ``pid`` (in any session or group): pid -> start time."""
    table = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        if child not in found:
            found[child] = table[child][1]
            todo.extend(children.get(child, []))
    return found


def still_running(processes: dict[int, str]) -> dict[int, str]:
    """Those of ``processes`` that still run (same pid and start time)."""
    table = process_table()
    return {pid: start for pid, start in processes.items() if pid in table and table[pid][1] == start}


class ProcessTree:
    """A child started in a session of its own, and every process seen below it while it ran.

    Signalling the child's group is not enough: JupyterHub starts the proxy and each user's server in sessions of
    their own, jupyter_client does the same for kernels, and a child killed abruptly leaves its children running.
    So the tree is remembered while the child runs (:meth:`wait` looks again every few seconds) and whatever of it
    is left after the child stopped is stopped too.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.seen: dict[int, str] = {}

    def refresh(self) -> None:
        """Forget what ended, add what started."""
        table = process_table()
        self.seen = {pid: start for pid, start in self.seen.items() if pid in table and table[pid][1] == start}
        if self.process.poll() is None:  # once reaped, its pid may belong to a stranger
            self.seen.update(descendants(self.process.pid, table))

    def wait(self, interval: float = 2.0, tick: Callable[[], None] | None = None) -> int:
        """Wait until the child exits, keeping track of its tree (and calling ``tick`` every ``interval`` seconds);
        returns its exit code."""
        while True:
            self.refresh()
            if tick is not None:
                tick()
            try:
                return self.process.wait(timeout=interval)
            except subprocess.TimeoutExpired:
                continue

    def stop(self, timeout: float = 30.0, grace: float = 10.0) -> None:
        """SIGTERM the child's group and wait (it stops its own children), then stop whatever of the tree is left.

        SIGKILL follows SIGTERM after ``timeout`` for the child, after ``grace`` for what is left.
        """
        self.refresh()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        left = still_running(self.seen)
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while left and time.monotonic() < deadline:
                time.sleep(0.05)
                left = still_running(left)
            if not left:
                break
