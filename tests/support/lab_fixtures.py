"""alice's JupyterLab (IBM and QCS from her demo bundle) in real Chromium, one of each per test module: the fixtures
``sandbox_m``, ``lab``, ``page`` and ``panel``, and the dialog helpers of the panel's tests.

Import the fixtures into a test module (pytest then makes one sandbox, lab and page for that module)::

    from support.lab_fixtures import lab, page, panel, sandbox_m  # noqa: F401
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

from .browser import CHROMIUM, LabServer, launch_chromium

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=15_000)

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PLATFORM = "default-ibm-quantum-platform"
DIALOG = "qcred-reinit-dialog"
ACCEPT = ".jp-Dialog-button.jp-mod-accept"


@pytest.fixture(scope="module")
def sandbox_m(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("trust-sandbox")) as sb:
        yield sb


@pytest.fixture(scope="module")
def lab(sandbox_m: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    # IBM and QCS (what these tests are about, and what the 250/500 px screenshots show); the later providers'
    # cards are read at 250 px by tests/browser/test_panel.py's five-clouds test.
    bundle = demo_bundle(sandbox_m, "alice", clouds=("ibm", "qcs"), scenarios=("legacy",))
    env = {**os.environ, **sandbox_environment(sandbox_m), "QCRED_BUNDLE": json.dumps(bundle)}
    env.pop("QCRED_BUNDLE_FILE", None)
    server = LabServer(tmp_path_factory.mktemp("trust-lab"), env, extra_args=["--QCredApp.watch_interval=0.2"])
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(lab: LabServer) -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(15_000)
        pg = context.new_page()
        pg.errors = []  # type: ignore[attr-defined]
        pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
        pg.goto(lab.lab_url)
        expect(pg.get_by_role("tab", name="Quantum credentials")).to_be_visible(timeout=60_000)
        yield pg
        context.close()
        browser.close()


@pytest.fixture
def panel(page: Any, lab: LabServer) -> Iterator[Any]:
    """The panel open, alice's platform account and QCS profile as the bundle wrote them, no toast left over."""
    panel = page.get_by_test_id("qcred-panel")
    if not panel.is_visible():
        page.get_by_role("tab", name="Quantum credentials").click()
    expect(panel).to_be_visible()
    for provider, name in (("ibm", PLATFORM), ("qcs", "default")):
        expect(page.get_by_test_id(f"qcred-state-{provider}-{name}")).to_have_attribute("data-state", "ok")
    dismiss_toasts(page)
    yield panel
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    assert not page.errors, page.errors


def dismiss_toasts(page: Any) -> None:
    """Close every toast with its own close button, so the next assertion sees only new ones."""
    close = page.locator(".Toastify__toast [title='Dismiss notification']")
    for _ in range(20):
        if close.count() == 0:
            break
        close.first.click()
    expect(page.locator(".Toastify__toast")).to_have_count(0)


def open_add_dialog(page: Any) -> Any:
    page.get_by_test_id("qcred-reinit").click()  # no JupyterHub here: Re-initialize opens the dialog
    dialog = page.get_by_test_id(DIALOG)
    expect(dialog).to_be_visible()
    return dialog


def success_toasts(page: Any) -> Any:
    return page.locator(".Toastify__toast--success")
