"""The server answers before jupyter_qcred's start-up has written the spawn bundle, and whatever reads the files
waits for it: a kernel started at once, and the qcred API (``server/gate.py``); the server, a terminal, the rest of
Jupyter's API keep answering meanwhile.

The start-up is held on purpose: the test takes the lock of ``~/.qcs/secrets.toml`` before the server starts, so the
start-up thread waits to write it, as it would behind a slow disk or another process's write.
"""

from __future__ import annotations

import json
import os
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.helpers import wait_until
from support.kernels import JupyterServer, KernelDriver
from support.sessions import start_session

from jupyter_qcred.core import files
from jupyter_qcred.demo.processes import wait_until_serving
from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.slow  # a server, a kernel and a terminal: about 9 s
def test_a_kernel_and_the_qcred_api_wait_for_the_files_the_server_does_not(sandbox: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".qcs").mkdir(parents=True, mode=0o700)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("QCRED_", "JUPYTERHUB_", "QCS_", "QISKIT_"))},
        **sandbox_environment(sandbox),
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "QCRED_BUNDLE": json.dumps(demo_bundle(sandbox)),
    }
    server = JupyterServer(env, tmp_path)
    secrets = home / ".qcs" / "secrets.toml"
    answers: dict[str, Any] = {}

    def call(name: str, method: str, path: str, body: Any = None) -> None:
        response = httpx.request(method, server.url + path, json=body, headers=server.headers(), timeout=120)
        answers[name] = (time.monotonic(), response)

    def api_answers() -> bool:
        try:
            return httpx.get(server.url + "api/status", headers=server.headers(), timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    held = files.FileLock(secrets)
    held.acquire()
    callers = [
        threading.Thread(target=call, args=("kernel", "POST", "api/kernels", {"name": "python3"})),
        threading.Thread(target=call, args=("status", "GET", "qcred/status")),
    ]
    try:
        server.process = start_session(server.command, server.env, server.log_path)
        wait_until_serving(server.process, api_answers, timeout=90, what="jupyter server", log_tail=server.log_tail)
        for caller in callers:
            caller.start()
        time.sleep(1.5)  # a window in which neither may answer, since the files are not written
        assert answers == {}, f"answered before the files were written: {sorted(answers)}"
        assert api_answers(), "the server itself keeps answering meanwhile"
        terminal = httpx.post(server.url + "api/terminals", headers=server.headers(), timeout=30)
        assert terminal.status_code == 200, "a terminal is not held (Jupyter creates it on the event loop)"
        assert not secrets.exists()
        released = time.monotonic()
        held.release()

        for caller in callers:
            caller.join(timeout=120)
        assert {name: response.status_code for name, (_, response) in answers.items()} == {"kernel": 201, "status": 200}
        assert all(at >= released for at, _ in answers.values())
        states = {(e["provider"], e["name"]): e["state"] for e in answers["status"][1].json()["providers"]}
        assert states[("qcs", "default")] == "ok"
        kernel_reads_the_bundles_profile(server, answers["kernel"][1].json()["id"], secrets)
    finally:
        held.release()
        server.stop()


def kernel_reads_the_bundles_profile(server: JupyterServer, kernel_id: str, secrets: Path) -> None:
    """The kernel, started the moment the server answered, finds the bundle's QCS profile."""
    from jupyter_client.blocking import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(server.runtime_dir / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=90)
    driver = KernelDriver(client)
    try:
        code = (
            "import json, pathlib, tomllib\n"
            "text = pathlib.Path.home().joinpath('.qcs/secrets.toml').read_text()\n"
            "print(json.dumps(sorted(tomllib.loads(text)['credentials'])))"
        )
        listed = wait_until(lambda: driver.run(code).stdout.strip(), timeout=60, what="the kernel's answer")
        assert "default" in json.loads(listed)
        assert sorted(tomllib.loads(secrets.read_text())["credentials"]) == json.loads(listed)
    finally:
        driver.stop()
