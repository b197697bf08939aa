"""The server extension on a real Jupyter server (pytest-jupyter) against the real sandbox services."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.helpers import async_wait_until, login_cookie
from tornado.httpclient import HTTPClientError

from jupyter_qcred.server.handlers import ROUTES

pytestmark = pytest.mark.timeout(120)


def when(text: str | None) -> datetime:
    assert text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def jp_server_config(bundle) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}},
        "QCredApp": {"watch_interval": 0.1},
    }


def entry(status: dict[str, Any], provider: str, name: str | None = None) -> dict[str, Any]:
    found = [e for e in status["providers"] if e["provider"] == provider and (name is None or e["name"] == name)]
    assert found, f"no {provider} {name} in {[(e['provider'], e['name']) for e in status['providers']]}"
    return found[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def slow_writes(monkeypatch) -> None:
    """Writing the start-up files takes half a second (a slow disk): the server must still not answer first."""
    from jupyter_qcred.core.manager import CredentialManager

    materialize = CredentialManager.materialize

    def slowly(self: CredentialManager, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return materialize(self, *args, **kwargs)

    monkeypatch.setattr(CredentialManager, "materialize", slowly)


async def test_files_are_written_before_the_first_request(slow_writes, jp_serverapp, jp_home_dir, api, bundle) -> None:
    home = Path(jp_home_dir)
    code, status = await api("status")  # the first request, while the (slow) writing may still be under way
    for relative in (".qcs/secrets.toml", ".qcs/settings.toml", ".qiskit/qiskit-ibm.json", ".qiskit/qiskitrc"):
        path = home / relative
        assert path.exists(), f"{relative} missing at start"
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert bundle["qcs"][0]["refresh_token"] in (home / ".qcs/secrets.toml").read_text()
    assert "QCRED_BUNDLE" not in os.environ, "kernels started later must not inherit the bundle"

    assert code == 200
    qcs = entry(status, "qcs", "default")
    assert qcs["state"] in ("ok", "refreshing") and qcs["default"]
    assert entry(status, "ibm", "default-ibm-quantum-platform")["account"]["channel"] == "ibm_quantum_platform"
    assert entry(status, "ibm", "legacy")["account"]["channel"] == "ibm_quantum"
    assert status["hub"]["available"] is False


@pytest.mark.slow
async def test_status_reports_account_details_after_the_first_check(jp_serverapp, api) -> None:
    async def checked() -> Any:
        _, status = await api("status")
        qcs = entry(status, "qcs", "default")
        # every credential the server checks has been checked (nothing is still in flight when the server stops)
        checked = all(e["last_refresh"] for e in status["providers"] if e["name"] and e["state"] != "unsupported")
        return status if qcs["account"].get("groups") and checked else None

    status = await async_wait_until(checked, timeout=30, what="account details")
    qcs = entry(status, "qcs", "default")
    assert qcs["account"]["user"]["email"] == "alice@example.org"
    assert {g["name"] for g in qcs["account"]["groups"]} == {"wonderland-lab", "tea-party"}
    assert entry(status, "ibm", "default-ibm-quantum-platform")["state"] == "ok"
    # The installed qiskit-ibm-runtime cannot load the legacy account: flagged, with what to do, and not checked.
    legacy = entry(status, "ibm", "legacy")
    assert legacy["state"] == "unsupported"
    assert "Re-initialize it with an IBM Cloud API key" in legacy["error"] and "remove it" in legacy["error"]


@pytest.mark.slow
@pytest.mark.qcs_lifetime(12)
async def test_short_token_is_refreshed_before_it_expires_and_pushed(jp_serverapp, jp_ws_fetch, sandbox, api) -> None:
    _, first = await api("status")
    old_expiry = when(entry(first, "qcs", "default")["expires_at"])
    ws = await jp_ws_fetch("qcred", "events")
    states: list[str] = []
    try:
        while True:
            message = json.loads(await ws.read_message())
            qcs = entry(message["status"], "qcs", "default")
            if not states or states[-1] != qcs["state"]:
                states.append(qcs["state"])
            if "refreshing" in states and qcs["state"] == "ok" and when(qcs["expires_at"]) > old_expiry:
                break
    finally:
        ws.close()
    assert states.index("refreshing") < len(states) - 1 and states[-1] == "ok"
    refreshes = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    assert len(refreshes) >= 1
    assert datetime.fromtimestamp(refreshes[0]["time"]).astimezone() < old_expiry, "refreshed before expiry"


@pytest.mark.slow
async def test_provider_errors_become_error_then_recover(jp_serverapp, sandbox, api) -> None:
    sandbox.fault("qcs_token", "status", status=500)
    code, status = await api("refresh", "POST", {"provider": "qcs"})
    assert code == 200
    qcs = entry(status, "qcs", "default")
    assert qcs["state"] == "error"
    assert "Rigetti QCS" in qcs["error"] and "500" in qcs["error"]
    sandbox.clear_faults()

    async def recovered() -> bool:
        _, now = await api("status")
        return entry(now, "qcs", "default")["state"] == "ok"

    await async_wait_until(recovered, timeout=30, what="the automatic retry after the sandbox recovered")


async def test_refused_refresh_token_needs_reinit_and_a_new_token_fixes_it(
    jp_serverapp, sandbox, api, secret_scanner
) -> None:
    sandbox.revoke("alice")
    _, status = await api("refresh", "POST", {"provider": "qcs", "name": "default"})
    qcs = entry(status, "qcs", "default")
    assert qcs["state"] == "needs_reinit"
    assert "re-initialize" in qcs["error"].lower()

    fresh = sandbox.issue_qcs_tokens("alice")
    secret_scanner.add_secrets(fresh["access_token"], fresh["refresh_token"])
    code, status = await api(
        "reinitialize",
        "POST",
        {"source": "token", "provider": "qcs", "refresh_token": fresh["refresh_token"], "replace": True},
    )
    assert code == 200, status
    assert entry(status, "qcs", "default")["state"] == "ok"


async def test_a_pasted_ibm_key_is_checked_and_saved(jp_serverapp, sandbox, api, secret_scanner) -> None:
    key = sandbox.ibm_credentials("alice")["apikey"]
    secret_scanner.add_secrets(key)
    code, status = await api(
        "reinitialize",
        "POST",
        {"source": "token", "provider": "ibm", "token": key, "name": "pasted", "instance": "crn:v1:pasted"},
    )
    assert code == 200, status
    assert status["result"]["credentials"][0]["name"] == "pasted"
    pasted = entry(status, "ibm", "pasted")
    assert pasted["account"]["instance"] == "crn:v1:pasted"
    assert pasted["token_hint"] == "…" + key[-4:]


async def test_an_account_the_sdk_cannot_load_is_not_made_the_default(jp_serverapp, api) -> None:
    code, status = await api("default", "PUT", {"provider": "ibm", "name": "legacy"})
    assert code == 409, status
    assert "no longer accepts" in status["message"] and "It was not made the default." in status["message"]
    _, status = await api("status")
    assert status["defaults"]["ibm"] == "default-ibm-quantum-platform"
    assert not entry(status, "ibm", "legacy")["default"]


@pytest.mark.parametrize(
    ("path", "method", "body", "code", "words"),
    [
        ("refresh", "POST", {"provider": "ocean"}, 400, "Unknown provider 'ocean'"),
        ("refresh", "POST", "{not json", 400, "not valid JSON"),
        ("refresh", "POST", "[1, 2]", 400, "must be a JSON object"),
        ("refresh", "POST", {"provider": "qcs", "colour": "red"}, 400, "'colour' is not a known field"),
        ("refresh", "POST", {"provider": "qcs", "name": 7}, 400, "'name' must be a string, not a number"),
        ("refresh", "POST", {"provider": "qcs", "name": "nobody"}, 404, "nobody"),
        ("default", "PUT", {"provider": "qcs"}, 400, "'name' is required"),
        ("default", "PUT", {"provider": "qcs", "name": "nope"}, 404, "no Rigetti QCS credential named 'nope'"),
        ("reinitialize", "POST", {"source": "token", "provider": "ibm"}, 400, "API key"),
        (
            "reinitialize",
            "POST",
            {"source": "token", "provider": "ibm", "token": "k" * 20, "channel": "x"},
            400,
            "channel",
        ),
        (
            "reinitialize",
            "POST",
            {"source": "token", "provider": "ibm", "token": "k" * 20, "channel": "ibm_quantum", "instance": "a/b"},
            400,
            "hub/group/project",
        ),
        ("reinitialize", "POST", {"source": "carrier-pigeon"}, 400, "must be one of"),
        ("reinitialize", "POST", {"source": "hub"}, 409, "not running under JupyterHub"),
        ("restart", "POST", {}, 409, "not running under JupyterHub"),
    ],
)
async def test_bad_requests_get_a_sentence(jp_serverapp, api, path, method, body, code, words) -> None:
    got, reply = await api(path, method, body)
    assert got == code, reply
    assert words in reply["message"]


async def test_every_endpoint_requires_authentication(jp_serverapp, http_server_client, jp_base_url) -> None:
    for path, _handler in ROUTES:
        for method in ("GET", "POST", "PUT"):
            response = await http_server_client.fetch(
                f"{jp_base_url}qcred/{path}",
                method=method,
                body=None if method == "GET" else "{}",
                raise_error=False,
                follow_redirects=False,
            )
            assert response.code in (403, 405), f"{method} {path} answered {response.code} without a token"
            if response.code == 405:
                continue
            assert response.code == 403


async def test_websocket_without_token_is_refused(jp_serverapp, jp_ws_fetch) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_ws_fetch("qcred", "events", headers={"Authorization": ""})
    assert info.value.code == 403


async def test_cookie_without_xsrf_is_refused_and_with_xsrf_accepted(
    jp_serverapp, http_server_client, jp_base_url
) -> None:
    cookie, xsrf = await login_cookie(http_server_client, jp_base_url, jp_serverapp)

    refused = await http_server_client.fetch(
        f"{jp_base_url}qcred/refresh", method="POST", body="{}", raise_error=False, headers={"Cookie": cookie}
    )
    assert refused.code == 403
    accepted = await http_server_client.fetch(
        f"{jp_base_url}qcred/refresh",
        method="POST",
        body="{}",
        raise_error=False,
        headers={"Cookie": cookie, "X-XSRFToken": xsrf},
    )
    assert accepted.code == 200


@pytest.mark.slow
async def test_device_login_from_the_panel_stores_tokens_by_itself(jp_serverapp, jp_home_dir, sandbox, api) -> None:
    sandbox.configure(device_interval=1)
    sandbox.revoke("alice")  # the 90-day refresh token expired: only a new login helps
    before = (Path(jp_home_dir) / ".qcs/secrets.toml").read_text()
    code, answer = await api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": "default"})
    assert code == 200, answer
    login = answer["login"]
    assert login["state"] == "pending"
    assert login["user_code"] and login["verification_uri"].startswith(("http://", "https://"))
    assert "device_code" not in login
    sandbox.approve_device(login["user_code"], "alice")

    async def finished() -> Any:
        _, status = await api("status")
        mine = [item for item in status["logins"] if item["id"] == login["id"]]
        return status if mine and mine[0]["state"] == "done" else None

    status = await async_wait_until(finished, timeout=30, what="the device login to finish")
    assert entry(status, "qcs", "default")["state"] in ("ok", "refreshing")
    assert (Path(jp_home_dir) / ".qcs/secrets.toml").read_text() != before
    _, status = await api("refresh", "POST", {"provider": "qcs", "name": "default"})
    assert entry(status, "qcs", "default")["state"] == "ok", "the new refresh token works"
    assert entry(status, "qcs", "default")["account"]["user"]["email"] == "alice@example.org"


@pytest.mark.slow
async def test_device_login_for_a_new_profile_uses_the_same_qcs_deployment(jp_serverapp, sandbox, api) -> None:
    """A group or second account signs in as a new profile: it must talk to the same API as the default one."""
    sandbox.configure(device_interval=1)
    _, answer = await api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": "lab"})
    sandbox.approve_device(answer["login"]["user_code"], "bob")

    async def bob_signed_in() -> Any:
        _, status = await api("status")
        found = [e for e in status["providers"] if e["provider"] == "qcs" and e["name"] == "lab"]
        user = (found[0]["account"].get("user") or {}) if found else {}
        return found[0] if user.get("email") == "bob@example.org" else None

    lab = await async_wait_until(bob_signed_in, timeout=30, what="bob's new profile with his account details")
    assert lab["account"]["api_url"] == sandbox.qcs_api_url
    assert lab["account"]["issuer"] == sandbox.qcs_issuer
