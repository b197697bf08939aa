"""The IonQ card warns when the folder open in the file browser shadows its key: a real ``jupyter lab`` (root = alice's
home), a stale ``~/proj/.env``, the file browser opened on ``~/proj/nb`` in Chromium; the warning names the file and
the fix, and goes away in a folder that does not shadow the key. With ``c.QCredApp.sdk_adapters = False`` the
adapters' providers' cards carry a note saying so, and the status bar stays what ``jupyter qcred status`` says."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import CHROMIUM, LabServer, launch_chromium, open_card, show_panel
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)

STALE = "an-old-ionq-key-of-the-project-5e5e"
SHOTS = Path(os.environ.get("QCRED_SCREENSHOT_DIR", "/tmp"))


@pytest.fixture(scope="module")
def sandbox_m(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("doctor-sandbox")) as sb:
        yield sb


@pytest.fixture(scope="module")
def lab(sandbox_m: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    bundle = demo_bundle(sandbox_m, "alice", clouds=("ionq",))
    env = {**os.environ, **sandbox_environment(sandbox_m), "QCRED_BUNDLE": json.dumps(bundle)}
    for name in ("QCRED_BUNDLE_FILE", "IONQ_API_KEY", "QISKIT_IONQ_API_TOKEN", "IONQ_API_TOKEN"):
        env.pop(name, None)
    # The adapters switched off the documented way: the QCS and Nexus cards say so, calmly.
    server = LabServer(tmp_path_factory.mktemp("doctor-lab"), env, extra_args=["--QCredApp.sdk_adapters=False"])
    (server.home / "proj" / "nb").mkdir(parents=True)
    (server.home / "proj" / ".env").write_text(f"IONQ_API_KEY={STALE}\n")
    (server.home / "elsewhere").mkdir()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(lab: LabServer) -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(30_000)
        pg = context.new_page()
        pg.errors = []  # type: ignore[attr-defined]
        pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
        pg.goto(f"{lab.url}lab/tree/proj/nb?token={lab.token}")
        expect(pg.get_by_role("tab", name="Quantum credentials")).to_be_visible(timeout=60_000)
        yield pg
        context.close()
        browser.close()


def test_the_ionq_card_warns_about_the_folder_open_in_the_file_browser(page: Any, lab: LabServer) -> None:
    show_panel(page)
    expect(page.get_by_test_id("qcred-state-ionq-default")).to_have_attribute("data-state", "ok", timeout=30_000)
    warning = page.get_by_test_id("qcred-shadow-ionq").first
    # A file that shadows the key is worth reading: the card opens by itself (issue 25), no click.
    # The doctor runs every installed SDK's probe (qiskit among them): allow for a cold import.
    expect(warning).to_be_visible(timeout=90_000)
    expect(warning).to_contain_text(
        "~/proj/.env sets IONQ_API_KEY, which notebooks in this folder use instead of the key shown here"
    )
    expect(warning).to_contain_text("What to do: Remove IONQ_API_KEY from ~/proj/.env or update it")
    expect(warning).to_have_attribute("data-folder", "~/proj/nb")
    assert STALE not in page.content()
    title = page.get_by_test_id("qcred-statusbar").get_attribute("title") or ""
    assert "In ~/proj/nb an SDK uses another credential than the panel shows" in title
    expect(page.get_by_test_id("qcred-statusbar")).to_have_attribute("data-health", "ok")  # as `status` says
    page.get_by_test_id("qcred-card-ionq").screenshot(path=str(SHOTS / "qcred-ionq-shadow.png"))

    # Another folder, without a .env of its own: ~/.env serves it, the warning goes.
    page.goto(f"{lab.url}lab/tree/elsewhere?token={lab.token}")
    show_panel(page)  # the restored layout may open or close it by itself
    expect(page.get_by_test_id("qcred-card-ionq")).to_be_visible()
    expect(page.get_by_test_id("qcred-shadow-ionq")).to_have_count(0, timeout=90_000)
    # Nothing left to read: the card folds to its one line by itself (issue 25).
    expect(page.get_by_test_id("qcred-fold-ionq")).to_have_attribute("aria-expanded", "false")
    assert not page.errors, page.errors


def test_adapters_switched_off_are_a_calm_note_on_their_cards(page: Any, lab: LabServer) -> None:
    show_panel(page)
    open_card(page, "qcs")  # calm notes leave an all-well card one line: a person opens it to read them
    status = lab.status()
    off = {a["name"]: a for a in status["adapters"] if a["state"] == "off"}
    assert off, status["adapters"]
    for provider, name in (("qcs", "pyquil"), ("nexus", "qnexus")):
        if name not in off:
            continue
        note = page.get_by_test_id(f"qcred-adapter-{provider}").filter(has_text=off[name]["sdk"])
        expect(note).to_contain_text(f"{off[name]['sdk']} adapter off: Switched off (JUPYTER_QCRED_SDK_ADAPTERS)")
    expect(page.get_by_test_id("qcred-statusbar")).to_have_attribute("data-health", "ok")
    page.get_by_test_id("qcred-card-qcs").screenshot(path=str(SHOTS / "qcred-qcs-adapters-off.png"))
    assert not page.errors, page.errors
