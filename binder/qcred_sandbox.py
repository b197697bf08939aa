"""Start the sandbox for this Binder session and print the shell ``export`` lines that point Jupyter at it.

``binder/start`` evaluates the output. The sandbox runs detached (its own session) for the container's lifetime,
with its state, log, pid file and CA in ``$QCRED_BINDER_STATE`` (default
``~/.local/share/jupyter_qcred/binder-sandbox``).
Refresh tokens are not rotated, so "Re-initialize" from the spawn bundle keeps working for the whole session, as it
would with a hub that holds a fresh login. Exports:

- ``QCRED_BUNDLE``: spawn bundle v1 with alice's sandbox credentials (the server writes it into ~/.qcs and
  ~/.qiskit, then removes it from its environment);
- ``IAM_URL``, ``QISKIT_FUNCTIONS_EXPERIMENTAL``: qiskit-ibm-runtime talks to the sandbox;
- ``SSL_CERT_FILE``: the usual CA bundle plus the sandbox's CA, so both the sandbox and real sites verify;
- ``QCRED_SANDBOX_URL`` and ``QCRED_SANDBOX_PID``: for the demo notebook's fault injection, and to stop it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

READY_TIMEOUT = 60.0


def state_dir() -> Path:
    configured = os.environ.get("QCRED_BINDER_STATE")
    path = Path(configured) if configured else Path.home() / ".local" / "share" / "jupyter_qcred" / "binder-sandbox"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def launch(state: Path) -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    """Start the sandbox detached and wait (with a deadline) for its ready file."""
    ready = state / "sandbox.json"
    ready.unlink(missing_ok=True)
    with open(state / "sandbox.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_qcred.sandbox", "--tls", "--no-rotate", "--state-dir", str(state)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this script and the start script's exec
        )
    (state / "sandbox.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            return process, dict(json.loads(ready.read_text()))
        except (OSError, ValueError):
            pass
        if process.poll() is not None:
            raise SystemExit(f"qcred_sandbox: the sandbox exited with {process.returncode}; see {state}/sandbox.log")
        if time.monotonic() > deadline:
            process.terminate()
            raise SystemExit(f"qcred_sandbox: the sandbox was not ready in {READY_TIMEOUT:.0f} s; see {state}")
        time.sleep(0.1)


def combined_ca(state: Path, sandbox_ca: str) -> str:
    """The default CA bundle plus the sandbox's CA, so setting SSL_CERT_FILE does not break real HTTPS."""
    try:
        import certifi

        default = Path(certifi.where()).read_text()
    except (ImportError, OSError):
        default = ""
    target = state / "ca-bundle.pem"
    target.write_text(default.rstrip("\n") + "\n" + Path(sandbox_ca).read_text())
    return str(target)


def main() -> None:
    from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
    from jupyter_qcred.sandbox.client import Sandbox

    state = state_dir()
    process, info = launch(state)
    sandbox = Sandbox(state_dir=state)
    sandbox.info = info
    env = sandbox_environment(sandbox)
    if sandbox.ca_file:
        env["SSL_CERT_FILE"] = combined_ca(state, sandbox.ca_file)
    env.update(
        # The notebook walks through a legacy account's hub/group/project too: the demo's 'legacy' scenario.
        QCRED_BUNDLE=json.dumps(demo_bundle(sandbox, scenarios=("legacy",))),
        QCRED_SANDBOX_URL=sandbox.http_url,
        QCRED_SANDBOX_PID=str(process.pid),
    )
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")
    print(f"binder: sandbox services at {sandbox.http_url} (user alice), pid {process.pid}", file=sys.stderr)


if __name__ == "__main__":
    main()
