"""Row 2: ``GET {base}qcred/status`` throughput next to Jupyter Server's own ``GET {base}api/status``.

One server with the extension and the demo bundle; both endpoints are loaded alike: the same number of keep-alive
connections (8 by default), the token in the ``Authorization`` header, for a fixed duration each, alternating
(api, qcred, qcred, api, ...) for several rounds after a short warm-up of each. The client is a minimal asyncio
HTTP/1.1 client (a few microseconds per request), so that the Python client is not what limits the rate; its
own CPU use is reported next to the result so you can judge that.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from bench_startup import bundle_for, running_server
from benchlib import Row, Samples, pair_ratios

from jupyter_qcred.demo.world import sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

GOAL = 0.9
PATHS = {"qcred": "/qcred/status", "api": "/api/status"}


class LoadResult:
    """Completed requests (all 200) over elapsed seconds, and the client's own CPU share of one core."""

    def __init__(self, requests: int, seconds: float, client_cpu: float) -> None:
        self.requests = requests
        self.seconds = seconds
        self.client_cpu = client_cpu

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _connection(port: int, request: bytes, stop_at: float, counts: list[int]) -> None:
    """One keep-alive connection sending ``request`` back to back until ``stop_at`` (loop time)."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while loop.time() < stop_at:
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
            if "content-length" not in headers:
                raise RuntimeError(f"expected a Content-Length answer, got headers {sorted(headers)}")
            body = await reader.readexactly(int(headers["content-length"]))
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
            counts[0] += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _load(port: int, path: str, token: str, concurrency: int, duration: float) -> LoadResult:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: token {token}\r\n"
        "Accept: application/json\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    counts = [0]
    loop = asyncio.get_running_loop()
    cpu_start, started = time.process_time(), time.perf_counter()
    stop_at = loop.time() + duration
    await asyncio.wait_for(
        asyncio.gather(*(_connection(port, request, stop_at, counts) for _ in range(concurrency))),
        timeout=duration + 60,
    )
    elapsed = time.perf_counter() - started
    return LoadResult(counts[0], elapsed, (time.process_time() - cpu_start) / elapsed)


def load(port: int, path: str, token: str, concurrency: int, duration: float) -> LoadResult:
    """Run ``concurrency`` keep-alive connections against ``path`` for ``duration`` seconds."""
    return asyncio.run(_load(port, path, token, concurrency, duration))


def run(sandbox: Sandbox, rounds: int, duration: float, root: Path, concurrency: int = 8) -> list[Row]:
    """Row 2: qcred/status rate over api/status rate on the same server."""
    with running_server(root, bundle_for(sandbox), sandbox_environment(sandbox), with_extension=True) as server:
        sizes = {key: len(_get(server.port, path, server.token)) for key, path in PATHS.items()}
        for path in PATHS.values():  # warm-up (first-request caches, connection set-up)
            load(server.port, path, server.token, concurrency, min(1.0, duration))
        rates = {key: Samples(unit="req/s") for key in PATHS}
        client_cpu: list[float] = []
        for index in range(rounds):
            order = ("api", "qcred") if index % 2 == 0 else ("qcred", "api")
            for key in order:
                result = load(server.port, PATHS[key], server.token, concurrency, duration)
                rates[key].values.append(result.rate)
                client_cpu.append(result.client_cpu)
    row = Row(
        key="status",
        label=f"REST throughput, {concurrency} keep-alive connections, {duration:g} s per run",
        ours=rates["qcred"],
        baseline=rates["api"],
        ours_name="`GET qcred/status`",
        baseline_name="`GET api/status`",
        goal=f"ratio ≥ {GOAL}",
        threshold=GOAL,
        pair_ratios=pair_ratios(rates["qcred"].values, rates["api"].values),
    )
    row.met = row.ratio >= GOAL
    row.notes.append(
        f"{rounds} runs each, alternating, same server with the demo bundle (answers of {sizes['qcred']} bytes vs "
        f"{sizes['api']} bytes); the load client used {100 * max(client_cpu):.0f}% of one core at most, "
        "so the server, not the client, set the rate."
        if max(client_cpu) < 0.9
        else f"{rounds} runs each, alternating, same server; the load client used up to {100 * max(client_cpu):.0f}% "
        "of one core: the client may have limited the rate, so the ratio is closer to 1 than the server's."
    )
    return [row]


def _get(port: int, path: str, token: str) -> str:
    """One GET (for the size of the answer)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": f"token {token}"})
        answer = connection.getresponse()
        body = answer.read().decode()
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {answer.status}")
        return body
    finally:
        connection.close()
