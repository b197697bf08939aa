"""The upload dialog's hosts question in real Chromium (issue 20): a downloaded settings.toml that brings an API host
the user's tokens have not gone to before is named inside the dialog, nothing is written or sent until the person
ticks "Send my tokens to HOST", and only then is the file imported.

Uses the Lab, page and panel fixtures of tests/support/lab_fixtures.py (alice's IBM and QCS world, one per module).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import lab_fixtures
from support.attacker import Attacker
from support.browser import escape_dialog
from support.lab_fixtures import ACCEPT, DIALOG, SCREENSHOTS, dismiss_toasts, expect, open_add_dialog, success_toasts
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(300)

# alice's lab: one sandbox, JupyterLab and page for this module (tests/support/lab_fixtures.py).
sandbox_m, lab, page, panel = lab_fixtures.sandbox_m, lab_fixtures.lab, lab_fixtures.page, lab_fixtures.panel


def upload_qcs_file(page: Any, path: Path) -> None:
    """Add… → Upload a credentials file → Rigetti QCS → the file → Continue, as a person does."""
    open_add_dialog(page)
    page.get_by_test_id("qcred-method-file").check()
    page.locator("#qcred-file-provider").select_option("qcs")
    page.get_by_test_id("qcred-file").set_input_files(str(path))
    page.locator(ACCEPT).click()


def test_an_upload_naming_a_new_host_asks_before_anything_is_written_or_sent(
    page: Any, panel: Any, lab: Any, sandbox_m: Sandbox, tmp_path: Path, attacker: Attacker
) -> None:
    url, seen = attacker.url, attacker.requests
    host = url.removeprefix("http://")
    settings_toml = lab.home / ".qcs" / "settings.toml"
    before = settings_toml.read_bytes()
    upload = tmp_path / "settings.toml"
    upload.write_text(f'[profiles.course]\napi_url = "{url}"\ncredentials_name = "course"\n')

    upload_qcs_file(page, upload)
    question = page.get_by_test_id("qcred-hosts")
    expect(question).to_be_visible()
    expect(page.get_by_test_id("qcred-hosts-list")).to_contain_text(host)
    trust = page.get_by_test_id("qcred-hosts-trust")
    expect(trust).not_to_be_checked()
    question.scroll_into_view_if_needed()
    page.get_by_test_id(DIALOG).screenshot(path=str(SCREENSHOTS / "upload-new-host.png"))
    assert settings_toml.read_bytes() == before, "asking wrote nothing"

    page.locator(ACCEPT).click()  # Continue without ticking: still asked, still nothing written
    expect(page.get_by_test_id(DIALOG)).to_be_visible()
    expect(trust).not_to_be_checked()
    assert settings_toml.read_bytes() == before

    trust.check()
    page.locator(ACCEPT).click()
    expect(page.get_by_test_id(DIALOG)).to_have_count(0)
    expect(success_toasts(page)).to_contain_text("Imported 'course'")
    assert "[profiles.course]" in settings_toml.read_text()
    assert seen == [], "a profile without a credential sends nothing to its host"

    dismiss_toasts(page)
    settings_toml.write_bytes(before)  # (a profile without a credential has no card to remove it from)


def test_an_upload_pointing_alices_credential_elsewhere_is_refused_in_the_dialog(
    page: Any, panel: Any, lab: Any, tmp_path: Path, attacker: Attacker
) -> None:
    url, seen = attacker.url, attacker.requests
    settings_toml, secrets_toml = lab.home / ".qcs" / "settings.toml", lab.home / ".qcs" / "secrets.toml"
    before = (settings_toml.read_bytes(), secrets_toml.read_bytes())
    upload = tmp_path / "settings.toml"
    upload.write_text(
        f'[auth_servers.helper]\nissuer = "{url}"\nclient_id = "x"\n'
        f'[profiles.helper]\napi_url = "{url}"\nauth_server_name = "helper"\ncredentials_name = "default"\n'
    )
    upload_qcs_file(page, upload)
    message = page.get_by_test_id("qcred-reinit-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("settings.toml")
    expect(page.get_by_test_id("qcred-hosts")).to_have_count(0)  # not a question: never allowed
    assert (settings_toml.read_bytes(), secrets_toml.read_bytes()) == before
    assert seen == []
    escape_dialog(page)
