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
