"""The QCS token hand-off as a user sees it: the files jupyter_qcred writes, what the real SDKs do with them, the
way back to plain files, the token command's fast path, and ``QCS_SECRETS_READ_ONLY``."""

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
from typing import Any

import pytest
from support.helpers import SecretScanner
from support.qcs import PYTHON, make_jwt, mode, provider, sandbox_env

from jupyter_qcred.core.bundle import QcsProfileSpec, parse_bundle
from jupyter_qcred.core.errors import FieldError, QCredError
from jupyter_qcred.core.states import State
from jupyter_qcred.providers.qcs import fasttoken, handoff
from jupyter_qcred.providers.qcs.model import load_secrets
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

SCRIPT = Path(sys.executable).parent / "jupyter-qcred"

SDK = textwrap.dedent(
    """
    import hashlib, json
    from qcs_api_client_common.configuration import ClientConfiguration
    token = ClientConfiguration.load_default().get_bearer_access_token().secret
    print(json.dumps({"sha": hashlib.sha256(token.encode()).hexdigest()}), flush=True)
    """
)
PYQUIL_LOAD = textwrap.dedent(
    """
    import json
    from pyquil.api import QCSClient, list_quantum_computers
    try:
        names = list_quantum_computers(client_configuration=QCSClient.load(), qvms=False)
        print(json.dumps({"names": names}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
    """
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write(qcs: QcsProvider, sandbox: Sandbox | None, lifetime: int, **spec: Any) -> dict[str, Any]:
    tokens = (
        sandbox.issue_qcs_tokens("alice", access_token_lifetime=lifetime)
        if sandbox
        else {"access_token": make_jwt(lifetime), "refresh_token": "rt-" + os.urandom(6).hex()}
    )
    extra = (
        {"issuer": sandbox.qcs_issuer, "client_id": sandbox.qcs_client_id, "api_url": sandbox.qcs_api_url}
        if sandbox
        else {}
    )
    qcs.materialize(
        [
            QcsProfileSpec(
                profile="default",
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                default=True,
                **{**extra, **spec},
            )
        ],
        source="bundle",
    )
    if sandbox:
        sandbox.clear_log()
    return tokens


def secrets_toml(qcs: QcsProvider) -> dict[str, Any]:
    return tomllib.loads(qcs.secrets_path.read_text())["credentials"]


def run(args: list[str], env: dict[str, str], scanner: SecretScanner) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    scanner.saw(" ".join(args[-3:]) + " stderr", done.stderr)
    return done


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


def test_the_way_back_to_plain_files_and_forth(tmp_path: Path, secret_scanner: SecretScanner) -> None:
    qcs = provider(tmp_path)
    tokens = write(qcs, None, 3600)
    secret_scanner.add_secrets(tokens)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    back = run([str(SCRIPT), "init", "--handoff", "files", "--quiet"], env, secret_scanner)
    assert back.returncode == 0, back.stderr
    assert "hand-off 'files': default" in back.stdout
    credentials = secrets_toml(qcs)
    assert set(credentials) == {"default"}, "jupyter_qcred-default is gone"
    payload = credentials["default"]["token_payload"]
    assert (payload["access_token"], payload["refresh_token"]) == (tokens["access_token"], tokens["refresh_token"])
    assert "externally_managed" not in credentials["default"]
    (status,) = qcs.read()
    assert (status.account["handoff"], status.account["stored_as"]) == ("files", None)
    # The SDK reads the plain file as if jupyter_qcred had never been there.
    sdk = run([PYTHON, "-c", SDK], env, secret_scanner)
    assert json.loads(sdk.stdout) == {"sha": sha(tokens["access_token"])}
    forth = run([str(SCRIPT), "init", "--handoff", "command", "--quiet"], env, secret_scanner)
    assert forth.returncode == 0, forth.stderr
    assert "externally_managed" in secrets_toml(qcs)["default"]
    again = run([str(SCRIPT), "init", "--handoff", "command", "--quiet"], env, secret_scanner)
    assert "nothing to change" in again.stdout


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


# ----- the SDKs through the hand-off ----------------------------------------------------------------------------------


def test_sdk_without_our_bin_on_path_gets_the_token_and_never_refreshes(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    tokens = write(qcs, sandbox, -100)
    secret_scanner.add_secrets(tokens)
    env = sandbox_env(tmp_path, sandbox.ca_file)
    env["PATH"] = "/nonexistent"  # a kernel whose environment lacks the venv's bin
    first = run([PYTHON, "-c", SDK], env, secret_scanner)  # (the SDK may abort at exit after printing: not checked)
    (request,) = sandbox.token_requests()
    assert (request["grant_type"], request["status"]) == ("refresh_token", 200)
    stored = handoff.view(load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())[1]).credentials["default"]
    payload = stored.token_payload
    assert payload is not None and payload.access_token and payload.refresh_token
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)
    assert json.loads(first.stdout) == {"sha": sha(payload.access_token)}
    assert payload.refresh_token != tokens["refresh_token"], "the rotated refresh token was saved"
    assert secrets_toml(qcs)["default"]["token_payload"]["access_token"] == payload.access_token, "copy updated"
    second = run([PYTHON, "-c", SDK], env, secret_scanner)
    assert json.loads(second.stdout) == {"sha": sha(payload.access_token)}
    assert len(sandbox.token_requests()) == 1, "the fast path answered: no request"


def test_pyquil_load_reads_the_copy_and_cannot_break_the_chain(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    """pyquil 4.22's bundled client ignores ``externally_managed``: it uses the access token beside it, and when that
    has expired it fails (no refresh token to spend) instead of breaking the chain for everyone."""
    pytest.importorskip("pyquil")
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    tokens = write(qcs, sandbox, -100)
    secret_scanner.add_secrets(tokens)
    env = sandbox_env(tmp_path, sandbox.ca_file)
    expired = run([PYTHON, "-c", PYQUIL_LOAD], env, secret_scanner)
    assert "No refresh token" in json.loads(expired.stdout)["error"]
    assert sandbox.token_requests() == []
    fresh = run([str(SCRIPT), "token", "qcs"], env, secret_scanner)  # anyone: a 0.27 kernel, the server, the CLI
    secret_scanner.add_secrets(fresh.stdout.strip())
    ok = run([PYTHON, "-c", PYQUIL_LOAD], env, secret_scanner)
    assert json.loads(ok.stdout) == {"names": ["Ankaa-3", "Cepheus-1-36Q"]}
    assert [r["status"] for r in sandbox.token_requests()] == [200]


# ----- the token command ------------------------------------------------------------------------------------------


def test_fast_path_answers_exactly_when_no_refresh_is_due(tmp_path: Path) -> None:
    qcs = provider(tmp_path)
    tokens = write(qcs, None, 3600)
    env = {"HOME": str(tmp_path)}
    assert fasttoken.stored_token([], env) == tokens["access_token"]
    assert fasttoken.stored_token(["--profile", "default"], env) == tokens["access_token"]
    assert fasttoken.stored_token(["--profile=default"], env) == tokens["access_token"]
    assert fasttoken.stored_token(["--profile", "nope"], env) is None
    assert fasttoken.stored_token(["--verbose"], env) is None
    now = time.time()
    cases = ((now, 3600, False), (now - 2800, 3600, False), (now - 2900, 3600, True), (now, -5, True))
    for issued, lifetime, due in cases:
        qcs.secrets_path.unlink()  # (an older token would not replace a newer one on disk)
        token = make_jwt(lifetime, issued)
        qcs.materialize([QcsProfileSpec(profile="default", access_token=token, refresh_token="r")], source="t")
        answer = fasttoken.stored_token([], env)
        assert (answer is None) == due, (issued, lifetime)
        assert (answer is None) == (qcs._fast_path(qcs._resolve(qcs._load(), None), force=False) is None)
    for broken in ("[credentials.default\n", ""):
        qcs.secrets_path.write_text(broken)
        assert fasttoken.stored_token([], env) is None


@pytest.mark.parametrize("how", ["hand-off", "console script"])
def test_token_command_imports_nothing_heavy_when_no_refresh_is_due(tmp_path: Path, how: str) -> None:
    """As the SDK runs it (the hand-off's command: ``python -I -S tokenlaunch.py``, no site-packages at all) and as a
    person runs ``jupyter-qcred token qcs``: a token that is not due is printed with the standard library alone."""
    qcs = provider(tmp_path)
    tokens = write(qcs, None, 3600)
    probe = (
        "import runpy, sys; sys.argv = [sys.argv[1], 'token', 'qcs', '--profile=default']\n"
        "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\nexcept SystemExit as exit:\n"
        "    heavy = sorted(m for m in ('httpx', 'asyncio', 'tomlkit', 'portalocker') if m in sys.modules)\n"
        "    print(exit.code, heavy, file=sys.stderr)\n"
    )
    flags, target = (["-I", "-S"], handoff.LAUNCHER) if how == "hand-off" else ([], SCRIPT)
    done = subprocess.run(
        [PYTHON, *flags, "-c", probe, str(target)],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == tokens["access_token"]
    assert done.stderr.strip() == "0 []", done.stderr
    write(qcs, None, -5)  # due: the full command runs (and here fails: no issuer to reach)
    due = subprocess.run(
        [PYTHON, *flags, "-c", probe, str(target)],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert due.stdout == ""
    if how == "console script":
        assert "tomlkit" in due.stderr.splitlines()[-1]
    else:  # the launcher hands over to a whole Python (site-packages included), which says what went wrong
        assert due.returncode != 0 and "Traceback" not in due.stderr and "Rigetti QCS" in due.stderr, due.stderr


# ----- QCS_SECRETS_READ_ONLY ----------------------------------------------------------------------------------------


async def test_read_only_secrets_are_never_written(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    writer = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "", QCRED_QCS_HANDOFF="files")
    tokens = write(writer, sandbox, -100)
    secret_scanner.add_secrets(tokens)
    before = writer.secrets_path.read_bytes()
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "", QCS_SECRETS_READ_ONLY="True")
    with pytest.raises(QCredError, match=r"QCS_SECRETS_READ_ONLY is set.*nothing was written"):
        write(qcs, sandbox, 3600)
    with pytest.raises(QCredError, match="QCS_SECRETS_READ_ONLY"):
        qcs.adopt()
    status = await qcs.refresh("default")
    assert status.state is State.OK, status.error
    assert writer.secrets_path.read_bytes() == before, "secrets.toml untouched"
    assert "QCS_SECRETS_READ_ONLY is set" in status.account["secrets_read_only"]
    assert "goes stale" in status.account["secrets_read_only"]
    held = await qcs.token("default")
    secret_scanner.add_secrets(held)
    assert held != tokens["access_token"]
    assert status.token_hint == "…" + held[-4:]
    assert len(sandbox.token_requests()) == 1, "the held token is used until it is due"


def test_plain_reader_agrees_with_tomllib_or_steps_aside() -> None:
    """The fast path reads our own layout line by line; whatever it is not sure of goes to tomllib."""
    plain = textwrap.dedent(
        """
        # a comment
        default_profile_name = "lab"   # trailing comment
        [ profiles . lab ]
        credentials_name = 'lab-creds'
        api_url = "https://api.example/#x"
        [credentials.lab-creds.externally_managed]
        command = "/venv/bin/jupyter-qcred"
        args = ["token", "qcs", '--profile', "lab"]
        timeout_seconds = 120
        [credentials.jupyter_qcred-lab-creds.token_payload]
        access_token = "a.b.c"
        updated_at = "2026-11-30T05:01:22.507422Z"
        """
    )

    def strings(table: dict[str, Any]) -> dict[str, Any]:
        return {k: strings(v) if isinstance(v, dict) else v for k, v in table.items() if isinstance(v, dict | str)}

    assert strings(fasttoken._plain_toml(plain) or {}) == strings(tomllib.loads(plain))
    for other in ('a = """x"""', '"quoted" = "k"', "a.b = 1", "x = {a = 1}", "[[t]]", 's = "a\\"b"', "a = [\n1]"):
        assert fasttoken._plain_toml(other) is None, other


def test_lost_tokens_of_a_handed_off_credential_are_named(tmp_path: Path, secret_scanner: SecretScanner) -> None:
    qcs = provider(tmp_path)
    secret_scanner.add_secrets(write(qcs, None, 3600))
    text = qcs.secrets_path.read_text()
    qcs.secrets_path.write_text(text[: text.index("[credentials.jupyter_qcred-default")])
    with pytest.raises(QCredError, match=r"handed off to jupyter_qcred, but its tokens .*default.* missing"):
        qcs.token_sync()
    done = run([str(SCRIPT), "token", "qcs"], {"HOME": str(tmp_path)}, secret_scanner)
    assert done.returncode == 1 and "re-initialize" in done.stderr and done.stdout == ""
