"""The QCS token hand-off with the real SDKs: qcs_api_client_common gets its token from our command (even without our
bin on PATH) and never refreshes by itself, pyquil 4's bundled client reads the copy beside it and cannot break the
chain, and the way back to plain files the SDK reads as if we had never been there."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from support.helpers import SecretScanner
from support.qcs import PYTHON, provider, sandbox_env
from support.qcs_handoff import SCRIPT, run, secrets_toml, sha, write

from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import load_secrets
from jupyter_qcred.sandbox.client import Sandbox

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


@pytest.mark.slow
def test_pyquil_load_reads_the_copy_and_cannot_break_the_chain(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    """pyquil 4.22's bundled client alone (its adapter switched off) ignores ``externally_managed``: it uses the access
    token beside it, and when that has expired it fails (no refresh token to spend) instead of breaking the chain for
    everyone. With the adapter (the default) it asks our command: tests/sdk/test_qcs_pyquil_adapter.py."""
    pytest.importorskip("pyquil")
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    tokens = write(qcs, sandbox, -100)
    secret_scanner.add_secrets(tokens)
    env = {**sandbox_env(tmp_path, sandbox.ca_file), "JUPYTER_QCRED_SDK_ADAPTERS": "-pyquil"}
    expired = run([PYTHON, "-c", PYQUIL_LOAD], env, secret_scanner)
    assert "No refresh token" in json.loads(expired.stdout)["error"]
    assert sandbox.token_requests() == []
    fresh = run([str(SCRIPT), "token", "qcs"], env, secret_scanner)  # anyone: a 0.27 kernel, the server, the CLI
    secret_scanner.add_secrets(fresh.stdout.strip())
    ok = run([PYTHON, "-c", PYQUIL_LOAD], env, secret_scanner)
    assert json.loads(ok.stdout) == {"names": ["Ankaa-3", "Cepheus-1-36Q"]}
    assert [r["status"] for r in sandbox.token_requests()] == [200]
