"""configurable-http-proxy for the local JupyterHub of ``jupyter qcred demo --hub`` and the hub tests.

JupyterHub needs the proxy on PATH; it comes from npm. We install it once into Jupyter's data folder (a local
npm prefix, no global install and no root needed) and hand its path to the hub.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = "configurable-http-proxy@^5"


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


def ensure_proxy() -> str:
    """Install the proxy if it is missing and return its path."""
    found = proxy_command()
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install configurable-http-proxy for JupyterHub; install Node.js.")
    target = install_dir()
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", str(target), "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
        check=True,
    )
    found = proxy_command()
    if not found:
        raise RuntimeError(f"npm finished but configurable-http-proxy is not in {target}.")
    return found


if __name__ == "__main__":
    print(ensure_proxy())
    sys.exit(0)
