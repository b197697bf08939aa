"""The panel's Re-initialize under a real JupyterHub keeps what the person chose, clicked in real Chromium (issue 23).

alice's hub hands over two IBM accounts (the default one and ``legacy``: the sandbox's 'legacy' scenario). She adds
``mine``, makes it the default and removes ``legacy`` (REST, what the panel sends); the hub then gets a new account
for her (``team``, written into her auth_state by the admin). The header's Re-initialize pulls from the hub: her
files afterwards still lack ``legacy``, ``mine`` is still the default, ``team`` arrived, and the toast says so.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import BUILT_LABEXTENSION, CHROMIUM, launch_chromium, open_card, show_panel
from support.hub import user_api
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    root = tmp_path_factory.mktemp("choices-hub")
    share = root / "share"  # the spawned servers serve the extension built in this working tree
    (share / "labextensions").mkdir(parents=True)
    (share / "labextensions" / "jupyter-qcred").symlink_to(BUILT_LABEXTENSION.resolve(), target_is_directory=True)
    secret = secrets.token_urlsafe(24)
    with Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox:
        sandbox.set_scenario("legacy")
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


def ibm_files(hub: LocalHub) -> tuple[dict[str, Any], str]:
    """alice's qiskit-ibm.json and qiskitrc, as the IBM SDKs read them."""
    qiskit = Path(hub.state_dir) / "home" / "alice" / ".qiskit"
    rc = qiskit / "qiskitrc"
    return json.loads((qiskit / "qiskit-ibm.json").read_text()), rc.read_text() if rc.exists() else ""


def ok(answer: tuple[int, Any]) -> Any:
    code, body = answer
    assert code == 200, body
    return body


def test_the_panels_reinitialize_keeps_what_alice_chose(page: Any, hub_env: tuple[Sandbox, LocalHub]) -> None:
    _sandbox, hub = hub_env
    panel = show_panel(page)
    expect(panel.get_by_test_id("qcred-account-ibm-legacy")).to_be_visible(timeout=60_000)
    accounts, _rc = ibm_files(hub)
    platform = accounts["default-ibm-quantum-platform"]
    mine = {"token": platform["token"], "channel": platform["channel"], "instance": platform["instance"]}
    mine["url"] = platform["url"]
    body = {"source": "token", "provider": "ibm", "name": "mine", "make_default": True, **mine}
    assert ok(user_api(hub, "alice", "POST", "reinitialize", body))["result"]["outcome"] == "ok"
    ok(user_api(hub, "alice", "POST", "remove", {"provider": "ibm", "name": "legacy"}))
    expect(panel.get_by_test_id("qcred-account-ibm-legacy")).to_have_count(0)

    # The hub gets a new account for alice (an admin adds it to her auth_state).
    model = hub.api("GET", "/users/alice")
    state = model["auth_state"]
    for key in ("qcred", "qcred_bundle"):
        if isinstance(state.get(key), dict):
            first = state[key]["ibm"][0]
            state[key]["ibm"].append({**first, "name": "team", "default": False})
    hub.api("PATCH", "/users/alice", {"auth_state": state})

    panel.get_by_test_id("qcred-reinit").click()  # under the hub: fetch again from JupyterHub, no dialog
    toast = page.locator(".Toastify__toast").filter(has_text="Re-initialized: written afresh from JupyterHub")
    expect(toast).to_be_visible(timeout=60_000)
    expect(toast).to_contain_text("IBM Quantum: 'team' added; 'legacy' stays removed; 'mine' stays the default.")

    accounts, rc = ibm_files(hub)
    assert "legacy" not in accounts and "legacy" not in rc, "legacy stays removed"
    assert [name for name, account in accounts.items() if account.get("is_default_account")] == ["mine"]
    assert "team" in accounts, "the hub's new account arrived"
    open_card(page, "ibm")  # all well again, the card is one line: a person opens it to see the accounts
    expect(panel.get_by_test_id("qcred-account-ibm-team")).to_be_visible()
    expect(panel.get_by_test_id("qcred-account-ibm-legacy")).to_have_count(0)
