"""Row 5: JupyterHub spawn-to-ready with and without the extension in the single-user server.

Two :class:`jupyter_qcred.demo.hub.LocalHub` run side by side against the same sandbox — identical configuration
(``jupyter_qcred.hub.configure(c)``, auth_state, the spawn bundle in the environment), except that one starts the
single-user servers with ``--ServerApp.jpserver_extensions={'jupyter_qcred': False}``. alice logs in to each hub
without a browser: an httpx client follows the OAuth authorization-code flow (hub → the sandbox's sign-in form →
the hub's callback), so auth_state holds real tokens and spawning gets a real bundle. Then, alternating between
the hubs: ``POST /users/alice/server`` through the API (the hub's test service token; configured to answer once
the spawn is complete), check ``GET /users/alice`` for ``servers[""]["ready"]`` (polling every 50 ms should the
POST answer early), ``DELETE`` the server and wait until it is gone.
``auth_refresh_age`` is set high so that no token refresh (identical for both hubs) adds noise to the spawns.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import Row, Samples, pair_ratios

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

GOAL = 1.05
USER = "alice"
SPAWN_TIMEOUT = 120.0
POLL_SECONDS = 0.05
#: Let ``POST /users/{name}/server`` wait for the spawn instead of answering 202 after 10 s (the default).
EXTRA_CONFIG = f"c.JupyterHub.tornado_settings = {{'slow_spawn_timeout': {SPAWN_TIMEOUT}}}\n"


def login(hub: LocalHub, user: str = USER) -> None:
    """Log ``user`` in through the hub's OAuth login and the sandbox's sign-in form; no server is started."""
    hub.login(user)


def _server(hub: LocalHub, user: str) -> dict[str, Any] | None:
    servers = hub.api("GET", f"/users/{user}")["servers"]
    server: dict[str, Any] | None = servers.get("")
    return server


def spawn_to_ready(hub: LocalHub, user: str = USER) -> float:
    """Seconds from ``POST /users/{user}/server`` until the hub reports the server ready; then stop it.

    With :data:`EXTRA_CONFIG` the POST itself answers once the server is up (201), so normally there is nothing to
    poll — polling the hub's API in a tight loop would take CPU from the spawn being measured.
    """
    started = time.perf_counter()
    hub.api("POST", f"/users/{user}/server")
    deadline = started + SPAWN_TIMEOUT
    while True:
        server = _server(hub, user)
        if server and server.get("ready"):
            seconds = time.perf_counter() - started
            break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{user}'s server was not ready within {SPAWN_TIMEOUT} s (see {hub.state_dir})")
        time.sleep(POLL_SECONDS)
    stop_server(hub, user)
    return seconds


def stop_server(hub: LocalHub, user: str = USER) -> None:
    """Stop ``user``'s server and wait until the hub no longer lists it."""
    with contextlib.suppress(RuntimeError):  # already stopped
        hub.api("DELETE", f"/users/{user}/server")
    deadline = time.monotonic() + SPAWN_TIMEOUT
    while _server(hub, user) is not None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{user}'s server did not stop within {SPAWN_TIMEOUT} s")
        time.sleep(0.05)


def run(sandbox: Sandbox, repeats: int, root: Path) -> list[Row]:
    """Row 5: spawn-to-ready ratio with / without the extension in the single-user server."""
    secret = secrets.token_urlsafe(24)
    sandbox.configure(jupyterhub_client_secret=secret)  # the sandbox accepts any redirect URI of the demo client
    state = Path(tempfile.mkdtemp(prefix="hubs-", dir=root))
    hubs = {
        flag: LocalHub(
            sandbox,
            state / ("with" if flag else "without"),
            client_secret=secret,
            auth_refresh_age=24 * 3600,
            with_extension=flag,
            extra_config=EXTRA_CONFIG,
        )
        for flag in (True, False)
    }
    samples = {True: Samples(unit="ms"), False: Samples(unit="ms")}
    try:
        for hub in hubs.values():
            hub.start()
            login(hub)
        for hub in hubs.values():  # warm-up spawn on each
            spawn_to_ready(hub)
        for index in range(repeats):
            for flag in (True, False) if index % 2 == 0 else (False, True):
                samples[flag].values.append(spawn_to_ready(hubs[flag]) * 1000)
    finally:
        for hub in hubs.values():
            hub.stop()
    row = Row(
        key="hub",
        label="JupyterHub spawn → ready (`POST /users/alice/server` → `servers[''].ready`)",
        ours=samples[True],
        baseline=samples[False],
        baseline_name="disabled",
        goal=f"ratio ≤ {GOAL} (as start-up)",
        threshold=GOAL,
        pair_ratios=pair_ratios(samples[True].values, samples[False].values),
    )
    row.met = row.ratio <= GOAL
    row.notes.append(
        f"{repeats} spawns each, alternating between two hubs identical but for the extension, after one warm-up "
        f"spawn each; alice logged in through OAuth (real auth_state and bundle); "
        f"extension cost {row.ours.median - row.baseline.median:+.0f} ms (difference of medians)."
    )
    return [row]
