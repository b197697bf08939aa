"""qBraid: the bundle's ``qbraid`` section, the qbraidrc store qbraid-core reads, the key check against the sandbox's
stand-in of qBraid's API, paste / replace / remove through the service (the real qbraid SDK is in
tests/sdk/test_qbraid.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from pathlib import Path

import pytest
from support.ionq import manager

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.errors import ExistsError, FieldError, FileFormatError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.service import CredentialService
from jupyter_qcred.sandbox.client import Sandbox

OTHERS = (
    "# qBraid Lab wrote this\n"
    "[default]\n"
    "organization = organization:default\n"
    "workspace = qbraid\n"
    "\n"
    "; my second account\n"
    "[work]\n"
    "api-key = work-key-5678\n"
    "url = https://api.example.org/api/v1\n"
)


def qbraid_status(m: CredentialManager) -> dict:
    return next(s.to_json() for s in m.statuses() if s.provider == "qbraid")


def rc_file(home: Path) -> Path:
    return home / ".qbraid" / "qbraidrc"


def write(m: CredentialManager, key: str, url: str) -> None:
    m.materialize(parse_bundle({"version": 1, "qbraid": [{"key": key, "url": url}]}), source="bundle")


def issue(sandbox: Sandbox, user: str) -> str:
    return str(sandbox.admin("POST", "qbraid/keys", {"user": user})["key"])


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([{"key": "a"}, {"key": "b"}], "qbraid[1]"),
        ([{"key": "a", "url": "ftp://x"}], "qbraid[0].url"),
        ([{"key": "a", "name": "x"}], "qbraid[0].name"),
        ([{}], "qbraid[0].key"),
        ([{"key": 5}], "qbraid[0].key"),
        ([{"key": "qbr_12%34secret"}], "qbraid[0].key"),
    ],
)
def test_bad_qbraid_entries_name_the_field_and_never_the_value(entries: list, field: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_bundle({"version": 1, "qbraid": entries}, where="QCRED_BUNDLE")
    assert f"'{field}'" in str(caught.value) and "QCRED_BUNDLE" in str(caught.value)
    assert "ftp://x" not in str(caught.value) and "12%34secret" not in str(caught.value)


def test_the_key_goes_into_default_keeping_other_profiles_and_comments_0600(tmp_path: Path) -> None:
    path = rc_file(tmp_path)
    path.parent.mkdir()
    path.write_text(OTHERS)
    m = manager(tmp_path)
    bundle = parse_bundle(
        {"version": 1, "qbraid": [{"key": "qbr_0001aaaa", "url": "https://api-v2.qbraid.com/api/v1"}]}
    )
    assert "qbr_0001aaaa" not in repr(bundle)
    assert m.materialize(bundle, source="bundle") == ["qbraid:default"]
    text = path.read_text()
    assert text.startswith(OTHERS.split("\n\n")[0] + "\n")  # [default]'s own lines untouched
    assert text.endswith(
        "\n; my second account\n[work]\napi-key = work-key-5678\nurl = https://api.example.org/api/v1\n"
    )
    assert "api-key = qbr_0001aaaa\n" in text and "url = https://api-v2.qbraid.com/api/v1\n" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    m.materialize(parse_bundle({"version": 1, "qbraid": [{"key": "qbr_0002bbbb"}]}), source="bundle")
    again = path.read_text()
    assert again == text.replace("qbr_0001aaaa", "qbr_0002bbbb")  # only the key changed; the url stays
    status = qbraid_status(m)
    assert status["state"] == "ok" and status["token_hint"] == "…bbbb" and status["file"] == str(path)


def test_an_upper_case_key_name_is_replaced_in_place_not_duplicated(tmp_path: Path) -> None:
    """qbraid-core lower-cases option names: ``API-KEY`` is its ``api-key``, and a second spelling next to it would
    be a duplicate its parser refuses (then it reads no key at all)."""
    path = rc_file(tmp_path)
    path.parent.mkdir()
    path.write_text("[default]\nAPI-KEY = qbr_old0\n")
    manager(tmp_path).materialize(parse_bundle({"version": 1, "qbraid": [{"key": "qbr_new1"}]}), source="bundle")
    assert path.read_text() == "[default]\nAPI-KEY = qbr_new1\n"


def test_no_key_is_one_absent_status_and_the_environment_counts(tmp_path: Path) -> None:
    status = qbraid_status(manager(tmp_path))
    assert status["state"] == "absent" and "QBRAID_API_KEY" in status["error"]
    from_env = qbraid_status(manager(tmp_path, QBRAID_API_KEY="qbr_env0003"))
    assert from_env["state"] == "ok" and from_env["source"] == "env" and from_env["file"] is None
    assert from_env["token_hint"] == "…0003"


def test_qbraid_config_file_moves_the_file_like_the_sdk(tmp_path: Path) -> None:
    elsewhere = tmp_path / "conf" / "rc"
    m = manager(tmp_path, QBRAID_CONFIG_FILE=str(elsewhere))
    m.materialize(parse_bundle({"version": 1, "qbraid": [{"key": "qbr_moved004"}]}), source="bundle")
    assert "qbr_moved004" in elsewhere.read_text() and not rc_file(tmp_path).exists()
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600 and stat.S_IMODE(elsewhere.parent.stat().st_mode) == 0o700


def test_a_broken_file_is_one_error_naming_it_and_is_never_overwritten(tmp_path: Path) -> None:
    path = rc_file(tmp_path)
    path.parent.mkdir()
    broken = "[default]\napi-key = qbr_secret99\nthis line is not ini\n"
    path.write_text(broken)
    m = manager(tmp_path)
    status = qbraid_status(m)
    assert status["state"] == "error" and str(path) in status["error"] and "qbr_secret99" not in status["error"]
    with pytest.raises(FileFormatError):
        m.providers["qbraid"].materialize(
            parse_bundle({"version": 1, "qbraid": [{"key": "qbr_new5"}]}).qbraid, source="bundle"
        )
    assert path.read_text() == broken


def test_an_access_token_shadowing_the_key_is_a_warning(tmp_path: Path) -> None:
    path = rc_file(tmp_path)
    path.parent.mkdir()
    path.write_text("[default]\napi-key = qbr_key0006\naccess-token = lab-token-77\n")
    status = qbraid_status(manager(tmp_path))
    assert status["state"] == "ok"
    assert any("access token" in w and str(path) in w for w in status["warnings"]), status["warnings"]
    assert "lab-token-77" not in json.dumps(status)


def test_a_check_shows_the_account_and_credits_or_refuses_and_never_shows_the_key(
    tmp_path: Path, sandbox_session: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = sandbox_session  # shared: each test has users of its own, faults fire once
    caplog.set_level(logging.DEBUG)
    key = issue(sandbox, "qb-check")
    sandbox.admin("POST", "qbraid/credits", {"user": "qb-check", "credits": 250.5})
    m = manager(tmp_path)
    m.materialize(
        parse_bundle({"version": 1, "qbraid": [{"key": key, "url": sandbox.info["qbraid_url"]}]}), source="bundle"
    )
    asyncio.run(m.refresh("qbraid"))
    ok = qbraid_status(m)
    assert ok["state"] == "ok" and ok["expires_at"] is None and ok["next_refresh_at"] is None
    fields = dict(ok["account"]["fields"])
    assert fields["Account"] == "qb-check@example.org (qb-check)" and fields["Credits"] == "250.5 qBraid credits"
    assert fields["API"] == sandbox.info["qbraid_url"]
    assert sandbox.log("qbraid_verify")[-1]["user"] == "qb-check"
    assert sandbox.log("qbraid_credits")[-1]["status"] == 200
    sandbox.admin("POST", "qbraid/revoke", {"user": "qb-check"})
    asyncio.run(m.refresh("qbraid"))
    refused = qbraid_status(m)
    assert refused["state"] == "needs_reinit" and refused["action_needed"]
    assert refused["error"].startswith("qBraid: ") and "does not accept this API key" in refused["error"]
    assert "account.qbraid.com" in refused["error"]
    assert "email" not in refused["account"]  # what the refused key said is forgotten
    assert qbraid_status(manager(tmp_path))["state"] == "needs_reinit"  # remembered for the next process
    seen = json.dumps(m.snapshot()) + "".join(r.getMessage() for r in caplog.records)
    assert key not in seen


def test_a_credits_failure_keeps_the_check_and_drops_only_the_balance(tmp_path: Path, sandbox_session: Sandbox) -> None:
    sandbox = sandbox_session  # shared: each test has users of its own, faults fire once
    key = issue(sandbox, "qb-credits")
    sandbox.fault("qbraid_credits", status=503, count=1)
    m = manager(tmp_path)
    m.materialize(
        parse_bundle({"version": 1, "qbraid": [{"key": key, "url": sandbox.info["qbraid_url"]}]}), source="bundle"
    )
    asyncio.run(m.refresh("qbraid"))
    status = qbraid_status(m)
    assert status["state"] == "ok" and "Credits" not in dict(status["account"]["fields"])


def test_qbraid_down_is_transient_not_a_refusal(tmp_path: Path, sandbox_session: Sandbox) -> None:
    sandbox = sandbox_session  # shared: each test has users of its own, faults fire once
    key = issue(sandbox, "qb-down")
    m = manager(tmp_path)
    m.materialize(
        parse_bundle({"version": 1, "qbraid": [{"key": key, "url": sandbox.info["qbraid_url"]}]}), source="bundle"
    )
    sandbox.fault("qbraid_verify", status=503, count=1)
    asyncio.run(m.refresh("qbraid"))
    status = qbraid_status(m)
    assert status["state"] == "error" and status["last_refresh"]["outcome"] == "failed"  # not needs_reinit
    assert (
        status["error"]
        == f"qBraid: the API at {sandbox.info['qbraid_url'].split('/')[2]} failed (HTTP 503: server_error)."
    )
    asyncio.run(m.refresh("qbraid"))  # back: the same key is fine, nothing was forgotten or rewritten
    assert qbraid_status(m)["state"] == "ok" and key not in json.dumps(status)


def test_paste_is_checked_before_written_asks_to_replace_and_remove_keeps_the_rest(
    tmp_path: Path, sandbox_session: Sandbox
) -> None:
    sandbox = sandbox_session  # shared: each test has users of its own, faults fire once
    path = rc_file(tmp_path)
    path.parent.mkdir(mode=0o700)
    path.write_text(OTHERS)
    m = manager(tmp_path)
    service = CredentialService(m)
    url = sandbox.info["qbraid_url"]
    refused = asyncio.run(service.add_token("qbraid", {"token": "qbr_" + "0" * 64, "url": url}))
    assert refused["result"]["outcome"] == "refused" and path.read_text() == OTHERS  # nothing written
    alice = issue(sandbox, "qb-paste-a")
    pasted = asyncio.run(service.add_token("qbraid", {"token": alice, "url": url}))
    assert pasted["result"]["outcome"] == "ok", pasted["result"]
    assert sandbox.log("qbraid_verify")[-1]["user"] == "qb-paste-a"
    bob = issue(sandbox, "qb-paste-b")
    with pytest.raises(ExistsError, match="already exists"):
        asyncio.run(service.add_token("qbraid", {"token": bob}))
    replaced = asyncio.run(service.add_token("qbraid", {"token": bob}, replace=True))
    assert replaced["result"]["outcome"] == "ok"
    assert sandbox.log("qbraid_verify")[-1]["user"] == "qb-paste-b"  # checked at the stored url, not qBraid's
    assert f"api-key = {bob}\n" in path.read_text() and alice not in path.read_text()
    removed = asyncio.run(service.remove("qbraid", "default"))
    assert removed["result"]["outcome"] == "ok", removed
    after = path.read_text()
    assert bob not in after and f"url = {url}\n" in after and "[work]\napi-key = work-key-5678\n" in after
    assert after.startswith("# qBraid Lab wrote this\n[default]\norganization = organization:default\n")
    assert qbraid_status(m)["state"] == "absent"
    for answer in (refused, pasted, replaced, removed):
        assert alice not in json.dumps(answer) and bob not in json.dumps(answer)


def test_a_paste_repairs_a_broken_file_keeping_it_as_a_backup(tmp_path: Path, sandbox_session: Sandbox) -> None:
    sandbox = sandbox_session
    path = rc_file(tmp_path)
    path.parent.mkdir()
    path.write_text("[default]\napi-key = qbr_50%off\n")
    m = manager(tmp_path)
    assert qbraid_status(m)["state"] == "error"
    key = issue(sandbox, "qb-repair")
    answer = asyncio.run(
        CredentialService(m).add_token("qbraid", {"token": key, "url": sandbox.info["qbraid_url"]}, replace=True)
    )
    assert answer["result"]["outcome"] == "ok", answer["result"]
    assert f"api-key = {key}\n" in path.read_text() and qbraid_status(m)["state"] == "ok"
    assert [p.read_text() for p in path.parent.glob("qbraidrc.broken-*")] == ["[default]\napi-key = qbr_50%off\n"]


def test_the_leak_guard_knows_the_key_the_token_and_the_public_format(tmp_path: Path) -> None:
    path = rc_file(tmp_path)
    path.parent.mkdir()
    path.write_text("[default]\napi-key = qbr_leak0007\naccess-token = lab-token-0008\n")
    provider = manager(tmp_path, QBRAID_API_KEY="qbr_env0009").providers["qbraid"]
    values = {(s.value, s.kind, s.name) for s in provider.secret_values()}
    assert values == {
        ("qbr_leak0007", "API key", "default"),
        ("lab-token-0008", "access token", "default"),
        ("qbr_env0009", "API key", "QBRAID_API_KEY"),
    }
    import re

    text = "key = 'qbr_" + "3f" * 32 + "'"
    assert any(re.search(f.pattern, text) for f in provider.token_formats())
    assert not any(re.search(f.pattern, "api_key = 'your-api-key-here'") for f in provider.token_formats())
