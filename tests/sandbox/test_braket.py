"""Amazon Braket: the bundle's ``braket`` section, the AWS profile and token file botocore reads, the token renewed
once for every process, the STS check, and the real boto3 + Braket SDK assuming the role through our token file
from moto's STS (behind the sandbox's web identity checks) across several expiries of a short token."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from support.gated import race

from jupyter_qcred.core.authstate import bundle_from_auth_state
from jupyter_qcred.core.bundle import dump_bundle, loads_bundle, parse_bundle
from jupyter_qcred.core.errors import FieldError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.sandbox.client import Sandbox

ROLE = "arn:aws:iam::123456789012:role/braket-users"
PYTHON = sys.executable


def environ(home: Path, sandbox: Sandbox) -> dict[str, str]:
    """What a kernel of the user's server has: the home, and STS pointed at the sandbox; no AWS key anywhere."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **keep,
        "HOME": str(home),
        "AWS_ENDPOINT_URL_STS": sandbox.sts_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        **({"SSL_CERT_FILE": sandbox.ca_file} if sandbox.ca_file else {}),
    }


def entry(sandbox: Sandbox, tokens: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "profile": "default",
        "role_arn": ROLE,
        "web_identity_token": tokens["id_token"],
        "refresh_token": tokens["refresh_token"],
        "issuer": sandbox.qcs_issuer,
        "client_id": sandbox.qcs_client_id,
        **extra,
    }


def manager(home: Path, sandbox: Sandbox, **options: Any) -> CredentialManager:
    settings = Settings.from_environment(environ(home, sandbox))
    return CredentialManager(create_providers(settings, ("braket",)), **options)


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


SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import boto3
    from braket.aws import AwsSession
    session = boto3.Session()
    aws = AwsSession(boto_session=session)
    keys, arns = [], set()
    end = time.monotonic() + float(sys.argv[1])
    while time.monotonic() < end:
        arns.add(aws.sts_client.get_caller_identity()["Arn"])
        key = session.get_credentials().get_frozen_credentials().access_key
        if not keys or keys[-1] != key:
            keys.append(key)
        time.sleep(0.25)
    account, region = aws.account_id, aws.region  # (a call too: it may renew the credentials once more)
    key = session.get_credentials().get_frozen_credentials().access_key
    if keys[-1] != key:
        keys.append(key)
    print(json.dumps({"keys": keys, "arns": sorted(arns), "account": account, "region": region}))
    """
)


@pytest.mark.asyncio
@pytest.mark.timeout(180)
async def test_boto3_and_awssession_keep_working_across_expiries_of_a_short_token(tmp_path: Path) -> None:
    """Login tokens live 8 s, role credentials 906 s: botocore treats them as fresh for 6 s (it renews 15 min
    ahead), then assumes the role again, reading the token file the server keeps fresh. Over 24 s the token expires
    at least twice; every assume succeeds, and there is exactly one per credentials botocore used."""
    pytest.importorskip("braket.aws")
    with Sandbox(tls=False, access_token_lifetime=8) as sandbox:
        sandbox.configure(sts_session_lifetime=906)
        home = tmp_path / "home"
        tokens = sandbox.issue_qcs_tokens("alice")
        m = manager(home, sandbox, watch_interval=0.2, first_check_delay=0.0)
        m.materialize(parse_bundle({"version": 1, "braket": [entry(sandbox, tokens)]}), source="bundle")
        token_file = home / ".aws" / "qcred" / "default.token"
        seen_tokens = {token_file.read_text()}
        m.start()
        try:
            process = await asyncio.create_subprocess_exec(
                PYTHON,
                "-c",
                SDK_SCRIPT,
                "24",
                env=environ(home, sandbox),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            communicate = asyncio.ensure_future(process.communicate())
            while not communicate.done():
                seen_tokens.add(token_file.read_text())
                await asyncio.sleep(0.2)
            out, err = communicate.result()
        finally:
            await m.stop()
        assert process.returncode == 0, err.decode()[-2000:]
        result = json.loads(out)
        assert result["arns"] and all(
            arn.startswith("arn:aws:sts::123456789012:assumed-role/braket-users/") for arn in result["arns"]
        )
        assert result["account"] == "123456789012" and result["region"] == "us-east-1"
        assert len(seen_tokens) >= 4, "the 8 s login token was renewed across the 24 s (at least three times)"
        kernel_assumes = [e for e in sandbox.sts_assumes() if e["client_id"] != "jupyter-qcred-check"]
        assert all(e["status"] == 200 for e in kernel_assumes), [e.get("error") for e in kernel_assumes]
        assert len(result["keys"]) >= 3, "botocore renewed its role credentials at least twice"
        assert len(kernel_assumes) == len(result["keys"]), "one STS call per credentials used: none while fresh"
