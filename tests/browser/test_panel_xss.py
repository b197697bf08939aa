"""Stored XSS (held before issue 13, kept as a regression test): markup in every field the panel shows, in a real
JupyterLab driven by Chromium.

The values come from where an attacker could put them: the identity provider's user profile and group names (the
sandbox user ``mallory``), account and profile names and instances in the spawn bundle. The panel must show each
one as text, and no script may run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from support.browser import CHROMIUM, LabServer, launch_chromium
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.demo.world import sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)

pytestmark = pytest.mark.timeout(240)
RUN = "window.__qcredXss = (window.__qcredXss || 0) + 1"
PAYLOADS = {
    "email": f"<img src=x onerror='{RUN}'>@example.org",
    "first_name": f"<script>{RUN}</script>",
    "last_name": f'"><svg onload="{RUN}">',
    "organization": f"<iframe srcdoc='<script>parent.{RUN}</script>'>",
    "group": f"<img src=y onerror='{RUN}'>",
    "ibm_name": f"<img src=z onerror='{RUN}'>",
    "qcs_profile": f"<b onmouseover='{RUN}'>lab</b>",
    "instance": f"crn:v1:<img src=w onerror='{RUN}'>",
}


@pytest.fixture(scope="module")
def hostile_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("xss-sandbox")) as sandbox:
        sandbox.add_qcs_user(
            "mallory",
            groups=[PAYLOADS["group"]],
            **{key: PAYLOADS[key] for key in ("email", "first_name", "last_name", "organization")},
        )
        tokens = sandbox.issue_qcs_tokens("mallory")
        ibm = sandbox.ibm_credentials("alice")
        bundle = {
            "version": 1,
            "ibm": [
                {
                    "name": PAYLOADS["ibm_name"],
                    "channel": "ibm_quantum_platform",
                    "token": ibm["apikey"],
                    "instance": PAYLOADS["instance"],
                    "url": sandbox.runtime_url,
                    "default": True,
                }
            ],
            "qcs": [
                {
                    "profile": PAYLOADS["qcs_profile"],
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "api_url": sandbox.qcs_api_url,
                    "issuer": sandbox.qcs_issuer,
                    "client_id": sandbox.qcs_client_id,
                    "default": True,
                }
            ],
        }
        env = {**os.environ, **sandbox_environment(sandbox), "QCRED_BUNDLE": json.dumps(bundle)}
        env.pop("QCRED_BUNDLE_FILE", None)
        server = LabServer(tmp_path_factory.mktemp("xss-lab"), env, extra_args=["--QCredApp.watch_interval=0.2"])
        server.start()
        try:
            yield server
        finally:
            server.stop()


def test_markup_in_every_field_the_panel_shows_stays_text(hostile_lab: LabServer) -> None:
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(hostile_lab.lab_url)
            tab = page.get_by_role("tab", name="Quantum credentials")
            expect(tab).to_be_visible(timeout=60_000)
            tab.click()
            panel = page.get_by_test_id("qcred-panel")
            # The account check fills in the QCS user and groups: wait until the panel shows them, as text.
            for key in ("email", "ibm_name", "qcs_profile"):
                expect(panel).to_contain_text(PAYLOADS[key], timeout=30_000)
            # Every card open (an all-well one is one line, issue 25): the folded lines were read above, the rest now.
            folded = panel.locator("button.jp-qcred-fold[aria-expanded='false']")
            for _ in range(20):
                if not folded.count():
                    break
                folded.first.click()
            expect(folded).to_have_count(0)
            for button in panel.get_by_role("button").all():  # hover and focus everything once
                if button.is_visible():
                    button.hover()
                    button.focus()
            text = panel.inner_text()
            assert page.evaluate("window.__qcredXss") is None, "a payload ran"
            assert not dialogs
            assert panel.locator("img[src='x'], img[src='y'], img[src='z'], img[src='w'], svg[onload]").count() == 0
            assert panel.locator("script, iframe").count() == 0
            assert PAYLOADS["email"] in text
        finally:
            browser.close()
