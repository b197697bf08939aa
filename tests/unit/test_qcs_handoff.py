"""The QCS token hand-off as a user sees it (providers/qcs/handoff.py): the files jupyter_qcred writes, files written
by someone else, the bundle's choice per profile, lost tokens named. What the real SDKs do with the files is in
tests/sdk/test_qcs_handoff.py, the token command's fast path in test_qcs_fasttoken.py, ``QCS_SECRETS_READ_ONLY`` in
tests/sandbox/test_qcs_handoff.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support.helpers import SecretScanner
from support.qcs import make_jwt, mode, provider
from support.qcs_handoff import SCRIPT, run, secrets_toml, write

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.errors import FieldError, QCredError
from jupyter_qcred.core.states import State
from jupyter_qcred.providers.qcs import handoff

# ----- the files ---------------------------------------------------------------------------------------------------


def test_written_profile_is_handed_off_and_described_as_the_real_credential(
    tmp_path: Path, secret_scanner: SecretScanner
) -> None:
    qcs = provider(tmp_path)
    tokens = write(qcs, None, 3600)
    secret_scanner.add_secrets(tokens)
    credentials = secrets_toml(qcs)
    sdk_facing = credentials["default"]
    command = sdk_facing["externally_managed"]
    assert command["command"] == str(Path(sys.executable).absolute())  # the server's own Python, no PATH needed
    assert command["args"] == ["-I", "-S", str(handoff.LAUNCHER), "token", "qcs", "--profile=default"]
    assert command["timeout_seconds"] == handoff.TIMEOUT_SECONDS
    # Older clients (pyquil 4) read the access token beside the command; no refresh token for them to spend.
    assert sdk_facing["token_payload"] == {
        "access_token": tokens["access_token"],
        "updated_at": sdk_facing["token_payload"]["updated_at"],
    }
    assert tokens["refresh_token"] not in json.dumps(sdk_facing)
    stored = credentials["jupyter_qcred-default"]["token_payload"]
    assert (stored["access_token"], stored["refresh_token"]) == (tokens["access_token"], tokens["refresh_token"])
    assert mode(qcs.secrets_path) == 0o600
    (status,) = qcs.read()
    assert status.state is State.OK
    assert status.token_hint == "…" + tokens["access_token"][-4:]
    assert status.account["credentials_name"] == "default"
    assert status.account["credential_kind"] == "token_payload"
    assert status.account["refresh_token_state"] == "ok"
    assert (status.account["handoff"], status.account["stored_as"]) == ("command", "jupyter_qcred-default")
    assert qcs.token_sync() == tokens["access_token"]


def test_adopting_files_written_by_someone_else(tmp_path: Path) -> None:
    """The server hands off what it finds on disk; other people's commands and client credentials stay."""
    qcs = provider(tmp_path)
    token = make_jwt(3600)
    qcs.settings_path.parent.mkdir(mode=0o700)
    qcs.settings_path.write_text(
        '[profiles.default]\ncredentials_name = "mine"\n[profiles.ci]\ncredentials_name = "robot"\n'
        '[profiles.ext]\ncredentials_name = "vault"\n'
    )
    qcs.secrets_path.write_text(
        f'# my credentials\n[credentials.mine.token_payload]\naccess_token = "{token}"\nrefresh_token = "rt-1"\n\n'
        '[credentials.robot.client_credentials]\nclient_id = "c"\nclient_secret = "s3cret-s3cret"\n\n'
        '[credentials.vault.externally_managed]\ncommand = "/usr/bin/vault-token"\n'
    )
    assert qcs.adopt() == ["mine"]
    credentials = secrets_toml(qcs)
    assert credentials["mine"]["externally_managed"]["args"][-3:] == ["token", "qcs", "--profile=default"]
    assert credentials["jupyter_qcred-mine"]["token_payload"]["refresh_token"] == "rt-1"
    assert credentials["robot"] == {"client_credentials": {"client_id": "c", "client_secret": "s3cret-s3cret"}}
    assert credentials["vault"] == {"externally_managed": {"command": "/usr/bin/vault-token"}}
    assert qcs.secrets_path.read_text().startswith("# my credentials")
    assert qcs.adopt() == [], "a second start changes nothing"
    nothing = provider(tmp_path / "ibm-only")
    assert nothing.adopt() == []
    assert not (tmp_path / "ibm-only" / ".qcs").exists(), "no QCS folder for someone without QCS credentials"
    statuses = {s.name: s for s in qcs.read()}
    assert statuses["default"].account["handoff"] == "command"
    assert statuses["ext"].account["credential_kind"] == "externally_managed"


def test_the_bundle_chooses_per_profile(tmp_path: Path) -> None:
    bundle = parse_bundle(
        {"version": 1, "qcs": [{"profile": "default", "access_token": make_jwt(3600), "handoff": "files"}]}
    )
    qcs = provider(tmp_path)
    qcs.materialize(list(bundle.qcs), source="bundle")
    assert set(secrets_toml(qcs)) == {"default"}
    assert "token_payload" in secrets_toml(qcs)["default"]
    with pytest.raises(FieldError, match=r"qcs\[0\]\.handoff.*command, files"):
        parse_bundle({"version": 1, "qcs": [{"profile": "p", "access_token": "x", "handoff": "pipe"}]})


def test_lost_tokens_of_a_handed_off_credential_are_named(tmp_path: Path, secret_scanner: SecretScanner) -> None:
    qcs = provider(tmp_path)
    secret_scanner.add_secrets(write(qcs, None, 3600))
    text = qcs.secrets_path.read_text()
    qcs.secrets_path.write_text(text[: text.index("[credentials.jupyter_qcred-default")])
    with pytest.raises(QCredError, match=r"handed off to jupyter_qcred, but its tokens .*default.* missing"):
        qcs.token_sync()
    done = run([str(SCRIPT), "token", "qcs"], {"HOME": str(tmp_path)}, secret_scanner)
    assert done.returncode == 1 and "re-initialize" in done.stderr and done.stdout == ""
