"""The qnexus adapter with the real qnexus 0.51.1 against the sandbox's Nexus: processes started with ``site`` (so the
``.pth`` registers the hook), no Jupyter server.

The many-process runs fork their processes from one driver that imported qnexus (about 3 s per import here): each
child builds its own client from the files exactly as a new process does, and the runs stay affordable. Figures of
these runs are in docs/qnexus-adapter.md (``QCRED_TEST_NEXUS_BASELINE_ROUNDS=10`` makes the baseline as long as the
adapter's run).
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import json
import math
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.nexus import bundle, environ, manager

from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.nexus.store import NexusStore
from jupyter_qcred.sandbox.client import Sandbox

# find_spec, not importorskip: importing qnexus takes about 3 s, which collecting the fast loop (that leaves these
# tests out) would pay for nothing; the tests import it where they use it.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(importlib.util.find_spec("qnexus") is None, reason="needs qnexus"),
]

LIFETIME = 4  # seconds: the sandbox's access tokens; due (renewed ahead) after half of it
CHILDREN = 10
ROUNDS = int(os.environ.get("QCRED_TEST_NEXUS_ROUNDS", "10"))  # per user; two users interleaved: 2 x ROUNDS runs
BASELINE_ROUNDS = int(os.environ.get("QCRED_TEST_NEXUS_BASELINE_ROUNDS", "3"))  # 10 for the closing note's figures

# One driver per HOME: imports qnexus once, then per round forks CHILDREN processes. Each child builds its client
# (reads the files), calls get_self() with a valid token, says ready, waits for the round's gate (opened just after
# that token's expiry), and calls get_self() again. The next round's children are forked when the gate opens, so
# new processes read id.json while the others renew it: the JSONDecodeError race of issue 22.
DRIVER = textwrap.dedent(
    """
    import base64, json, os, sys, time
    from pathlib import Path

    folder, rounds, count, access = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    import qnexus as qnx
    import jupyter_qcred.core.importhook as hook

    def wait_for(path, seconds):
        deadline = time.monotonic() + seconds
        while not path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {path.name} within {seconds} s")
            time.sleep(0.005)

    def expiry():
        deadline = time.monotonic() + 5
        while True:
            try:
                token = json.loads(access.read_text())["data"]["access_token"]
                part = token.split(".")[1]
                return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["exp"]
            except (ValueError, KeyError, IndexError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def child(r, i):
        result = {}
        try:
            result["before"] = qnx.users.get_self().display_name
            (folder / f"ready-{r}-{i}").touch()
            wait_for(folder / f"gate-{r}", 60)
            result["after"] = qnx.users.get_self().display_name
        except BaseException as exc:
            result["error"], result["message"] = type(exc).__name__, str(exc)[:300]
        (folder / f"result-{r}-{i}.json").write_text(json.dumps(result))
        (folder / f"ready-{r}-{i}").touch()
        os._exit(0)

    def spawn(r):
        pids = []
        for i in range(count):
            pid = os.fork()
            if pid == 0:
                child(r, i)
            pids.append(pid)
        return pids

    def all_ready(r):
        deadline = time.monotonic() + 60
        while len(list(folder.glob(f"ready-{r}-*"))) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"round {r} never got ready")
            time.sleep(0.005)

    (folder / "imported.json").write_text(json.dumps(hook.report()))
    wait_for(folder / "go", 60)
    pids = spawn(0)
    all_ready(0)
    for r in range(rounds):
        exp = expiry()
        while time.time() < exp + 0.05:
            time.sleep(0.005)
        (folder / f"gate-{r}").touch()
        following = spawn(r + 1) if r + 1 < rounds else []
        for pid in pids:
            os.waitpid(pid, 0)
        if following:
            all_ready(r + 1)
        pids = following
    """
)


def _wait_for(path: Path, seconds: float, processes: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path} within {seconds} s"
        for p in processes:
            assert p.poll() is None, p.communicate()[1][-2000:]
        time.sleep(0.01)


def _store(home: Path, **extra: str) -> NexusStore:
    return NexusStore(Settings.from_environment(environ(home, **extra)))


def run_rounds(sandbox: Sandbox, tmp_path: Path, adapters: str, rounds: int) -> dict[str, Any]:
    """Two users (HOMEs) whose expiries alternate every LIFETIME/2 s, ``rounds`` rounds each of CHILDREN processes;
    what the children saw, the refreshes the sandbox served per user, and whether token.json stayed the same."""
    users = ("alice", "bob")
    runs: dict[str, dict[str, Any]] = {}
    for user in users:
        home, folder = tmp_path / user / "home", tmp_path / user / "run"
        folder.mkdir(parents=True)
        manager(home).materialize(bundle(sandbox, sandbox.nexus_tokens(user)), source="bundle")
        store = _store(home)
        env = environ(home, JUPYTER_QCRED_SDK_ADAPTERS=adapters)
        argv = [sys.executable, "-c", DRIVER, str(folder), str(rounds), str(CHILDREN), str(store.access_path)]
        driver = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        runs[user] = {"home": home, "folder": folder, "store": store, "driver": driver}
    drivers = [run["driver"] for run in runs.values()]
    try:
        for run in runs.values():
            _wait_for(run["folder"] / "imported.json", 90, drivers)
            run["token_json"] = run["store"].refresh_path.read_bytes()
        seq = max((e["seq"] for e in sandbox.log()), default=0)
        start = math.ceil(time.time()) + 1
        for k, (user, run) in enumerate(runs.items()):
            # A fresh access token issued just after a whole second: the users' expiries stay LIFETIME/2 apart.
            while time.time() < start + k * LIFETIME / len(users) + 0.02:
                time.sleep(0.005)
            run["store"].write_access(sandbox.nexus_tokens(user)["access_token"])
            (run["folder"] / "go").touch()
        for run in runs.values():
            _out, err = run["driver"].communicate(timeout=60 + rounds * LIFETIME * 2)
            assert run["driver"].returncode == 0, err[-3000:]
    finally:
        for p in drivers:
            if p.poll() is None:
                p.kill()
    refreshes = [e for e in sandbox.log("nexus_refresh", since=seq)]
    report: dict[str, Any] = {"users": {}}
    for user, run in runs.items():
        files = sorted(run["folder"].glob("result-*.json"))
        results = [json.loads(p.read_text()) for p in files]
        failed_runs = {p.name.split("-")[1] for p, r in zip(files, results, strict=True) if "error" in r}
        served = sorted(e["time"] for e in refreshes if e.get("user") == user and e["status"] == 200)
        gates = [run["folder"].joinpath(f"gate-{r}").stat().st_mtime for r in range(rounds)]
        report["users"][user] = {
            "adapter": json.loads((run["folder"] / "imported.json").read_text()).get("qnexus"),
            "processes": len(results),
            "errors": Counter(r["error"] for r in results if "error" in r),
            "runs_with_errors": len(failed_runs),
            "messages": sorted({r["message"] for r in results if "error" in r})[:3],
            "names": Counter(name for r in results for name in (r.get("before"), r.get("after")) if name),
            "refreshes": len(served),
            # the refreshes in the second after each gate (the renewal of the token that expired there)
            "per_expiry": [sum(gate <= t < gate + 1 for t in served) for gate in gates],
            "closest_refreshes_s": round(min((b - a for a, b in itertools.pairwise(served)), default=-1), 3),
            "refused_refreshes": sum(1 for e in refreshes if e.get("user") == user and e["status"] != 200),
            "token_json_unchanged": run["store"].refresh_path.read_bytes() == run["token_json"],
        }
    return report


def _print(title: str, report: dict[str, Any]) -> None:
    print(f"\n{title}:")
    for user, figures in report["users"].items():
        print(f"  {user}: {json.dumps(figures, default=dict)}")


def test_ten_processes_across_each_expiry_refresh_once(tmp_path: Path) -> None:
    """2 x ROUNDS runs of 10 qnexus processes calling get_self() before and after their token's expiry, with new
    processes starting while the token is renewed: one refresh per expiry (never two for one token), no
    JSONDecodeError (no error at all), token.json untouched."""
    with Sandbox(tls=False, access_token_lifetime=LIFETIME) as sandbox:
        report = run_rounds(sandbox, tmp_path, "on", ROUNDS)
    _print(f"adapter on, {2 * ROUNDS} runs x {CHILDREN} processes", report)
    for user, figures in report["users"].items():
        assert figures["adapter"] == "active", figures["adapter"]
        assert figures["errors"] == Counter(), (user, figures["messages"])
        assert figures["processes"] == ROUNDS * CHILDREN
        assert sum(figures["names"].values()) == 2 * ROUNDS * CHILDREN and len(figures["names"]) == 1
        # One renewal per token: the expired one at each gate, and (on a machine so busy that a round outlasts half
        # a lifetime) a token that became due again while late processes still asked. A token issued at second k
        # is due at k + LIFETIME/2, so two renewals are at least LIFETIME/2 - 1 s apart; qnexus alone refreshes once
        # per process, milliseconds apart.
        assert figures["refreshes"] >= ROUNDS, figures
        assert figures["closest_refreshes_s"] >= LIFETIME / 2 - 1 - 0.05, figures
        assert figures["refused_refreshes"] == 0
        assert figures["token_json_unchanged"]


def test_without_the_adapter_qnexus_refreshes_in_each_process(tmp_path: Path) -> None:
    """The baseline, printed (how many processes refresh and how many fail with JSONDecodeError depends on timing);
    asserted only what is certain: the switch says off, each expiry costs at least one refresh, token.json stays."""
    rounds = BASELINE_ROUNDS
    with Sandbox(tls=False, access_token_lifetime=LIFETIME) as sandbox:
        report = run_rounds(sandbox, tmp_path, "off", rounds)
    _print(f"adapter off (baseline), {2 * rounds} runs x {CHILDREN} processes", report)
    for figures in report["users"].values():
        assert figures["adapter"].startswith("off"), figures["adapter"]
        assert figures["refreshes"] >= rounds
        assert figures["token_json_unchanged"]


# One driver, one process per action forked at the same instant (after the harness touched "go").
ONE_SHOT = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    folder, actions = Path(sys.argv[1]), sys.argv[2].split(",")
    import qnexus as qnx
    import jupyter_qcred.core.importhook as hook

    def get_self():
        return qnx.users.get_self().display_name

    def websocket():  # what the job-status websocket does when its connection is refused or closed
        qnx.client.get_nexus_client().auth.refresh_id_token()
        return get_self()

    def in_code():  # a login given in code, kept in memory, with an access token Nexus refuses
        from qnexus.config import CONFIG
        CONFIG.store_tokens = False
        qnx.auth.login_with_token((folder / "other_refresh").read_text())
        cookies = qnx.client.get_nexus_client().auth.cookies
        cookies.delete("myqos_id")
        cookies.set("myqos_id", (folder / "bad_access").read_text(), domain=CONFIG.domain)
        return get_self()

    (folder / "imported.json").write_text(
        json.dumps({"report": hook.report(), "handler": qnx.client.AuthHandler.__module__})
    )
    deadline = time.monotonic() + 60
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.005)
    pids = []
    for i, action in enumerate(actions):
        pid = os.fork()
        if pid == 0:
            try:
                result = {"value": globals()[action]()}
            except BaseException as exc:
                result = {"error": type(exc).__name__, "message": str(exc)}
            (folder / f"result-{i}.json").write_text(json.dumps(result))
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    """
)


def bad_access_token() -> str:
    """A JWT that is not due (it says it lasts an hour) but that Nexus refuses (its signature is wrong)."""
    now = int(time.time())

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'aud': 'nexus', 'iat': now, 'exp': now + 3600})}.c2ln"


def one_shot(
    folder: Path, actions: list[str], env: dict[str, str], prepare: Any = None, after_go: Any = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run ``actions`` (one forked qnexus process each, all at once) with ``env``; ``prepare()`` runs after the
    driver imported qnexus and before the go, ``after_go()`` right after it. Returns what the driver's import said
    and each process's result."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-c", ONE_SHOT, str(folder), ",".join(actions)]
    driver = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(folder / "imported.json", 90, [driver])
        if prepare is not None:
            prepare()
        (folder / "go").touch()
        if after_go is not None:
            after_go()
        _out, err = driver.communicate(timeout=90)
        assert driver.returncode == 0, err[-3000:]
    finally:
        if driver.poll() is None:
            driver.kill()
    results = [json.loads((folder / f"result-{i}.json").read_text()) for i in range(len(actions))]
    return json.loads((folder / "imported.json").read_text()), results


@pytest.mark.parametrize("managed", [False, True], ids=["files", "managed-tokens"])
def test_a_refused_token_is_renewed_once_for_ten_processes(tmp_path: Path, managed: bool) -> None:
    """An access token Nexus refuses although it is not due: 10 processes get a 401 (5 on an API call, 5 through
    the websocket's refresh_id_token); one renewal, made by the first under the lock, serves them all; id.json is
    replaced atomically (a new inode), where the provider keeps it (managed_auth with NEXUS_MANAGED_TOKENS)."""
    extra = {"NEXUS_MANAGED_TOKENS": "1"} if managed else {}
    with Sandbox(tls=False) as sandbox:
        home = tmp_path / "home"
        manager(home, env=extra).materialize(bundle(sandbox, sandbox.nexus_tokens("alice")), source="bundle")
        store = _store(home, **extra)
        token_json = store.refresh_path.read_bytes()
        store.write_access(bad_access_token())
        inode = store.access_path.stat().st_ino
        seq = max((e["seq"] for e in sandbox.log()), default=0)
        imported, results = one_shot(tmp_path / "run", ["get_self", "websocket"] * 5, environ(home, **extra))
        refreshes = sandbox.log("nexus_refresh", since=seq)
        me = sandbox.log("nexus_me", since=seq)
    assert imported["report"]["qnexus"] == "active" and imported["handler"].startswith("jupyter_qcred.")
    assert results == [{"value": "Alice Liddell"}] * 10
    assert [e["status"] for e in refreshes] == [200], "one renewal for the ten processes"
    assert sum(e["status"] == 401 for e in me) <= 5, "only the API calls met the refused token"
    assert store.access_path.stat().st_ino != inode, "id.json was replaced (temp file + rename), not rewritten"
    assert store.access_token() not in (None, bad_access_token())
    assert store.refresh_path.read_bytes() == token_json
    if managed:
        assert store.access_path.parent.name == "managed_auth" and not (home / ".qnx/auth/id.json").exists()


def test_a_half_written_id_json_is_waited_for(tmp_path: Path) -> None:
    """10 processes start while id.json holds half of its text (as qnexus's own open("w") leaves it for a moment);
    it is complete 0.1 s later: every process reads the whole token, none fails, nobody refreshes."""
    with Sandbox(tls=False) as sandbox:
        home = tmp_path / "home"
        tokens = sandbox.nexus_tokens("alice")
        manager(home).materialize(bundle(sandbox, tokens), source="bundle")
        store = _store(home)
        whole = store.access_path.read_text()
        seq = max((e["seq"] for e in sandbox.log()), default=0)

        def half_written() -> None:
            store.access_path.write_text(whole[: len(whole) // 2])

        def completed() -> None:
            time.sleep(0.1)  # the writer's moment: each process waits READ_PATIENCE (0.5 s) from its first read
            store.access_path.write_text(whole)

        _imported, results = one_shot(tmp_path / "run", ["get_self"] * 10, environ(home), half_written, completed)
        refreshes = sandbox.log("nexus_refresh", since=seq)
    assert results == [{"value": "Alice Liddell"}] * 10
    assert refreshes == []


def test_a_login_given_in_code_and_a_refused_login_keep_qnexus_behaviour(tmp_path: Path) -> None:
    """Not the files' login (login_with_token, CONFIG.store_tokens off): qnexus answers the 401 itself, in memory,
    and id.json is not touched. A refused refresh token in the files: qnexus's AuthenticationError sentence plus
    ours, without any token in it."""
    with Sandbox(tls=False) as sandbox:
        home = tmp_path / "home"
        manager(home).materialize(bundle(sandbox, sandbox.nexus_tokens("alice")), source="bundle")
        store = _store(home)
        folder = tmp_path / "run"
        folder.mkdir()
        (folder / "bad_access").write_text(bad_access_token())
        refused = store.refresh_token()
        sandbox.revoke_nexus("alice")
        other = sandbox.nexus_tokens("alice")["refresh_token"]  # issued after the revocation: valid
        (folder / "other_refresh").write_text(other)
        store.write_access(bad_access_token())
        id_json = store.access_path.read_bytes()
        seq = max((e["seq"] for e in sandbox.log()), default=0)
        _imported, results = one_shot(folder, ["get_self", "in_code"], environ(home))
        refreshes = [e["status"] for e in sandbox.log("nexus_refresh", since=seq)]
    failed, in_code = results
    assert failed["error"] == "AuthenticationError"
    assert failed["message"].startswith("Not authenticated. Please run `qnx login` in your terminal.")
    assert "jupyter_qcred" in failed["message"] and "refused the refresh token" in failed["message"]
    assert refused is not None and refused not in failed["message"] and other not in failed["message"]
    assert in_code == {"value": "Alice Liddell"}
    assert sorted(refreshes) == [200, 200, 401], "login_with_token's and the 401's refresh by qnexus; ours refused"
    assert store.access_path.read_bytes() == id_json, "nothing wrote id.json"


def test_an_unknown_qnexus_version_is_left_alone(tmp_path: Path) -> None:
    """qnexus reporting a version the adapter was not checked with: qnexus keeps its own AuthHandler, and the
    process's report says why."""
    fake = tmp_path / "site" / "qnexus-0.99.0.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: qnexus\nVersion: 0.99.0\n")
    script = (
        "import json, qnexus, jupyter_qcred.core.importhook as h\n"
        "print(json.dumps([h.report()['qnexus'], qnexus.client.AuthHandler.__module__]))\n"
    )
    env = environ(tmp_path / "home", PYTHONPATH=str(tmp_path / "site"))
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome, handler = json.loads(result.stdout)
    assert outcome == "qnexus 0.99.0 is not a version the adapter was checked with (0.51.x)"
    assert handler == "qnexus.client"


# What the provider's docstring says about qnexus 0.51.1, step by step in one process; the harness changes id.json
# between the steps.
CLAIMS = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path

    folder = Path(sys.argv[1])

    def step(done, then):
        (folder / done).touch()
        deadline = time.monotonic() + 60
        while not (folder / then).exists():
            if time.monotonic() > deadline:
                sys.exit(f"no {then}")
            time.sleep(0.005)

    import qnexus as qnx

    step("imported", "valid-written")
    names = [qnx.users.get_self().display_name]
    step("first-call", "refused-written")
    names.append(qnx.users.get_self().display_name)
    step("second-call", "expired")
    names.append(qnx.users.get_self().display_name)
    print(json.dumps(names))
    """
)


@pytest.mark.parametrize("adapters", ["off", "on"])
def test_what_qnexus_reads_and_writes(tmp_path: Path, adapters: str) -> None:
    """qnexus 0.51.1 alone (off): it reads id.json at its first API call, not at import (a refused token there at
    import costs nothing); it never reads it again (a refused token written after the first call is not seen); after
    its token expired it gets a 401 and refreshes by itself, rewriting id.json in place (same inode: open("w"), no
    temp file). With the adapter (on): the same first two steps; after the expiry it asks the renewer, which finds
    the refused token in the file, and after its 401 renews once and replaces id.json atomically (a new inode)."""
    with Sandbox(tls=False, access_token_lifetime=3) as sandbox:
        home, folder = tmp_path / "home", tmp_path / "run"
        folder.mkdir()
        manager(home).materialize(bundle(sandbox, sandbox.nexus_tokens("alice")), source="bundle")
        store = _store(home)
        token_json = store.refresh_path.read_bytes()
        store.write_access(bad_access_token())
        argv = [sys.executable, "-c", CLAIMS, str(folder)]
        env = environ(home, JUPYTER_QCRED_SDK_ADAPTERS=adapters)
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        refreshes = []
        try:
            _wait_for(folder / "imported", 90, [process])
            seq = max((e["seq"] for e in sandbox.log()), default=0)
            valid = sandbox.nexus_tokens("alice")["access_token"]
            store.write_access(valid)
            (folder / "valid-written").touch()
            _wait_for(folder / "first-call", 30, [process])
            refreshes.append(len(sandbox.log("nexus_refresh", since=seq)))
            store.write_access(bad_access_token())
            inode = store.access_path.stat().st_ino
            (folder / "refused-written").touch()
            _wait_for(folder / "second-call", 30, [process])
            refreshes.append(len(sandbox.log("nexus_refresh", since=seq)))
            expires = json.loads(base64.urlsafe_b64decode(valid.split(".")[1] + "=="))["exp"]
            while time.time() < expires + 0.1:  # the token qnexus holds has expired: a known moment, not a guess
                time.sleep(0.01)
            (folder / "expired").touch()
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err[-2000:]
        finally:
            if process.poll() is None:
                process.kill()
        refreshes.append(len(sandbox.log("nexus_refresh", since=seq)))
        me = [e["status"] for e in sandbox.log("nexus_me", since=seq)]
    assert json.loads(out) == ["Alice Liddell"] * 3
    assert refreshes == [0, 0, 1], "read at the first call, not at import; not again; one refresh after expiry"
    assert me == [200, 200, 401, 200], "the third call met a 401 (qnexus's expired token, or the file's refused one)"
    assert store.access_token() not in (valid, bad_access_token())
    assert (store.access_path.stat().st_ino == inode) is (adapters == "off"), "off: rewritten in place; on: renamed"
    assert store.refresh_path.read_bytes() == token_json, "neither writes token.json on refresh"
