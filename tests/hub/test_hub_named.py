"""Named servers on a real JupyterHub: each of alice's two named servers gets her credentials, Re-initialize and
Restart work from a named server (REST level; the browser's Restart flow is tested with the panel)."""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from support.helpers import stored_qcs_payload, wait_until

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(300)

NAMES = ("one", "two")
EXTRA_CONFIG = """
c.JupyterHub.allow_named_servers = True
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 90}
"""


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    secret = secrets.token_urlsafe(24)
    root = tmp_path_factory.mktemp("named")
    with (
        Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox,
        LocalHub(sandbox, root / "hub", client_secret=secret, extra_config=EXTRA_CONFIG) as hub,
    ):
        hub.login("alice")
        yield sandbox, hub


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """No coroutine tests here; keep pytest-jupyter's loop out of the way."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def servers(hub: LocalHub) -> dict[str, Any]:
    return dict(hub.api("GET", "/users/alice")["servers"])


def ready(hub: LocalHub, name: str) -> bool:
    return bool(servers(hub).get(name, {}).get("ready"))


def server_api(hub: LocalHub, name: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call ``/user/alice/{name}/qcred/{path}`` through the proxy with the hub's test service token."""
    request = urllib.request.Request(
        f"{hub.public_url}user/alice/{name}/qcred/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {hub.api_token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def ok_providers(hub: LocalHub, name: str) -> set[str]:
    code, status = server_api(hub, name, "GET", "status")
    return {entry["provider"] for entry in status["providers"] if entry["state"] == "ok"} if code == 200 else set()


def start(hub: LocalHub, name: str) -> None:
    hub.api("POST", f"/users/alice/servers/{name}")
    wait_until(lambda: ready(hub, name), timeout=90, what=f"alice's server {name!r}")


def test_two_named_servers_get_credentials_reinitialize_and_restart(hub_env: tuple[Sandbox, LocalHub]) -> None:
    sandbox, hub = hub_env
    home = hub.state_dir / "home" / "alice"
    for name in NAMES:
        start(hub, name)

    # Each named server holds alice's credentials and knows which server it is.
    auth_state = hub.api("GET", "/users/alice")["auth_state"]
    for name in NAMES:
        code, status = server_api(hub, name, "GET", "status")
        assert code == 200, status
        assert status["hub"]["server_name"] == name
        assert status["hub"]["spawn_url"] == f"/hub/spawn/alice/{name}"
        wait_until(lambda name=name: ok_providers(hub, name) >= {"ibm", "qcs"}, timeout=30, what=f"{name} checked")
    stored = stored_qcs_payload((home / ".qcs/secrets.toml").read_text())
    assert stored["refresh_token"] == auth_state["refresh_token"]

    # alice logs in again: new tokens in auth_state; Re-initialize from server "two" pulls them.
    hub.login("alice")
    newest = hub.api("GET", "/users/alice")["auth_state"]["refresh_token"]
    assert newest != auth_state["refresh_token"]
    code, answer = server_api(hub, "two", "POST", "reinitialize", {"source": "hub"})
    assert code == 200, answer
    assert answer["result"]["outcome"] != "error", answer["result"]
    stored = stored_qcs_payload((home / ".qcs/secrets.toml").read_text())
    assert stored["refresh_token"] == newest

    # Restart from server "one" stops that server only; its spawn page is the named one.
    code, answer = server_api(hub, "one", "POST", "restart", {})
    assert code == 202, answer
    assert answer["spawn_url"] == "/hub/spawn/alice/one"
    wait_until(lambda: "one" not in servers(hub), timeout=60, what="server 'one' to stop")
    assert ready(hub, "two"), "server 'two' keeps running"
    start(hub, "one")
    code, status = server_api(hub, "one", "GET", "status")
    assert code == 200 and status["hub"]["server_name"] == "one"
    wait_until(lambda: ok_providers(hub, "one") >= {"ibm", "qcs"}, timeout=30, what="server 'one' checked")

    # No secret in the hub's log (which holds both servers' output too).
    log = (hub.state_dir / "jupyterhub.log").read_text()
    assert not [s[-4:] for s in (newest, auth_state["access_token"], stored["access_token"]) if s in log]
    assert sandbox.ibm_credentials("alice")["apikey"] not in log
