"""Issue 20, items 1 to 3: an uploaded credentials file is data, never where tokens go or what runs.

Each test uploads through the REST API of a real Jupyter server (alice's sandbox credentials on disk) and checks
what a user would see: a 4xx (or the 409 that asks about new hosts) with a sentence naming the file and the field,
both QCS files byte for byte unchanged, and not one request at a loopback server standing for the attacker's host
(so no token text reached it). The last tests take the positive path: after the user confirmed the new host, the
upload is written and that host receives only the new credential's token, never alice's.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from support.attacker import Attacker
from support.helpers import async_wait_until, entry
from support.server_fixtures import jp_server_config  # noqa: F401 - a server with the extension

pytestmark = pytest.mark.timeout(180)


def jwt(**claims: Any) -> str:
    """An access token of the file's own account, valid for an hour (unsigned: only its host ever reads it)."""
    now = int(time.time())
    parts = [{"alg": "none", "typ": "JWT"}, {"iat": now, "exp": now + 3600, **claims}]
    encoded = [base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode() for part in parts]
    return ".".join([*encoded, "x"])


def qcs_files(home: Path) -> dict[str, bytes]:
    return {name: (home / ".qcs" / name).read_bytes() for name in ("settings.toml", "secrets.toml")}


def alices_tokens(bundle: dict[str, Any]) -> list[str]:
    qcs = bundle["qcs"][0]
    return [qcs["access_token"], qcs["refresh_token"]]


async def settled(api: Any) -> None:
    """alice's QCS credential was checked once at start (so no background write changes the files under a test)."""

    async def checked() -> bool:
        _, status = await api("status")
        return bool(entry(status, "qcs", "default").get("last_refresh"))

    await async_wait_until(checked, timeout=30, what="the first check of alice's QCS credential")


async def upload(api: Any, filename: str, content: str, **flags: bool) -> tuple[int, Any]:
    body = {"source": "file", "provider": "qcs", "filename": filename, "content": content, **flags}
    return await api("reinitialize", "POST", body)


async def nothing_sent_after_a_refresh(api: Any, attacker: Attacker, bundle: dict[str, Any]) -> None:
    """Even the refreshes and checks that follow send nothing to the attacker's host."""
    code, _ = await api("refresh", "POST", {"provider": "qcs"})
    assert code in (200, 404)
    assert attacker.requests == [], attacker.requests
    assert not any(attacker.saw(token) for token in alices_tokens(bundle))


# ----- 1. a settings.toml that points alice's tokens at another host -----------------------------------------------


@pytest.mark.slow
async def test_a_new_profile_naming_an_existing_credential_with_its_own_hosts_is_refused(
    jp_serverapp: Any, jp_home_dir: Path, api: Any, attacker: Attacker, bundle: dict[str, Any]
) -> None:
    await settled(api)
    before = qcs_files(Path(jp_home_dir))
    settings = (
        f'[auth_servers.helper]\nclient_id = "helper"\nissuer = "{attacker.url}/oauth2"\n'
        f'[profiles.helper]\ncredentials_name = "default"\nauth_server_name = "helper"\napi_url = "{attacker.url}"\n'
    )
    for flags in ({}, {"replace": True, "trust_hosts": True}):  # not even a confirmation lets it through
        code, answer = await upload(api, "settings.toml", settings, **flags)
        assert code == 400, answer
        message = answer["message"]
        assert "settings.toml" in message and "'default'" in message and "'helper'" in message, message
        assert attacker.host in message and "nothing was written" in message, message
    assert qcs_files(Path(jp_home_dir)) == before
    await nothing_sent_after_a_refresh(api, attacker, bundle)


@pytest.mark.slow
async def test_the_default_auth_server_is_never_moved_to_another_issuer_and_a_change_asks_first(
    jp_serverapp: Any, jp_home_dir: Path, api: Any, attacker: Attacker, bundle: dict[str, Any], sandbox: Any
) -> None:
    await settled(api)
    home = Path(jp_home_dir)
    before = qcs_files(home)
    moved = f'[auth_servers.default]\nclient_id = "helper"\nissuer = "{attacker.url}/oauth2"\n'
    for flags in ({}, {"replace": True, "trust_hosts": True}):
        code, answer = await upload(api, "settings.toml", moved, **flags)
        assert code == 400, answer
        assert "settings.toml" in answer["message"] and "'default'" in answer["message"], answer
    assert qcs_files(home) == before
    # The same issuer with another client: no host moves, but an existing auth server changes -> "Replace it?".
    changed = f'[auth_servers.default]\nclient_id = "another-client"\nissuer = "{sandbox.qcs_issuer}"\n'
    code, answer = await upload(api, "settings.toml", changed)
    assert code == 409 and answer["reason"] == "exists" and answer["name"] == "default", answer
    assert "auth server 'default' already exists" in answer["message"]
    assert qcs_files(home) == before
    # The identical auth server is no change at all.
    same = f'[auth_servers.default]\nclient_id = "{sandbox.qcs_client_id}"\nissuer = "{sandbox.qcs_issuer}"\n'
    code, answer = await upload(api, "settings.toml", same)
    assert code == 200, answer
    await nothing_sent_after_a_refresh(api, attacker, bundle)


@pytest.mark.slow
async def test_a_url_that_is_not_https_is_refused_naming_the_field(
    jp_serverapp: Any, jp_home_dir: Path, api: Any, attacker: Attacker
) -> None:
    await settled(api)
    before = qcs_files(Path(jp_home_dir))
    settings = '[profiles.lab]\ncredentials_name = "lab"\napi_url = "http://api.lab.example"\n'
    for flags in ({}, {"trust_hosts": True}):
        code, answer = await upload(api, "settings.toml", settings, **flags)
        assert code == 400, answer
        assert "settings.toml" in answer["message"] and "profiles.lab.api_url" in answer["message"], answer
    assert qcs_files(Path(jp_home_dir)) == before


# ----- 2. a secrets.toml naming the internal hand-off entry -------------------------------------------------------


@pytest.mark.slow
async def test_a_secrets_toml_naming_the_internal_hand_off_entry_is_refused(
    jp_serverapp: Any, jp_home_dir: Path, api: Any, sandbox: Any, secret_scanner: Any
) -> None:
    await settled(api)
    mallory = sandbox.issue_qcs_tokens("alice")  # another login's tokens (in the attack: another account's)
    secret_scanner.add_secrets(mallory["access_token"], mallory["refresh_token"])
    before = qcs_files(Path(jp_home_dir))
    secrets = (
        "[credentials.jupyter_qcred-default.token_payload]\n"
        f'access_token = "{mallory["access_token"]}"\nrefresh_token = "{mallory["refresh_token"]}"\n'
    )
    for flags in ({}, {"replace": True, "trust_hosts": True}):
        code, answer = await upload(api, "secrets.toml", secrets, **flags)
        assert code == 400, answer
        message = answer["message"]
        assert "secrets.toml" in message and "'jupyter_qcred-default'" in message and "nothing was written" in message
    assert qcs_files(Path(jp_home_dir)) == before
    assert mallory["access_token"] not in (Path(jp_home_dir) / ".qcs" / "secrets.toml").read_text()


# ----- 3. a secrets.toml that adds a command for the SDK to run ---------------------------------------------------


async def test_a_secrets_toml_with_a_command_is_refused(jp_serverapp: Any, jp_home_dir: Path, api: Any) -> None:
    await settled(api)
    before = qcs_files(Path(jp_home_dir))
    secrets = '[credentials.work.externally_managed]\ncommand = "/bin/sh"\nargs = ["-c", "touch /tmp/owned"]\n'
    for flags in ({"make_default": True}, {"make_default": True, "replace": True, "trust_hosts": True}):
        code, answer = await upload(api, "secrets.toml", secrets, **flags)
        assert code == 400, answer
        message = answer["message"]
        assert "secrets.toml" in message and "credentials.work.externally_managed" in message, message
        assert "run its command" in message and "nothing was written" in message, message
    assert qcs_files(Path(jp_home_dir)) == before
    _, status = await api("status")
    assert "work" not in {e["name"] for e in status["providers"] if e["provider"] == "qcs"}


# ----- new hosts: shown first, then used for the new credential only ----------------------------------------------


@pytest.mark.slow
async def test_a_new_host_is_confirmed_first_then_serves_only_the_new_credential(
    jp_serverapp: Any, jp_home_dir: Path, api: Any, attacker: Attacker, bundle: dict[str, Any], secret_scanner: Any
) -> None:
    await settled(api)
    home = Path(jp_home_dir)
    before = qcs_files(home)
    settings = (
        f'[auth_servers.helper]\nclient_id = "helper"\nissuer = "{attacker.url}/oauth2"\n'
        f'[profiles.helper]\ncredentials_name = "helper"\nauth_server_name = "helper"\napi_url = "{attacker.url}"\n'
        f'grpc_api_url = "{attacker.url}"\n'
    )
    code, answer = await upload(api, "settings.toml", settings)
    assert code == 409, answer
    assert answer["reason"] == "hosts" and answer["provider"] == "qcs" and answer["hosts"] == [attacker.host]
    assert "settings.toml" in answer["message"] and attacker.host in answer["message"], answer
    assert qcs_files(home) == before
    assert attacker.requests == []

    code, answer = await upload(api, "settings.toml", settings, trust_hosts=True)
    assert code == 200, answer
    assert "'helper' has no credentials yet" in answer["result"]["message"]
    assert "[profiles.helper]" in (home / ".qcs" / "settings.toml").read_text()
    assert attacker.requests == [], "no credential uses the new host yet"

    helper_token = jwt(sub="helper")
    secret_scanner.add_secrets(helper_token)
    secrets = f'[credentials.helper.token_payload]\naccess_token = "{helper_token}"\n'
    code, answer = await upload(api, "secrets.toml", secrets)  # the host is known now: no second question
    assert code == 200, answer
    assert entry(answer, "qcs", "helper")
    code, again = await upload(api, "secrets.toml", secrets)  # a credential we hold is replaced only when asked
    assert code == 409 and again["reason"] == "exists" and again["name"] == "helper", again
    await api("refresh", "POST", {"provider": "qcs"})
    await api("refresh", "POST", {"provider": "qcs", "name": "helper"})
    assert attacker.saw(f"Bearer {helper_token}"), "the new credential was checked with its own host"
    assert not any(attacker.saw(token) for token in alices_tokens(bundle)), "alice's tokens reached the new host"
    _, status = await api("status")
    assert entry(status, "qcs", "default")["state"] == "ok", "alice's profile is untouched"


async def test_an_ibm_account_with_its_own_url_is_confirmed_before_its_key_is_sent(
    jp_serverapp: Any, jp_home_dir: Path, api: Any, attacker: Attacker, secret_scanner: Any
) -> None:
    accounts = Path(jp_home_dir) / ".qiskit" / "qiskit-ibm.json"
    before = accounts.read_bytes()
    key = "helper-ibm-api-key-" + "k" * 24
    secret_scanner.add_secrets(key)
    content = json.dumps({"helper": {"channel": "ibm_cloud", "token": key, "url": f"{attacker.url}/experimental"}})
    body = {"source": "file", "provider": "ibm", "filename": "qiskit-ibm.json", "content": content}
    code, answer = await api("reinitialize", "POST", body)
    assert code == 409 and answer["reason"] == "hosts" and attacker.host in answer["hosts"], answer
    assert "qiskit-ibm.json" in answer["message"]
    assert accounts.read_bytes() == before
    assert attacker.requests == [], "the upload's check ran before the user confirmed the host"
    plain = json.dumps({"helper": {"channel": "ibm_cloud", "token": key, "url": "http://api.example/x"}})
    for flags in ({}, {"trust_hosts": True}):
        code, answer = await api("reinitialize", "POST", {**body, "content": plain, **flags})
        assert code == 400 and "qiskit-ibm.json" in answer["message"] and "'helper'" in answer["message"], answer
    assert accounts.read_bytes() == before
