"""The real boto3 and the Braket SDK's AwsSession keep working across several expiries of a short login token: they
assume the role through the token file jupyter_qcred keeps fresh (the rest of the Braket provider is in
tests/sandbox/test_braket.py)."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path

import pytest
from support.braket import entry, environ, manager

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.slow

PYTHON = sys.executable


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
