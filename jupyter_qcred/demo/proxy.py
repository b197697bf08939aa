"""configurable-http-proxy for the local JupyterHub of ``jupyter qcred demo --hub`` and the hub tests.

JupyterHub needs the proxy on PATH; it comes from npm. We install it once into Jupyter's data folder (a local
npm prefix, no global install and no root needed) and hand its path to the hub. npm reaches its registry over the
network, which may need a proxy or a CA bundle (``npm config get registry``, ``cafile``): so the first run says what
it installs and where before npm starts, shows npm's own progress, and gives up after a deadline with a sentence
naming the command and what to check, instead of sitting silent.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PACKAGE = "configurable-http-proxy@^5"
#: Seconds npm may take before the install is given up (``QCRED_NPM_TIMEOUT`` changes it): a first install takes
#: well under a minute on a working network; a missing CA or proxy setting makes npm retry for many minutes.
NPM_TIMEOUT = 180.0
CHECK = (
    "check that npm can reach its registry from this machine: `npm config get registry`, and the proxy and CA "
    "settings (`npm config get proxy`, `https-proxy`, `cafile`, or NODE_EXTRA_CA_CERTS) if you are behind a "
    "proxy or your network inspects TLS"
)


def install_dir() -> Path:
    """Where our copy of the proxy lives."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_qcred" / "node"


def proxy_command() -> str | None:
    """The proxy's executable: ours if installed, else one on PATH, else None."""
    ours = install_dir() / "node_modules" / ".bin" / "configurable-http-proxy"
    if ours.exists():
        return str(ours)
    return shutil.which("configurable-http-proxy")


def npm_timeout() -> float:
    """:data:`NPM_TIMEOUT`, or ``QCRED_NPM_TIMEOUT`` seconds when set to a positive number."""
    try:
        value = float(os.environ.get("QCRED_NPM_TIMEOUT", ""))
    except ValueError:
        return NPM_TIMEOUT
    return value if value > 0 else NPM_TIMEOUT


def ensure_proxy(report: Callable[[str], None] = lambda line: None, timeout: float | None = None) -> str:
    """Install the proxy if it is missing and return its path; ``report`` gets a line per step.

    Raises RuntimeError with a sentence (the command, what to check) when npm is missing, fails or takes longer than
    ``timeout`` seconds (default :func:`npm_timeout`); npm's own output goes to the terminal meanwhile.
    """
    found = proxy_command()
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "JupyterHub needs configurable-http-proxy, which is installed with npm, and npm is not on PATH: install "
            "Node.js (with npm), or put a configurable-http-proxy on PATH."
        )
    target = install_dir()
    target.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(target), "--no-audit", "--no-fund", "--loglevel=http", PACKAGE]
    limit = npm_timeout() if timeout is None else timeout
    shown = shlex.join(command)
    report(
        f"JupyterHub needs configurable-http-proxy: installing {PACKAGE} with npm into {target} (once; npm's "
        f"progress follows, at most {limit:g} s):\n  {shown}"
    )
    code = _run(command, limit)
    if code is None:
        raise RuntimeError(f"npm did not finish within {limit:g} s, so it was stopped: `{shown}`; {CHECK}.")
    if code != 0:
        raise RuntimeError(f"npm failed (exit code {code}): `{shown}`; its messages are above; {CHECK}.")
    found = proxy_command()
    if not found:
        raise RuntimeError(f"npm finished but configurable-http-proxy is not in {target}: `{shown}`; {CHECK}.")
    report(f"configurable-http-proxy installed: {found}")
    return found


def _run(command: list[str], limit: float) -> int | None:
    """Run npm (its output straight to ours) in a session of its own; its exit code, or None when it was stopped
    after ``limit`` seconds. Whatever happens meanwhile (a stop signal too), npm and its children are gone after."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        return process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    finally:
        if process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


if __name__ == "__main__":
    print(ensure_proxy(report=lambda line: print(line, file=sys.stderr, flush=True)))
    sys.exit(0)
