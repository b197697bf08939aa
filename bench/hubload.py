"""The load side of ``bench_hub_load.py``: simulated single-user servers pulling ``GET /hub/api/users/{name}`` with
their own tokens, and the CPU accounting of the hub process.

Each pull opens a new connection, like the extension's HubClient does (one ``httpx.AsyncClient`` per request), and
reads the whole answer. The client is plain asyncio (a few hundred µs of CPU per pull), so the load generator
takes as little as possible of the two cores from the hub being measured; its CPU share is reported too.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jupyter_qcred.core.policy import RefreshPolicy
from jupyter_qcred.providers.qcs.model import jwt_times

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (to show what else ran)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


@dataclass
class Meter:
    """CPU of the hub (and the identity provider) over one phase, next to the machine's."""

    hub_pid: int
    idp_pid: int | None
    started: float = 0.0
    hub: float = 0.0
    idp: float = 0.0
    machine: tuple[float, float] = (0.0, 0.0)
    client: float = 0.0

    def __enter__(self) -> Meter:
        self.started = time.perf_counter()
        self.hub = process_cpu(self.hub_pid)
        self.idp = process_cpu(self.idp_pid) if self.idp_pid else 0.0
        self.machine = machine_busy()
        self.client = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.hub_cpu = process_cpu(self.hub_pid) - self.hub
        self.idp_cpu = (process_cpu(self.idp_pid) - self.idp) if self.idp_pid else 0.0
        busy, total = machine_busy()
        self.machine_share = (busy - self.machine[0]) / max(total - self.machine[1], 1e-9)
        self.client_cpu = time.process_time() - self.client


@dataclass
class Pulls:
    """Every pull's latency (s) and what came back."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    refreshed: int = 0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def pull(api_url: str, name: str, token: str) -> tuple[int, dict[str, Any] | None]:
    """One ``GET {api}/users/{name}`` on a new connection; (status, JSON model or None)."""
    parts = urlsplit(api_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            f"GET {parts.path}/users/{name} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: token {token}\r\n"
            "Accept: application/json\r\nConnection: close\r\n\r\n".encode()
        )
        raw = await asyncio.wait_for(reader.read(), timeout=120)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, (json.loads(body) if status == 200 and body else None)


def bundle_access_token(model: dict[str, Any] | None) -> str | None:
    """The QCS access token a server would write from this model (the mapped bundle, as the extension reads it)."""
    state = (model or {}).get("auth_state") or {}
    profiles = (state.get("qcred_bundle") or {}).get("qcs") or []
    return profiles[0].get("access_token") if profiles else state.get("access_token")


async def closed_loop(api_url: str, tokens: dict[str, str], concurrency: int, seconds: float, pulls: Pulls) -> None:
    """``concurrency`` servers pulling back to back (each time another user) for ``seconds``."""
    names = list(tokens)
    stop_at = time.perf_counter() + seconds
    cursor = [0]

    async def worker() -> None:
        while time.perf_counter() < stop_at:
            name = names[cursor[0] % len(names)]
            cursor[0] += 1
            started = time.perf_counter()
            status, _ = await pull(api_url, name, tokens[name])
            pulls.latencies.append(time.perf_counter() - started)
            pulls.errors += status != 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def each_once(api_url: str, tokens: dict[str, str], concurrency: int, pulls: Pulls) -> None:
    """Every user pulled once, ``concurrency`` at a time (e.g. every server starting after a restart); counts the
    answers that carry an access token that has not expired (the users' tokens had all expired before)."""
    queue = list(tokens)

    async def worker() -> None:
        while queue:
            name = queue.pop()
            started = time.perf_counter()
            status, model = await pull(api_url, name, tokens[name])
            pulls.latencies.append(time.perf_counter() - started)
            pulls.errors += status != 200
            token = bundle_access_token(model)
            expires = jwt_times(token).expires_at if token else None
            pulls.refreshed += expires is not None and expires.timestamp() > time.time()  # the old one had expired

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def scheduled_servers(
    api_url: str,
    tokens: dict[str, str],
    policy: RefreshPolicy,
    hub_retry: float,
    seconds: float,
    spread: float,
    pulls: Pulls,
    rng: random.Random,
) -> None:
    """Each user's server as the extension runs it: a pull at start (spread over ``spread`` s, as servers start at
    different times), then a pull whenever its jittered schedule says the access token is due; when the hub hands
    back the token it already has, again after min(``hub_retry``, left/4) s (the manager's rule)."""
    stop_at = time.perf_counter() + seconds

    async def server(name: str) -> None:
        await asyncio.sleep(rng.uniform(0, spread))
        _, model = await timed_pull(name)
        current = bundle_access_token(model)
        while time.perf_counter() < stop_at and current:
            times = jwt_times(current)
            if times.expires_at is None:
                return
            due = policy.jittered(policy.due_at(times.issued_at, times.expires_at), times.expires_at, rng)
            await asyncio.sleep(max(0.0, due.timestamp() - time.time()))
            while time.perf_counter() < stop_at:
                _status, model = await timed_pull(name)
                fresh = bundle_access_token(model)
                if fresh and fresh != current:
                    pulls.refreshed += 1
                    current = fresh
                    break
                left = times.expires_at.timestamp() - time.time()
                await asyncio.sleep(max(hub_retry / 30, min(hub_retry, left / 4)))

    async def timed_pull(name: str) -> tuple[int, dict[str, Any] | None]:
        started = time.perf_counter()
        status, model = await pull(api_url, name, tokens[name])
        pulls.latencies.append(time.perf_counter() - started)
        pulls.errors += status != 200
        return status, model

    await asyncio.gather(*(server(name) for name in tokens))
