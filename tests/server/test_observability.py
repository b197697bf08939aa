"""A server's /metrics and its jupyter_events follow refreshes, refusals, re-initialize, removal and restart; no
token text in any event (real Jupyter server, real sandbox)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.helpers import async_wait_until
from support.kernels import credential_file_secrets

from jupyter_qcred.server.observability import EVENTS, schema_id

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def jp_server_config(bundle) -> dict[str, Any]:
    return {  # refresh_min_interval 0: each refresh the test asks for is made, none answered from the last one
        "ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}},
        "QCredApp": {"watch_interval": 0.1, "refresh_min_interval": 0},
    }


def series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(jp_fetch: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await jp_fetch("metrics")
    return series(response.body.decode())


def value(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return metrics[(name, tuple(sorted(labels.items())))]


async def test_metrics_and_events_follow_what_happens(
    jp_serverapp, jp_fetch, jp_home_dir, sandbox, secret_scanner
) -> None:
    app = next(iter(jp_serverapp.extension_manager.extension_apps["jupyter_qcred"]))
    events: list[tuple[str, dict[str, Any]]] = []

    async def listener(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        events.append((schema_id.split("/")[-2], dict(data)))

    for event in EVENTS:
        jp_serverapp.event_logger.add_listener(schema_id=schema_id(event), listener=listener)

    async def post(path: str, body: Any) -> tuple[int, Any]:
        response = await jp_fetch("qcred", path, method="POST", body=json.dumps(body), raise_error=False)
        text = response.body.decode()
        secret_scanner.saw(path, text)
        return response.code, json.loads(text)

    # Every series exists from the start, at 0 where nothing happened yet.
    before = await scrape(jp_fetch)
    for provider in ("ibm", "qcs"):
        for outcome in ("ok", "refused", "failed"):
            assert ("jupyter_qcred_refreshes_total", (("outcome", outcome), ("provider", provider))) in before
        assert value(before, "jupyter_qcred_credentials", provider=provider, state="needs_reinit") == 0
    assert value(before, "jupyter_qcred_credentials", provider="qcs", state="ok") == 1
    assert 0 < value(before, "jupyter_qcred_credential_expiry_seconds", provider="qcs") <= 3600
    assert not [key for key in before if any("alice" in v or "default" in v for _, v in key[1])], "no names"

    # A refresh: the ok counter and the expiry move; an event says so.
    ok_before = value(before, "jupyter_qcred_refreshes_total", provider="qcs", outcome="ok")
    code, answer = await post("refresh", {"provider": "qcs"})
    assert code == 200 and answer["result"]["outcome"] == "ok", answer["result"]
    after = await scrape(jp_fetch)
    assert value(after, "jupyter_qcred_refreshes_total", provider="qcs", outcome="ok") == ok_before + 1
    await async_wait_until(lambda: _has(events, "credential_refreshed", "qcs"), what="the refreshed event")
    (refreshed,) = [data for kind, data in events if kind == "credential_refreshed" and data["provider"] == "qcs"]
    assert refreshed["name"] == "default" and refreshed["via_hub"] is False

    # The identity provider revokes alice's refresh tokens: refused, needs re-initialize.
    sandbox.revoke("alice")
    code, answer = await post("refresh", {"provider": "qcs"})
    assert answer["result"]["outcome"] == "refused", answer["result"]
    refused = await scrape(jp_fetch)
    assert value(refused, "jupyter_qcred_refreshes_total", provider="qcs", outcome="refused") == 1 + value(
        after, "jupyter_qcred_refreshes_total", provider="qcs", outcome="refused"
    )
    assert value(refused, "jupyter_qcred_credentials", provider="qcs", state="needs_reinit") == 1
    assert value(refused, "jupyter_qcred_credentials", provider="qcs", state="ok") == 0
    await async_wait_until(lambda: _has(events, "credential_needs_reinitialize", "qcs"), what="needs re-initialize")
    (failed,) = [data for kind, data in events if kind == "credential_refresh_failed" and data["provider"] == "qcs"]
    assert failed["outcome"] == "refused" and failed["message"]

    # Re-initialize from the spawn bundle (its refresh token is revoked too: the event says how it went).
    code, answer = await post("reinitialize", {"source": "bundle"})
    await async_wait_until(lambda: _has(events, "credentials_reinitialized"), what="the re-initialized event")
    (reinit,) = [data for kind, data in events if kind == "credentials_reinitialized"]
    assert reinit["source"] == "bundle" and reinit["outcome"] == answer["result"]["outcome"]
    assert {(c["provider"], c["name"]) for c in reinit["credentials"]} >= {("qcs", "default"), ("ibm", "legacy")}

    # Restart (the hub's part replaced: this server runs without a hub).
    stops: list[bool] = []

    async def stop_server() -> dict[str, Any]:
        stops.append(True)
        return {"stopping": True, "spawn_url": "/hub/spawn/alice"}

    app.service.stop_server = stop_server
    code, _ = await post("restart", {})
    assert stops == [True]
    await async_wait_until(lambda: _has(events, "server_restart_requested"), what="the restart event")

    secret_scanner.add_secrets(credential_file_secrets(Path(jp_home_dir)))  # the refreshed tokens too

    # Someone deletes the QCS files: the credential is removed.
    for name in ("secrets.toml", "settings.toml"):
        (Path(jp_home_dir) / ".qcs" / name).unlink()
    await async_wait_until(lambda: _has(events, "credential_removed"), what="the removed event", timeout=10)
    removed = [data for kind, data in events if kind == "credential_removed"]
    assert {"provider": "qcs", "name": "default"} in removed
    gone = await scrape(jp_fetch)
    assert math.isnan(value(gone, "jupyter_qcred_credential_expiry_seconds", provider="qcs"))

    # No token text in any event: every secret handed out or written is scanned for (at teardown).
    ibm = sandbox.ibm_credentials("alice")
    secret_scanner.add_secrets(ibm["apikey"], ibm["legacy_token"])
    secret_scanner.saw("events", json.dumps(events))
    assert {kind for kind, _ in events} == set(EVENTS)


async def _has(events: list[tuple[str, dict[str, Any]]], kind: str, provider: str | None = None) -> bool:
    return any(found == kind and provider in (None, data.get("provider")) for found, data in events)
