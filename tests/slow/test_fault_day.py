"""A simulated day of refresh cycles while the providers fail at random, with the real manager and sandbox.

Twenty-four one-hour QCS and IAM tokens are compressed into 24 x ``QCRED_DAY_TOKEN_SECONDS`` seconds (default 2):
the sandbox issues tokens of that lifetime, and the refresh policy and the retry backoff are scaled by the same
factor (see :class:`support.reliability.TimeScale`). Each simulated hour draws a scenario (quiet, a flaky burst of 5xx,
429, resets, garbage, slow answers or a hang, or an outage of a whole hour), plus two fixed ones: a refused
refresh token (``invalid_grant``) and an outage longer than the refresh token's idle lifetime (it expires: a real
refusal). A "kernel" thread reads ``secrets.toml`` at random moments, like the SDK does, and a "view" task samples
the manager's states. Afterwards the test checks:

- every read parsed (our model and ``tomllib`` agree), and no file was ever empty;
- every token read while the provider was reachable had at least a quarter of the refresh margin left, and none
  read during a flaky hour had expired;
- the refresh token chain never broke: every successful refresh grant the sandbox answered was written to the
  file, and the only ``needs_reinit`` states were the two real refusals;
- a state never said ``ok`` for an expired token, and every fault was followed by recovery within the (scaled)
  maximum backoff plus a little slack;
- no token, refresh token or API key appeared in any log record, status or the sandbox's own output.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import math
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support.helpers import SecretScanner, async_wait_until
from support.reliability import (
    StallMeter,
    StoredTokens,
    TimeScale,
    ibm_spec,
    qcs_spec,
    read_qcs_tokens,
    report,
    scale_backoff,
    settings_for,
)

from jupyter_qcred.core.bundle import Bundle
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.states import State
from jupyter_qcred.providers import create_providers
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(240)

#: One hour lasts 2 s. The refresh margin is 40 % of the lifetime instead of 20 %: a request costs ~50 ms here
#: whatever the scale (a minute and a half of compressed time), and a burst of failures costs several.
SCALE = TimeScale(int(os.environ.get("QCRED_DAY_TOKEN_SECONDS", "2")), fraction=0.4)
HOURS = 24
#: Between the wall clock of the samples and the event loop's monotonic clock the refresh loop wakes on.
CLOCK_SKEW = 0.005
SEED = int(os.environ.get("QCRED_DAY_SEED", "20261122"))
#: How long the client waits for an answer. Not scaled (20 s would become 11 ms): it only has to be longer than a
#: healthy loopback TLS exchange, and one hang must cost less than the refresh margin.
CLIENT_TIMEOUT = 0.3
#: The refresh token's idle lifetime: 2.5 hours, so a one-hour outage never expires it and the long one does.
REFRESH_TOKEN_HOURS = 2.5
REFUSED_HOUR = 8
LONG_OUTAGE_HOURS = (15, 3)
QCS = ("qcs", "default")
IBM = ("ibm", "default-ibm-quantum-platform")


@dataclasses.dataclass
class Window:
    """A stretch of time in which the provider was not fully reachable (``end`` is when things recovered)."""

    kind: str  # "flaky", "outage" or "refused"
    start: float
    end: float = math.inf
    what: str = ""


@dataclasses.dataclass
class Read:
    """One look at ``secrets.toml`` by the kernel reader."""

    at: float
    tokens: StoredTokens | None
    error: str | None


@dataclasses.dataclass
class Sample:
    """One look at the manager's states by the view task."""

    at: float
    qcs_state: State
    qcs_expires: float | None
    ibm_state: State


class KernelReader(threading.Thread):
    """Reads the QCS files at random moments, the way a kernel's SDK would, until stopped."""

    def __init__(self, settings_path: Path, secrets_path: Path, rng: random.Random) -> None:
        super().__init__(name="kernel-reader", daemon=True)
        self.paths = (settings_path, secrets_path)
        self.rng = rng
        self.reads: list[Read] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.rng.uniform(0.0, 0.08)):  # random moments, not a wait for a condition
            try:
                self.reads.append(Read(time.time(), read_qcs_tokens(*self.paths), None))
            except Exception as exc:  # recorded, asserted on after the day
                self.reads.append(Read(time.time(), None, f"{type(exc).__name__}: {exc}"))


@dataclasses.dataclass
class Scenario:
    """What one simulated hour does to the providers."""

    kind: str  # "quiet", "flaky", "outage", "refused", "long-outage"
    faults: list[dict[str, Any]]
    hours: int = 1

    @property
    def label(self) -> str:
        if not self.faults:
            return self.kind
        return self.kind + ":" + "+".join(f"{f['match']}/{f['mode']}{f.get('status', '')}" for f in self.faults)


def draw(rng: random.Random, hour: int) -> Scenario:
    """The scenario of ``hour``: the two fixed ones, else quiet (40 %), flaky (45 %) or a one-hour outage."""
    if hour == REFUSED_HOUR:
        return Scenario("refused", [{"match": "qcs_token", "mode": "invalid_grant", "count": 1}])
    if hour == LONG_OUTAGE_HOURS[0]:
        return Scenario("long-outage", [{"match": "qcs_token", "mode": "status", "status": 503}], LONG_OUTAGE_HOURS[1])
    roll = rng.random()
    match = rng.choice(["qcs_token", "iam", "qcs"])
    if roll < 0.40:
        return Scenario("quiet", [])
    if roll < 0.85:
        mode = rng.choice(["status", "status", "reset", "garbage", "delay", "timeout"])
        fault: dict[str, Any] = {"match": match, "mode": mode, "count": rng.randint(1, 4)}
        if mode == "status":
            fault["status"] = rng.choice([500, 502, 503, 504, 429])
        elif mode == "delay":
            fault["delay"] = round(rng.uniform(0.02, 0.12), 3)  # slow, but answers within the client timeout
        elif mode == "timeout":
            fault["count"] = 1  # one hang costs CLIENT_TIMEOUT, less than the margin
        return Scenario("flaky", [fault])
    targets = rng.choice([["qcs_token"], ["iam"], ["qcs_token", "iam"]])
    return Scenario("outage", [{"match": m, "mode": "status", "status": 503} for m in targets])


async def test_a_day_of_refresh_cycles_under_random_faults(
    tmp_path: Path,
    sandbox: Sandbox,
    secret_scanner: SecretScanner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = random.Random(SEED)
    hour = SCALE.token_seconds
    margin = SCALE.margin
    sandbox.configure(
        access_token_lifetime=hour,
        iam_token_lifetime=hour,
        refresh_token_lifetime=round(REFRESH_TOKEN_HOURS * hour),
        rotate_refresh_tokens=True,
    )
    scale_backoff(monkeypatch, SCALE)
    home = tmp_path / "home"
    settings = settings_for(home, sandbox, timeout=CLIENT_TIMEOUT, policy=SCALE.policy(SCALE.fraction))
    manager = CredentialManager(create_providers(settings), watch_interval=0.05, rng=random.Random(SEED))
    events: list[dict[str, Any]] = []
    manager.subscribe(events.append)

    issued: list[dict[str, Any]] = []

    def login() -> Bundle:
        tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=hour)
        issued.append(tokens)
        secret_scanner.add_secrets(tokens["access_token"], tokens["refresh_token"], tokens.get("id_token"))
        return Bundle(qcs=(qcs_spec(sandbox, tokens),))

    ibm = ibm_spec(sandbox)
    secret_scanner.add_secrets(ibm.token)
    first = login()
    manager.materialize(Bundle(ibm=(ibm,), qcs=first.qcs), source="bundle")
    reader = KernelReader(settings.qcs_settings_path, settings.qcs_secrets_path, random.Random(SEED + 1))
    samples: list[Sample] = []
    windows: list[Window] = []
    recoveries: list[float] = []
    scenarios: list[str] = []
    rules = 0

    def status(key: tuple[str, str]) -> Any:
        return next(s for s in manager.statuses() if s.key == key)

    pace = random.Random(SEED + 2)

    async def view() -> None:
        while True:
            qcs, ibm_status = status(QCS), status(IBM)
            expires = qcs.expires_at.timestamp() if qcs.expires_at else None
            samples.append(Sample(time.time(), qcs.state, expires, ibm_status.state))
            await asyncio.sleep(pace.uniform(0.0, 0.06))  # random moments, not a wait for a condition

    async def recovered() -> bool:
        qcs, ibm_status = status(QCS), status(IBM)
        fresh = qcs.expires_at is not None and qcs.expires_at.timestamp() - time.time() > margin / 2
        return qcs.state is State.OK and fresh and ibm_status.state is State.OK

    async def refused() -> bool:
        return status(QCS).state is State.NEEDS_REINIT

    async def reinitialize() -> None:
        """What Re-initialize with a pasted token does: write it, then refresh at once."""
        await asyncio.to_thread(manager.materialize, login(), source="user", reinit=True)
        await manager.refresh(*QCS, force=True)

    meter = StallMeter()
    meter.start()
    manager.start()
    reader.start()
    viewer = asyncio.ensure_future(view())
    started = time.monotonic()
    try:
        await async_wait_until(recovered, timeout=10, what="the first check")
        hour_index = 0
        while hour_index < HOURS:
            scenario = draw(rng, hour_index)
            scenarios.append(scenario.label)
            window = Window(
                scenario.kind if scenario.kind != "long-outage" else "refused", time.time(), what=scenario.label
            )
            for fault in scenario.faults:
                sandbox.fault(**fault)
                rules += 1
            if scenario.faults:
                windows.append(window)
            await asyncio.sleep(hour * scenario.hours)  # the simulated hours pass
            if scenario.kind in ("refused", "long-outage"):
                if scenario.kind == "long-outage":  # the provider is back; the expired refresh token is refused
                    sandbox.clear_faults()
                await async_wait_until(refused, timeout=4 * hour, what=f"needs_reinit after {scenario.label}")
                sandbox.clear_faults()
                await reinitialize()
                cleared = time.time()
            else:
                sandbox.clear_faults()
                cleared = time.time()
            await async_wait_until(recovered, timeout=10, what=f"recovery after {scenario.label}")
            window.end = time.time()
            if scenario.faults:
                recoveries.append(window.end - cleared)
            hour_index += scenario.hours
        day = time.monotonic() - started
        final = await manager.refresh(force=True)
    finally:
        viewer.cancel()
        reader.halt.set()
        meter.halt.set()
        await asyncio.to_thread(reader.join, 10)
        await manager.stop()

    # ---- what the kernels saw ----------------------------------------------------------------------------
    grace = 0.1
    problems: list[str] = []

    def around(moment: float) -> list[Window]:
        return [w for w in windows if w.start <= moment <= w.end + grace]

    def kind_at(moment: float) -> str:
        kinds = {w.kind for w in around(moment)}
        return "degraded" if kinds & {"outage", "refused"} else ("flaky" if kinds else "steady")

    def excused(moment: float) -> bool:
        """Whether the host starved this process long enough, just before ``moment``, to explain a late refresh."""
        return meter.stalled(moment - 1.5 * margin, moment) > margin / 4

    steady_left: list[float] = []
    excuses = 0
    for read in reads_of(reader):
        if read.error or read.tokens is None:
            problems.append(f"read at +{read.at - reader.reads[0].at:.2f}s failed: {read.error}")
            continue
        secret_scanner.add_secrets(read.tokens.access_token, read.tokens.refresh_token)
        if not read.tokens.refresh_token:
            problems.append("the refresh token vanished from secrets.toml")
        left = (read.tokens.expires_at or 0) - read.at
        kind = kind_at(read.at)
        if kind == "steady":
            steady_left.append(left)
        late = (kind == "steady" and left < margin / 4) or (kind == "flaky" and left <= 0)
        if late and excused(read.at):
            excuses += 1
        elif late:
            labels = ", ".join(w.what for w in around(read.at)) or "no fault"
            problems.append(f"{kind} read ({labels}) had {left:.3f}s left (margin {margin:.2f}s)")
    for sample in samples:
        # The refresh loop wakes at the expiry on the event loop's monotonic clock, the samples are stamped with the
        # wall clock: converting one into the other leaves up to a few milliseconds, which is not a stale view.
        stale_ok = (
            sample.qcs_state is State.OK
            and sample.qcs_expires is not None
            and sample.at - sample.qcs_expires > CLOCK_SKEW
        )
        if stale_ok and not excused(sample.at):
            problems.append(f"QCS said ok {sample.at - (sample.qcs_expires or 0):.3f}s after its token expired")
        steady_error = kind_at(sample.at) == "steady" and State.ERROR in (sample.qcs_state, sample.ibm_state)
        if steady_error and not excused(sample.at):
            problems.append("a state said error while every provider answered")

    # ---- the refresh token chain -------------------------------------------------------------------------
    log = sandbox.log()
    grants = [e for e in log if e["endpoint"] == "qcs_token" and e.get("grant_type") == "refresh_token"]
    granted = [e for e in grants if e["status"] == 200 and e["fault"] in (None, "delay")]
    written = [r for r in caplog.records if "refreshed the access token of credential" in r.getMessage()]
    real_refusals = [e for e in grants if e["status"] == 400 and not e["fault"]]
    iam_ok = [e for e in log if e["endpoint"] == "iam" and e["status"] == 200 and not e["fault"]]
    applied = [e for e in log if e["fault"]]
    account_calls = [e for e in log if e["endpoint"] == "qcs_user"]
    states = [_entry(event, "qcs")["state"] for event in events if _entry(event, "qcs")]
    reinit_states = sum(1 for a, b in itertools.pairwise(states) if b == "needs_reinit" and a != b)

    for event in events[:: max(1, len(events) // 200)]:
        secret_scanner.saw("status event", json.dumps(event, default=str))
    secret_scanner.saw("final status", final)
    secret_scanner.saw("sandbox request log", json.dumps(log))
    secret_scanner.saw("sandbox stderr", sandbox.stderr_path.read_text(errors="replace"))

    report(
        f"fault day: {len(scenarios)} scenarios over {HOURS} simulated hours in {day:.0f}s "
        f"(1 h = {SCALE.token_seconds}s, margin {margin:.2f}s); {rules} fault rules, {len(applied)} faulty answers; "
        f"{len(granted)} QCS + {len(iam_ok)} IAM refresh cycles; {len(reader.reads)} kernel reads, "
        f"{len(samples)} state samples; min steady token life left {min(steady_left, default=0):.3f}s "
        f"(= {min(steady_left, default=0) * SCALE.factor / 60:.1f} real min); max recovery "
        f"{max(recoveries, default=0):.3f}s; needs_reinit {reinit_states}x (2 real refusals); "
        f"{len(account_calls)} account (auth:getUser) calls; host stalls {meter.total:.2f}s excused {excuses} reads"
    )
    report("fault day scenarios: " + ", ".join(scenarios))
    assert not problems, "\n".join(problems[:30])
    assert len(granted) == len(written), "every refresh grant the provider answered was saved (the chain held)"
    assert len(real_refusals) == 1, "only the expired refresh token after the long outage was really refused"
    assert reinit_states == 2, states
    assert all(_entry(final, key)["state"] == "ok" for key in ("qcs", "ibm"))
    assert max(recoveries) <= SCALE.seconds(300) + 0.6 + meter.total, recoveries
    assert len(granted) >= HOURS, "about one refresh per simulated hour or more"


def reads_of(reader: KernelReader) -> list[Read]:
    """The reader's records (a function so the evaluation reads as prose)."""
    return reader.reads


def _entry(snapshot: dict[str, Any], provider: str) -> dict[str, Any]:
    body = snapshot.get("status", snapshot)
    found = [e for e in body["providers"] if e["provider"] == provider and e["name"]]
    return found[0] if found else {}
