"""Azure Quantum under a real Jupyter server: the spawn bundle's workspace is written, the server exports
azure-identity's and azure-quantum's variables, and a kernel it starts uses the real SDKs with nothing else —
against the stand-in Entra ID and workspace. No token text in the status, the server log or the kernel's output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.kernels import JupyterServer

from jupyter_qcred.providers.azure.sandbox import STAND_IN
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
OTHER_WORLDS = ("QCRED_", "JUPYTER_QCRED_", "JUPYTERHUB_", "QCS_", "QISKIT_", "IONQ_", "AZURE")

CELL = """
import json, os
from azure.identity import DefaultAzureCredential
from azure.quantum import Workspace
token = DefaultAzureCredential().get_token("https://quantum.microsoft.com/.default")
workspace = Workspace(arm_endpoint=ARM)
print(json.dumps({
    "file": os.environ["AZURE_FEDERATED_TOKEN_FILE"], "client": os.environ["AZURE_CLIENT_ID"],
    "workspace": workspace.name, "targets": sorted(t.name for t in workspace.get_targets()),
    "token": token.expires_on > 0,
}))
"""


def test_a_kernel_of_the_server_uses_the_workspace_with_the_real_sdks(tmp_path: Path, sandbox: Sandbox) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (entry,) = STAND_IN.bundle_entries(sandbox, "alice")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(OTHER_WORLDS)},
        **STAND_IN.environment(sandbox),
        "SSL_CERT_FILE": sandbox.ca_file or "",
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "QCRED_BUNDLE": json.dumps({"version": 1, "azure": [entry]}),
    }
    server = JupyterServer(env, tmp_path).start()
    try:
        kernel = server.start_kernel()
        result = kernel.run(f"ARM = {sandbox.info['azure_arm_url']!r}\n" + CELL, timeout=120)
        printed = json.loads(result.stdout.strip().splitlines()[-1])
        # The leak guard knows the federated token: printing the file shows no token.
        leaked = kernel.run('import os\nprint(open(os.environ["AZURE_FEDERATED_TOKEN_FILE"]).read())', timeout=60)
        status = server.api("GET", "qcred/status")
    finally:
        server.stop()
    assert printed == {
        "file": str(home / ".azure" / "qcred" / "default.token"),
        "client": entry["client_id"],
        "workspace": "sandbox-workspace",
        "targets": ["ionq.simulator"],
        "token": True,
    }
    (card,) = [p for p in status["providers"] if p["provider"] == "azure"]
    assert card["state"] == "ok" and dict(card["account"]["fields"])["Resource id"] == entry["resource_id"]
    assert sandbox.log("azure_token")[-1]["user"] == "alice"
    now = (home / ".azure" / "qcred" / "default.token").read_text()
    assert leaked.stdout.strip() and now not in leaked.text and entry["federated_token"] not in leaked.text
    seen = json.dumps(status) + server.log_tail() + json.dumps(kernel.messages, default=str)
    assert entry["federated_token"] not in seen and entry["refresh_token"] not in seen
