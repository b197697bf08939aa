"""jupyter_qcred.hub.refresh: the hub renews a login's tokens ahead of the servers' pulls, presents each refresh token
once however many requests of the user arrive together, and maps the renewed tokens (no JupyterHub process needed)."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace
from typing import Any

from traitlets.config import Config

from jupyter_qcred import hub

AUTH_STATE = {
    "access_token": "eyJ.access-token-of-alice-1234567890",
    "refresh_token": "refresh-token-of-alice-1234567890",
}
QCS = {"issuer": "https://id.example/oauth2/x", "api_url": "https://api.example", "client_id": "hub", "refresh": "hub"}


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


def jwt(issued: float, expires: float) -> str:
    """An (unsigned) JWT with these times: what the hook reads to decide whether the token is due."""
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'iat': int(issued), 'exp': int(expires), 'sub': 'alice'})}.sig"


class FakeOAuthenticator:
    """oauthenticator's parts the hook calls, answering like the identity provider after a refresh."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures = 0  # the next requests that fail (a timeout)
        self.logged: list[str] = []
        self.log = SimpleNamespace(info=lambda message, *args: self.logged.append(message % args))
        self.refresh_user = lambda user, handler=None: True

    def build_refresh_token_request_params(self, refresh_token: str) -> dict[str, Any]:
        return {"grant_type": "refresh_token", "refresh_token": refresh_token}

    async def get_token_info(self, handler: Any, params: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(params)
        if self.failures:
            self.failures -= 1
            raise TimeoutError("the identity provider did not answer")
        now = time.time()
        return {"access_token": jwt(now, now + 3600), "refresh_token": "rotated-refresh-token-of-alice-0987654321"}

    async def _token_to_auth_model(self, token_info: dict[str, Any]) -> dict[str, Any]:
        return {"name": "alice", "auth_state": {**token_info, "token_response": token_info}}


def test_the_hub_refreshes_ahead_of_the_servers_jittered_pulls_and_maps_the_new_tokens() -> None:
    from datetime import timedelta

    from jupyter_qcred.core.policy import RefreshPolicy

    c = Config()
    hub.configure(c, qcs=QCS)  # servers' defaults: 20% of the lifetime, jitter 10% of that margin
    authenticator, user = FakeOAuthenticator(), SimpleNamespace(name="alice")
    now = time.time()
    # 800 s left of a 1 h token: a server (margin 720 s, pulled up to 72 s earlier) is not due yet, nor the hub.
    state = {**AUTH_STATE, "access_token": jwt(now + 800 - 3600, now + 800)}
    assert run(c.OAuthenticator.refresh_user_hook(authenticator, user, state)) is None
    assert authenticator.requests == []
    # 780 s left: a server whose jitter moved its pull 60 s earlier asks now; the hub refreshes at that first pull.
    state["access_token"] = jwt(now + 780 - 3600, now + 780)
    model = run(c.OAuthenticator.refresh_user_hook(authenticator, user, state))
    assert len(authenticator.requests) == 1
    # The bundle a server pulls carries the new tokens, also before anyone logged in since the hub started.
    (profile,) = model["auth_state"]["qcred_bundle"]["qcs"]
    assert profile["refresh_token"] == "rotated-refresh-token-of-alice-0987654321"
    assert hub.hub_side_policy(RefreshPolicy()).margin(timedelta(hours=1)) == timedelta(seconds=792)


def due_state() -> dict[str, Any]:
    """auth_state whose access token has 60 s left of its hour: due for the hub."""
    now = time.time()
    return {**AUTH_STATE, "access_token": jwt(now + 60 - 3600, now + 60)}


def test_requests_of_one_user_at_once_present_the_refresh_token_once() -> None:
    """JupyterHub refreshes on every request of a user and does not wait for a refresh in flight. Two at once (a
    server's pull and the user's browser) presented the same rotating refresh token twice; the identity provider took
    the second for a replay and revoked the login (seen in CI on a busy machine)."""
    c = Config()
    hub.configure(c, qcs=QCS)
    hook = c.OAuthenticator.refresh_user_hook
    authenticator, user = FakeOAuthenticator(), SimpleNamespace(name="alice")
    state = due_state()

    async def together() -> list[Any]:
        return await asyncio.gather(*(hook(authenticator, user, dict(state)) for _ in range(3)))

    models = run(together())
    assert len(authenticator.requests) == 1
    assert all(m["auth_state"]["refresh_token"] == "rotated-refresh-token-of-alice-0987654321" for m in models)
    # A request that read the old auth_state before JupyterHub saved the renewed one still holds the used token: it
    # gets the same renewal, and no second request is made.
    late = run(hook(authenticator, user, dict(state)))
    assert len(authenticator.requests) == 1
    assert late["auth_state"]["access_token"] == models[0]["auth_state"]["access_token"]
    # Each caller gets its own copy: JupyterHub may change the model it was handed.
    models[0]["auth_state"]["access_token"] = "changed"
    assert run(hook(authenticator, user, dict(state)))["auth_state"]["access_token"] != "changed"
    # Another user's refresh is their own.
    run(
        hook(authenticator, SimpleNamespace(name="bob"), {**due_state(), "refresh_token": "refresh-token-of-bob-12345"})
    )
    assert len(authenticator.requests) == 2


def test_a_refresh_that_failed_is_tried_again_by_the_next_request() -> None:
    c = Config()
    hub.configure(c, qcs=QCS)
    hook = c.OAuthenticator.refresh_user_hook
    authenticator, user = FakeOAuthenticator(), SimpleNamespace(name="alice")
    authenticator.failures = 1
    state = due_state()
    assert run(hook(authenticator, user, dict(state))) is None  # oauthenticator's own path decides
    model = run(hook(authenticator, user, dict(state)))
    assert len(authenticator.requests) == 2
    assert model["auth_state"]["refresh_token"] == "rotated-refresh-token-of-alice-0987654321"
    assert "refresh-token-of-alice" not in json.dumps(authenticator.logged)  # the log names no token
