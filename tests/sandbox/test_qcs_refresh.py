"""QCS refresh, client credentials and account details against the sandbox (TLS); device login and pasted tokens are in
test_qcs_signin.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from support.qcs import make_jwt, mode, provider, setup_profile, stored_payload

from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.core.errors import ProviderError, QCredError, RefusedError, TransientProviderError
from jupyter_qcred.core.states import State
from jupyter_qcred.providers.qcs.model import jwt_times
from jupyter_qcred.sandbox.client import Sandbox


async def test_refresh_uses_the_refresh_grant_and_saves_the_rotation(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    qcs, tokens = setup_profile(tmp_path, sandbox, secret_scanner)
    assert [s.state for s in qcs.read()] == [State.EXPIRED]
    status = await qcs.refresh("default")
    secret_scanner.saw("status", status.to_json())
    (request,) = sandbox.token_requests()
    assert request["grant_type"] == "refresh_token"
    assert request["client_id"] == sandbox.qcs_client_id
    assert request["form_keys"] == ["client_id", "grant_type", "refresh_token"]
    assert request["status"] == 200
    payload = stored_payload(qcs)
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)
    assert payload.refresh_token != tokens["refresh_token"], "the rotated refresh token was saved"
    assert payload.access_token != tokens["access_token"]
    assert payload.updated_at is not None
    assert payload.expires_in == 3600
    assert mode(qcs.secrets_path) == 0o600
    assert status.state is State.OK
    assert status.expires_at == jwt_times(payload.access_token).expires_at
    assert status.token_hint == "…" + payload.access_token[-4:]
    assert status.account["user"]["email"] == "alice@example.org"
    assert {g["name"] for g in status.account["groups"]} == {"wonderland-lab", "tea-party"}
    # Fresh now: a second refresh asks for no token, but still checks the account.
    sandbox.clear_log()
    again = await qcs.refresh("default")
    assert sandbox.token_requests() == []
    assert again.state is State.OK
    assert [e["endpoint"] for e in sandbox.log()] == ["qcs_user", "qcs_groups"]
    assert qcs.token_sync() == payload.access_token
    assert sandbox.token_requests() == []


async def test_force_refresh_and_the_sync_twin_share_one_flow(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    qcs, _tokens = setup_profile(tmp_path, sandbox, secret_scanner, lifetime=3600)
    assert qcs.token_sync() == stored_payload(qcs).access_token
    assert sandbox.token_requests() == []
    await qcs.refresh("default", force=True)
    assert len(sandbox.token_requests()) == 1
    secret_scanner.add_secrets(stored_payload(qcs).access_token, stored_payload(qcs).refresh_token)


async def test_client_credentials_grant_with_basic_auth(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    client = sandbox.add_qcs_client("bob")
    secret_scanner.add_secrets(client["client_secret"])
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    qcs.materialize(
        [
            QcsProfileSpec(
                profile="svc",
                client_id=client["client_id"],
                client_secret=client["client_secret"],
                issuer=sandbox.qcs_issuer,
                api_url=sandbox.qcs_api_url,
            )
        ],
        source="bundle",
    )
    status = await qcs.refresh("svc")
    (request,) = sandbox.token_requests()
    assert request["grant_type"] == "client_credentials"
    assert request["client_id"] == client["client_id"]
    assert request["form_keys"] == ["grant_type"]
    assert status.state is State.OK
    assert status.expires_at is not None
    assert status.token_hint
    assert status.account["user"]["email"].startswith("bob")
    token = qcs.token_sync("svc")
    secret_scanner.add_secrets(token)
    assert len(sandbox.token_requests()) == 1, "the in-memory token is reused"


async def test_refused_refresh_token_needs_reinit_and_names_no_secret(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    qcs, tokens = setup_profile(tmp_path, sandbox, secret_scanner)
    sandbox.revoke("alice")
    before = qcs.secrets_path.read_bytes()
    with pytest.raises(RefusedError) as info:
        await qcs.refresh("default")
    secret_scanner.saw("exception", str(info.value))
    assert "invalid_grant" in str(info.value)
    assert "re-initialize" in str(info.value)
    assert qcs.secrets_path.read_bytes() == before
    (status,) = qcs.read()
    secret_scanner.saw("status", status.to_json())
    assert status.state is State.NEEDS_REINIT
    assert status.account["refresh_token_state"] == "refused"
    with pytest.raises(RefusedError):
        qcs.token_sync()
    # A new login (new refresh token in the file, by anyone) clears the remembered refusal.
    fresh = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-100)
    secret_scanner.add_secrets(fresh)
    await qcs.store_tokens("default", access_token=fresh["access_token"], refresh_token=fresh["refresh_token"])
    # The pasted refresh token was exchanged before anything was written: the profile holds a fresh access token.
    assert [s.state for s in qcs.read()] == [State.OK]
    assert tokens["refresh_token"] not in qcs.secrets_path.read_text()


@pytest.mark.parametrize(
    ("fault", "kwargs", "words"),
    [
        ("status", {"status": 500}, "HTTP 500"),
        ("status", {"status": 503}, "HTTP 503"),
        ("garbage", {}, "not JSON"),
        ("reset", {}, "could not reach"),
        pytest.param("timeout", {}, "did not answer", marks=pytest.mark.slow),  # waits for the client's timeout
    ],
)
async def test_provider_trouble_is_transient_and_changes_nothing(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any, fault: str, kwargs: dict[str, Any], words: str
) -> None:
    qcs, _tokens = setup_profile(tmp_path, sandbox, secret_scanner, timeout=1.0)
    sandbox.fault("qcs_token", fault, **kwargs)
    before = (qcs.settings_path.read_bytes(), qcs.secrets_path.read_bytes())
    with pytest.raises(TransientProviderError) as info:
        await qcs.refresh("default")
    secret_scanner.saw("exception", str(info.value))
    assert words in str(info.value)
    with pytest.raises(TransientProviderError):
        qcs.token_sync()
    assert (qcs.settings_path.read_bytes(), qcs.secrets_path.read_bytes()) == before
    (status,) = qcs.read()
    assert status.state is State.EXPIRED, "a transient failure is not a refusal"
    sandbox.clear_faults()
    assert (await qcs.refresh("default")).state is State.OK
    payload = stored_payload(qcs)
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)


async def test_discovery_is_checked_and_cached(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    qcs, _tokens = setup_profile(tmp_path, sandbox, secret_scanner)
    await qcs.refresh("default", force=True)
    await qcs.refresh("default", force=True)
    assert len(sandbox.log("qcs_discovery")) == 1, "discovery is cached per issuer"
    for credential in ("default",):
        payload = stored_payload(qcs, credential)
        secret_scanner.add_secrets(payload.access_token, payload.refresh_token)
    # An issuer that differs from the document's (here by a trailing slash) is refused like the SDK does.
    text = qcs.settings_path.read_text().replace(sandbox.qcs_issuer + '"', sandbox.qcs_issuer + '/"')
    qcs.settings_path.write_text(text)
    with pytest.raises(ProviderError, match="must match") as info:
        await qcs.refresh("default", force=True)
    assert not isinstance(info.value, RefusedError)


async def test_account_details_failure_is_only_a_note(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    qcs, _tokens = setup_profile(tmp_path, sandbox, secret_scanner)
    sandbox.fault("qcs_groups", "status", status=502)
    status = await qcs.refresh("default")
    secret_scanner.saw("status", status.to_json())
    assert status.state is State.OK
    assert status.error is None
    assert "HTTP 502" in status.account["note"]
    payload = stored_payload(qcs)
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)


async def test_hub_refreshed_credentials_are_not_refreshed_by_us(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    qcs, _tokens = setup_profile(tmp_path, sandbox, secret_scanner, lifetime=3600, refresh="hub")
    status = await qcs.refresh("default", force=True)
    assert sandbox.token_requests() == []
    assert status.account["refresh_via"] == "hub"
    assert status.account["user"]["email"] == "alice@example.org"


async def test_concurrent_async_refreshes_in_one_process_make_one_request(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    qcs, _tokens = setup_profile(tmp_path, sandbox, secret_scanner)
    others = [provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "") for _ in range(4)]
    statuses = await asyncio.gather(qcs.refresh("default"), *(p.refresh("default") for p in others))
    assert len(sandbox.token_requests()) == 1
    assert {s.token_hint for s in statuses} == {statuses[0].token_hint}
    payload = stored_payload(qcs)
    secret_scanner.add_secrets(payload.access_token, payload.refresh_token)


def test_unknown_profile_and_missing_credential_are_clear(tmp_path: Path, secret_scanner: Any) -> None:
    qcs = provider(tmp_path)
    qcs.materialize([QcsProfileSpec(profile="a", access_token=make_jwt(), refresh_token="refresh-a-00001")], source="x")
    secret_scanner.add_secrets("refresh-a-00001")
    with pytest.raises(QCredError, match="no profile 'zzz'"):
        qcs.token_sync("zzz")
    text = qcs.settings_path.read_text() + '\n[profiles.empty]\ncredentials_name = "nothing"\n'
    qcs.settings_path.write_text(text)
    with pytest.raises(QCredError, match="does not hold"):
        qcs.token_sync("empty")
