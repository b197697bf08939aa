"""A hub that cannot renew an expired token is asked ever more rarely, not several times a second (issue 20, item 4).

The server's side of the pull storm, with the real QCS provider and files against the sandbox: the token expired, and
the hub hands back the auth_state it has (its refresh token was revoked), exactly what ``pull_from_hub`` then writes.
Each such pull rewrites the files, which used to reset the credential's backoff, so the server pulled once a second
(and more with several credentials). The real hub's numbers are in ``bench/bench_hostile.py --only pullstorm``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.policy import Backoff
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers import create_providers

pytestmark = pytest.mark.timeout(120)
WINDOW = 15.0


def hub_bundle(sandbox: Any, lifetime: int) -> dict[str, Any]:
    bundle = demo_bundle(sandbox, access_token_lifetime=lifetime)
    bundle["ibm"] = []
    bundle["qcs"] = bundle["qcs"][:1]
    bundle["qcs"][0]["refresh"] = "hub"
    return json.loads(json.dumps(bundle))


@pytest.mark.slow
async def test_pulls_that_bring_nothing_new_back_off(sandbox: Any, tmp_path: Path, monkeypatch: Any) -> None:
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_environment({"HOME": str(tmp_path), **sandbox_environment(sandbox)})
    stale = hub_bundle(sandbox, 2)  # what the hub holds, and keeps handing back once it cannot renew it
    pulls: list[float] = []

    async def hub_that_cannot_renew() -> None:
        pulls.append(time.monotonic())
        await asyncio.to_thread(manager.materialize, parse_bundle(stale), source="hub", keep_defaults=True)

    manager = CredentialManager(
        create_providers(settings, ("qcs",)),
        watch_interval=0.05,
        first_check_delay=0,
        hub_refresh=hub_that_cannot_renew,
        backoff=lambda: Backoff(initial=2.0, maximum=300.0),
    )
    manager.materialize(parse_bundle(stale), source="bundle")
    (status,) = manager.statuses()
    assert status.account.get("refresh_via") == "hub"
    manager.start()
    started = time.monotonic()
    while time.monotonic() - started < WINDOW:
        await asyncio.sleep(0.1)
    await manager.stop()
    sandbox_grants = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    assert sandbox_grants == [], "only the hub refreshes this credential"
    # A jittered pull may come a moment before the token is due (the hub hands back the same token: asked again 1 s
    # later); from the first pull that finds it due and unrenewed, the waits are 1-2 s, 2-4 s, 4-8 s, 8-16 s: at most
    # 6 pulls in 15 s (before: one a second, 15). The waits grow: one of them is at least 2 s.
    assert 2 <= len(pulls) <= 6, f"{len(pulls)} pulls in {WINDOW:g} s"
    gaps = [b - a for a, b in itertools.pairwise(pulls)]
    assert max(gaps) >= 2.0, gaps
    (status,) = manager.statuses()
    assert status.state.value in ("expired", "error"), status.state
    assert status.retry_at is not None, "the view says when the hub is asked again"


async def test_credentials_due_together_share_one_pull(sandbox: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """Three hub-refreshed profiles expiring together are renewed by one pull, not three."""
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_environment({"HOME": str(tmp_path), **sandbox_environment(sandbox)})
    bundle = hub_bundle(sandbox, 3)
    first = bundle["qcs"][0]
    for name in ("lab", "group"):
        tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=3)
        pair = {key: tokens[key] for key in ("access_token", "refresh_token")}
        bundle["qcs"].append({**first, **pair, "profile": name, "default": False})
    pulls: list[float] = []
    renewed = {"done": False}

    async def hub_that_renews() -> None:
        pulls.append(time.monotonic())
        await asyncio.sleep(0.3)  # the hub's own refresh takes a moment: every due credential waits for this pull
        fresh = json.loads(json.dumps(bundle))
        for entry in fresh["qcs"]:
            tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=3600)
            entry.update({key: tokens[key] for key in ("access_token", "refresh_token")})
        await asyncio.to_thread(manager.materialize, parse_bundle(fresh), source="hub", keep_defaults=True)
        renewed["done"] = True

    manager = CredentialManager(
        create_providers(settings, ("qcs",)), watch_interval=0.05, first_check_delay=0, hub_refresh=hub_that_renews
    )
    manager.materialize(parse_bundle(bundle), source="bundle")
    assert len(manager.statuses()) == 3
    manager.start()
    deadline = time.monotonic() + 30
    while not (renewed["done"] and all(s.state.value == "ok" for s in manager.statuses())):
        assert time.monotonic() < deadline, [(s.name, s.state) for s in manager.statuses()]
        await asyncio.sleep(0.05)
    await manager.stop()
    assert len(pulls) == 1, f"{len(pulls)} pulls for three credentials due together"
