"""The Nexus cookie-token API as flows: refresh (``POST /auth/tokens/refresh`` with ``myqos_oat``, answered with a
``myqos_id`` cookie), the account (``GET /api/users/v1beta2/me``, ``GET /auth/tokens``) and the device login of
``qnx.auth.login()`` (client ``scales``, scope ``myqos``). A 401 is a refusal; 5xx, timeouts and garbage are
transient. Cookies are sent as a ``Cookie`` header, never logged."""

from __future__ import annotations

from typing import Any

from ...core import flows
from ...core.errors import ProviderError, RefusedError, TransientProviderError
from ...core.flows import Flow

PROVIDER = "nexus"
REINIT_ADVICE = "sign in to Nexus again (the Nexus login in the panel, or `%qcred reinit` from JupyterHub)."
#: What qnexus sends as its version; the sandbox (like Nexus) does not need it, but it is what the SDK does.
_HEADERS = {"Accept": "application/json"}


def _what(url: str) -> str:
    return f"Nexus ({url.split('://', 1)[-1].split('/', 1)[0]})"


def refresh_flow(url: str, refresh_token: str) -> Flow[str]:
    """A new access token (the ``myqos_id`` cookie) for the refresh token."""
    headers = {**_HEADERS, "Cookie": f"myqos_oat={refresh_token}"}
    response = yield flows.request("POST", url.rstrip("/") + "/auth/tokens/refresh", headers=headers)
    if response.status_code in (401, 403):
        raise RefusedError(
            PROVIDER, f"{_what(url)} refused the refresh token (HTTP {response.status_code}); {REINIT_ADVICE}"
        )
    if not response.is_success:
        flows.expect_ok(response, PROVIDER, _what(url))
    token = response.cookies.get("myqos_id")
    if not token:
        raise TransientProviderError(
            PROVIDER, f"{_what(url)} answered the refresh without an access token; will retry."
        )
    return str(token)


def account_flow(url: str, refresh_token: str, access_token: str) -> Flow[dict[str, Any]]:
    """Who the login belongs to, and how long the refresh token lives (seconds)."""
    cookie = {"Cookie": f"myqos_oat={refresh_token}; myqos_id={access_token}", **_HEADERS}
    response = yield flows.request("GET", url.rstrip("/") + "/api/users/v1beta2/me", headers=cookie)
    body = flows.expect_ok(response, PROVIDER, _what(url), refused=(401, 403))
    data = flows.require(body, PROVIDER, _what(url), "data")["data"]
    attributes = data.get("attributes") or {}
    account: dict[str, Any] = {"user_id": data.get("id"), "display_name": attributes.get("display_name")}
    response = yield flows.request("GET", url.rstrip("/") + "/auth/tokens", headers=cookie)
    if response.is_success:
        status = (flows.json_or_none(response) or {}).get("token_status") or {}
        if isinstance(status.get("ttl"), int):
            account["refresh_token_ttl"] = status["ttl"]
    return account


def device_start_flow(url: str) -> Flow[dict[str, Any]]:
    """Start the device login. The link and the code become something a person clicks and reads in every view:
    :func:`jupyter_qcred.core.logins.Logins.start` fails the login, for every provider, when the link is not a web
    address (``javascript:``, ``data:``, http to another host) or the code is not plain letters and digits."""
    form = {"client_id": "scales", "scope": "myqos"}
    response = yield flows.request("POST", url.rstrip("/") + "/auth/device/device_authorization", data=form)
    answer = dict(
        flows.require(
            flows.expect_ok(response, PROVIDER, _what(url)),
            PROVIDER,
            _what(url),
            "device_code",
            "user_code",
            "verification_uri_complete",
            "expires_in",
            "interval",
        )
    )
    return answer


def device_poll_flow(url: str, device_code: str) -> Flow[dict[str, Any] | None]:
    """None while the person has not allowed the device yet; the tokens once they did."""
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device_code,
        "client_id": "scales",
    }
    response = yield flows.request("POST", url.rstrip("/") + "/auth/device/token", data=form)
    if response.status_code == 429:
        return None
    if response.status_code == 400:
        error = (flows.json_or_none(response) or {}).get("error")
        if error == "AUTHORIZATION_PENDING":
            return None
        raise ProviderError(PROVIDER, f"the Nexus login ended ({error or 'HTTP 400'}); start it again.")
    body = flows.expect_ok(response, PROVIDER, _what(url), refused=(401, 403))
    return dict(flows.require(body, PROVIDER, _what(url), "refresh_token", "access_token"))
