"""Restart under a real JupyterHub (configurable-http-proxy, local process spawner), clicked in real Chromium.

What a person sees: "Restart server" in the panel, a confirmation, a "Restarting your server…" dialog while the hub
stops the server, then (on its own, no reload, no click) a new server's JupyterLab with the panel open. Twice in a
row, for the default server, then for a named server.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import BUILT_LABEXTENSION, CHROMIUM, launch_chromium, show_panel
from support.helpers import wait_until
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)

pytestmark = pytest.mark.timeout(600)

NAMED = "gpu"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
    root = tmp_path_factory.mktemp("restart-hub")
    # The spawned servers serve the extension built in this working tree, as LabServer does.
    share = root / "share"
    (share / "labextensions").mkdir(parents=True)
    (share / "labextensions" / "jupyter-qcred").symlink_to(BUILT_LABEXTENSION.resolve(), target_is_directory=True)
    secret = secrets.token_urlsafe(24)
    with (
        Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox,
        LocalHub(
            sandbox,
            root / "hub",
            client_secret=secret,
            admin_config="c.JupyterHub.allow_named_servers = True\n",
            environment={"JUPYTER_PATH": str(share)},
        ) as local_hub,
    ):
        yield local_hub


@pytest.fixture(scope="module")
def page(hub: LocalHub) -> Iterator[Any]:
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


def server_model(hub: LocalHub, name: str) -> dict[str, Any] | None:
    model = hub.api("GET", "/users/alice").get("servers", {}).get(name)
    return model if model and model.get("ready") else None


def restart_from_the_panel(page: Any, hub: LocalHub, name: str, lab_path: str) -> None:
    """Click Restart in the panel and follow what the person sees until the new server's panel shows."""
    before = wait_until(lambda: server_model(hub, name), timeout=120, what=f"alice's server {name!r}")
    page.evaluate("window.__qcredOldPage = true")
    show_panel(page)
    restart = page.get_by_test_id("qcred-restart")
    expect(restart).to_be_enabled(timeout=60_000)
    restart.click()
    page.locator(".jp-qcred-confirm-restart").click()
    clicked = time.monotonic()

    progress = page.get_by_test_id("qcred-restart-progress")
    expect(progress).to_be_visible()
    expect(page.get_by_test_id("qcred-restart-phase")).to_contain_text("Restarting your server")
    if name == "":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / "restart-progress.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 600}
        )

    # On its own: the hub stops the server, the page starts it again and lands in the new JupyterLab.
    page.wait_for_function("() => window.__qcredOldPage !== true", timeout=120_000, polling=500)
    page.wait_for_url(re.compile(re.escape(hub.public_url + lab_path.lstrip("/"))), timeout=120_000)
    after = wait_until(lambda: server_model(hub, name), timeout=120, what=f"alice's new server {name!r}")
    assert after["started"] != before["started"], "a new server, not the old one"
    assert after["state"]["pid"] != before["state"]["pid"]

    # The new JupyterLab, with the panel open and the credentials it fetched again from the hub.
    expect(page.get_by_test_id("qcred-panel")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("qcred-account-qcs-default")).to_have_count(1, timeout=60_000)  # folded: one line
    expect(page.locator(".Toastify__toast").filter(has_text="Your server restarted")).to_be_visible()
    expect(page.get_by_test_id("qcred-restart-progress")).to_have_count(0)
    assert page.locator("body").inner_text().strip(), "not a blank page"
    took = time.monotonic() - clicked
    print(f"restart of server {name!r}: back in a new JupyterLab {took:.1f} s after the click")


def test_restart_lands_in_a_new_lab_with_the_panel_open_twice(page: Any, hub: LocalHub) -> None:
    for _ in range(2):
        restart_from_the_panel(page, hub, "", "/user/alice/lab")


def test_restart_of_a_named_server(page: Any, hub: LocalHub) -> None:
    hub.api("POST", f"/users/alice/servers/{NAMED}", {})
    wait_until(lambda: server_model(hub, NAMED), timeout=120, what="alice's named server")
    page.goto(hub.public_url + f"user/alice/{NAMED}/lab")
    for _ in range(2):
        restart_from_the_panel(page, hub, NAMED, f"/user/alice/{NAMED}/lab")
    assert server_model(hub, ""), "the default server kept running"
