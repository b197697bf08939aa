"""``jupyter qcred demo``: JupyterLab with the extension, against the loopback sandbox services.

The demo never touches your real credentials: it runs JupyterLab with ``HOME`` set to a demo folder, hands the
server a spawn bundle for the sandbox user ``alice`` (exactly what JupyterHub would do), and points the SDKs at the
sandbox (``IAM_URL``, the sandbox's CA in ``SSL_CERT_FILE``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..sandbox.client import Sandbox


def demo_root() -> Path:
    """Where the demo keeps its home folder and the sandbox's state."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_qcred" / "demo"


def demo_bundle(sandbox: Sandbox, user: str = "alice", access_token_lifetime: int | None = None) -> dict[str, Any]:
    """A spawn bundle (schema v1) with ``user``'s sandbox credentials for both providers."""
    ibm = sandbox.ibm_credentials(user)
    tokens = sandbox.issue_qcs_tokens(user, access_token_lifetime=access_token_lifetime)
    return {
        "version": 1,
        "ibm": [
            {
                "name": "default-ibm-quantum-platform",
                "channel": "ibm_quantum_platform",
                "token": ibm["apikey"],
                "instance": ibm["instance"],
                "url": sandbox.runtime_url,
                "default": True,
            },
            {"name": "legacy", "channel": "ibm_quantum", "token": ibm["legacy_token"], "url": sandbox.ibm_auth_url},
        ],
        "qcs": [
            {
                "profile": "default",
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "api_url": sandbox.qcs_api_url,
                "issuer": sandbox.qcs_issuer,
                "client_id": sandbox.qcs_client_id,
                "default": True,
            }
        ],
    }


def sandbox_environment(sandbox: Sandbox) -> dict[str, str]:
    """Variables that make the real SDKs (and jupyter_qcred) talk to the sandbox instead of the clouds."""
    env = {"IAM_URL": sandbox.iam_url, "QISKIT_FUNCTIONS_EXPERIMENTAL": "1"}
    if sandbox.ca_file:
        env["SSL_CERT_FILE"] = sandbox.ca_file
    return env


def prepare_home(home: Path) -> Path:
    """A private demo home whose IPython kernels load ``%qcred`` by themselves."""
    config = home / ".ipython" / "profile_default"
    config.mkdir(parents=True, exist_ok=True)
    (config / "ipython_config.py").write_text(
        "# Written by `jupyter qcred demo`: load the %qcred magic in every kernel.\n"
        'c.InteractiveShellApp.extensions = ["jupyter_qcred"]\n'
    )
    home.chmod(0o700)
    return home


def lab_command(port: int, home: Path, open_browser: bool) -> list[str]:
    """The JupyterLab command line of the demo."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={home}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
    ]
    if os.getuid() == 0:
        command.append("--allow-root")
    if not open_browser:
        command.append("--no-browser")
    return command


def run_demo(hub: bool = False, port: int = 8888, open_browser: bool = True) -> int:
    """Run the demo until interrupted; returns the exit code."""
    if hub:
        from .hub import run_hub_demo

        return run_hub_demo(port=port, open_browser=open_browser)
    root = demo_root()
    home = prepare_home(root / "home")
    with Sandbox(tls=True, state_dir=root / "sandbox") as sandbox:
        env = {**os.environ, **sandbox_environment(sandbox), "HOME": str(home)}
        env["QCRED_BUNDLE"] = json.dumps(demo_bundle(sandbox))
        print(
            f"jupyter qcred demo: sandbox services at {sandbox.http_url} (user alice); demo home {home}.\n"
            "Open the 'Quantum credentials' panel in the left sidebar, or run %qcred in a notebook. Ctrl-C stops.",
            flush=True,
        )
        try:
            return subprocess.call(lab_command(port, home, open_browser), env=env)
        except KeyboardInterrupt:
            return 0
