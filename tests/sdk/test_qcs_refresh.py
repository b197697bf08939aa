"""The real QCS SDK (qcs_api_client_common) and jupyter_qcred share the same files, over TLS, in both directions;
and any number of processes refresh once."""

from __future__ import annotations

import hashlib
import json
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomlkit
from support.gated import race
from support.qcs import PYTHON, provider, sandbox_env

from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.core.states import State, utcnow
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import jwt_times, load_secrets
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

SDK_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys
    import httpx
    from qcs_api_client_common.configuration import ClientConfiguration

    profile = sys.argv[1] if len(sys.argv) > 1 else None
    configuration = ClientConfiguration.load_profile(profile) if profile else ClientConfiguration.load_default()
    token = configuration.get_bearer_access_token().secret
    # (qcs_api_client_common 0.27's own httpx.QCSAuthorization sends the redacted repr of the token, so the
    # header is built here from .secret.)
    with httpx.Client() as client:
        answer = client.get(configuration.api_url + "/v1/auth:getUser", headers={"Authorization": f"Bearer {token}"})
    print(json.dumps({"sha": hashlib.sha256(token.encode()).hexdigest(), "status": answer.status_code,
                      "email": answer.json().get("profile", {}).get("email")}))
    """
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def run_sdk(home: Path, sandbox: Sandbox, profile: str | None = None) -> dict[str, Any]:
    """Run the real SDK in a fresh process (it reads the environment and the CA once per process)."""
    args = [PYTHON, "-c", SDK_SCRIPT, *([profile] if profile else [])]
    done = subprocess.run(args, env=sandbox_env(home, sandbox.ca_file), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def setup(
    home: Path, sandbox: Sandbox, scanner: Any, lifetime: int = -100, handoff_mode: str = "files"
) -> tuple[QcsProvider, dict[str, Any]]:
    """alice's expired tokens written by us; plain files by default, since these tests are about the SDK reading
    and refreshing our files (the hand-off has its own tests in test_qcs_handoff.py, here and in tests/unit)."""
    tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=lifetime)
    scanner.add_secrets(tokens)
    qcs = provider(home, SSL_CERT_FILE=sandbox.ca_file or "", QCRED_QCS_HANDOFF=handoff_mode)
    qcs.materialize(
        [
            QcsProfileSpec(
                profile="default",
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                issuer=sandbox.qcs_issuer,
                client_id=sandbox.qcs_client_id,
                api_url=sandbox.qcs_api_url,
                default=True,
            )
        ],
        source="bundle",
    )
    return qcs, tokens


def payload_of(qcs: QcsProvider, credential: str = "default") -> Any:
    """The real tokens of ``credential``, wherever the hand-off keeps them."""
    _doc, model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
    return handoff.view(model).credentials[credential].token_payload


def test_sdk_refreshes_our_files_and_we_see_its_new_state(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    qcs, tokens = setup(tmp_path, sandbox, secret_scanner)
    ours_before = payload_of(qcs)
    assert [s.state for s in qcs.read()] == [State.EXPIRED]
    result = run_sdk(tmp_path, sandbox)
    assert result["status"] == 200
    assert result["email"] == "alice@example.org"
    (request,) = sandbox.token_requests()
    assert request["grant_type"] == "refresh_token"
    assert request["client_id"] == sandbox.qcs_client_id
    after = payload_of(qcs)
    secret_scanner.add_secrets(after.access_token, after.refresh_token)
    assert sha(after.access_token) == result["sha"], "the SDK wrote its new access token back"
    assert after.refresh_token != tokens["refresh_token"], "and the rotated refresh token"
    assert after.updated_at > ours_before.updated_at
    (status,) = qcs.read()
    assert status.state is State.OK
    assert status.token_hint == "…" + after.access_token[-4:]
    assert status.expires_at == jwt_times(after.access_token).expires_at
    # We use the SDK's token as it is: no request of our own.
    assert qcs.token_sync() == after.access_token
    assert len(sandbox.token_requests()) == 1


async def test_sdk_uses_our_refreshed_token_without_a_token_request(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    qcs, tokens = setup(tmp_path, sandbox, secret_scanner)
    status = await qcs.refresh("default")
    ours = payload_of(qcs)
    secret_scanner.add_secrets(ours.access_token, ours.refresh_token)
    assert status.state is State.OK
    assert len(sandbox.token_requests()) == 1
    result = run_sdk(tmp_path, sandbox)
    assert result["sha"] == sha(ours.access_token)
    assert result["status"] == 200
    assert len(sandbox.token_requests()) == 1, "the SDK asked for no token"
    after = payload_of(qcs)
    assert (after.access_token, after.refresh_token) == (ours.access_token, ours.refresh_token)
    assert tokens["refresh_token"] not in qcs.secrets_path.read_text()


def test_the_sdk_never_overwrites_our_newer_access_token(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    """Our ``updated_at`` is what the SDK compares before writing back its access token.

    Checked behaviour of qcs_api_client_common 0.27: when the file's ``updated_at`` is newer than its own, it
    leaves ``access_token`` and ``updated_at`` alone but still saves the rotated ``refresh_token`` (the one in
    the file was just consumed by its request).
    """
    qcs, tokens = setup(tmp_path, sandbox, secret_scanner)
    document = tomlkit.parse(qcs.secrets_path.read_text())
    later = "2999-01-01T00:00:00.000000Z"
    document["credentials"]["default"]["token_payload"]["updated_at"] = later  # type: ignore[index]
    qcs.secrets_path.write_text(tomlkit.dumps(document))
    result = run_sdk(tmp_path, sandbox)
    after = payload_of(qcs)
    secret_scanner.add_secrets(after.refresh_token)
    assert result["status"] == 200
    assert result["sha"] != sha(tokens["access_token"])
    assert after.access_token == tokens["access_token"]
    assert str(after.updated_at.year) == "2999"
    assert after.refresh_token != tokens["refresh_token"]


def test_sdk_runs_our_token_command_as_externally_managed(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    """``jupyter qcred token qcs`` as the SDK's ``externally_managed`` command: the kernel's SDK never refreshes."""
    qcs, _tokens = setup(tmp_path, sandbox, secret_scanner)
    command = (
        "from jupyter_qcred.providers.qcs.provider import QcsProvider; "
        "from jupyter_qcred.core.settings import Settings; "
        "print(QcsProvider(Settings.from_environment()).token_sync('default'))"
    )
    settings_doc = tomlkit.parse(qcs.settings_path.read_text())
    settings_doc["profiles"]["kernel"] = {  # type: ignore[index]
        "credentials_name": "via-qcred",
        "api_url": sandbox.qcs_api_url,
        "auth_server_name": "default",
    }
    qcs.settings_path.write_text(tomlkit.dumps(settings_doc))
    secrets_doc = tomlkit.parse(qcs.secrets_path.read_text())
    secrets_doc["credentials"]["via-qcred"] = {  # type: ignore[index]
        "externally_managed": {"command": PYTHON, "args": ["-c", command], "timeout_seconds": 60}
    }
    qcs.secrets_path.write_text(tomlkit.dumps(secrets_doc))
    result = run_sdk(tmp_path, sandbox, "kernel")
    assert result["status"] == 200
    ours = payload_of(qcs)
    secret_scanner.add_secrets(ours.access_token, ours.refresh_token)
    assert result["sha"] == sha(ours.access_token)
    (request,) = sandbox.token_requests()
    assert request["grant_type"] == "refresh_token"
    statuses = {s.name: s for s in qcs.read()}
    assert statuses["kernel"].account["credential_kind"] == "externally_managed"


@pytest.mark.slow
def test_twenty_processes_refresh_once(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    home = tmp_path / "home"
    qcs, tokens = setup(home, sandbox, secret_scanner, handoff_mode="command")
    outputs = race(tmp_path, "qcs", "provider.token_sync()", sandbox_env(home, sandbox.ca_file), 20)
    printed = {out for out, _err in outputs}
    assert len(printed) == 1
    token = printed.pop()
    secret_scanner.add_secrets(token)
    assert token != tokens["access_token"]
    assert len(sandbox.token_requests()) == 1, "exactly one token request for twenty processes"
    expires = jwt_times(token).expires_at
    assert expires is not None
    assert expires > utcnow()
    assert payload_of(qcs).access_token == token
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox.ca_file)) as client:
        answer = client.get(sandbox.qcs_api_url + "/v1/auth:getUser", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    for _out, err in outputs:
        assert token not in err
        assert tokens["refresh_token"] not in err
    assert sys.executable == PYTHON
