"""The sandbox speaks the providers' protocols faithfully: real process, real HTTP(S) over loopback, real SDKs.

No sleeps: anything asynchronous is awaited with a deadline (``Sandbox.wait_for_log``) or a client timeout.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from support.sandbox_fixtures import sandbox, sandbox_session, sandbox_spares  # noqa: F401
from support.sandbox_http import refresh, tls_client, token_url

from jupyter_qcred.sandbox.client import Sandbox, SandboxError
from jupyter_qcred.sandbox.tokens import unverified_claims

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:  # noqa: F811
    with tls_client(sandbox, timeout=10) as client:
        yield client


# -- start-up -------------------------------------------------------------------------------------------------


def test_ready_line_matches_state_file_and_urls(sandbox: Sandbox) -> None:  # noqa: F811
    info = sandbox.info
    assert json.loads((sandbox.state_dir / "sandbox.json").read_text()) == info
    assert info["http_url"].startswith("http://127.0.0.1:")
    assert info["https_url"].startswith("https://127.0.0.1:")
    assert Path(info["ca_file"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert info["qcs_issuer"] == info["https_url"] + "/oauth2/sandbox"
    assert info["qcs_api_url"] == info["https_url"] + "/qcs"
    assert info["ibm_auth_url"] == info["http_url"] + "/ibm/api"
    assert info["iam_url"] == info["http_url"]
    assert info["runtime_url"] == info["http_url"] + "/experimental"
    assert info["pid"] == sandbox.process.pid if sandbox.process else False


def test_plain_http_only_without_tls(tmp_path: Path) -> None:
    with Sandbox(tls=False, state_dir=tmp_path, seed="none") as sb:
        assert sb.https_url is None
        assert sb.ca_file is None
        assert sb.qcs_issuer.startswith(sb.http_url)
        doc = httpx.get(sb.qcs_issuer + "/.well-known/openid-configuration").json()
        assert doc["issuer"] == sb.qcs_issuer
        assert sb.state()["qcs_users"] == []
    assert not sb.running


# -- QCS OIDC -------------------------------------------------------------------------------------------------


def test_discovery_over_tls_with_the_ca(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    doc = http.get(sandbox.qcs_issuer + "/.well-known/openid-configuration").json()
    assert doc["issuer"] == sandbox.qcs_issuer
    assert "openid" in doc["scopes_supported"]
    for key, suffix in (
        ("token_endpoint", "/v1/token"),
        ("authorization_endpoint", "/v1/authorize"),
        ("userinfo_endpoint", "/v1/userinfo"),
        ("device_authorization_endpoint", "/v1/device/authorize"),
        ("jwks_uri", "/v1/keys"),
    ):
        assert doc[key] == sandbox.qcs_issuer + suffix
    assert http.get(doc["jwks_uri"]).json()["keys"][0]["alg"] == "RS256"
    # Without the sandbox's CA the certificate is rejected: TLS is real.
    with pytest.raises(httpx.ConnectError):
        httpx.get(sandbox.qcs_issuer + "/.well-known/openid-configuration")


def test_refresh_rotates_and_refuses_the_old_token(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    issued = sandbox.issue_qcs_tokens("alice")
    claims = unverified_claims(issued["access_token"])
    assert claims["iss"] == sandbox.qcs_issuer
    assert claims["sub"] == "alice@example.org"
    assert {"sub", "iat", "exp", "iss", "aud", "scp", "uid"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 3600

    first = refresh(http, sandbox, issued["refresh_token"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] != issued["refresh_token"]
    assert body["access_token"] != issued["access_token"]

    old = refresh(http, sandbox, issued["refresh_token"])
    assert old.status_code == 400
    assert old.json()["error"] == "invalid_grant"
    assert old.json()["error_description"]

    assert refresh(http, sandbox, body["refresh_token"]).status_code == 200
    statuses = [(e["grant_type"], e["client_id"], e["user"], e["status"]) for e in sandbox.token_requests()]
    assert statuses == [
        ("refresh_token", sandbox.qcs_client_id, "alice", 200),
        ("refresh_token", sandbox.qcs_client_id, "alice", 400),
        ("refresh_token", sandbox.qcs_client_id, "alice", 200),
    ]
    assert sandbox.token_requests()[0]["form_keys"] == ["client_id", "grant_type", "refresh_token"]


def test_no_rotation_keeps_the_refresh_token(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    sandbox.configure(rotate_refresh_tokens=False, access_token_lifetime=120)
    issued = sandbox.issue_qcs_tokens("bob")
    for _ in range(2):
        body = refresh(http, sandbox, issued["refresh_token"]).json()
        assert body["refresh_token"] == issued["refresh_token"]
        assert body["expires_in"] == 120


def test_expired_revoked_and_foreign_refresh_tokens_are_invalid_grant(
    sandbox: Sandbox,  # noqa: F811
    http: httpx.Client,
) -> None:
    expired = sandbox.issue_qcs_tokens("alice", refresh_token_lifetime=0)
    assert refresh(http, sandbox, expired["refresh_token"]).json()["error"] == "invalid_grant"

    live = sandbox.issue_qcs_tokens("alice")
    other = sandbox.issue_qcs_tokens("bob")
    assert sandbox.revoke("alice")["revoked"] >= 1
    assert refresh(http, sandbox, live["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(http, sandbox, other["refresh_token"]).status_code == 200  # bob is untouched

    # A refresh token is bound to its client; the confidential hub client also needs its secret.
    hub_bound = sandbox.issue_qcs_tokens("bob", client_id="jupyterhub")
    assert refresh(http, sandbox, hub_bound["refresh_token"]).json()["error"] == "invalid_grant"
    no_secret = refresh(http, sandbox, hub_bound["refresh_token"], client_id="jupyterhub")
    assert no_secret.status_code == 401
    assert no_secret.json()["error"] == "invalid_client"
    secret = sandbox.credentials()["jupyterhub"]["client_secret"]
    ok = http.post(
        token_url(sandbox),
        auth=("jupyterhub", secret),
        data={"grant_type": "refresh_token", "refresh_token": hub_bound["refresh_token"]},
    )
    assert ok.status_code == 200, ok.text
    assert refresh(http, sandbox, "not-a-token").json()["error"] == "invalid_grant"


def test_client_credentials_with_basic_auth(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    clients = sandbox.credentials()["qcs_clients"]
    (client_id, entry), *_ = clients.items()
    response = http.post(
        token_url(sandbox), auth=(client_id, entry["client_secret"]), data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    me = http.get(sandbox.qcs_api_url + "/v1/auth:getUser", headers={"Authorization": "Bearer " + body["access_token"]})
    assert me.json()["profile"]["email"] == "alice@example.org"

    bad = http.post(token_url(sandbox), auth=(client_id, "wrong"), data={"grant_type": "client_credentials"})
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"
    added = sandbox.add_qcs_client("bob")
    again = http.post(
        token_url(sandbox), auth=(added["client_id"], added["client_secret"]), data={"grant_type": "client_credentials"}
    )
    assert again.status_code == 200
    entries = sandbox.token_requests()
    assert [(e["grant_type"], e["status"]) for e in entries] == [
        ("client_credentials", 200),
        ("client_credentials", 401),
        ("client_credentials", 200),
    ]
    assert entries[2]["user"] == "bob"
    assert entries[2]["client_id"] == added["client_id"]


def start_device(http: httpx.Client, sb: Sandbox) -> dict[str, Any]:
    response = http.post(
        sb.qcs_issuer + "/v1/device/authorize", data={"client_id": sb.qcs_client_id, "scope": "openid offline_access"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def poll_device(http: httpx.Client, sb: Sandbox, device_code: str) -> httpx.Response:
    return http.post(
        token_url(sb), data={"grant_type": DEVICE_GRANT, "client_id": sb.qcs_client_id, "device_code": device_code}
    )


def test_device_flow_pending_slow_down_then_approved(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    start = start_device(http, sandbox)
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", start["user_code"])
    assert start["verification_uri"] == sandbox.info["qcs_activate_url"]
    assert start["verification_uri_complete"].endswith("user_code=" + start["user_code"])
    assert start["expires_in"] == 600
    assert start["interval"] == 5

    assert poll_device(http, sandbox, start["device_code"]).json()["error"] == "authorization_pending"
    assert poll_device(http, sandbox, start["device_code"]).json()["error"] == "slow_down"  # polled too fast

    sandbox.approve_device(start["user_code"].lower().replace("-", ""), "bob")
    done = poll_device(http, sandbox, start["device_code"])
    assert done.status_code == 200, done.text
    assert unverified_claims(done.json()["access_token"])["sub"] == "bob@example.org"
    assert done.json()["refresh_token"]
    assert poll_device(http, sandbox, start["device_code"]).json()["error"] == "invalid_grant"  # single use


def test_device_flow_through_the_activation_page(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    sandbox.configure(device_interval=0)
    start = start_device(http, sandbox)
    page = http.get(start["verification_uri_complete"])
    assert page.status_code == 200
    assert 'id="approve"' in page.text
    assert start["user_code"] in page.text
    result = http.post(
        start["verification_uri"], data={"user_code": start["user_code"], "username": "alice", "action": "approve"}
    )
    assert result.status_code == 200
    assert 'id="result"' in result.text
    assert poll_device(http, sandbox, start["device_code"]).status_code == 200

    denied = start_device(http, sandbox)
    http.post(denied["verification_uri"], data={"user_code": denied["user_code"], "action": "deny"})
    assert poll_device(http, sandbox, denied["device_code"]).json()["error"] == "access_denied"

    sandbox.configure(device_code_lifetime=0)
    expired = start_device(http, sandbox)
    assert poll_device(http, sandbox, expired["device_code"]).json()["error"] == "expired_token"
    with pytest.raises(SandboxError, match="expired"):
        sandbox.approve_device(expired["user_code"], "alice")


def test_authorization_code_flow_for_jupyterhub(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    secret = "hub-secret-" + secrets.token_hex(4)
    redirect = "http://127.0.0.1:8000/hub/oauth_callback"
    sandbox.configure(jupyterhub_client_secret=secret, jupyterhub_redirect_uris=[redirect])
    verifier = secrets.token_urlsafe(40)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "client_id": "jupyterhub",
        "redirect_uri": redirect,
        "response_type": "code",
        "scope": "openid profile email offline_access",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    authorize = sandbox.qcs_issuer + "/v1/authorize"
    page = http.get(authorize, params=params)
    assert page.status_code == 200
    assert 'id="login"' in page.text
    assert "alice" in page.text
    bad = http.get(authorize, params={**params, "redirect_uri": "http://evil.example/cb"})
    assert bad.status_code == 400

    login = http.post(authorize, params=params, data={"username": "alice"})
    assert login.status_code == 302
    query = parse_qs(urlparse(login.headers["Location"]).query)
    assert login.headers["Location"].startswith(redirect)
    assert query["state"] == ["xyz"]
    exchange = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect}
    assert http.post(token_url(sandbox), auth=("jupyterhub", "wrong"), data=exchange).status_code == 401
    tokens = http.post(token_url(sandbox), auth=("jupyterhub", secret), data={**exchange, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert {"access_token", "refresh_token", "id_token", "scope", "expires_in"} <= set(body)
    assert unverified_claims(body["id_token"])["aud"] == "jupyterhub"
    info = http.get(sandbox.qcs_issuer + "/v1/userinfo", headers={"Authorization": "Bearer " + body["access_token"]})
    assert info.json()["preferred_username"] == "alice"
    assert info.json()["email"] == "alice@example.org"
    # The code is single use.
    again = http.post(token_url(sandbox), auth=("jupyterhub", secret), data={**exchange, "code_verifier": verifier})
    assert again.json()["error"] == "invalid_grant"


# -- QCS API --------------------------------------------------------------------------------------------------


def test_qcs_api_user_groups_and_balances(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    tokens = sandbox.issue_qcs_tokens("alice")
    auth = {"Authorization": "Bearer " + tokens["access_token"]}
    me = http.get(sandbox.qcs_api_url + "/v1/auth:getUser", headers=auth).json()
    assert me["profile"] == {
        "email": "alice@example.org",
        "firstName": "Alice",
        "lastName": "Liddell",
        "organization": "Wonderland Labs",
    }
    assert me["idpId"] == unverified_claims(tokens["access_token"])["uid"]
    assert me["id"]
    assert me["createdTime"]
    groups = http.get(f"{sandbox.qcs_api_url}/v1/users/{me['idpId']}/groups", headers=auth).json()
    assert groups["nextPageToken"] == ""
    assert sorted(g["name"] for g in groups["groups"]) == ["tea-party", "wonderland-lab"]
    assert {"id", "name", "description", "createdTime", "lastJoinedTime", "memberCount"} <= set(groups["groups"][0])
    assert http.get(f"{sandbox.qcs_api_url}/v1/users/{me['id']}/balance", headers=auth).json()["balance"] == 125000
    assert http.get(f"{sandbox.qcs_api_url}/v1/groups/tea-party/balance", headers=auth).json()["balance"] == 90000
    assert http.get(f"{sandbox.qcs_api_url}/v1/groups/trenchtown/balance", headers=auth).status_code == 404

    expired = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-1)
    denied = http.get(
        sandbox.qcs_api_url + "/v1/auth:getUser", headers={"Authorization": "Bearer " + expired["access_token"]}
    )
    assert denied.status_code == 401
    assert denied.json()["code"] == "unauthorized"
    forged = tokens["access_token"][:-4] + ("AAAA" if not tokens["access_token"].endswith("AAAA") else "BBBB")
    assert (
        http.get(sandbox.qcs_api_url + "/v1/auth:getUser", headers={"Authorization": "Bearer " + forged}).status_code
        == 401
    )
    assert http.get(sandbox.qcs_api_url + "/v1/auth:getUser").status_code == 401

    added = sandbox.add_qcs_user("carol", groups=["new-lab"], organization="Carol Inc")
    carol = sandbox.issue_qcs_tokens("carol")
    mine = http.get(
        f"{sandbox.qcs_api_url}/v1/users/{added['idpId']}/groups",
        headers={"Authorization": "Bearer " + carol["access_token"]},
    )
    assert [g["name"] for g in mine.json()["groups"]] == ["new-lab"]


# -- faults ---------------------------------------------------------------------------------------------------


def test_fault_status_and_count(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    url = sandbox.qcs_issuer + "/.well-known/openid-configuration"
    rule = sandbox.fault("qcs_discovery", "status", status=503, count=2)
    assert [http.get(url).status_code for _ in range(3)] == [503, 503, 200]
    assert rule["id"]
    assert sandbox.faults() == []
    entries = sandbox.log("qcs_discovery")
    assert [(e["status"], e["fault"]) for e in entries] == [(503, "status"), (503, "status"), (200, None)]


def test_fault_until_cleared_and_family_match(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    sandbox.fault("qcs", "status", status=502)  # every qcs_* endpoint
    assert http.get(sandbox.qcs_issuer + "/.well-known/openid-configuration").status_code == 502
    assert http.get(sandbox.qcs_api_url + "/v1/auth:getUser").status_code == 502
    assert httpx.get(sandbox.ibm_auth_url + "/version").status_code == 200
    sandbox.clear_faults()
    assert http.get(sandbox.qcs_issuer + "/.well-known/openid-configuration").status_code == 200
    sandbox.fault("/ibm/api/users/me", "status", status=500, count=1)  # a path substring
    assert httpx.get(sandbox.ibm_auth_url + "/users/me").status_code == 500


def test_fault_invalid_grant(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    issued = sandbox.issue_qcs_tokens("alice")
    sandbox.fault("qcs_token", "invalid_grant", count=1)
    refused = refresh(http, sandbox, issued["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert refresh(http, sandbox, issued["refresh_token"]).status_code == 200  # the token itself was fine


def test_fault_garbage(sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.fault("iam", "garbage", count=1)
    response = httpx.post(sandbox.iam_url + "/identity/token", data={"grant_type": "x"})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_fault_delay(sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.fault("ibm_version", "delay", delay=0.4, count=1)
    started = time.monotonic()
    assert httpx.get(sandbox.ibm_auth_url + "/version").status_code == 200
    assert time.monotonic() - started >= 0.4
    assert sandbox.log("ibm_version")[0]["fault"] == "delay"


def test_fault_timeout_holds_until_the_client_gives_up(sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.fault("ibm_login", "timeout", count=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(sandbox.ibm_auth_url + "/users/loginWithToken", json={"apiToken": "x"}, timeout=0.5)
    entry = sandbox.wait_for_log(lambda e: e["endpoint"] == "ibm_login")[0]
    assert entry["fault"] == "timeout"
    assert entry["status"] is None
    assert httpx.post(sandbox.ibm_auth_url + "/users/loginWithToken", json={"apiToken": "x"}).status_code == 401


def test_fault_reset(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    sandbox.fault("qcs_token", "reset", count=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
        refresh(http, sandbox, "whatever")
    sandbox.fault("runtime", "reset", count=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.get(sandbox.runtime_url + "/backends")
    assert [e["fault"] for e in sandbox.log()] == ["reset", "reset"]


def test_bad_fault_and_config_requests_are_refused(sandbox: Sandbox) -> None:  # noqa: F811
    with pytest.raises(SandboxError, match="unknown fault mode"):
        sandbox.fault("iam", "explode")
    with pytest.raises(SandboxError, match="unknown config key"):
        sandbox.configure(acces_token_lifetime=5)
    with pytest.raises(SandboxError, match="needs a int"):
        sandbox.configure(access_token_lifetime="5")


# -- the log --------------------------------------------------------------------------------------------------


def test_log_and_state_never_contain_secrets(sandbox: Sandbox, http: httpx.Client) -> None:  # noqa: F811
    issued = sandbox.issue_qcs_tokens("alice")
    rotated = refresh(http, sandbox, issued["refresh_token"]).json()
    http.get(sandbox.qcs_api_url + "/v1/auth:getUser", headers={"Authorization": "Bearer " + rotated["access_token"]})
    ibm = sandbox.ibm_credentials("alice")
    iam = httpx.post(
        sandbox.iam_url + "/identity/token",
        data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": ibm["apikey"]},
    ).json()
    login = httpx.post(sandbox.ibm_auth_url + "/users/loginWithToken", json={"apiToken": ibm["legacy_token"]}).json()
    start = start_device(http, sandbox)
    poll_device(http, sandbox, start["device_code"])
    secrets_seen = [
        issued["access_token"],
        issued["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        ibm["apikey"],
        ibm["legacy_token"],
        iam["access_token"],
        login["id"],
        start["device_code"],
    ]
    log_text = json.dumps(sandbox.log())
    state_text = json.dumps(sandbox.state())
    stderr_text = (sandbox.state_dir / "sandbox.log").read_text()
    for value in secrets_seen:
        for part in (value, value[-12:]):
            assert part not in log_text
            assert part not in state_text
            assert part not in stderr_text
    assert len(sandbox.log()) == 6
    sandbox.clear_log()
    assert sandbox.log() == []


def test_unknown_paths_are_logged_404s(sandbox: Sandbox) -> None:  # noqa: F811
    assert httpx.get(sandbox.http_url + "/experimental/api/v2/nothing").status_code == 404
    assert sandbox.log()[0]["endpoint"] == "not_found"


# -- IBM ------------------------------------------------------------------------------------------------------


def test_ibm_legacy_auth_api(sandbox: Sandbox) -> None:  # noqa: F811
    base = sandbox.ibm_auth_url
    assert "api-auth" in httpx.get(base + "/version").json()
    token = sandbox.ibm_credentials("bob")["legacy_token"]
    refused = httpx.post(base + "/users/loginWithToken", json={"apiToken": "nope"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == 3446
    assert refused.json()["error"]["message"] == "Login failed."

    login = httpx.post(base + "/users/loginWithToken", json={"apiToken": token}).json()
    assert login["ttl"] > 0
    assert login["userId"]
    assert login["created"]
    headers = {"X-Access-Token": login["id"]}
    me = httpx.get(base + "/users/me", headers=headers).json()
    assert set(me["urls"]["services"]) == {"runtime", "resultsDB", "extractorsService"}
    assert me["urls"]["ws"].startswith("ws://")
    hubs = httpx.get(me["urls"]["http"] + "/Network", headers=headers).json()
    triples = {
        (h["name"], g, p, proj["isDefault"])
        for h in hubs
        for g, group in h["groups"].items()
        for p, proj in group["projects"].items()
    }
    assert triples == {("ibm-q", "open", "main", True), ("bob-hub", "research", "qcred", False)}
    assert httpx.get(base + "/users/me").status_code == 401

    sandbox.revoke(key=token)
    assert httpx.post(base + "/users/loginWithToken", json={"apiToken": token}).status_code == 401
    assert httpx.get(base + "/users/me", headers=headers).status_code == 401

    added = sandbox.add_ibm_user("dave", hubs=[{"hub": "h", "group": "g", "project": "p", "default": True}])
    login2 = httpx.post(base + "/users/loginWithToken", json={"apiToken": added["legacy_token"]}).json()
    net = httpx.get(sandbox.http_url + "/ibm/runtime-api/Network", headers={"X-Access-Token": login2["id"]}).json()
    assert net[0]["name"] == "h"
    assert net[0]["groups"]["g"]["projects"]["p"]["isDefault"] is True


def test_iam_token_and_refusals(sandbox: Sandbox) -> None:  # noqa: F811
    creds = sandbox.ibm_credentials("alice")
    url = sandbox.iam_url + "/identity/token"
    form = {
        "grant_type": "urn:ibm:params:oauth:grant-type:apikey",
        "apikey": creds["apikey"],
        "response_type": "cloud_iam",
    }
    body = httpx.post(url, data=form).json()
    assert body["refresh_token"] == "not_supported"
    assert body["token_type"] == "Bearer"
    claims = unverified_claims(body["access_token"])
    assert body["expiration"] == claims["exp"]
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 3600
    refused = httpx.post(url, data={**form, "apikey": "wrong"})
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "BXNIM0415E"
    assert refused.json()["errorMessage"] == "Provided API key could not be found."
    sandbox.revoke(key=creds["apikey"])
    assert httpx.post(url, data=form).json()["errorCode"] == "BXNIM0415E"
    assert [e["status"] for e in sandbox.log("iam")] == [200, 400, 400]


# -- the real QCS client --------------------------------------------------------------------------------------


def test_session_fixture_is_shared(sandbox_session: Sandbox) -> None:  # noqa: F811
    assert sandbox_session.running
    assert sandbox_session.state()["qcs_users"] == ["alice", "bob"]
