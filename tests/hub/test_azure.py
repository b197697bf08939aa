"""Azure Quantum through a real local JupyterHub: ``configure(c, azure={...})`` (the stand-in's ``hub_options``)
turns the login's id_token into alice's federated token file, the server renews it by pulling the hub, and the
real azure-identity and azure-quantum, with exactly the environment her server hands its kernels, get Entra tokens
and reach the workspace as her app."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.helpers import wait_until
from support.hub import login, server_ready, user_api

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.providers.azure.sandbox import STAND_IN
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = [pytest.mark.timeout(420), pytest.mark.slow]

LIFETIME = 60  # seconds: the id_token is renewed (through the hub) during the test

SDK = """
import json, os
from azure.identity import DefaultAzureCredential
from azure.quantum import Workspace
token = DefaultAzureCredential().get_token("https://quantum.microsoft.com/.default")
workspace = Workspace(arm_endpoint=ARM)
print(json.dumps({"token": token.expires_on > 0, "targets": sorted(t.name for t in workspace.get_targets()),
                  "env": {k: v for k, v in os.environ.items() if k.startswith("AZURE_")}}))
"""


def claims(jwt: str) -> dict[str, Any]:
    segment = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def run_in_kernel(hub: LocalHub, user: str, code: str, timeout: float = 120) -> str:
    """Run ``code`` in a kernel that ``user``'s server starts (so it inherits what the server exports), over the
    server's own kernel WebSocket through the hub's proxy; returns what it printed."""
    import asyncio
    import uuid

    import tornado.httpclient
    import tornado.websocket

    headers = {"Authorization": f"token {hub.api_token}"}
    base = f"{hub.public_url}user/{user}/api/kernels"
    request = urllib.request.Request(
        base, method="POST", data=b'{"name": "python3"}', headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        kernel = json.load(answer)

    async def execute() -> str:
        url = base.replace("http://", "ws://", 1) + f"/{kernel['id']}/channels"
        socket = await tornado.websocket.websocket_connect(tornado.httpclient.HTTPRequest(url, headers=headers))
        msg_id, printed = uuid.uuid4().hex, []
        header = {
            "msg_id": msg_id,
            "username": user,
            "session": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "version": "5.3",
        }
        content = {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}
        await socket.write_message(json.dumps(message))
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            raw = await asyncio.wait_for(socket.read_message(), deadline - asyncio.get_running_loop().time())
            assert raw is not None, "the kernel channel closed"
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if reply["msg_type"] == "stream":
                printed.append(reply["content"]["text"])
            elif reply["msg_type"] == "error":
                raise AssertionError("\n".join(reply["content"]["traceback"])[-3000:])
            elif reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                socket.close()
                return "".join(printed)

    try:
        # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, execute()).result()
    finally:
        delete = urllib.request.Request(f"{base}/{kernel['id']}", method="DELETE", headers=headers)
        urllib.request.urlopen(delete, timeout=60).close()


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    secret = secrets.token_urlsafe(24)
    root = tmp_path_factory.mktemp("hub")
    with Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox:
        sandbox.configure(access_token_lifetime=LIFETIME)
        with LocalHub(sandbox, root / "hub", client_secret=secret, auth_refresh_age=2) as hub:
            yield sandbox, hub


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """No coroutine tests here; keep pytest-jupyter's loop away from Playwright's."""
    import asyncio

    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Chromium")
def test_the_hub_login_becomes_a_renewed_federated_token_the_sdks_use(
    hub_env: tuple[Sandbox, LocalHub], browser: Any
) -> None:
    sandbox, hub = hub_env
    assert STAND_IN.hub_options(sandbox) is not None
    login(browser, hub, "alice")
    wait_until(lambda: server_ready(hub, "alice"), timeout=90, what="alice's server")
    home = hub.state_dir / "home" / "alice"
    token_file = home / ".azure" / "qcred" / "default.token"
    first = wait_until(lambda: token_file.exists() and token_file.read_text(), timeout=30, what="the token file")
    auth_state = hub.api("GET", "/users/alice")["auth_state"]
    assert claims(first)["aud"] == "jupyterhub" and claims(first)["sub"] == claims(auth_state["id_token"])["sub"]
    assert token_file.stat().st_mode & 0o777 == 0o600
    note = json.loads((home / ".azure" / "qcred" / "default.json").read_text())
    assert note["refresh"] == "hub" and "refresh_token" not in note, "the hub's confidential client keeps its own"

    # Renewed ahead of expiry by pulling the hub's freshest id_token.
    wait_until(
        lambda: claims(token_file.read_text())["exp"] > claims(first)["exp"],
        timeout=LIFETIME + 30,
        what="alice's Azure login token renewed through the hub",
    )
    code, status = user_api(hub, "alice", "GET", "status")
    (card,) = [e for e in status["providers"] if e["provider"] == "azure"]
    assert code == 200 and card["account"]["refresh_via"] == "hub", card
    assert card["state"] in ("ok", "refreshing", "expiring"), card

    # A kernel her server starts has the variables, and the real SDKs need nothing else (but ARM's address).
    printed = run_in_kernel(hub, "alice", f"ARM = {sandbox.info['azure_arm_url']!r}\n" + SDK)
    answer = json.loads(printed.strip().splitlines()[-1])
    assert answer["token"] is True and answer["targets"] == ["ionq.simulator"], answer
    assert answer["env"]["AZURE_FEDERATED_TOKEN_FILE"] == str(token_file)
    assert answer["env"]["AZURE_CLIENT_ID"] == sandbox.info["azure_client_id"]
    assert answer["env"]["AZURE_AUTHORITY_HOST"] == sandbox.info["azure_authority"]
    assert answer["env"]["AZURE_QUANTUM_WORKSPACE_NAME"] == "sandbox-workspace"
    assert sandbox.log("azure_token")[-1]["user"] == "alice"

    log = (hub.state_dir / "jupyterhub.log").read_text() + json.dumps(status)
    for secret in (first, token_file.read_text(), auth_state["refresh_token"]):
        assert secret not in log
