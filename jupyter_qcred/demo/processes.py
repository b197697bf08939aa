"""Local processes the demos and tests start on loopback: a free port, and waiting until one serves.

Waiting is always for a condition with a deadline, never a fixed sleep; a process that exits early fails at once
with what it logged.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


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
