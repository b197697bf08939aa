"""Amazon Braket: the bundle's ``braket`` section, the AWS profile and token file botocore reads, the token renewed
once for every process, and the STS check (the real boto3 and Braket SDK are in tests/sdk/test_braket.py)."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest
from support.braket import ROLE, entry, environ, manager
from support.gated import race

from jupyter_qcred.core.authstate import bundle_from_auth_state
from jupyter_qcred.core.bundle import dump_bundle, loads_bundle, parse_bundle
from jupyter_qcred.core.errors import FieldError
from jupyter_qcred.sandbox.client import Sandbox


def test_bundles_without_braket_still_parse_and_entries_are_validated() -> None:
    assert parse_bundle({"version": 1}).braket == ()
    good = parse_bundle({"version": 1, "braket": [{"role_arn": ROLE, "web_identity_token": "a.b.c"}]})
    assert good.braket[0].refresh == "hub" and good.braket[0].region == "us-east-1"
    assert loads_bundle(dump_bundle(good)) == good and "a.b.c" not in repr(good)
    for bad, field in (
        ({"role_arn": "role/x", "web_identity_token": "t"}, "braket[0].role_arn"),
        ({"role_arn": ROLE}, "braket[0]"),
        ({"role_arn": ROLE, "refresh_token": "r"}, "braket[0]"),
        ({"role_arn": ROLE, "web_identity_token": "t", "profile": "a b"}, "braket[0].profile"),
        (
            {"role_arn": ROLE, "web_identity_token": "t", "aws_secret_access_key": "s"},
            "braket[0].aws_secret_access_key",
        ),
    ):
        with pytest.raises(FieldError) as caught:
            parse_bundle({"version": 1, "braket": [bad]})
        assert f"'{field}'" in str(caught.value)


def test_the_hub_login_id_token_maps_to_a_braket_profile() -> None:
    state = {"access_token": "at", "refresh_token": "rt", "id_token": "h.i.j"}
    bundle = bundle_from_auth_state(state, {"braket": {"role_arn": ROLE, "region": "eu-west-2"}})
    (spec,) = bundle.braket
    assert (spec.web_identity_token, spec.refresh, spec.region, spec.role_arn) == ("h.i.j", "hub", "eu-west-2", ROLE)
    assert bundle_from_auth_state(state).braket == (), "no role configured: no Braket profile"


def test_profile_and_token_file_are_written_keeping_everything_else(tmp_path: Path, sandbox: Sandbox) -> None:
    config = tmp_path / ".aws" / "config"
    config.parent.mkdir()
    config.write_text("# mine\n[profile work]\nregion = eu-west-1\ncredential_process = /bin/true\n")
    tokens = sandbox.issue_qcs_tokens("alice")
    m = manager(tmp_path, sandbox)
    assert m.materialize(parse_bundle({"version": 1, "braket": [entry(sandbox, tokens)]}), source="bundle") == [
        "braket:default"
    ]
    text = config.read_text()
    assert text.startswith("# mine\n[profile work]\nregion = eu-west-1\ncredential_process = /bin/true\n")
    assert f"[default]\nrole_arn = {ROLE}\nweb_identity_token_file = {tmp_path}/.aws/qcred/default.token\n" in text
    assert "aws_secret_access_key" not in text and "aws_access_key_id" not in text
    token_file = tmp_path / ".aws" / "qcred" / "default.token"
    assert token_file.read_text() == tokens["id_token"]
    for path in (config, token_file, token_file.with_suffix(".json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (status,) = [s.to_json() for s in m.statuses()]
    assert status["state"] == "ok" and status["expires_at"] and status["next_refresh_at"]
    assert status["account"]["refresh_via"] == "provider"
    assert tokens["id_token"] not in json.dumps(m.snapshot()) and tokens["refresh_token"] not in json.dumps(
        m.snapshot()
    )


def test_the_check_assumes_the_role_and_a_refused_login_needs_reinit(tmp_path: Path, sandbox: Sandbox) -> None:
    tokens = sandbox.issue_qcs_tokens("alice")
    m = manager(tmp_path, sandbox)
    m.materialize(parse_bundle({"version": 1, "braket": [entry(sandbox, tokens)]}), source="bundle")
    asyncio.run(m.refresh("braket"))
    (ok,) = [s.to_json() for s in m.statuses()]
    assert ok["state"] == "ok", ok
    assert ok["account"]["assumed_role"].startswith("arn:aws:sts::123456789012:assumed-role/braket-users/")
    assert sandbox.sts_assumes()[-1]["user"] == "alice" and sandbox.sts_assumes()[-1]["status"] == 200
    sandbox.revoke("alice")
    (tmp_path / ".aws" / "qcred" / "default.token").write_text("not.a.jwt")  # the token is due: renewal is tried
    asyncio.run(m.refresh("braket"))
    (refused,) = [s.to_json() for s in m.statuses()]
    assert refused["state"] == "needs_reinit", refused
    assert refused["error"].startswith("Amazon Braket: ") and "sign in to JupyterHub again" in refused["error"]


@pytest.mark.slow
def test_twelve_processes_renew_the_login_token_once(tmp_path: Path, sandbox: Sandbox) -> None:
    home = tmp_path / "home"
    tokens = sandbox.issue_qcs_tokens("alice")
    spec = {k: v for k, v in entry(sandbox, tokens).items() if k != "web_identity_token"}
    manager(home, sandbox).materialize(parse_bundle({"version": 1, "braket": [spec]}), source="bundle")
    before = len(sandbox.token_requests())
    printed = {
        out for out, _err in race(tmp_path, "braket", 'provider.token_sync("default")', environ(home, sandbox), 12)
    }
    assert len(printed) == 1, "every process got the same token"
    assert len(sandbox.token_requests()) - before == 1, "exactly one token request for twelve processes"
    assert (home / ".aws" / "qcred" / "default.token").read_text() == printed.pop()
