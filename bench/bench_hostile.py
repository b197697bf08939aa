"""What hostile input and a bad day cost a running server (issue 13).

Run: ``python bench/bench_hostile.py [--checkout DIR] [--only refresh,logins,...]``.

Each scenario runs on a real ``jupyter_server`` with the extension and the demo bundle, against the sandbox:

- ``refresh``  200 sequential ``POST qcred/refresh`` of one QCS profile: token grants and QCS API calls sent;
- ``fifo``     ``secrets.toml`` replaced by a FIFO: does ``GET /api/status`` still answer (10 s limit);
- ``big``      a 20 MB ``secrets.toml``: the longest ``GET /api/status`` stall over 30 s;
- ``deep``     ``qiskit-ibm.json`` nested 100,000 deep: ``RecursionError`` lines logged in 5 s;
- ``body``     a 200 MB ``POST qcred/refresh``: the answer, and the server's peak RSS before and after;
- ``logins``   50 device-login starts: logins left pending, device-authorization requests sent;
- ``interval`` an identity provider answering ``interval: 0``: polls in 5 s;
- ``race``     30 device-login starts at once (30 profiles, then 30 of one profile) against an identity provider
  that takes 1 s to answer: logins left pending, device-authorization requests sent (issue 20);
- ``uploads``  the three hostile QCS uploads of issue 20 (a settings.toml pointing a new profile at alice's credential
  and another host, a secrets.toml naming ``jupyter_qcred-default``, one with an ``externally_managed`` command): the
  answers, the requests the other host received, and whether ``secrets.toml`` changed;
- ``pullstorm`` a real JupyterHub (``LocalHub``) whose user's refresh token was revoked: ``GET /hub/api/users/alice``
  pulls by her server per minute once her hub-refreshed QCS token has expired (counted in the hub's log).

``--checkout DIR`` measures another copy of the package (e.g. ``git archive <commit> jupyter_qcred | tar -x -C DIR``)
with this checkout's sandbox, so the numbers before and after a change come from the same scenarios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import httpx  # noqa: E402
from bench_startup import JupyterServer, bundle_for  # noqa: E402

from jupyter_qcred.demo.world import sandbox_environment  # noqa: E402
from jupyter_qcred.sandbox.client import Sandbox  # noqa: E402

TIMEOUT = 10.0


@contextlib.contextmanager
def server(root: Path, sandbox: Sandbox, checkout: Path | None) -> Iterator[JupyterServer]:
    one = JupyterServer(root, bundle_for(sandbox), sandbox_environment(sandbox), with_extension=True)
    if checkout is not None:
        one.env["PYTHONPATH"] = os.pathsep.join([str(checkout), one.env["PYTHONPATH"]])
    one.command.append("--QCredApp.watch_interval=0.2")
    try:
        one.start()
        yield one
    finally:
        one.stop()


def client(one: JupyterServer) -> httpx.Client:
    return httpx.Client(base_url=one.base, headers=one.headers, timeout=TIMEOUT)


def rss(pid: int, field: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return -1


def stall(http: httpx.Client, seconds: float) -> float:
    """The longest time ``GET /api/status`` took (or was still waiting) while polling for ``seconds``."""
    worst, end = 0.0, time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        with contextlib.suppress(httpx.TimeoutException):
            http.get("api/status", timeout=max(end - started, 0.5))
        worst = max(worst, time.monotonic() - started)
        time.sleep(0.2)
    return worst


def refresh(one: JupyterServer, sandbox: Sandbox) -> str:
    sandbox.clear_log()
    with client(one) as http:
        started = time.monotonic()
        for _ in range(200):
            http.post("qcred/refresh", json={"provider": "qcs", "name": "default"})
        elapsed = time.monotonic() - started
    grants = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    calls = len(sandbox.log("qcs_user")) + len(sandbox.log("qcs_groups"))
    return f"{len(grants)} token grants, {calls} user/group calls in {elapsed:.1f} s"


def fifo(one: JupyterServer) -> str:
    path = one.home / ".qcs" / "secrets.toml"
    path.unlink()
    os.mkfifo(path, 0o600)
    time.sleep(1.0)  # the watch loop (0.2 s) notices the change
    with client(one) as http:
        started = time.monotonic()
        try:
            http.get("api/status")
            answer = f"answered in {time.monotonic() - started:.2f} s"
        except httpx.TimeoutException:
            answer = f"no answer in {TIMEOUT:g} s"
    with contextlib.suppress(OSError):  # let a reader blocked on the FIFO go, so the server can stop
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    return answer


def big(one: JupyterServer) -> str:
    path = one.home / ".qcs" / "secrets.toml"
    text = path.read_text() + "".join(f"# padding line {i:07d} {'x' * 40}\n" for i in range(400_000))
    tmp = path.with_name("big.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    with client(one) as http:
        worst = stall(http, 30.0)
    return f"longest GET /api/status: {worst:.2f} s (over 30 s)"


def deep(one: JupyterServer) -> str:
    path = one.home / ".qiskit" / "qiskit-ibm.json"
    before = one.log_path.read_text(errors="replace").count("RecursionError")
    path.write_text("[" * 100_000 + "]" * 100_000)
    time.sleep(5.0)
    logged = one.log_path.read_text(errors="replace").count("RecursionError") - before
    return f"{logged} RecursionError lines in 5 s"


def body(one: JupyterServer) -> str:
    chunk = b"x" * (1024 * 1024)
    before = rss(one.process.pid, "VmRSS")

    def stream() -> Iterator[bytes]:
        for _ in range(200):
            yield chunk

    with client(one) as http:
        try:
            answer = http.post(
                "qcred/refresh",
                content=stream(),
                headers={"Content-Length": str(200 * len(chunk)), "Content-Type": "application/json"},
                timeout=120,
            )
            result = f"HTTP {answer.status_code}: {answer.text[:90]}"
        except httpx.HTTPError as exc:
            result = type(exc).__name__
    return f"{result}; RSS {before} MB before, peak {rss(one.process.pid)} MB"


def logins(one: JupyterServer, sandbox: Sandbox) -> str:
    sandbox.configure(device_interval=5)
    sandbox.clear_log()
    with client(one) as http:
        codes = [
            http.post("qcred/reinitialize", json={"source": "device", "provider": "qcs"}).status_code for _ in range(50)
        ]
        pending = [entry for entry in http.get("qcred/status").json()["logins"] if entry["state"] == "pending"]
    return f"{len(pending)} pending, {len(sandbox.log('qcs_device'))} device requests, answers {sorted(set(codes))}"


def interval(one: JupyterServer, sandbox: Sandbox) -> str:
    sandbox.configure(device_interval=0)
    with client(one) as http:
        http.post("qcred/reinitialize", json={"source": "device", "provider": "qcs", "profile": "fresh"})
    sandbox.clear_log()
    time.sleep(5.0)
    polls = [e for e in sandbox.token_requests() if "device_code" in str(e.get("grant_type"))]
    return f"{len(polls)} polls in 5 s"


def race(one: JupyterServer, sandbox: Sandbox) -> str:
    sandbox.configure(device_interval=5)
    sandbox.fault("qcs_device", "delay", delay=1.0)
    answers: list[str] = []
    try:
        for profiles in (["same"] * 30, [f"p{i}" for i in range(30)]):
            sandbox.clear_log()
            with ThreadPoolExecutor(30) as pool, client(one) as http:
                codes = list(
                    pool.map(
                        lambda profile: (
                            http.post(
                                "qcred/reinitialize", json={"source": "device", "provider": "qcs", "profile": profile}
                            ).status_code
                        ),
                        profiles,
                    )
                )
                waiting = [e for e in http.get("qcred/status").json()["logins"] if e["state"] == "pending"]
            kind = "30 profiles" if len(set(profiles)) > 1 else "1 profile"
            answers.append(
                f"{kind}: {len(waiting)} pending since the start, {len(sandbox.log('qcs_device'))} device requests, "
                f"answers {dict(sorted(Counter(codes).items()))}"
            )
    finally:
        sandbox.clear_faults()
    return "; ".join(answers)


class Listener:
    """A loopback HTTP server standing for another host: counts what reaches it (a token would be in there)."""

    def __enter__(self) -> Listener:
        import http.server
        import threading

        seen = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append(self.path)
                self.send_response(500)
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


def uploads(one: JupyterServer) -> str:
    secrets_toml = one.home / ".qcs" / "secrets.toml"
    results = []
    with Listener() as other, client(one) as http:
        files = {
            "settings": (
                "settings.toml",
                f'[auth_servers.helper]\nissuer = "{other.url}"\nclient_id = "x"\n'
                f'[profiles.helper]\napi_url = "{other.url}"\nauth_server_name = "helper"\n'
                'credentials_name = "default"\n',
            ),
            "internal": (
                "secrets.toml",
                '[credentials.jupyter_qcred-default.token_payload]\naccess_token = "other-account-access"\n'
                'refresh_token = "other-account-refresh"\n',
            ),
            "command": (
                "secrets.toml",
                '[credentials.work.externally_managed]\ncommand = "/bin/sh"\nargs = ["-c", "id"]\n',
            ),
        }
        for name, (filename, content) in files.items():
            before = secrets_toml.read_bytes()
            answer = http.post(
                "qcred/reinitialize",
                json={"source": "file", "provider": "qcs", "filename": filename, "content": content},
            )
            changed = "changed" if secrets_toml.read_bytes() != before else "unchanged"
            http.post("qcred/refresh", json={"provider": "qcs"})  # would send tokens to where the files now say
            results.append(f"{name}: HTTP {answer.status_code}, secrets.toml {changed}")
        results.append(f"{len(other.requests)} requests reached the other host")
    return "; ".join(results)


def pullstorm(root: Path, checkout: Path | None, seconds: float = 90.0) -> str:
    import secrets as random_secrets

    from jupyter_qcred.demo.hub import LocalHub

    secret = random_secrets.token_urlsafe(24)
    env = {"PYTHONPATH": str(checkout)} if checkout is not None else {}
    with (
        Sandbox(tls=True, state_dir=root / "storm-sandbox", jupyterhub_client_secret=secret) as sandbox,
        LocalHub(sandbox, root / "storm-hub", client_secret=secret, environment=env, auth_refresh_age=5) as hub,
    ):
        lifetime = 20
        sandbox.configure(access_token_lifetime=lifetime)
        hub.login("alice")
        hub.api("POST", "/users/alice/server")
        deadline = time.monotonic() + 120
        while not (hub.api("GET", "/users/alice")["servers"].get("") or {}).get("ready"):
            if time.monotonic() > deadline:
                raise TimeoutError("alice's server did not start")
            time.sleep(0.2)
        log = hub.state_dir / "jupyterhub.log"
        pulls = "GET /hub/api/users/alice (alice@"
        before = log.read_text(errors="replace").count(pulls)
        cpu = hub_cpu(hub)
        sandbox.revoke("alice")  # the hub can no longer renew her tokens, which expire within `lifetime` seconds
        time.sleep(seconds)
        count = log.read_text(errors="replace").count(pulls) - before
        cpu = hub_cpu(hub) - cpu
        grants = len([e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"])
    per_minute = count * 60 / seconds
    return (
        f"{count} pulls in the {seconds:g} s after the revocation (token lifetime 20 s; {per_minute:.1f} per minute), "
        f"hub CPU {cpu:.2f} s, "
        f"{grants} refresh-token grants asked of the identity provider in all"
    )


def hub_cpu(hub: Any) -> float:
    """CPU seconds of the hub process (user + system), from /proc."""
    fields = Path(f"/proc/{hub.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=Path, help="folder holding the jupyter_qcred package to measure")
    parser.add_argument("--only", default="refresh,logins,race,uploads,interval,body,fifo,big,deep,pullstorm")
    args = parser.parse_args()
    checkout = args.checkout.resolve() if args.checkout else None
    chosen = args.only.split(",")
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="qcred-hostile-") as tmp, Sandbox(state_dir=Path(tmp) / "sb") as sandbox:
        root = Path(tmp)
        shared = [name for name in ("refresh", "logins", "race", "uploads", "body") if name in chosen]
        if shared:
            with server(root, sandbox, checkout) as one:
                for name in shared:
                    results[name] = {
                        "refresh": lambda: refresh(one, sandbox),
                        "logins": lambda: logins(one, sandbox),
                        "race": lambda: race(one, sandbox),
                        "uploads": lambda: uploads(one),
                        "body": lambda: body(one),
                    }[name]()
                    print(f"{name}: {results[name]}", flush=True)
        alone = {"interval": lambda one: interval(one, sandbox), "fifo": fifo, "big": big, "deep": deep}
        for name, scenario in alone.items():
            if name in chosen:
                with server(root, sandbox, checkout) as one:
                    results[name] = scenario(one)
                    print(f"{name}: {results[name]}", flush=True)
        if "pullstorm" in chosen:
            results["pullstorm"] = pullstorm(root, checkout)
            print(f"pullstorm: {results['pullstorm']}", flush=True)
    print(json.dumps({"checkout": str(checkout or BENCH.parent), **results}, indent=1))


if __name__ == "__main__":
    main()
