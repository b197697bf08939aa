"""On a real JupyterHub (oauthenticator against the sandbox, configurable-http-proxy, local spawner, Chromium):

- cross-user access (held before issue 13, kept): alice's server token reads neither bob's auth_state nor his
  server; her server only ever serves her;
- the hub's log with a bad mapper (new secret scan): an admin's mapper that fails for bob with his whole auth_state
  in its message leaves no token in the hub's log; bob's server starts without credentials, alice's is unaffected;
- the bundle file hand-over writes ``bundle_dir/alice.json`` 0600 into a folder only the hub can write to.
"""

from __future__ import annotations

import os
import secrets
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.helpers import wait_until
from support.hub import hub_get, login, server_ready, server_token, user_api

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(420)

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Chromium", allow_module_level=True)

BAD_MAPPER = """
def qcred_mapper(auth_state):
    user = ((auth_state or {}).get("oauth_user") or {}).get("preferred_username")
    if user == "bob":  # an admin's mapper with a bug, that puts the whole auth_state into its message
        raise ValueError("cannot map " + repr(auth_state))
    return jupyter_qcred.hub.default_mapper(settings["qcs"])(auth_state)

for section, hook in ((c.Authenticator, "post_auth_hook"), (c.Spawner, "auth_state_hook")):
    section.pop(hook, None)  # configure again, from scratch, with the mapper and the file hand-over
jupyter_qcred.hub.configure(
    c, qcs=settings["qcs"], mapper=qcred_mapper, handover="file", bundle_dir=settings["state_dir"] + "/bundles"
)
"""


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """No coroutine tests here; keep pytest-jupyter's loop away from Playwright's."""
    import asyncio

    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    secret = secrets.token_urlsafe(24)
    root = tmp_path_factory.mktemp("hub-security")
    with (
        Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox,
        LocalHub(sandbox, root / "hub", client_secret=secret, extra_config=BAD_MAPPER) as local_hub,
    ):
        yield sandbox, local_hub


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright
    from support.browser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def test_bad_mapper_and_cross_user_on_a_real_hub(hub: tuple[Sandbox, LocalHub], browser: Any) -> None:
    _sandbox, local_hub = hub
    for user in ("alice", "bob"):
        login(browser, local_hub, user)
        wait_until(lambda user=user: server_ready(local_hub, user), timeout=90, what=f"{user}'s server")

    # alice got her bundle through the file; bob's server started without credentials from the hub.
    bundles = local_hub.state_dir / "bundles"
    assert sorted(p.name for p in bundles.iterdir() if not p.name.startswith(".")) == ["alice.json"]
    assert stat.S_IMODE(os.stat(bundles / "alice.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(bundles).st_mode) == 0o711
    code, status = user_api(local_hub, "alice", "GET", "status")
    assert code == 200 and status["defaults"]["qcs"] == "default"
    code, status = user_api(local_hub, "bob", "GET", "status")
    assert code == 200 and not [e for e in status["providers"] if e["provider"] == "qcs" and e["name"]]

    # The hub's log names the failure, never the auth_state the mapper put into its message.
    log = (local_hub.state_dir / "jupyterhub.log").read_text(errors="replace")
    assert "the credentials mapper failed for bob (ValueError; its message is not logged)" in log
    tokens = []
    for user in ("alice", "bob"):
        state = local_hub.api("GET", f"/users/{user}")["auth_state"]
        tokens += [state["access_token"], state["refresh_token"]]
    assert all(len(token) > 20 for token in tokens)
    leaked = [token[-4:] for token in tokens if token in log]
    assert not leaked, f"the hub's log holds tokens ending in {leaked}"

    # Cross-user: alice's server token is worth nothing for bob.
    alice_token = server_token(local_hub, "alice")
    code, _ = hub_get(local_hub, "/users/bob", alice_token)
    assert code in (403, 404)
    code, own = hub_get(local_hub, "/users/alice", alice_token)
    assert code == 200 and own["name"] == "alice"
    request_to_bob = local_hub.public_url + "user/bob/qcred/status"
    try:
        with urllib.request.urlopen(
            urllib.request.Request(request_to_bob, headers={"Authorization": f"token {alice_token}"}), timeout=30
        ) as answer:
            refused = answer.status
    except urllib.error.HTTPError as exc:
        refused = exc.code
    assert refused in (403, 404), refused
