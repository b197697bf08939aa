"""A server process in a session of its own (so its kernels are its process group), started and stopped the same
way by every test driver: the Jupyter server of the notebook tests and the JupyterLab of the browser tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def start_session(command: Sequence[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in a new session, its output appended to ``log_path``, no standard input."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            list(command),
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop_session(process: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """SIGTERM (the server shuts its kernels down), SIGKILL after ``timeout``, then whatever is left of the group."""
    if process is None:
        return
    if process.poll() is None:
        try:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    with contextlib.suppress(OSError):  # the group is already gone
        os.killpg(process.pid, signal.SIGKILL)
