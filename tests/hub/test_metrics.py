"""The hub's /hub/metrics on a real JupyterHub: refreshes by provider and outcome, their duration, and the users who
must log in again move when a server's pull makes the hub refresh, and when the identity provider refuses."""

from __future__ import annotations

import asyncio
import secrets
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.helpers import wait_until

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(240)

LIFETIME = 12  # seconds: the hub's policy finds the access token due after 6 (half of a short lifetime)
PREFIX = "jupyterhub_qcred_"


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    secret = secrets.token_urlsafe(24)
    root = tmp_path_factory.mktemp("metrics")
    with Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox:
        sandbox.configure(access_token_lifetime=LIFETIME)
        with LocalHub(sandbox, root / "hub", client_secret=secret, auth_refresh_age=1) as hub:
            yield sandbox, hub


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """No coroutine tests here; keep pytest-jupyter's loop out of the way."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def ours(hub: LocalHub) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Our series on the hub's /hub/metrics, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(hub.metrics())
        for sample in family.samples
        if sample.name.startswith(PREFIX)
    }


def refreshes(metrics: dict[Any, float], outcome: str) -> float:
    return metrics[(PREFIX + "refreshes_total", (("outcome", outcome), ("provider", "qcs")))]


def pull(hub: LocalHub, token: str) -> dict[str, Any]:
    """What a server does: GET its user's model, auth_state included, with its own token (the hub may refresh)."""
    import json

    request = urllib.request.Request(hub.hub_api_url + "/users/alice", headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.loads(answer.read()))


def test_hub_metrics_follow_refreshes_and_refusals(hub_env: tuple[Sandbox, LocalHub]) -> None:
    sandbox, hub = hub_env
    start = ours(hub)
    for outcome in ("not_due", "refreshed", "refused", "failed"):
        assert refreshes(start, outcome) == 0, "every label value exists from the start"
    assert start[(PREFIX + "users_needing_login", ())] == 0
    assert not [labels for _, labels in start if any(k not in ("provider", "outcome", "le") for k, _ in labels)]

    hub.login("alice")
    token = hub.api("POST", "/users/alice/tokens", {"scopes": ["admin:auth_state!user"], "note": "like a server"})
    token = token["token"]
    first = pull(hub, token)["auth_state"]

    # The access token becomes due: the next pull (auth older than auth_refresh_age) refreshes it at the IdP.
    def refreshed() -> dict[str, Any] | None:
        time.sleep(1.1)  # past auth_refresh_age, so the hub runs refresh_user for this request
        state = pull(hub, token)["auth_state"]
        return state if state["access_token"] != first["access_token"] else None

    wait_until(refreshed, timeout=LIFETIME * 2, interval=0.5, what="the hub's ahead-of-expiry refresh")
    after = ours(hub)
    assert refreshes(after, "refreshed") == 1
    assert refreshes(after, "not_due") >= 1, "the pulls before it found the token not yet due"
    assert after[(PREFIX + "refresh_duration_seconds_count", (("outcome", "refreshed"), ("provider", "qcs")))] == 1

    # The identity provider revokes alice's refresh tokens: the next due refresh is refused; she must log in.
    sandbox.revoke("alice")

    def refused() -> bool:
        time.sleep(1.1)
        pull(hub, token)
        return refreshes(ours(hub), "refused") >= 1

    wait_until(refused, timeout=LIFETIME * 2, interval=0.5, what="the refused refresh")
    after_refusal = ours(hub)
    assert refreshes(after_refusal, "refused") == 1
    assert after_refusal[(PREFIX + "users_needing_login", ())] == 1

    # She logs in again: nobody needs a new login any more.
    hub.login("alice")
    assert ours(hub)[(PREFIX + "users_needing_login", ())] == 0
    metrics_text = hub.metrics()
    assert "alice" not in metrics_text and first["refresh_token"] not in metrics_text
