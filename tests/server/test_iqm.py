"""IQM Resonance under a real Jupyter server: a Resonance API token pasted through the REST API is checked with the
stand-in before it is written, a second paste asks "Replace it?" (409), the card shows the server and the quantum
computers the token sees, and a kernel the server starts authenticates with the real iqm-client using only what the
server exported for it. No token text in the answers, the status, the server log or the kernel's messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from support.kernels import JupyterServer

from jupyter_qcred.sandbox.client import Sandbox

#: iqm-client runs from a folder of its own (tests/support/sdkfolder.py: it cannot share this environment).
pytestmark = [pytest.mark.timeout(600), pytest.mark.slow, pytest.mark.usefixtures("iqm_on_path")]

REPO = Path(__file__).resolve().parents[2]
OTHER_WORLDS = ("QCRED_", "JUPYTER_QCRED_", "JUPYTERHUB_", "IQM_")

CELL = """
import os
from iqm.iqm_client import IQMClient
client = IQMClient.from_url()
print("auth", "IQM_TOKEN" in os.environ, "IQM_TOKENS_FILE" in os.environ)
print("health", client.get_health()["status"], client._executor.client.quantum_computer)
"""


def test_a_pasted_token_is_checked_shown_and_used_by_a_kernel_of_the_server(tmp_path: Path, sandbox: Sandbox) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(OTHER_WORLDS)},
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    token = str(sandbox.admin("GET", "credentials")["iqm"]["alice"])  # alice's token sees one computer
    url = sandbox.info["iqm_url"]
    paste = {"source": "token", "provider": "iqm", "url": url}
    server = JupyterServer(env, tmp_path).start()
    answers: list[object] = []
    try:
        refused = server.api("POST", "qcred/reinitialize", {**paste, "token": "sbxiqm_" + "9" * 40})
        assert refused["result"]["outcome"] == "refused" and not (home / ".iqm" / "tokens.json").exists()
        pasted = server.api("POST", "qcred/reinitialize", {**paste, "token": token})
        assert pasted["result"]["outcome"] == "ok", pasted["result"]
        with pytest.raises(httpx.HTTPStatusError) as again:
            server.api("POST", "qcred/reinitialize", {**paste, "token": token})
        assert again.value.response.status_code == 409 and again.value.response.json()["reason"] == "exists"
        status = server.api("GET", "qcred/status")
        kernel = server.start_kernel()
        result = kernel.run(CELL, timeout=120)
        printed = kernel.run("import os; print(open(os.path.expanduser('~/.iqm/tokens.json')).read())", timeout=60)
        answers += [refused, pasted, again.value.response.json(), status]
    finally:
        server.stop()
    assert "auth True False" in result.stdout, result.stdout + result.text  # one of the two, as iqm-client wants
    assert "health healthy garnet" in result.stdout, result.stdout + result.text
    assert sandbox.log("iqm_health")[-1]["user"] == "alice"
    assert '"api_token"' in printed.stdout and token not in printed.stdout  # the kernel's output filter knows it
    (card,) = [p for p in status["providers"] if p["provider"] == "iqm"]
    fields = dict(card["account"]["fields"])
    assert card["state"] == "ok" and fields["Server"] == url and fields["Quantum computers"] == "garnet"
    assert fields["Token"] == "API token" and fields["Expires"].startswith("not stated in the token")
    seen = json.dumps(answers) + server.log_tail() + json.dumps(kernel.messages, default=str)
    assert token not in seen
