"""The sandbox speaks the providers' protocols faithfully enough for the real SDKs: qiskit-ibm-runtime lists its
backends, and the QCS client refreshes over TLS (the protocol itself is checked in tests/sandbox/test_sandbox.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.sandbox_fixtures import sandbox, sandbox_session, sandbox_spares  # noqa: F401
from support.sandbox_http import refresh, tls_client

from jupyter_qcred.sandbox.client import Sandbox
from jupyter_qcred.sandbox.tokens import unverified_claims


def test_real_qiskit_runtime_service_lists_backends(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from qiskit_ibm_runtime import QiskitRuntimeService

    monkeypatch.setenv("IAM_URL", sandbox.iam_url)
    monkeypatch.setenv("QISKIT_FUNCTIONS_EXPERIMENTAL", "1")
    creds = sandbox.ibm_credentials("alice")
    service = QiskitRuntimeService(
        channel="ibm_quantum_platform", token=creds["apikey"], instance=creds["instance"], url=sandbox.runtime_url
    )
    backends = service.backends()
    assert sorted(b.name for b in backends) == ["ibm_sandbox_fez", "ibm_sandbox_torino"]
    fez = service.backend("ibm_sandbox_fez")
    assert fez.num_qubits == 5
    assert fez.status().operational
    assert "cz" in fez.target.operation_names
    log = sandbox.log()
    assert log[0]["endpoint"] == "iam"
    assert log[0]["grant_type"] == "urn:ibm:params:oauth:grant-type:apikey"
    assert log[0]["form_keys"] == ["apikey", "grant_type", "response_type"]
    assert {e["path"] for e in log[1:]} >= {
        "/experimental/backends",
        "/experimental/backends/ibm_sandbox_fez/configuration",
    }
    assert all(e["status"] == 200 and e["user"] == "alice" for e in log)

    # Another user's instance is refused by the runtime (the SDK turns that into an empty backend list).
    bob = sandbox.ibm_credentials("bob")
    other = QiskitRuntimeService(
        channel="ibm_quantum_platform", token=creds["apikey"], instance=bob["instance"], url=sandbox.runtime_url
    )
    assert other.backends() == []
    assert sandbox.log()[-1]["status"] == 403


def write_qcs_files(sb: Sandbox, directory: Path, tokens: dict[str, Any]) -> tuple[Path, Path]:
    settings = directory / "settings.toml"
    secrets_file = directory / "secrets.toml"
    settings.write_text(
        'default_profile_name = "default"\n'
        "[profiles.default]\n"
        f'api_url = "{sb.qcs_api_url}"\n'
        'auth_server_name = "default"\n'
        'credentials_name = "default"\n'
        "[auth_servers.default]\n"
        f'client_id = "{sb.qcs_client_id}"\n'
        f'issuer = "{sb.qcs_issuer}"\n'
    )
    secrets_file.write_text(
        "# kept by the client\n"
        "[credentials.default.token_payload]\n"
        f'access_token = "{tokens["access_token"]}"\n'
        f'refresh_token = "{tokens["refresh_token"]}"\n'
        "expires_in = 3600\n"
        'scope = "openid offline_access"\n'
        'token_type = "Bearer"\n'
        'updated_at = "2020-01-01T00:00:00Z"\n'
    )
    return settings, secrets_file


def test_real_qcs_client_refreshes_over_tls(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    import tomllib

    from qcs_api_client_common.configuration import ClientConfiguration, TokenError
    from qcs_api_client_common.httpx import QCSAuthorization

    stale = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-3600)  # past the client's 60 s leeway
    settings, secrets_file = write_qcs_files(sandbox, tmp_path, stale)
    monkeypatch.setenv("QCS_SETTINGS_FILE_PATH", str(settings))
    monkeypatch.setenv("QCS_SECRETS_FILE_PATH", str(secrets_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(sandbox.ca_file))
    monkeypatch.delenv("QCS_PROFILE_NAME", raising=False)

    config = ClientConfiguration.load_default()
    assert config.api_url == sandbox.qcs_api_url
    token = config.get_bearer_access_token().secret
    assert token != stale["access_token"]
    assert unverified_claims(token)["sub"] == "alice@example.org"
    assert config.get_oauth_session().access_token.secret == token  # type: ignore[union-attr]

    # Discovery, then one refresh_token grant with client_id in the form, all over https.
    log = sandbox.log()
    assert [(e["endpoint"], e["scheme"]) for e in log] == [("qcs_discovery", "https"), ("qcs_token", "https")]
    assert log[1]["grant_type"] == "refresh_token"
    assert log[1]["client_id"] == sandbox.qcs_client_id
    assert log[1]["form_keys"] == ["client_id", "grant_type", "refresh_token"]

    # The client wrote the new access token and the rotated refresh token back, keeping the comment.
    text = secrets_file.read_text()
    saved = tomllib.loads(text)["credentials"]["default"]["token_payload"]
    assert text.startswith("# kept by the client")
    assert saved["access_token"] == token
    assert saved["refresh_token"] != stale["refresh_token"]
    assert refresh(tls_client(sandbox), sandbox, stale["refresh_token"]).json()["error"] == "invalid_grant"

    # The token is not refreshed again while valid and works for API calls.
    again = config.get_bearer_access_token().secret
    assert again == token
    me = tls_client(sandbox).get(sandbox.qcs_api_url + "/v1/auth:getUser", headers={"Authorization": f"Bearer {again}"})
    assert me.json()["profile"]["email"] == "alice@example.org"
    assert [e["status"] for e in sandbox.token_requests()] == [200, 400]  # the client's refresh, then ours

    # Upstream defect (qcs-api-client-common 0.27): its httpx middleware formats the SecretAccessToken object,
    # sending "Bearer SecretAccessToken(<REDACTED ...>)"; the API refuses it. Use ``.secret`` yourself.
    with tls_client(sandbox, auth=QCSAuthorization(config)) as client:
        assert client.get(sandbox.qcs_api_url + "/v1/auth:getUser").status_code == 401

    # A fresh load reads the rotated token from disk; a revoked one surfaces as TokenError.
    sandbox.revoke("alice")
    secrets_file.write_text(secrets_file.read_text().replace(saved["access_token"], stale["access_token"]))
    with pytest.raises(TokenError):
        ClientConfiguration.load_default().get_bearer_access_token()
    assert sandbox.token_requests()[-1]["status"] == 400
