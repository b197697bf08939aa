"""Hub load, measured on a real JupyterHub: ``python bench/bench_hub_load.py [--users 2000] [--quick] [--out FILE]``.

A real JupyterHub (``jupyter_qcred.demo.hub.LocalHub``: GenericOAuthenticator against the sandbox's identity
provider, encrypted auth_state, ``jupyter_qcred.hub.configure(c)``) holds ``--users`` users, each with auth_state
like oauthenticator stores it (real sandbox tokens, IBM entries, the mapped ``qcred_bundle``) and a token with the
scopes of a server's token. Simulated servers then pull ``GET /hub/api/users/{name}`` on the hub's own port (as pods
reach the hub service, not through the proxy), each pull on a new connection like the extension's HubClient:

1. **restart burst**: every user's token had expired; each server pulls once, 16 at a time, and every pull makes
   the hub refresh at the identity provider (``refresh_user`` -> the ahead-of-expiry hook);
2. **plain pulls**: closed loops at 1, 8 and 32 concurrent servers (tokens fresh, auth younger than
   ``auth_refresh_age``: what a pull at server start costs);
3. **steady state**: each server follows the extension's own schedule (``RefreshPolicy`` with jitter, and the
   manager's retry rule), time compressed 60x (1-minute tokens stand for 1-hour ones; every duration of the policy,
   ``auth_refresh_age`` and the retry scaled alike), servers starting spread over one token lifetime; measured over
   the lifetimes after that.

Hub CPU is the hub process's own (user + system, all threads, from /proc), so other work on the machine does not
count; the machine's total busy share is printed next to it. Writes a Markdown table to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for entry in (str(REPO), str(BENCH)):
    if entry in sys.path:
        sys.path.remove(entry)
    sys.path.insert(0, entry)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)

import hubload  # noqa: E402
from benchlib import machine_info  # noqa: E402

from jupyter_qcred.core.policy import RefreshPolicy  # noqa: E402
from jupyter_qcred.demo.hub import LocalHub  # noqa: E402
from jupyter_qcred.sandbox.client import Sandbox  # noqa: E402

COMPRESSION = 60  # the steady state: 1-minute tokens stand for 1-hour ones
REAL_LIFETIME = 3600
SERVER_SCOPES = ["users:activity!user", "access:servers!user", "delete:servers!user", "admin:auth_state!user"]
HOOK_CONFIG = """
import jupyter_qcred.hub as _qcred_hub
from jupyter_qcred.core.policy import RefreshPolicy as _Policy
c.OAuthenticator.refresh_user_hook = _qcred_hub.ahead_of_expiry_refresh_hook(
    policy=_Policy(fraction=0.2, latest={latest}, jitter=0.1), mapper=_qcred_hub.default_mapper(settings["qcs"])
)
"""


def log(message: str) -> None:
    print(f"[hub-load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def auth_state(name: str, tokens: dict[str, Any], qcs: dict[str, Any]) -> dict[str, Any]:
    """auth_state as GenericOAuthenticator stores it, plus IBM entries and the bundle configure(c) maps."""
    from jupyter_qcred.core.bundle import dump_bundle
    from jupyter_qcred.hub import default_mapper

    state: dict[str, Any] = {
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "id_token": tokens.get("id_token"),
        "scope": str(tokens.get("scope", "")).split(),
        "token_response": tokens,
        "oauth_user": {"sub": name, "preferred_username": name, "email": f"{name}@example.org"},
        "qcred": {
            "version": 1,
            "ibm": [
                {
                    "name": "default-ibm-quantum-platform",
                    "channel": "ibm_quantum_platform",
                    "token": secrets.token_urlsafe(33),
                    "instance": f"crn:v1:bluemix:public:quantum-computing:us-east:a/{secrets.token_hex(16)}::",
                    "default": True,
                }
            ],
        },
    }
    state["qcred_bundle"] = json.loads(dump_bundle(default_mapper(qcs)(state)))
    return state


def populate(hub: LocalHub, sandbox: Sandbox, names: list[str], qcs: dict[str, Any]) -> dict[str, str]:
    """Users with encrypted auth_state (expired sandbox tokens) and server-like API tokens; returns the tokens."""
    with ThreadPoolExecutor(8) as pool:
        issued = dict(
            zip(
                names,
                pool.map(lambda n: sandbox.issue_qcs_tokens(n, client_id="jupyterhub", access_token_lifetime=1), names),
                strict=True,
            )
        )
    hub.start()
    for start in range(0, len(names), 100):  # each user is a commit: small batches stay within the API timeout
        hub.api("POST", "/users", {"usernames": names[start : start + 100]})
    hub.stop()
    os.environ["JUPYTERHUB_CRYPT_KEY"] = hub.crypt_key  # CryptKeeper reads it: the hub's own encryption
    from jupyterhub import crypto, orm

    session = orm.new_session_factory(f"sqlite:///{hub.state_dir / 'jupyterhub.sqlite'}")()

    async def encrypt_all() -> None:
        for user in session.query(orm.User).filter(orm.User.name.in_(names)):
            user.encrypted_auth_state = await crypto.encrypt(auth_state(user.name, issued[user.name], qcs))

    asyncio.run(encrypt_all())
    session.commit()
    session.close()
    hub.start(timeout=300)
    with ThreadPoolExecutor(8) as pool:
        made = pool.map(
            lambda n: hub.api("POST", f"/users/{n}/tokens", {"scopes": SERVER_SCOPES, "note": "server"})["token"],
            names,
        )
        return dict(zip(names, made, strict=True))


def phase_row(
    name: str, meter: hubload.Meter, pulls: hubload.Pulls, idp: dict[str, int], idle: float
) -> dict[str, Any]:
    """One table row; the hub's CPU per pull is net of what it uses while idle."""
    count = len(pulls.latencies)
    return {
        "phase": name,
        "pulls": count,
        "errors": pulls.errors,
        "refreshed": pulls.refreshed,
        "seconds": meter.seconds,
        "rate": count / meter.seconds,
        "p50_ms": pulls.percentile(0.5) * 1000,
        "p99_ms": pulls.percentile(0.99) * 1000,
        "hub_cpu_ms_per_pull": max(meter.hub_cpu - idle * meter.seconds, 0.0) / max(count, 1) * 1000,
        "hub_cores": meter.hub_cpu / meter.seconds,
        "idp_cores": meter.idp_cpu / meter.seconds,
        "client_cores": meter.client_cpu / meter.seconds,
        "machine_busy": meter.machine_share,
        "idp_token": idp.get("token", 0),
        "idp_userinfo": idp.get("userinfo", 0),
    }


def idle_cores(hub: LocalHub, seconds: float) -> float:
    """The hub's own CPU while nobody pulls (its periodic work: activity, proxy checks), in cores."""
    assert hub.process is not None
    started, cpu = time.perf_counter(), hubload.process_cpu(hub.process.pid)
    time.sleep(seconds)
    return (hubload.process_cpu(hub.process.pid) - cpu) / (time.perf_counter() - started)


def idp_requests(sandbox: Sandbox) -> dict[str, int]:
    token = [e for e in sandbox.log("qcs_token") if e.get("grant_type") == "refresh_token"]
    return {"token": len(token), "userinfo": len(sandbox.log("qcs_userinfo"))}


def measure(hub: LocalHub, sandbox: Sandbox, name: str, load: Any, idle: float) -> dict[str, Any]:
    assert hub.process is not None
    assert sandbox.process is not None
    pulls = hubload.Pulls()
    sandbox.clear_log()
    with hubload.Meter(hub.process.pid, sandbox.process.pid) as meter:
        asyncio.run(load(pulls))
    row = phase_row(name, meter, pulls, idp_requests(sandbox), idle)
    log(f"{name}: {row['pulls']} pulls, {row['rate']:.0f}/s, p50 {row['p50_ms']:.0f} ms, hub {row['hub_cores']:.2f}")
    return row


def steady_state(
    hub: LocalHub,
    sandbox: Sandbox,
    tokens: dict[str, str],
    policy: RefreshPolicy,
    lifetime: float,
    window: float,
    idle: float,
) -> dict[str, Any]:
    """The servers follow their schedule, starting spread over one lifetime; measured over ``window`` after it."""
    assert hub.process is not None
    assert sandbox.process is not None
    pulls = hubload.Pulls()
    meter = hubload.Meter(hub.process.pid, sandbox.process.pid)
    marks: dict[str, int] = {}

    async def load() -> dict[str, int]:
        servers = asyncio.ensure_future(
            hubload.scheduled_servers(
                hub.hub_api_url, tokens, policy, 30 / COMPRESSION, lifetime + window, lifetime, pulls, random.Random(14)
            )
        )
        await asyncio.sleep(lifetime)
        marks.update(start=len(pulls.latencies), refreshed=pulls.refreshed, errors=pulls.errors)
        await asyncio.to_thread(sandbox.clear_log)
        meter.__enter__()
        await asyncio.sleep(window)
        meter.__exit__()
        marks.update(end=len(pulls.latencies))
        idp = await asyncio.to_thread(idp_requests, sandbox)
        servers.cancel()
        return idp

    idp = asyncio.run(load())
    measured = hubload.Pulls(
        latencies=pulls.latencies[marks["start"] : marks["end"]],
        errors=pulls.errors - marks["errors"],
        refreshed=pulls.refreshed - marks["refreshed"],
    )
    row = phase_row("steady state", meter, measured, idp, idle)
    log(f"steady: {row['pulls']} pulls, {row['refreshed']} refreshed, IdP {idp}, hub {row['hub_cores']:.2f} cores")
    return row


def run(users: int, quick: bool, root: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    seconds = 5.0 if quick else 15.0
    lifetime = REAL_LIFETIME // COMPRESSION
    secret = secrets.token_urlsafe(24)
    names = [f"user{i:05d}" for i in range(users)]
    rows: list[dict[str, Any]] = []
    with Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox:
        sandbox.configure(access_token_lifetime=lifetime)
        qcs = {"issuer": sandbox.qcs_issuer, "api_url": sandbox.qcs_api_url, "client_id": "jupyterhub"}
        hub = LocalHub(sandbox, root / "hub", client_secret=secret, auth_refresh_age=300)
        try:
            log(f"populating {users} users (auth_state encrypted with the hub's key) ...")
            tokens = populate(hub, sandbox, names, qcs)
            api = hub.hub_api_url
            idle = idle_cores(hub, seconds)
            log(f"hub idle: {idle:.3f} cores")
            burst = "restart burst: each pull refreshes"
            rows.append(measure(hub, sandbox, burst, lambda p: hubload.each_once(api, tokens, 16, p), idle))
            for concurrency in (1, 8, 32):
                rows.append(
                    measure(
                        hub,
                        sandbox,
                        f"plain pulls, {concurrency} concurrent",
                        lambda p, c=concurrency: hubload.closed_loop(api, tokens, c, seconds, p),
                        idle,
                    )
                )
            hub.stop()
            # Steady state, compressed: every duration scaled by the same factor.
            latest = 300 / COMPRESSION
            hub.auth_refresh_age = max(1, 300 // COMPRESSION)
            hub.extra_config = HOOK_CONFIG.format(latest=latest)
            hub.start(timeout=300)
            steady_idle = idle_cores(hub, seconds)
            refreshing_rate = rows[0]["rate"]
            cycle = lifetime * (1 - 0.2) - 0.5 * 0.1 * 0.2 * lifetime
            steady_users = min(users, int(0.5 * refreshing_rate * cycle))
            chosen = dict(list(tokens.items())[:steady_users])
            policy = RefreshPolicy(fraction=0.2, latest=latest, jitter=0.1)
            log(f"steady state: {steady_users} servers, {lifetime} s tokens (= 1 h / {COMPRESSION}) ...")
            window = (1.0 if quick else 3.0) * lifetime
            steady = steady_state(hub, sandbox, chosen, policy, lifetime, window, steady_idle)
            steady["phase"] = f"steady state, {steady_users} servers (time x{COMPRESSION})"
            rows.append(steady)
        finally:
            hub.stop()
    per_user_hour = {
        key: steady[key] * lifetime / (steady_users * steady["seconds"])
        for key in ("pulls", "refreshed", "idp_token", "idp_userinfo")
    }
    return rows, {
        "idle": (idle, steady_idle),
        "burst_rate": rows[0]["rate"],
        "plain_rate": max(row["rate"] for row in rows[1:4]),
        "per_user_hour": per_user_hour,
        "steady_users": steady_users,
        "hub_cpu_ms": steady["hub_cpu_ms_per_pull"],
    }


def render(rows: list[dict[str, Any]], summary: dict[str, Any], users: int, info: dict[str, str]) -> str:
    lines = [
        f"Real JupyterHub with {users} users (encrypted auth_state); pulls on the hub's own port, a new connection "
        "each. Hub CPU = the hub process's own user+system time.",
        "",
        "| phase | pulls | errors | hub refreshed | pulls/s | p50 ms | p99 ms | hub CPU ms/pull | hub cores | IdP "
        "cores | load-generator cores | machine busy | IdP token / userinfo requests |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['phase']} | {r['pulls']} | {r['errors']} | {r['refreshed']} | {r['rate']:.0f} | {r['p50_ms']:.0f} | "
            f"{r['p99_ms']:.0f} | {r['hub_cpu_ms_per_pull']:.1f} | {r['hub_cores']:.2f} | {r['idp_cores']:.2f} | "
            f"{r['client_cores']:.2f} | {r['machine_busy']:.0%} | {r['idp_token']} / {r['idp_userinfo']} |"
        )
    rate = summary["per_user_hour"]
    cpu_ms = summary["hub_cpu_ms"]
    idle, steady_idle = summary["idle"]
    lines += [
        "",
        f"Hub CPU while idle (subtracted from the per-pull figures): {idle:.3f} cores ({steady_idle:.3f} for the "
        f"steady-state hub). Highest sustained rate: {summary['plain_rate']:.0f} plain pulls/s, "
        f"{summary['burst_rate']:.0f} refreshing pulls/s.",
        "",
        f"Per user-hour with 1-hour tokens (steady state, {summary['steady_users']} servers): "
        f"{rate['pulls']:.2f} pulls, {rate['refreshed']:.2f} refreshes, {rate['idp_token']:.2f} token + "
        f"{rate['idp_userinfo']:.2f} userinfo requests to the identity provider; hub CPU {cpu_ms:.1f} ms per pull.",
        "",
        "| running servers | pulls/s | IdP requests/s | hub CPU (cores) | all servers pulling at once: seconds |",
        "|---|---|---|---|---|",
    ]
    for count in (users, 10_000, 100_000):
        pulls_s = count * rate["pulls"] / 3600
        idp_s = count * (rate["idp_token"] + rate["idp_userinfo"]) / 3600
        drain = count / summary["burst_rate"]
        lines.append(f"| {count:,} | {pulls_s:.1f} | {idp_s:.1f} | {pulls_s * cpu_ms / 1000:.2f} | {drain:,.0f} |")
    by_cpu = 3600 / (rate["pulls"] * cpu_ms / 1000) if rate["pulls"] and cpu_ms else float("nan")
    by_rate = summary["burst_rate"] * 3600 / rate["pulls"] if rate["pulls"] else float("nan")
    lines += [
        "",
        f"Where the hub saturates: its steady demand reaches the measured refreshing-pull rate "
        f"({summary['burst_rate']:.0f}/s) at about {by_rate:,.0f} running servers; its own CPU would reach one core "
        f"only at about {by_cpu:,.0f}. The rate, not the CPU, is the limit: each pull waits for a database commit "
        "(last_activity) and a refreshing pull for the identity provider, and the hub's event loop waits with it.",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="shorter phases (a smoke run)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "hub_load.md")
    args = parser.parse_args(argv)
    info = machine_info()
    root = Path(tempfile.mkdtemp(prefix="qcred-hubload-"))
    try:
        rows, summary = run(args.users, args.quick, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if hasattr(os, "getloadavg"):
        info["load average (1, 5, 15 min) at end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = render(rows, summary, args.users, info)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# Hub load (`python bench/bench_hub_load.py`)\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
