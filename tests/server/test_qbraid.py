"""qBraid under a real Jupyter server: a key pasted through the REST API is checked with the stand-in before it is
written into ~/.qbraid/qbraidrc (other profiles kept), the card shows the account and the credit balance, a second
paste asks "Replace it?" (409), and a kernel the server starts uses the key with the real qbraid SDK. No key text in
the answers, the status, the server log or the kernel's messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from support.kernels import JupyterServer

from jupyter_qcred.sandbox.client import Sandbox

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
OTHER_WORLDS = ("QCRED_", "JUPYTER_QCRED_", "JUPYTERHUB_", "QBRAID_")

CELL = """
from qbraid_core.client import QbraidClient
client = QbraidClient()
print("user", client._user_metadata["userName"], "credits", client.user_credits_value())
"""


def test_a_pasted_key_is_checked_shown_and_used_by_a_kernel_of_the_server(tmp_path: Path, sandbox: Sandbox) -> None:
    home = tmp_path / "home"
    (home / ".qbraid").mkdir(parents=True, mode=0o700)
    rcfile = home / ".qbraid" / "qbraidrc"
    rcfile.write_text("[default]\nworkspace = qbraid\n\n[lab]\napi-key = lab-key-1234\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(OTHER_WORLDS)},
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    key = str(sandbox.admin("GET", "credentials")["qbraid"]["bob"])
    url = sandbox.info["qbraid_url"]
    server = JupyterServer(env, tmp_path).start()
    answers: list[object] = []
    try:
        refused = server.api(
            "POST",
            "qcred/reinitialize",
            {"source": "token", "provider": "qbraid", "token": "qbr_" + "9" * 64, "url": url},
        )
        assert refused["result"]["outcome"] == "refused" and "lab-key-1234" in rcfile.read_text()
        assert "api-key = qbr_" not in rcfile.read_text()
        pasted = server.api(
            "POST", "qcred/reinitialize", {"source": "token", "provider": "qbraid", "token": key, "url": url}
        )
        assert pasted["result"]["outcome"] == "ok", pasted["result"]
        with pytest.raises(httpx.HTTPStatusError) as again:
            server.api("POST", "qcred/reinitialize", {"source": "token", "provider": "qbraid", "token": key})
        assert again.value.response.status_code == 409 and again.value.response.json()["reason"] == "exists"
        status = server.api("GET", "qcred/status")
        kernel = server.start_kernel()
        result = kernel.run(CELL, timeout=120)
        printed = kernel.run("import os; print(open(os.path.expanduser('~/.qbraid/qbraidrc')).read())", timeout=60)
        answers += [refused, pasted, again.value.response.json(), status]
    finally:
        server.stop()
    assert "user bob credits 1000.0" in result.stdout, result.stdout + result.text
    assert "api-key = " in printed.stdout and key not in printed.stdout  # the kernel's output filter knows the key
    (card,) = [p for p in status["providers"] if p["provider"] == "qbraid"]
    fields = dict(card["account"]["fields"])
    assert card["state"] == "ok" and fields["Account"] == "bob@example.org (bob)"
    assert fields["Credits"] == "1,000 qBraid credits" and fields["API"] == url
    assert (
        rcfile.read_text()
        == f"[default]\nworkspace = qbraid\napi-key = {key}\nurl = {url}\n\n[lab]\napi-key = lab-key-1234\n"
    )
    seen = json.dumps(answers) + server.log_tail() + json.dumps(kernel.messages, default=str)
    assert key not in seen
