"""The QCS token command against hostile names and files (issue 20, items 10 and 11).

- A profile whose name starts with ``-`` (``-x``, ``--help``) still gets its token through the real SDK once a
  refresh is due: the command line names it as one ``--profile=NAME`` argument, which argparse cannot take for an
  option.
- The fast path never waits on a FIFO or reads a device without end: it leaves such a file to the full command, which
  says what is wrong with it and exits in time.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from support.helpers import SecretScanner, qcs_spec
from support.qcs import PYTHON, provider, sandbox_env

from jupyter_qcred.providers.qcs import fasttoken
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(120)
SCRIPT = Path(sys.executable).parent / "jupyter-qcred"
SDK = textwrap.dedent(
    """
    import hashlib, json, os, time
    from qcs_api_client_common.configuration import ClientConfiguration
    profile = os.environ["QCRED_TEST_PROFILE"]
    token = ClientConfiguration.load_profile(profile).get_bearer_access_token().secret
    print(json.dumps({"sha": hashlib.sha256(token.encode()).hexdigest()}), flush=True)
    time.sleep(1)  # qcs-api-client-common 0.27 may abort at exit right after a token request (REFERENCE.md 2)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["-x", "--help"])
def test_a_profile_named_like_an_option_gets_a_fresh_token_through_the_sdk(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner, profile: str
) -> None:
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-100)  # expired: a refresh is due
    secret_scanner.add_secrets(tokens)
    spec = qcs_spec(sandbox, tokens, profile)
    qcs.materialize([spec], source="bundle")
    sandbox.clear_log()
    command = tomllib.loads(qcs.secrets_path.read_text())["credentials"][profile]["externally_managed"]
    assert command["args"][-3:] == ["token", "qcs", f"--profile={profile}"]

    env = {**sandbox_env(tmp_path, sandbox.ca_file), "QCRED_TEST_PROFILE": profile}
    done = subprocess.run([PYTHON, "-c", SDK], env=env, capture_output=True, text=True, timeout=90)
    secret_scanner.saw("sdk stderr", done.stderr)
    assert "usage:" not in done.stderr, done.stderr[-400:]
    requests = sandbox.token_requests()
    assert [(r["grant_type"], r["status"]) for r in requests] == [("refresh_token", 200)]
    (status,) = [s for s in qcs.read() if s.name == profile]
    assert status.state.value == "ok"
    fresh = tomllib.loads(qcs.secrets_path.read_text())["credentials"][f"jupyter_qcred-{profile}"]
    access = fresh["token_payload"]["access_token"]
    secret_scanner.add_secrets(access, fresh["token_payload"]["refresh_token"])
    assert access != tokens["access_token"]
    assert json.loads(done.stdout.splitlines()[0])["sha"] == hashlib.sha256(access.encode()).hexdigest()


def _with_special_secrets(home: Path, make: str) -> Path:
    qcs_dir = home / ".qcs"
    qcs_dir.mkdir(mode=0o700)
    (qcs_dir / "settings.toml").write_text('[profiles.default]\ncredentials_name = "default"\n')
    secrets = qcs_dir / "secrets.toml"
    if make == "fifo":
        os.mkfifo(secrets, 0o600)
    else:
        secrets.symlink_to("/dev/zero")
    return secrets


@pytest.mark.parametrize("make", ["fifo", "dev-zero"])
def test_fast_path_leaves_a_fifo_or_a_device_to_the_full_command(tmp_path: Path, make: str) -> None:
    secrets = _with_special_secrets(tmp_path, make)
    started = time.monotonic()
    assert fasttoken.stored_token([], {"HOME": str(tmp_path)}) is None
    assert time.monotonic() - started < 5, "the fast path answered at once"

    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run([str(SCRIPT), "token", "qcs"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and done.stdout == ""
    assert str(secrets) in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
