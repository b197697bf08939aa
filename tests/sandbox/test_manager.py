"""The manager's scheduling, with the real providers against the sandbox."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers import create_providers

pytestmark = pytest.mark.slow


async def test_a_jittered_refresh_happens_once_without_spinning(sandbox, tmp_path: Path, monkeypatch) -> None:
    """Jitter moves the refresh before the provider's due time; it must still refresh once, not loop until due."""
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    sandbox.configure(access_token_lifetime=16)
    bundle = demo_bundle(sandbox, access_token_lifetime=16)
    bundle["ibm"] = []
    settings = Settings.from_environment({"HOME": str(tmp_path), **sandbox_environment(sandbox)})
    providers = create_providers(settings, ("qcs",))
    calls: list[float] = []
    real_refresh = providers["qcs"].refresh

    async def counting_refresh(name: str, *, force: bool = False):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        return await real_refresh(name, force=force)

    providers["qcs"].refresh = counting_refresh  # type: ignore[method-assign]
    manager = CredentialManager(providers, watch_interval=0.05, first_check_delay=0)
    manager.materialize(parse_bundle(json.loads(json.dumps(bundle))), source="bundle")
    first_expiry = manager.statuses()[0].expires_at
    manager.start()
    deadline = time.monotonic() + 15
    while manager.statuses()[0].expires_at == first_expiry:
        assert time.monotonic() < deadline, "the token was not refreshed before it expired"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # let any spinning show up in the count
    await manager.stop()
    grants = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    assert len(grants) == 1
    assert len(calls) <= 3, f"{len(calls)} refresh calls for one refresh: the scheduler spins"


async def test_a_hub_that_hands_back_the_same_token_is_asked_again_later_not_at_once(
    sandbox, tmp_path: Path, monkeypatch
) -> None:
    """Jitter moves a server's pull before the hub's own due time; a hub that hands back the token the server
    already has must be asked again seconds later, not in a loop (at 10,000 servers that loop is the hub's load)."""
    import random

    from jupyter_qcred.core.policy import RefreshPolicy

    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    bundle = demo_bundle(sandbox, access_token_lifetime=16)
    bundle["ibm"] = []
    bundle["qcs"][0]["refresh"] = "hub"
    settings = Settings.from_environment(
        {"HOME": str(tmp_path), **sandbox_environment(sandbox)}, policy=RefreshPolicy(jitter=0.9)
    )
    pulls: list[float] = []

    async def hub_without_news() -> None:
        pulls.append(time.monotonic())

    manager = CredentialManager(
        create_providers(settings, ("qcs",)),
        watch_interval=0.05,
        first_check_delay=0,
        hub_refresh=hub_without_news,
        rng=random.Random(1),
    )
    manager.materialize(parse_bundle(json.loads(json.dumps(bundle))), source="bundle")
    status = manager.statuses()[0]
    assert status.next_refresh_at is not None
    manager.start()
    # Until the token's own due time (8 s after issue); the jittered schedule starts pulling up to 7.2 s earlier.
    until = time.monotonic() + (status.next_refresh_at - manager.clock()).total_seconds()
    while time.monotonic() < until:
        await asyncio.sleep(0.05)
    await manager.stop()
    assert pulls, "the jittered schedule pulled from the hub before the due time"
    assert len(pulls) <= 5, f"{len(pulls)} pulls from the hub in {until - pulls[0]:.1f} s: the schedule spins"
