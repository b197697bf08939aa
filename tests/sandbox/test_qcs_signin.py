"""Signing in to QCS by hand against the sandbox (TLS): a pasted refresh token exchanged at once, and the device login
(pending, approved and stored; denied, slowed down, expired)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomlkit
from support.qcs import provider, setup_profile, stored_payload

from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.core.errors import QCredError, RefusedError
from jupyter_qcred.core.states import State
from jupyter_qcred.sandbox.client import Sandbox


async def test_pasted_refresh_token_is_exchanged_at_once(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    tokens = sandbox.issue_qcs_tokens("alice")
    secret_scanner.add_secrets(tokens)
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    qcs.materialize(
        [
            QcsProfileSpec(
                profile="default",
                refresh_token="placeholder-refresh-0001",
                issuer=sandbox.qcs_issuer,
                client_id=sandbox.qcs_client_id,
                api_url=sandbox.qcs_api_url,
            )
        ],
        source="bundle",
    )
    status = await qcs.store_tokens(refresh_token=tokens["refresh_token"])
    assert status.state is State.OK
    assert status.source == "token"
    assert [r["grant_type"] for r in sandbox.token_requests()] == ["refresh_token"]
    payload = stored_payload(qcs)
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)
    assert payload.refresh_token not in (tokens["refresh_token"], "placeholder-refresh-0001")
    # A refused pasted token writes nothing and says so.
    before = qcs.secrets_path.read_bytes()
    with pytest.raises(RefusedError, match="pasted refresh token") as info:
        await qcs.store_tokens(refresh_token="not-a-valid-refresh-token-0001")
    secret_scanner.add_secrets("not-a-valid-refresh-token-0001")
    secret_scanner.saw("exception", str(info.value))
    assert qcs.secrets_path.read_bytes() == before
    with pytest.raises(QCredError):
        await qcs.store_tokens()


async def test_device_login_pending_approved_and_stored(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    sandbox.configure(device_interval=0)
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    qcs.import_file(
        "settings.toml",
        f'[profiles.lab]\ncredentials_name = "lab-cred"\napi_url = "{sandbox.qcs_api_url}"\nauth_server_name = "sb"\n'
        f'[auth_servers.sb]\nclient_id = "{sandbox.qcs_client_id}"\nissuer = "{sandbox.qcs_issuer}"\n',
    )
    login = await qcs.start_device_login("lab")
    secret_scanner.add_secrets(login.device_code)
    public = login.to_json()
    secret_scanner.saw("login json", public)
    secret_scanner.saw("login repr", repr(login))
    assert public["state"] == "pending"
    assert public["user_code"]
    assert public["verification_uri"].endswith("/activate")
    assert "device_code" not in public
    assert (await qcs.poll_device_login(login)).state == "pending"
    sandbox.approve_device(login.user_code, "carol")
    done = await qcs.poll_device_login(login)
    assert done.state == "done"
    assert done.error is None
    grants = [r["grant_type"] for r in sandbox.token_requests()]
    assert grants == ["urn:ietf:params:oauth:grant-type:device_code"] * 2
    payload = stored_payload(qcs, "lab-cred")
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)
    assert payload.refresh_token, "offline_access gave a refresh token"
    statuses = {s.name: s for s in qcs.read()}
    assert statuses["lab"].state is State.OK
    assert statuses["lab"].source == "device"
    assert statuses["lab"].account["user"]["email"].startswith("carol")
    settings_doc = tomlkit.parse(qcs.settings_path.read_text())
    assert settings_doc["profiles"]["lab"]["auth_server_name"] == "sb"  # type: ignore[index]


async def test_device_login_denied_slow_down_and_expired(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    sandbox.configure(device_interval=30)
    qcs, _tokens = setup_profile(tmp_path, sandbox, secret_scanner, lifetime=3600)
    login = await qcs.start_device_login()
    secret_scanner.add_secrets(login.device_code)
    assert login.profile == "default"
    assert login.interval == 30
    await qcs.poll_device_login(login)
    await qcs.poll_device_login(login)  # too fast: slow_down
    assert login.state == "pending"
    assert login.interval == 35
    sandbox.approve_device(login.user_code, "alice", deny=True)
    assert (await qcs.poll_device_login(login)).state == "failed"
    assert "denied" in (login.error or "")
    second = await qcs.start_device_login()
    secret_scanner.add_secrets(second.device_code)
    second.expires_at = second.expires_at.replace(year=2000)
    assert (await qcs.poll_device_login(second)).state == "expired"


def _under_hub(home: Path, sandbox: Sandbox, **extra: str) -> Any:
    """A QCS provider as a server under the demo's hub sees it: the default profile names the hub's confidential
    client, and the hub's login options say so (``QCRED_QCS_CLIENT_ID``, ``QCRED_QCS_REFRESH``)."""
    qcs = provider(
        home,
        SSL_CERT_FILE=sandbox.ca_file or "",
        QCRED_QCS_CLIENT_ID="jupyterhub",
        QCRED_QCS_REFRESH="hub",
        **extra,
    )
    qcs.import_file(
        "settings.toml",
        f'[profiles.default]\napi_url = "{sandbox.qcs_api_url}"\nauth_server_name = "default"\n'
        f'[auth_servers.default]\nclient_id = "jupyterhub"\nissuer = "{sandbox.qcs_issuer}"\n',
    )
    return qcs


async def test_device_login_under_a_hub_uses_the_public_login_client(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    """issue 23: under JupyterHub the login the server starts uses the deployment's public client, never the hub's
    confidential one, and the tokens it stores are refreshed with that client."""
    sandbox.configure(device_interval=0)
    public = sandbox.qcs_client_id
    qcs = _under_hub(tmp_path, sandbox, QCRED_QCS_LOGIN_CLIENT_ID=public)
    login = await qcs.start_device_login()
    secret_scanner.add_secrets(login.device_code)
    assert sandbox.approve_device(login.user_code, "alice")
    assert (await qcs.poll_device_login(login)).state == "done", login.error
    (device,) = sandbox.log("qcs_device")
    assert device["client_id"] == public and device["status"] == 200
    (grant,) = sandbox.token_requests()
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert grant["client_id"] == public and grant["status"] == 200
    assert grant["form_keys"] == ["client_id", "device_code", "grant_type"]  # a public client: no secret
    settings_doc = tomlkit.parse(qcs.settings_path.read_text())
    server = settings_doc["profiles"]["default"]["auth_server_name"]  # type: ignore[index]
    assert server == "jupyter_qcred-login"
    assert settings_doc["auth_servers"][server]["client_id"] == public  # type: ignore[index]
    assert settings_doc["auth_servers"]["default"]["client_id"] == "jupyterhub"  # type: ignore[index]
    payload = stored_payload(qcs)
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)
    # A working credential: the forced refresh spends the login's refresh token with the same public client.
    status = await qcs.refresh("default", force=True)
    assert status.state is State.OK, status.error
    refreshed = sandbox.token_requests()[-1]
    assert (refreshed["grant_type"], refreshed["client_id"], refreshed["status"]) == ("refresh_token", public, 200)


async def test_device_login_under_a_hub_says_which_client(tmp_path: Path, sandbox: Sandbox) -> None:
    """No public client configured: refused before anything is asked, saying what to configure; a refused client is
    named in the sentence."""
    qcs = _under_hub(tmp_path, sandbox)
    with pytest.raises(QCredError, match="QCRED_QCS_LOGIN_CLIENT_ID") as info:
        await qcs.start_device_login()
    assert "'jupyterhub'" in str(info.value) and "confidential" in str(info.value)
    assert sandbox.log("qcs_device") == []
    unknown = _under_hub(tmp_path / "other", sandbox, QCRED_QCS_LOGIN_CLIENT_ID="not-registered-here")
    with pytest.raises(RefusedError, match="invalid_client") as refused:
        await unknown.start_device_login()
    assert "The login used the OAuth client 'not-registered-here'" in str(refused.value)
    assert "QCRED_QCS_LOGIN_CLIENT_ID" in str(refused.value)


async def test_a_pasted_refresh_token_under_a_hub_is_exchanged_with_the_public_client(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    """A refresh token a person pastes (here one the sandbox issued to its public client, as `demo --credentials`
    hands out) is never sent with the hub's confidential client, and is written to be refreshed with its own."""
    public = sandbox.qcs_client_id
    qcs = _under_hub(tmp_path, sandbox, QCRED_QCS_LOGIN_CLIENT_ID=public)
    tokens = sandbox.issue_qcs_tokens("bob")
    secret_scanner.add_secrets(tokens)
    status = await qcs.store_tokens(refresh_token=tokens["refresh_token"])
    assert status.state is State.OK, status.error
    (grant,) = sandbox.token_requests()
    assert (grant["grant_type"], grant["client_id"], grant["status"]) == ("refresh_token", public, 200)
    settings_doc = tomlkit.parse(qcs.settings_path.read_text())
    assert settings_doc["profiles"]["default"]["auth_server_name"] == "jupyter_qcred-login"  # type: ignore[index]
    payload = stored_payload(qcs)
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)
    assert (await qcs.refresh("default", force=True)).state is State.OK
    assert sandbox.token_requests()[-1]["client_id"] == public
