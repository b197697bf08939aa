"""Every view tells the same story (issue 23), in real Chromium against a real ``jupyter lab``: the card, the status
bar, ``GET qcred/status`` and ``jupyter qcred status`` agree on an account the SDK cannot use; a file others can read
is a calm note on the card and a line of the CLI's table; the name-clash question preselects nothing and is in view
at 1280x720; the Nexus card offers its browser login again.

alice's IBM (with the ``legacy`` scenario's account), QCS and Nexus credentials, one lab and one page for the module
(support/lab_fixtures.py); every test leaves them as it found them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.browser import LabServer, escape_dialog, open_card, set_sidebar_width
from support.helpers import wait_until
from support.lab_fixtures import (
    ACCEPT,
    DIALOG,
    PLATFORM,
    dismiss_toasts,
    expect,
    open_add_dialog,
    page,  # noqa: F401 - a fixture
    sandbox_m,  # noqa: F401 - a fixture
    success_toasts,
)
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/qcred-story")


@pytest.fixture(scope="module")
def lab(sandbox_m: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:  # noqa: F811
    bundle = demo_bundle(sandbox_m, "alice", clouds=("ibm", "qcs", "nexus"), scenarios=("legacy",))
    env = {**os.environ, **sandbox_environment(sandbox_m), "QCRED_BUNDLE": json.dumps(bundle)}
    env.pop("QCRED_BUNDLE_FILE", None)
    sandbox_m.configure(device_interval=1)
    server = LabServer(tmp_path_factory.mktemp("story-lab"), env, extra_args=["--QCredApp.watch_interval=0.2"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def panel(page: Any, lab: LabServer) -> Iterator[Any]:  # noqa: F811
    panel = page.get_by_test_id("qcred-panel")
    if not panel.is_visible():
        page.get_by_role("tab", name="Quantum credentials").click()
    expect(panel).to_be_visible()
    for provider, name, state in (("ibm", PLATFORM, "ok"), ("qcs", "default", "ok"), ("nexus", "default", "ok")):
        expect(page.get_by_test_id(f"qcred-state-{provider}-{name}")).to_have_attribute("data-state", state)
    dismiss_toasts(page)
    yield panel
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    assert not page.errors, page.errors


def cli_status(lab: LabServer) -> subprocess.CompletedProcess[str]:
    """``jupyter qcred status`` as alice runs it in her terminal (her HOME, the sandbox's environment)."""
    return subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", "status"],
        env=lab.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def in_viewport(locator: Any) -> str:
    """'' when the element is inside the window and not scrolled out of any scrolling ancestor (the dialog's body),
    else what hides it."""
    return str(
        locator.evaluate(
            """el => {
                const r = el.getBoundingClientRect();
                if (r.top < 0 || r.bottom > window.innerHeight || r.height === 0)
                    return `outside the window: ${r.top}..${r.bottom}`;
                for (let p = el.parentElement; p; p = p.parentElement) {
                    const s = getComputedStyle(p);
                    if (!/(auto|scroll)/.test(s.overflowY)) continue;
                    const b = p.getBoundingClientRect();
                    if (r.top < b.top - 1 || r.bottom > b.bottom + 1)
                        return `scrolled out of ${p.className}: ${r.top}..${r.bottom} in ${b.top}..${b.bottom}`;
                }
                return '';
            }"""
        )
    )


def shot(pg: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / name), animations="disabled")


# ----- the same story in every view -----------------------------------------------------------------------------


def test_an_account_the_sdk_cannot_use_needs_action_in_every_view_until_it_is_removed(
    page: Any,  # noqa: F811
    panel: Any,
    lab: LabServer,
) -> None:
    """First in the module: the legacy scenario's account is there only until this test removes it."""
    legacy = page.get_by_test_id("qcred-state-ibm-legacy")
    statusbar = page.get_by_test_id("qcred-statusbar")
    for width in (250, 500):
        set_sidebar_width(page, width)
        expect(legacy).to_have_text("Unsupported")
        expect(statusbar).to_have_attribute("data-health", "action")
        expect(statusbar).to_contain_text("action needed")
        # No hub/group/project to choose for an account nobody can use.
        expect(page.get_by_test_id("qcred-instances-ibm-legacy")).to_have_count(0)
        expect(page.locator("#qcred-instance-ibm-legacy")).to_have_count(0)
        shot(page, f"unsupported-{width}.png")

    status = lab.status()
    entry = next(e for e in status["providers"] if e["name"] == "legacy")
    assert entry["action_needed"] is True
    assert status["summary"]["action_needed"] is True and status["summary"]["count"] == 1
    assert all(not e["action_needed"] for e in status["providers"] if e["name"] != "legacy")
    table = cli_status(lab)
    assert table.returncode == 3, table.stdout + table.stderr
    assert "UNSUPPORTED" in table.stdout

    # Removed: every view is calm again, together.
    page.get_by_test_id("qcred-remove-ibm-legacy").click()
    page.locator(".jp-qcred-confirm-remove").click()
    expect(page.get_by_test_id("qcred-account-ibm-legacy")).to_have_count(0)
    expect(statusbar).to_have_attribute("data-health", "ok")
    assert lab.status()["summary"]["action_needed"] is False
    table = cli_status(lab)
    assert table.returncode == 0, table.stdout + table.stderr


# ----- warnings -------------------------------------------------------------------------------------------------


def test_a_file_others_can_read_is_a_calm_note_on_the_card_and_a_line_of_the_table(
    page: Any,  # noqa: F811
    panel: Any,
    lab: LabServer,
) -> None:
    ibm_file = lab.home / ".qiskit" / "qiskit-ibm.json"
    ibm_file.chmod(0o644)
    try:
        note = page.get_by_test_id(f"qcred-warnings-ibm-{PLATFORM}")
        expect(note).to_be_visible()
        expect(note).to_contain_text(str(ibm_file))
        assert "jp-qcred-message--warn" in (note.get_attribute("class") or "")
        # Calm: the account stays OK, and its warning is no error.
        expect(page.get_by_test_id(f"qcred-state-ibm-{PLATFORM}")).to_have_attribute("data-state", "ok")
        expect(page.get_by_test_id(f"qcred-error-ibm-{PLATFORM}")).to_have_count(0)
        for width in (250, 500):
            set_sidebar_width(page, width)
            note.scroll_into_view_if_needed()
            shot(page, f"warning-card-{width}.png")
        table = cli_status(lab)
        warning = lab.entry("ibm", PLATFORM)["warnings"][0]
        assert f"note: IBM Quantum {PLATFORM}: {warning}" in table.stdout.splitlines(), table.stdout
    finally:
        ibm_file.chmod(0o600)
    expect(page.get_by_test_id(f"qcred-warnings-ibm-{PLATFORM}")).to_have_count(0)
    assert "note: IBM Quantum" not in cli_status(lab).stdout


# ----- the name clash -------------------------------------------------------------------------------------------


def test_the_name_clash_preselects_nothing_shows_the_choice_and_says_what_was_replaced(
    page: Any,  # noqa: F811
    panel: Any,
    lab: LabServer,
    sandbox_m: Sandbox,  # noqa: F811
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    try:
        open_add_dialog(page)
        page.get_by_test_id("qcred-method-ibm-token").check()
        page.locator("#qcred-ibm-token").fill(sandbox_m.ibm_credentials("alice")["apikey"])
        page.locator("#qcred-ibm-name").fill(PLATFORM)
        page.locator(ACCEPT).click()

        conflict = page.get_by_test_id("qcred-conflict")
        expect(conflict).to_contain_text(f"Replace '{PLATFORM}'?")
        replace, rename = page.get_by_test_id("qcred-conflict-replace"), page.get_by_test_id("qcred-conflict-rename")
        expect(replace).not_to_be_checked()
        expect(rename).not_to_be_checked()
        shot(page, "name-clash-720.png")
        assert in_viewport(replace) == in_viewport(rename) == "", "the choice is visible without scrolling"

        # Continue without a choice replaces nothing: it asks.
        page.locator(ACCEPT).click()
        message = page.get_by_test_id("qcred-reinit-message")
        expect(message).to_have_attribute("data-kind", "invalid")
        expect(message).to_contain_text(f"replace '{PLATFORM}', or save under a new name")
        assert in_viewport(message) == ""
        expect(page.get_by_test_id(DIALOG)).to_be_visible()

        replace.check()
        page.locator(ACCEPT).click()
        expect(page.get_by_test_id(DIALOG)).to_have_count(0)
        toast = success_toasts(page).filter(has_text=f"Replaced IBM Quantum {PLATFORM}")
        expect(toast).to_have_count(1)
        shot(page, "name-clash-toast.png")
        expect(page.get_by_test_id(f"qcred-state-ibm-{PLATFORM}")).to_have_attribute("data-state", "ok")
    finally:
        if page.get_by_test_id(DIALOG).count():
            escape_dialog(page)
        page.set_viewport_size({"width": 1280, "height": 1000})


# ----- labels and logins ----------------------------------------------------------------------------------------


def test_the_nexus_card_offers_its_browser_login_again(
    page: Any,  # noqa: F811
    panel: Any,
    lab: LabServer,
    sandbox_m: Sandbox,  # noqa: F811
) -> None:
    open_card(page, "nexus")  # all well, it is one line: a person opens it
    again = page.get_by_test_id("qcred-login-again-nexus-default")
    expect(again).to_have_text("Log in again…")
    for width in (250, 500):
        set_sidebar_width(page, width)
        card = page.get_by_test_id("qcred-account-nexus-default")
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(SHOTS / f"nexus-card-{width}.png"), animations="disabled")
    again.click()
    dialog = page.get_by_test_id("qcred-login-dialog")
    expect(dialog).to_contain_text("Log in to Quantinuum Nexus and confirm this code:")
    # The pending login is named after its provider everywhere, the panel's note included.
    pending = page.locator("[data-testid^='qcred-login-']").filter(has_text="login waiting for you")
    expect(pending).to_contain_text("Quantinuum Nexus login waiting for you")
    expect(pending).not_to_contain_text("Rigetti")
    code = page.get_by_test_id("qcred-login-code").inner_text().strip()
    assert sandbox_m.approve_nexus_device(code, "alice")
    expect(dialog).to_have_count(0)  # closed by itself
    expect(page.locator(".Toastify__toast").filter(has_text="Logged in to Quantinuum Nexus")).to_be_visible()
    expect(page.get_by_test_id("qcred-state-nexus-default")).to_have_attribute("data-state", "ok")


# ----- calm while retrying; a Refresh that was not tried says so -------------------------------------------------


def test_a_transient_iam_500_with_time_left_is_calm_everywhere(
    page: Any,  # noqa: F811
    panel: Any,
    lab: LabServer,
    sandbox_m: Sandbox,  # noqa: F811
) -> None:
    open_card(page, "ibm")  # all well once the legacy account is gone: one line until opened
    badge = page.get_by_test_id(f"qcred-state-ibm-{PLATFORM}")
    sandbox_m.fault("iam", status=500)
    try:
        page.get_by_test_id(f"qcred-refresh-ibm-{PLATFORM}").click()
        expect(badge).to_have_attribute("data-state", "error")
        expect(badge).to_have_text("Retrying")
        assert "badge--error" not in (badge.get_attribute("class") or "")
        retry = page.get_by_test_id(f"qcred-retry-ibm-{PLATFORM}")
        expect(retry).to_have_attribute("data-retrying", "true")
        calm = re.compile(r"Retrying at [\d:]+ \(attempt \d+\); the token is valid for 5\d min\.")
        expect(retry).to_contain_text(calm)
        account = page.get_by_test_id(f"qcred-account-ibm-{PLATFORM}")
        assert "account--retrying" in (account.get_attribute("class") or "")  # an amber edge, not a red one
        # The Refresh's own answer: a calm warning with the same sentence, never a red error toast.
        expect(page.locator(".Toastify__toast--warning").filter(has_text="the token is valid for")).to_have_count(1)
        expect(page.locator(".Toastify__toast--error")).to_have_count(0)
        expect(page.get_by_test_id("qcred-statusbar")).to_have_attribute("data-health", "ok")
        entry = lab.entry("ibm", PLATFORM)
        assert entry["retrying"] is True and entry["action_needed"] is False
        page.get_by_test_id(f"qcred-account-ibm-{PLATFORM}").scroll_into_view_if_needed()
        shot(page, "retrying-card.png")
    finally:
        sandbox_m.clear_faults()
    # The server's own retry brings it back (no click).
    expect(badge).to_have_attribute("data-state", "ok", timeout=60_000)


def test_a_refresh_clicked_again_at_once_says_plainly_it_was_not_tried(
    page: Any,  # noqa: F811
    panel: Any,
    sandbox_m: Sandbox,  # noqa: F811
) -> None:
    open_card(page, "qcs")
    refresh = page.get_by_test_id("qcred-refresh-qcs-default")
    refresh.click()
    expect(success_toasts(page).filter(has_text="Refreshed.")).to_have_count(1)
    dismiss_toasts(page)
    grants = len(sandbox_m.token_requests())
    sandbox_m.fault("qcs_token", status=503)
    try:
        refresh.click()
        toast = page.locator(".Toastify__toast").filter(has_text="Not refreshed again")
        expect(toast).to_have_count(1)
        expect(toast).to_contain_text("succeeded")
        expect(success_toasts(page)).to_have_count(0)  # no green for an attempt that was not made
        shot(page, "refresh-not-tried.png")
        assert len(sandbox_m.token_requests()) == grants
    finally:
        sandbox_m.clear_faults()
        dismiss_toasts(page)


# ----- redaction notices (issue 24) -----------------------------------------------------------------------------


def test_values_kept_out_of_files_are_a_calm_note_on_the_card(
    page: Any,  # noqa: F811
    panel: Any,
    lab: LabServer,
) -> None:
    for where in ("a.ipynb", "b.ipynb", "c.ipynb", "analysis.ipynb"):
        answer = httpx.post(
            lab.url + "qcred/redactions",
            headers=lab.headers(),
            json={"provider": "qcs", "name": "default", "where": where, "what": "output"},
            timeout=30,
        )
        assert answer.status_code == 204, answer.text
    # A calm note does not open the card (it is no warning): a person opens it to read the notes.
    expect(page.get_by_test_id("qcred-card-qcs")).to_have_attribute("data-health", "ok")
    open_card(page, "qcs")
    notes = page.get_by_test_id("qcred-redactions-qcs")
    expect(notes).to_be_visible()
    assert "jp-qcred-message--info" in (notes.get_attribute("class") or "")  # calm: not an error, not a warning
    lines = page.get_by_test_id("qcred-redaction-qcs")
    expect(lines).to_have_count(3)  # the newest three
    expect(lines.first).to_have_text("1 key kept out of the outputs of analysis.ipynb · just now")
    expect(notes).to_contain_text("and 1 more")
    expect(page.get_by_test_id("qcred-state-qcs-default")).to_have_attribute("data-state", "ok")
    assert lab.entry("qcs", "default")["action_needed"] is False
    notes.scroll_into_view_if_needed()
    shot(page, "redactions-card.png")


def test_the_keeps_failing_notification_counts_what_the_card_counts_and_goes_on_recovery(
    page: Any,  # noqa: F811
    panel: Any,
    lab: LabServer,
    sandbox_m: Sandbox,  # noqa: F811
) -> None:
    open_card(page, "qcs")
    retry = page.get_by_test_id("qcred-retry-qcs-default")
    failing = page.locator(".Toastify__toast").filter(has_text="Refreshing Rigetti QCS default keeps failing")
    refresh = page.get_by_test_id("qcred-refresh-qcs-default")
    sandbox_m.fault("qcs_token", status=503)
    try:

        def clicked_and_failed() -> bool:
            # A click within the server's 10 s of the last one is answered from it (and says so): click again.
            if lab.entry("qcs", "default")["failures"] == 0 and refresh.is_enabled():
                refresh.click()
            return bool(lab.entry("qcs", "default")["failures"])

        wait_until(clicked_and_failed, timeout=30, interval=1, what="a Refresh that reaches the failing provider")
        expect(failing).to_have_count(1)  # from the second failure in a row (the server retries by itself)

        def same_count_from_the_third() -> bool:
            card = int(retry.get_attribute("data-failures") or 0)
            return card >= 3 and f"({card} attempts in a row)" in failing.inner_text()

        wait_until(same_count_from_the_third, timeout=60, what="the notification's count to follow the card's")
        expect(failing).to_have_count(1)  # the same notification, updated: not one per failure
        expect(failing).to_contain_text("the token is valid for")  # calm, and said before the 140-character cut
        shot(page, "keeps-failing.png")
    finally:
        sandbox_m.clear_faults()
    expect(page.get_by_test_id("qcred-state-qcs-default")).to_have_attribute("data-state", "ok", timeout=60_000)
    expect(failing).to_have_count(0)  # dismissed once the credential recovered
