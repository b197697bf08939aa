"""``jupyter qcred demo`` the way a newcomer meets it: JupyterLab and the sandbox as real processes, stopped by
signals, its ``env`` lines showing alice's credentials to the CLI, and the device-login page on plain http on
loopback. The demo runs in a session of its own with a ``PATH`` that does not hold this interpreter's bin folder
(tests/support/demo_runs.py); ``demo --hub`` is in tests/hub/test_demo.py.
"""

from __future__ import annotations

import json
import signal
import ssl
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from support import demo_runs
from support.demo_runs import (
    cli_status,
    command_lines,
    demo_cli,
    entry,
    kernel_processes,
    sandbox_ports,
    start_kernel,
    stop_and_check,
)
from support.helpers import wait_until

from jupyter_qcred.core.errors import QCredError
from jupyter_qcred.demo.world import demo_env_lines
from jupyter_qcred.sandbox.client import Sandbox

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.timeout(420)

# A demo as a process tree, stopped and checked from the outside (tests/support/demo_runs.py).
start_demo = demo_runs.start_demo

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_lab_demo_stops_everything_on_a_signal(start_demo: Any, signum: signal.Signals) -> None:
    demo = start_demo()
    demo.wait_serving("api")
    server = f"http://127.0.0.1:{demo.port}/"
    with httpx.Client(timeout=30) as client:
        start_kernel(client, server, {"Authorization": f"token {demo.token}"})
    wait_until(lambda: kernel_processes(demo), timeout=60, what="the kernel process")
    started = command_lines(demo.tree())
    assert any("jupyter_qcred.sandbox" in line for line in started), started
    assert any("-m jupyterlab" in line for line in started), started
    assert (demo.root / "demo.json").exists()

    stop_and_check(demo, signum, [demo.port, *sandbox_ports(demo.root)])
    assert not (demo.root / "demo.json").exists(), "a stopped demo publishes no environment"
    with pytest.raises(QCredError, match="no demo is running"):
        demo_env_lines(root=demo.root)


@pytest.mark.slow
def test_lab_demo_env_lines_show_alices_credentials_to_the_cli(start_demo: Any) -> None:
    demo = start_demo()
    demo.wait_serving("api")
    # The server answers before its start-up has written the bundle (kernels and terminals wait for it): the qcred
    # API answers once the files are there.
    status_url, token = f"http://127.0.0.1:{demo.port}/qcred/status", {"Authorization": f"token {demo.token}"}
    wait_until(lambda: httpx.get(status_url, headers=token, timeout=30).status_code == 200, timeout=60)
    # The demo rewrites env.sh while it runs: what the server hands its kernels (Azure Quantum's token file...)
    # exists once its start-up wrote the files, after the demo first published.
    wait_until(
        lambda: (demo.root / "env.sh").read_text().splitlines() == demo_env_lines(root=demo.root),
        timeout=30,
        what="`source env.sh` saying what `demo --env` says",
    )
    lines = demo_env_lines(root=demo.root)
    token_file = demo.root / "home" / ".azure" / "qcred" / "default.token"
    assert f"export AZURE_FEDERATED_TOKEN_FILE={token_file}" in lines, "the server's exports for the SDKs"
    text = "\n".join(lines)
    for name in ("HOME", "IAM_URL", "SSL_CERT_FILE", "PATH"):
        assert f"export {name}=" in text
    assert f"export HOME={demo.root / 'home'}" in lines
    home = demo.root / "home"
    handed_out = [
        *(
            value
            for entry in tomllib.loads((home / ".qcs" / "secrets.toml").read_text())["credentials"].values()
            for value in (entry.get("token_payload") or {}).values()
        ),
        *(account["token"] for account in json.loads((home / ".qiskit" / "qiskit-ibm.json").read_text()).values()),
    ]
    assert not [str(secret)[-4:] for secret in handed_out if len(str(secret)) >= 12 and str(secret) in text]

    # A separate shell: the real HOME, no PYTHON* tricks beyond the checkout, the venv's bin not on PATH.
    shell_env = {key: value for key, value in demo.env.items() if key not in ("JUPYTER_DATA_DIR", "JUPYTER_TOKEN")}
    shell_env["QCS_SETTINGS_FILE_PATH"] = "/nonexistent/settings.toml"  # the lines unset what points elsewhere
    status = cli_status(lines, shell_env)
    assert entry(status, "qcs", "default")["state"] == "ok", status
    assert entry(status, "ibm", "default-ibm-quantum-platform")["state"] == "ok", status
    assert entry(status, "qcs", "default")["file"].startswith(str(demo.root / "home"))


def alice_secrets(home: Path) -> list[str]:
    """Every token and key the demo wrote for alice (what no output of the demo may show)."""
    qcs = tomllib.loads((home / ".qcs" / "secrets.toml").read_text())["credentials"].values()
    ibm = json.loads((home / ".qiskit" / "qiskit-ibm.json").read_text()).values()
    found = [str(v) for e in qcs for v in (e.get("token_payload") or {}).values()]
    return [s for s in (*found, *(a["token"] for a in ibm)) if len(s) >= 12]


def pasted_values(text: str) -> dict[str, dict[str, str]]:
    """``demo --credentials``'s blocks: title -> label -> value."""
    blocks: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.startswith("  "):
            blocks[line.rstrip(":")] = current = {}
        else:
            label, value = line.strip().split(": ", 1)
            current[label] = value
    return blocks


@pytest.mark.slow
def test_lab_demo_starts_all_green_gives_keys_to_paste_and_restarts_clean(start_demo: Any) -> None:
    demo = start_demo()
    demo.wait_serving("api")
    server, token = f"http://127.0.0.1:{demo.port}/", {"Authorization": f"token {demo.token}"}
    wait_until(lambda: httpx.get(server + "qcred/status", headers=token, timeout=30).status_code == 200, timeout=60)
    status = httpx.get(server + "qcred/status", headers=token, timeout=30).json()
    assert not [e["name"] for e in status["providers"] if e["action_needed"]], status
    assert [e["name"] for e in status["providers"] if e["provider"] == "ibm"] == ["default-ibm-quantum-platform"]
    home = demo.root / "home"
    alice = alice_secrets(home)
    shell_env = {key: value for key, value in demo.env.items() if key not in ("JUPYTER_TOKEN",)}
    cli_status(demo_env_lines(root=demo.root), shell_env)  # exit 0, nothing needs action
    said = demo.log_path.read_text()
    assert "--credentials" in said and "/_sandbox/credentials" in said and "Scenarios on: none" in said

    # Keys to paste: bob's, on request, never alice's.
    printed = demo_cli(demo, "--credentials")
    assert printed.returncode == 0, printed.stderr
    values = pasted_values(printed.stdout)
    sandbox_info = json.loads((demo.root / "sandbox" / "sandbox.json").read_text())
    bob = httpx.get(sandbox_info["admin_url"] + "/credentials", timeout=30).json()
    assert values["IBM Quantum"] == {
        "API key": bob["ibm"]["bob"]["apikey"],
        "instance": bob["ibm"]["bob"]["instance"],
        "URL": sandbox_info["runtime_url"],
    }
    assert values["IonQ"] == {"API key": bob["ionq"]["bob"]}
    assert not [secret[-4:] for secret in alice if secret in printed.stdout + demo.log_path.read_text()]

    # Pasted into a new profile, bob's QCS token takes the default profile's deployment, gRPC included.
    pasted = {
        "source": "token",
        "provider": "qcs",
        "profile": "bob",
        "refresh_token": values["Rigetti QCS"]["refresh token"],
    }
    answer = httpx.post(server + "qcred/reinitialize", headers=token, json=pasted, timeout=60).json()
    assert answer["result"]["outcome"] == "ok", answer["result"]
    profiles = tomllib.loads((home / ".qcs" / "settings.toml").read_text())["profiles"]
    assert profiles["bob"]["grpc_api_url"] == profiles["default"]["grpc_api_url"] == sandbox_info["qcs_grpc_url"]
    assert profiles["bob"]["api_url"] == profiles["default"]["api_url"] == sandbox_info["qcs_api_url"]
    stop_and_check(demo, signal.SIGTERM, [demo.port, *sandbox_ports(demo.root)])

    # The next start is clean (the new sandbox would refuse bob's profile), with the legacy scenario on.
    again = start_demo("--scenario", "legacy")
    again.wait_serving("api")
    status_url = f"http://127.0.0.1:{again.port}/qcred/status"
    headers = {"Authorization": f"token {again.token}"}
    wait_until(lambda: httpx.get(status_url, headers=headers, timeout=30).status_code == 200, timeout=60)
    said = again.log_path.read_text().split("received signal")[-1]  # the second run's part of the shared log
    assert "A fresh demo in" in said and "Scenarios on: legacy." in said
    assert "bob" not in tomllib.loads((home / ".qcs" / "settings.toml").read_text())["profiles"]
    status = cli_status(demo_env_lines(root=again.root), shell_env, legacy=True)  # exit 3: legacy alone
    assert entry(status, "ibm", "legacy")["state"] == "unsupported"

    # The sandbox's admin action while the demo runs: the scenario switched off takes the account out of alice's
    # files, and the server's status follows (the panel's, the status bar's); switched on again, it is back.
    admin = json.loads((again.root / "sandbox" / "sandbox.json").read_text())["admin_url"]

    def ibm_accounts() -> dict[str, bool]:
        answer = httpx.get(status_url, headers=headers, timeout=30).json()
        return {e["name"]: e["action_needed"] for e in answer["providers"] if e["provider"] == "ibm"}

    httpx.post(admin + "/scenarios", json={"name": "legacy", "on": False}, timeout=30).raise_for_status()
    wait_until(lambda: ibm_accounts() == {"default-ibm-quantum-platform": False}, timeout=60, what="legacy removed")
    cli_status(demo_env_lines(root=again.root), shell_env)  # all green again: exit 0
    httpx.post(admin + "/scenarios", json={"name": "legacy", "on": True}, timeout=30).raise_for_status()
    wait_until(lambda: ibm_accounts().get("legacy") is True, timeout=60, what="legacy back, action needed")
    assert "scenario 'legacy' switched off: removed alice's legacy IBM account." in again.log_path.read_text()


def test_device_login_page_is_plain_http_on_loopback(sandbox: Sandbox) -> None:
    assert sandbox.ca_file
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox.ca_file), timeout=30) as https:
        discovery = https.get(sandbox.qcs_issuer + "/.well-known/openid-configuration").json()
        assert discovery["token_endpoint"].startswith("https://127.0.0.1:"), "the SDKs still get https"
        start = https.post(
            discovery["device_authorization_endpoint"],
            data={"client_id": sandbox.qcs_client_id, "scope": "openid offline_access"},
        ).json()
        for key in ("verification_uri", "verification_uri_complete"):
            url = urlparse(start[key])
            assert (url.scheme, url.hostname) == ("http", "127.0.0.1"), start[key]
            assert url.path == "/activate"

        # A browser's view: plain HTTP (no TLS at all), the page with the code filled in.
        with httpx.Client(timeout=30) as browser:
            page = browser.get(start["verification_uri_complete"])
            assert page.status_code == 200
            assert page.url.scheme == "http"
            assert 'id="approve"' in page.text and start["user_code"] in page.text
            form = {"user_code": start["user_code"], "username": "alice", "action": "approve"}
            approved = browser.post(start["verification_uri"], data=form)
            assert approved.status_code == 200 and 'id="result"' in approved.text

        # The device (the SDK) then gets its tokens over https.
        tokens = https.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "client_id": sandbox.qcs_client_id,
                "device_code": start["device_code"],
            },
        )
        assert tokens.status_code == 200, tokens.text
        assert tokens.json()["refresh_token"]
    activations = [e for e in sandbox.log("qcs_activate") if e["method"] == "POST"]
    assert activations and activations[-1]["scheme"] == "http"
