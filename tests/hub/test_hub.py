"""End to end on a real local JupyterHub: OIDC login in a real browser, spawn, refresh, re-initialize, restart.

The hub logs users in through oauthenticator's GenericOAuthenticator against the sandbox's identity provider, so
auth_state holds real tokens the sandbox issued; `jupyter_qcred.hub.configure(c)` hands them to each server.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.helpers import stored_qcs_payload, wait_until
from support.hub import hub_get, login, server_ready, server_token, user_api
from support.kernels import credential_file_secrets

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(420)

ADMIN_CONFIG = """
# The admin's own hooks and roles, set before jupyter_qcred.hub.configure(c): they must keep working.
from pathlib import Path as _Path

def admin_pre_spawn_hook(spawner):
    _Path(settings["state_dir"], "pre_spawn_" + spawner.user.name).write_text("ran")

c.Spawner.pre_spawn_hook = admin_pre_spawn_hook
c.JupyterHub.services = [{"name": "auditor", "api_token": "auditor-token-0123456789abcdef"}]
c.JupyterHub.load_roles = [{"name": "auditor", "scopes": ["list:users", "read:users:name"], "services": ["auditor"]}]
"""
QCS_LIFETIME = 40  # seconds: short, so the server must refresh (through the hub) during the test


def claims(jwt: str) -> dict[str, Any]:
    segment = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def qcs_tokens(home: Path) -> dict[str, Any]:
    return stored_qcs_payload((home / ".qcs" / "secrets.toml").read_text())


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    secret = secrets.token_urlsafe(24)
    root = tmp_path_factory.mktemp("hub")
    with Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox:
        sandbox.configure(access_token_lifetime=QCS_LIFETIME)
        with LocalHub(
            sandbox, root / "hub", client_secret=secret, auth_refresh_age=2, admin_config=ADMIN_CONFIG
        ) as hub:
            yield sandbox, hub


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """This module runs no coroutine tests; keep pytest-jupyter's loop away from Playwright's."""
    import asyncio

    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def server_gone(hub: LocalHub, user: str) -> bool:
    return "" not in hub.api("GET", f"/users/{user}").get("servers", {})


@pytest.mark.skipif(os.getuid() != 0 and not Path("/usr/bin/chromium").exists(), reason="needs Chromium")
def test_hub_end_to_end(hub_env: tuple[Sandbox, LocalHub], browser: Any) -> None:
    sandbox, hub = hub_env
    homes = hub.state_dir / "home"

    # 1. Two users log in through the identity provider in a real browser; their servers spawn.
    pages = {user: login(browser, hub, user) for user in ("alice", "bob")}
    for user in pages:
        wait_until(lambda user=user: server_ready(hub, user), timeout=90, what=f"{user}'s server")

    # 2. Each home holds that user's tokens, not the other's.
    for user, other in (("alice", "bob"), ("bob", "alice")):
        home = homes / user
        auth_state = hub.api("GET", f"/users/{user}")["auth_state"]
        tokens = wait_until(lambda home=home: (home / ".qcs/secrets.toml").exists() and qcs_tokens(home), timeout=30)
        assert claims(tokens["access_token"])["sub"] == claims(auth_state["access_token"])["sub"]
        assert (
            claims(tokens["access_token"])["sub"]
            != claims(hub.api("GET", f"/users/{other}")["auth_state"]["access_token"])["sub"]
        )
        ibm = json.loads((home / ".qiskit/qiskit-ibm.json").read_text())
        assert ibm["default-ibm-quantum-platform"]["token"] == sandbox.ibm_credentials(user)["apikey"]
        assert sandbox.ibm_credentials(other)["apikey"] not in (home / ".qiskit/qiskit-ibm.json").read_text()
        assert (home / ".qcs/secrets.toml").stat().st_mode & 0o777 == 0o600
        assert (hub.state_dir / f"pre_spawn_{user}").read_text() == "ran", "the admin's pre_spawn_hook ran"

    # The admin's own role still works, and a server's token cannot read another user's auth_state.
    assert hub_get(hub, "/users", "auditor-token-0123456789abcdef")[0] == 200
    alice_token = server_token(hub, "alice")
    code, own = hub_get(hub, "/users/alice", alice_token)
    assert code == 200 and own.get("auth_state"), "alice's server may read alice's auth_state"
    code, other = hub_get(hub, "/users/bob", alice_token)
    assert code in (403, 404) and not (other or {}).get("auth_state")

    # 3. The server keeps the QCS token fresh before it expires (refreshing through the hub).
    alice_home = homes / "alice"
    first = qcs_tokens(alice_home)
    first_exp = claims(first["access_token"])["exp"]
    fresh = wait_until(
        lambda: (t := qcs_tokens(alice_home)) and claims(t["access_token"])["exp"] > first_exp and t,
        timeout=QCS_LIFETIME + 20,
        what="the server's refresh of alice's QCS token",
    )
    refreshes = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    assert refreshes and refreshes[0]["time"] < first_exp, "refreshed before the old token expired"
    assert fresh["refresh_token"] != first["refresh_token"], "the rotated refresh token was stored"
    code, status = user_api(hub, "alice", "GET", "status")
    assert code == 200
    assert status["hub"]["available"] is True and status["hub"]["can_restart"] is True
    (qcs,) = [e for e in status["providers"] if e["provider"] == "qcs"]
    assert qcs["state"] in ("ok", "refreshing", "expiring")

    # The hub login's id_token is alice's Amazon Braket token (hub.configure(braket=...)), renewed through the hub
    # like QCS; IonQ and Nexus came from the institutional secret store in auth_state["qcred"].
    braket_token = alice_home / ".aws" / "qcred" / "default.token"
    first_id = wait_until(lambda: braket_token.exists() and braket_token.read_text(), timeout=30)
    assert claims(first_id)["aud"] == "jupyterhub" and claims(first_id)["sub"] == claims(first["access_token"])["uid"]
    wait_until(
        lambda: claims(braket_token.read_text())["exp"] > claims(first_id)["exp"],
        timeout=QCS_LIFETIME + 30,
        what="alice's Braket login token renewed through the hub",
    )
    code, status = user_api(hub, "alice", "GET", "status")
    by = {e["provider"]: e for e in status["providers"]}
    assert by["braket"]["account"]["refresh_via"] == "hub" and by["braket"]["state"] in ("ok", "refreshing", "expiring")
    assert by["ionq"]["state"] == "ok" and by["nexus"]["state"] in ("ok", "refreshing", "expiring")

    # 4. Alice logs in again at the hub (new tokens in auth_state); re-initialize pulls them into her files.
    pages["alice"].goto(hub.public_url + "hub/logout")
    pages["alice"] = login(browser, hub, "alice")
    newest = hub.api("GET", "/users/alice")["auth_state"]["refresh_token"]
    code, status = user_api(hub, "alice", "POST", "reinitialize", {"source": "hub"})
    assert code == 200, status
    assert qcs_tokens(alice_home)["refresh_token"] == hub.api("GET", "/users/alice")["auth_state"]["refresh_token"]
    assert newest  # the hub had tokens to hand over

    # 5. Restart stops the server through the hub; the spawn page brings it back.
    code, answer = user_api(hub, "alice", "POST", "restart", {})
    assert code == 202 and answer["spawn_url"] == "/hub/spawn/alice"
    # JupyterHub stops a local server with SIGINT, then SIGTERM and SIGKILL after its own timeouts: on a busy machine
    # that alone can take most of a minute.
    wait_until(lambda: server_gone(hub, "alice"), timeout=120, what="alice's server to stop")
    pages["alice"].goto(hub.public_url.rstrip("/") + answer["spawn_url"])
    wait_until(lambda: server_ready(hub, "alice"), timeout=90, what="alice's server to come back")
    code, status = user_api(hub, "alice", "GET", "status")
    assert code == 200 and any(e["provider"] == "qcs" for e in status["providers"])

    # 6. No secret in the hub's log (which also holds the single-user servers' output) nor in any answer.
    seen = (hub.state_dir / "jupyterhub.log").read_text() + json.dumps(status)
    secrets_handed_out = [
        qcs_tokens(homes / user)[key] for user in ("alice", "bob") for key in ("access_token", "refresh_token")
    ]
    secrets_handed_out += [
        sandbox.ibm_credentials(user)[key] for user in ("alice", "bob") for key in ("apikey", "legacy_token")
    ]
    for user in ("alice", "bob"):  # IonQ keys, Braket login tokens, Nexus tokens too
        secrets_handed_out += credential_file_secrets(homes / user)
    assert not [token[-4:] for token in secrets_handed_out if token in seen]
