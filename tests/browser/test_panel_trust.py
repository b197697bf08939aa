"""Re-initialize, remove and read the panel as a person would (issue 11), in real Chromium on a real JupyterLab.

One sandbox, one JupyterLab (alice's demo bundle) and one page for the module, as tests/browser/test_panel.py. Each test
says what the user sees (the dialog, the toast, the card, the status bar) and checks the SDKs' files behind it.
Every test puts back what it changed, so they also pass one by one.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support import lab_fixtures
from support.browser import READABILITY, LabServer, change_theme, escape_dialog, open_card, set_sidebar_width
from support.helpers import wait_until
from support.lab_fixtures import (
    ACCEPT,
    DIALOG,
    PLATFORM,
    SCREENSHOTS,
    dismiss_toasts,
    expect,
    open_add_dialog,
    success_toasts,
)
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.sandbox.client import Sandbox

# alice's lab: one sandbox, JupyterLab and page for this module (tests/support/lab_fixtures.py).
sandbox_m, lab, page, panel = lab_fixtures.sandbox_m, lab_fixtures.lab, lab_fixtures.page, lab_fixtures.panel


def ibm_file(lab: LabServer) -> Path:
    return lab.home / ".qiskit" / "qiskit-ibm.json"


def ibm_accounts(lab: LabServer) -> dict[str, Any]:
    return dict(json.loads(ibm_file(lab).read_text()))


# ------------------------------------------------- reading (first: the screenshots show alice as the bundle set her up)


@pytest.mark.parametrize("width", [250, 500])
def test_the_panel_reads_cleanly_in_light_and_dark(page: Any, panel: Any, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1500 if width < 400 else 1000})  # the whole panel
    set_sidebar_width(page, width)
    page.get_by_test_id("qcred-refresh").focus()
    page.evaluate("document.activeElement.blur()")
    try:
        for theme, light in (("JupyterLab Light", "true"), ("JupyterLab Dark", "false")):
            change_theme(page, theme)
            expect(page.locator("body")).to_have_attribute("data-jp-theme-light", light)
            dismiss_toasts(page)
            assert page.evaluate(READABILITY) == [], theme
            # The whole CRN is one copy away, however narrow the card.
            crn = page.get_by_test_id(f"qcred-instance-value-ibm-{PLATFORM}")
            expect(crn).to_have_attribute("title", re.compile(r"^crn:v1:"))
            expect(page.get_by_test_id(f"qcred-instance-value-ibm-{PLATFORM}-copy")).to_be_visible()
            name = f"panel-{width}-{'light' if light == 'true' else 'dark'}.png"
            page.screenshot(path=str(SCREENSHOTS / name), clip=panel_clip(page), animations="disabled")
    finally:
        change_theme(page, "JupyterLab Light")
        page.set_viewport_size({"width": 1280, "height": 1000})
    assert (SCREENSHOTS / f"panel-{width}-dark.png").stat().st_size > 10_000


def panel_clip(page: Any) -> dict[str, float]:
    box = page.locator('[id="jupyter-qcred:panel"]').bounding_box()
    panel_height = page.evaluate(
        "() => { const r = document.querySelector('.jp-qcred-root'); return r.getBoundingClientRect().bottom; }"
    )
    return {"x": 0, "y": 0, "width": box["x"] + box["width"] + 12, "height": panel_height + 12}


# ------------------------------------------------------------------------------------------------------- dialogs


def test_an_empty_field_is_answered_inside_the_open_form(page: Any, panel: Any) -> None:
    dialog = open_add_dialog(page)
    page.get_by_test_id("qcred-method-ibm-token").check()
    page.locator("#qcred-ibm-name").fill("kept")
    page.locator(ACCEPT).click()
    message = page.get_by_test_id("qcred-reinit-message")
    expect(message).to_have_attribute("data-kind", "invalid")
    expect(message).to_contain_text("Paste your IBM Quantum API key")
    expect(dialog).to_be_visible()  # the form stays open, with what was typed
    expect(page.locator("#qcred-ibm-name")).to_have_value("kept")
    expect(page.locator(".jp-Dialog")).to_have_count(1)  # no second "Nothing was changed" dialog
    escape_dialog(page)
    expect(dialog).to_have_count(0)


def test_a_key_the_provider_refuses_is_shown_in_the_dialog_and_not_saved(page: Any, panel: Any, lab: LabServer) -> None:
    before = ibm_file(lab).read_bytes()
    dialog = open_add_dialog(page)
    page.get_by_test_id("qcred-method-ibm-token").check()
    page.locator("#qcred-ibm-token").fill("not-a-key-iam-knows-0123456789abcdef")
    page.locator("#qcred-ibm-name").fill("pasted")
    expect(page.get_by_test_id("qcred-make-default")).not_to_be_checked()  # alice already has IBM accounts
    page.locator(ACCEPT).click()

    message = page.get_by_test_id("qcred-reinit-message")
    expect(message).to_have_attribute("data-kind", "refused")
    expect(message).to_contain_text(re.compile(r"\w+ \w+ \w+"))
    assert "0123456789abcdef" not in message.inner_text(), "the refusal does not echo the key"
    expect(dialog).to_be_visible()
    expect(success_toasts(page)).to_have_count(0)  # no green "updated" next to the refusal
    expect(page.get_by_test_id("qcred-account-ibm-pasted")).to_have_count(0)
    assert ibm_file(lab).read_bytes() == before, "nothing the provider refused reaches the SDK's file"
    assert ibm_accounts(lab)[PLATFORM].get("is_default_account") is True
    escape_dialog(page)


def test_an_existing_name_asks_replace_or_a_new_name_then_remove_it(
    page: Any, panel: Any, lab: LabServer, sandbox_m: Sandbox
) -> None:
    original = ibm_accounts(lab)[PLATFORM]
    assert original.get("instance", "").startswith("crn:"), original
    open_add_dialog(page)
    page.get_by_test_id("qcred-method-ibm-token").check()
    page.locator("#qcred-ibm-token").fill(sandbox_m.ibm_credentials("alice")["apikey"])
    page.locator("#qcred-ibm-instance").fill(original["instance"])  # the SDK needs one here (docs/demo.md)
    page.locator("#qcred-ibm-name").fill(PLATFORM)
    page.locator(ACCEPT).click()

    conflict = page.get_by_test_id("qcred-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text(f"Replace '{PLATFORM}'?")
    expect(page.get_by_test_id(DIALOG)).to_be_visible()
    assert ibm_accounts(lab)[PLATFORM] == original, "asking replaced nothing"

    # A new name, in the same dialog: an empty one is answered inline first.
    page.get_by_test_id("qcred-conflict-rename").check()
    page.locator(ACCEPT).click()
    expect(page.get_by_test_id("qcred-reinit-message")).to_have_attribute("data-kind", "invalid")
    page.get_by_test_id("qcred-conflict-name").fill("second")
    page.locator(ACCEPT).click()
    expect(page.get_by_test_id(DIALOG)).to_have_count(0)
    expect(success_toasts(page)).to_have_count(1)
    expect(page.get_by_test_id("qcred-state-ibm-second")).to_have_attribute("data-state", "ok")
    accounts = ibm_accounts(lab)
    assert accounts[PLATFORM] == original, "the account of that name kept its instance and url"
    assert accounts["second"]["token"] == sandbox_m.ibm_credentials("alice")["apikey"]
    assert not accounts["second"].get("is_default_account"), "not made the default without a word"
    expect(page.get_by_test_id(f"qcred-default-mark-ibm-{PLATFORM}")).to_be_visible()

    # The same name again, and this time "Replace": the account is written over, after being asked.
    dismiss_toasts(page)
    open_add_dialog(page)
    page.get_by_test_id("qcred-method-ibm-token").check()
    page.locator("#qcred-ibm-token").fill(sandbox_m.ibm_credentials("alice")["apikey"])
    page.locator("#qcred-ibm-instance").fill(original["instance"])  # the SDK needs one here (docs/demo.md)
    page.locator("#qcred-ibm-name").fill("second")
    page.locator("#qcred-ibm-channel").select_option("ibm_cloud")
    page.locator(ACCEPT).click()
    expect(page.get_by_test_id("qcred-conflict")).to_contain_text("Replace 'second'?")
    assert ibm_accounts(lab)["second"]["channel"] == "ibm_quantum_platform", "asking wrote nothing"
    page.get_by_test_id("qcred-conflict-replace").check()
    page.locator(ACCEPT).click()
    expect(page.get_by_test_id(DIALOG)).to_have_count(0)
    expect(page.get_by_test_id("qcred-channel-ibm-second")).to_have_text("ibm_cloud")
    assert ibm_accounts(lab)["second"]["channel"] == "ibm_cloud"

    # Remove, from the card, after a confirmation.
    page.get_by_test_id("qcred-remove-ibm-second").click()
    confirm = page.locator(".jp-Dialog").filter(has_text="Remove IBM Quantum second?")
    expect(confirm).to_be_visible()
    page.locator(".jp-qcred-confirm-remove").click()
    expect(page.get_by_test_id("qcred-account-ibm-second")).to_have_count(0)
    assert "second" not in ibm_accounts(lab)
    assert ibm_accounts(lab)[PLATFORM] == original


def test_an_account_the_sdk_refuses_is_flagged_and_cannot_become_the_default(page: Any, panel: Any) -> None:
    state = page.get_by_test_id("qcred-state-ibm-legacy")
    expect(state).to_have_attribute("data-state", "unsupported")
    expect(state).to_have_text("Unsupported")
    expect(page.get_by_test_id("qcred-error-ibm-legacy")).to_contain_text(re.compile(r"\w+ \w+ \w+"))
    options = page.get_by_test_id("qcred-default-ibm").locator("option")
    assert "legacy" not in options.all_inner_texts()
    # By the one rule (core/states.py) an account the SDK cannot load needs action in every view; removing it from
    # its card turns the status bar green (the later tests of this module start from there).
    expect(page.get_by_test_id("qcred-statusbar")).to_have_attribute("data-health", "action")
    page.get_by_test_id("qcred-remove-ibm-legacy").click()
    page.locator(".jp-qcred-confirm-remove").click()
    expect(page.get_by_test_id("qcred-account-ibm-legacy")).to_have_count(0)
    expect(page.get_by_test_id("qcred-statusbar")).to_have_attribute("data-health", re.compile("ok|expiring"))
    dismiss_toasts(page)


def test_removing_a_broken_account_turns_the_status_bar_green(page: Any, panel: Any, lab: LabServer) -> None:
    statusbar = page.get_by_test_id("qcred-statusbar")
    expect(statusbar).to_have_attribute("data-health", re.compile("ok|expiring"))
    # A hand-edited account with a key IBM does not know: a manual refresh finds it refused.
    accounts = ibm_accounts(lab)
    accounts["typo"] = {**accounts[PLATFORM], "token": "typo-0123456789abcdef0123456789", "is_default_account": False}
    ibm_file(lab).write_text(json.dumps(accounts, indent=4))
    expect(page.get_by_test_id("qcred-account-ibm-typo")).to_be_visible()
    page.get_by_test_id("qcred-refresh-ibm-typo").click()
    expect(page.get_by_test_id("qcred-state-ibm-typo")).to_have_attribute("data-state", "needs_reinit")
    expect(statusbar).to_have_attribute("data-health", "action")

    page.get_by_test_id("qcred-remove-ibm-typo").click()
    page.locator(".jp-qcred-confirm-remove").click()
    expect(page.get_by_test_id("qcred-account-ibm-typo")).to_have_count(0)
    expect(statusbar).not_to_have_attribute("data-health", "action")
    assert "typo" not in ibm_accounts(lab)
    dismiss_toasts(page)


def test_the_first_profile_is_made_the_default_unless_unchecked(
    page: Any, panel: Any, lab: LabServer, sandbox_m: Sandbox
) -> None:
    """Remove alice's only QCS profile from its card, then paste a refresh token: "make it the default" starts
    checked for a provider's first credential, and the QCS SDK's settings then name it."""
    settings = lab.home / ".qcs" / "settings.toml"
    open_card(page, "qcs")  # all well, it is one line: its Remove is inside
    page.get_by_test_id("qcred-remove-qcs-default").click()
    expect(page.locator(".jp-Dialog").filter(has_text="Remove Rigetti QCS default?")).to_be_visible()
    page.locator(".jp-qcred-confirm-remove").click()
    expect(page.get_by_test_id("qcred-account-qcs-default")).to_have_count(0)
    expect(page.get_by_test_id("qcred-setup-qcs")).to_be_visible()
    assert "default" not in tomllib.loads(settings.read_text()).get("profiles", {})

    open_add_dialog(page)
    page.get_by_test_id("qcred-method-qcs-token").check()
    expect(page.get_by_test_id("qcred-make-default")).to_be_checked()
    page.get_by_test_id("qcred-method-ibm-token").check()
    expect(page.get_by_test_id("qcred-make-default")).not_to_be_checked()  # IBM has accounts already
    page.get_by_test_id("qcred-method-qcs-token").check()
    page.locator("#qcred-qcs-refresh").fill(sandbox_m.issue_qcs_tokens("alice")["refresh_token"])
    page.locator("#qcred-qcs-profile").fill("default")
    page.locator(ACCEPT).click()
    expect(page.get_by_test_id(DIALOG)).to_have_count(0)
    expect(page.get_by_test_id("qcred-state-qcs-default")).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id("qcred-default-mark-qcs-default")).to_be_visible()
    assert tomllib.loads(settings.read_text()).get("default_profile_name") == "default"
    dismiss_toasts(page)


def test_uploading_a_file_that_is_not_a_credentials_file_says_so_inline(page: Any, panel: Any, tmp_path: Path) -> None:
    notes = tmp_path / "qiskit-ibm.json"
    notes.write_text("shopping list: eggs, milk\n")
    dialog = open_add_dialog(page)
    page.get_by_test_id("qcred-method-file").check()
    page.get_by_test_id("qcred-file").set_input_files(str(notes))
    page.locator(ACCEPT).click()
    message = page.get_by_test_id("qcred-reinit-message")
    expect(message).to_be_visible()
    text = message.inner_text()
    assert "qiskit-ibm.json" in text, text
    assert "fix it by hand" not in text and "re-initialize" not in text.lower(), text  # no circle back here
    expect(dialog).to_be_visible()
    expect(success_toasts(page)).to_have_count(0)
    escape_dialog(page)


def test_a_cards_re_initialize_prefills_it_and_offers_the_doable_fix_first(
    page: Any, panel: Any, lab: LabServer
) -> None:
    crn = ibm_accounts(lab)[PLATFORM]["instance"]
    open_card(page, "ibm")
    open_card(page, "qcs")
    page.get_by_test_id(f"qcred-reinit-ibm-{PLATFORM}").click()
    dialog = page.get_by_test_id(DIALOG)
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("qcred-method-ibm-token")).to_be_checked()
    expect(page.locator("#qcred-ibm-name")).to_have_value(PLATFORM)
    expect(page.locator("#qcred-ibm-channel")).to_have_value("ibm_quantum_platform")
    expect(page.locator("#qcred-ibm-instance")).to_have_value(crn)
    escape_dialog(page)

    page.get_by_test_id("qcred-reinit-qcs-default").click()
    expect(dialog).to_be_visible()
    first = dialog.locator("input[name=qcred-method]").first
    expect(first).to_have_attribute("data-testid", "qcred-method-qcs-login")  # QCS: the browser login first
    expect(first).to_be_checked()
    expect(page.locator("#qcred-qcs-profile")).to_have_value("default")
    escape_dialog(page)
    expect(dialog).to_have_count(0)


# ------------------------------------------------------------------------------------------------------ failures


def test_a_failed_manual_refresh_shows_a_calm_toast_and_the_card_says_when_it_retries(
    page: Any, panel: Any, sandbox_m: Sandbox
) -> None:
    open_card(page, "qcs")
    sandbox_m.fault("qcs_token", status=503)
    try:
        page.get_by_test_id("qcred-refresh-qcs-default").click()
        # The token still has time left: a warning that says so, not a red error (issue 23's one rule).
        toast = page.locator(".Toastify__toast--warning")
        expect(toast).to_have_count(1)
        expect(toast).to_contain_text(re.compile("503|unavailable|try", re.IGNORECASE))
        expect(toast).to_contain_text("the token is valid for")
        expect(page.locator(".Toastify__toast--error")).to_have_count(0)
        expect(success_toasts(page)).to_have_count(0)
        expect(page.get_by_test_id("qcred-error-qcs-default")).to_be_visible()
        retry = page.get_by_test_id("qcred-retry-qcs-default")
        expect(retry).to_contain_text("Retrying at")
        assert int(retry.get_attribute("data-failures") or 0) >= 1
    finally:
        sandbox_m.clear_faults()
    page.get_by_test_id("qcred-refresh-qcs-default").click()
    expect(page.get_by_test_id("qcred-state-qcs-default")).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id("qcred-error-qcs-default")).to_have_count(0)
    dismiss_toasts(page)


def test_a_broken_settings_toml_shows_its_file_line_and_column(page: Any, panel: Any, lab: LabServer) -> None:
    settings = lab.home / ".qcs" / "settings.toml"
    good = settings.read_text()
    try:
        settings.write_text(good + "\n[profiles.broken\napi_url = \n")
        broken = page.get_by_test_id("qcred-broken-qcs")
        expect(broken).to_be_visible()
        # The server's own sentence (as REST and the CLI give it): the file, the line and the column.
        error = wait_until(
            lambda: next(
                (e["error"] for e in lab.status()["providers"] if e["provider"] == "qcs" and e.get("error")), None
            ),
            what="the status to report the broken file",
        )
        assert re.search(r"settings\.toml.*line \d+.*column \d+", error), error
        expect(page.get_by_test_id("qcred-broken-error-qcs")).to_have_text(error)
        expect(page.get_by_test_id("qcred-setup-qcs")).to_have_count(0)  # not "Log in", as if nothing were there
        expect(page.get_by_test_id("qcred-statusbar")).to_have_attribute("data-health", "action")
    finally:
        settings.write_text(good)
    expect(page.get_by_test_id("qcred-broken-qcs")).to_have_count(0)
    expect(page.get_by_test_id("qcred-state-qcs-default")).to_have_attribute("data-state", "ok")


def test_restart_outside_a_hub_is_shown_disabled_with_the_reason(page: Any, panel: Any) -> None:
    restart = page.get_by_test_id("qcred-restart")
    expect(restart).to_be_visible()
    expect(restart).to_be_disabled()
    expect(page.get_by_test_id("qcred-restart-reason")).to_contain_text("not running under JupyterHub")


def test_the_verification_link_is_a_link_only_for_a_safe_address(page: Any, panel: Any, sandbox_m: Sandbox) -> None:
    """The sandbox's login page is on loopback http: a link. (Other schemes are text: labextension/test.)"""
    open_add_dialog(page)
    page.get_by_test_id("qcred-method-qcs-login").check()
    page.locator(ACCEPT).click()
    link = page.get_by_test_id("qcred-login-link")
    expect(link).to_be_visible()
    assert link.evaluate("el => el.tagName") == "A"
    assert (link.get_attribute("href") or "").startswith(sandbox_m.http_url)
    page.locator(".jp-Dialog .jp-mod-reject").click()
    wait_until(lambda: page.locator(".jp-Dialog").count() == 0, what="the login dialog to close")
