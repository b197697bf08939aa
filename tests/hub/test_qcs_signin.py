"""The QCS browser login started from the panel of a server under a real JupyterHub, clicked in real Chromium.

issue 23: the hub logs in with its confidential client ``jupyterhub``, whose secret stays on the hub; a login the
server starts must use the public client the deployment configures for notebook-server logins, and land a QCS
credential that works (the panel's Refresh renews it with that client).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from support.browser import BUILT_LABEXTENSION, CHROMIUM, launch_chromium, open_card, show_panel
from support.helpers import wait_until
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    root = tmp_path_factory.mktemp("qcs-login-hub")
    share = root / "share"  # the spawned servers serve the extension built in this working tree
    (share / "labextensions").mkdir(parents=True)
    (share / "labextensions" / "jupyter-qcred").symlink_to(BUILT_LABEXTENSION.resolve(), target_is_directory=True)
    secret = secrets.token_urlsafe(24)
    with Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox:
        sandbox.configure(device_interval=1)
        # The demo's hub configures the servers' public login client (configure(c, qcs={"login_client_id": ...}),
        # the sandbox's public client, like Rigetti's public CLI client).
        environment = {"JUPYTER_PATH": str(share)}
        with LocalHub(sandbox, root / "hub", client_secret=secret, environment=environment) as hub:
            yield sandbox, hub


@pytest.fixture(scope="module")
def page(hub_env: tuple[Sandbox, LocalHub]) -> Iterator[Any]:
    _sandbox, hub = hub_env
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        pg = context.new_page()
        pg.goto(hub.public_url + "hub/oauth_login")
        pg.select_option("#username", "alice")
        pg.click("#login")
        pg.wait_for_url("**/user/alice/lab**", timeout=120_000)
        yield pg
        context.close()
        browser.close()


def settings_of(hub: LocalHub, user: str) -> Any:
    return tomlkit.parse((Path(hub.state_dir) / "home" / user / ".qcs" / "settings.toml").read_text())


def test_browser_login_under_the_hub_lands_a_working_credential(page: Any, hub_env: tuple[Sandbox, LocalHub]) -> None:
    sandbox, hub = hub_env
    public = sandbox.qcs_client_id
    panel = show_panel(page)
    expect(panel.get_by_test_id("qcred-account-qcs-default")).to_have_count(1, timeout=60_000)
    open_card(page, "qcs")  # all well, the card is one line: a person opens it
    panel.get_by_test_id("qcred-add").click()
    expect(page.get_by_test_id("qcred-reinit-dialog")).to_be_visible()
    page.get_by_test_id("qcred-method-qcs-login").check()
    page.locator(".jp-Dialog-button.jp-mod-accept").click()

    login = page.get_by_test_id("qcred-login-dialog")
    expect(login).to_be_visible()
    expect(page.get_by_test_id("qcred-login-state")).to_have_attribute("data-state", "pending")
    code = page.get_by_test_id("qcred-login-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", code), code
    assert sandbox.approve_device(code, "alice")
    expect(login).to_have_count(0, timeout=30_000)  # closed by itself: the login was not refused
    expect(page.locator(".Toastify__toast").filter(has_text="Logged in to Rigetti QCS")).to_be_visible()

    grants = [r for r in sandbox.token_requests() if r["grant_type"] == DEVICE_GRANT and r["status"] == 200]
    assert [(r["client_id"], r["form_keys"]) for r in grants] == [(public, ["client_id", "device_code", "grant_type"])]
    assert not [r for r in sandbox.token_requests() if r["status"] == 401], "no client was refused"
    settings = settings_of(hub, "alice")
    server = settings["profiles"]["default"]["auth_server_name"]
    assert settings["auth_servers"][server]["client_id"] == public
    expect(panel.get_by_test_id("qcred-state-qcs-default")).to_have_attribute("data-state", "ok")

    # A working credential: the panel's Refresh renews it, with the login's public client.
    before = len(sandbox.token_requests())
    panel.get_by_test_id("qcred-refresh").click()
    wait_until(
        lambda: any(
            r["grant_type"] == "refresh_token" and r["client_id"] == public and r["status"] == 200
            for r in sandbox.token_requests()[before:]
        ),
        timeout=60,
        what="a refresh of the login's tokens with the public client",
    )
    expect(panel.get_by_test_id("qcred-state-qcs-default")).to_have_attribute("data-state", "ok")
