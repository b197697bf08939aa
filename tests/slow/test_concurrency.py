"""Many processes need a fresh QCS token at the same moment: ours refresh once for everyone, the SDK alone does not.

1. A server-like process (the real ``CredentialManager`` loop), 20 "kernel" processes running the real
   ``qcs_api_client_common`` configured with an ``externally_managed`` credential whose command is
   ``python -m jupyter_qcred.cli token qcs``, one ``jupyter qcred token qcs`` and one ``jupyter qcred refresh qcs``
   all find the stored access token expired. To make "at the same moment" exact, the test holds the lock on
   ``secrets.toml`` until every one of those processes is waiting for it (it sees their open lock file in
   ``/proc``), then lets go: the sandbox must see exactly one token request, and every kernel the same new token.
2. The same with 20 kernels whose SDK holds plain ``token_payload`` credentials and refreshes on its own (what
   happens without jupyter_qcred): the number of token requests, and how many kernels failed, are reported.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from support.helpers import SecretScanner, wait_until
from support.reliability import PYTHON, qcs_spec, report, sandbox_environ, settings_for

from jupyter_qcred.core import files
from jupyter_qcred.core.errors import RefusedError
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import jwt_times, load_secrets
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.timeout(200)

KERNELS = int(os.environ.get("QCRED_KERNELS", "20"))

GATE = """
import os, sys, time
from pathlib import Path
gate = Path(sys.argv[1])
(gate.parent / f"ready-{os.getpid()}").touch()
deadline = time.monotonic() + 120
while not gate.exists():  # every process starts together
    if time.monotonic() > deadline:
        sys.exit("the gate never opened")
    time.sleep(0.005)
"""

SERVER = (
    textwrap.dedent(
        """
    import asyncio, faulthandler, json
    faulthandler.dump_traceback_later(100)  # if it ever hangs, its stacks end up in the test's failure message
    from jupyter_qcred.core.manager import CredentialManager
    from jupyter_qcred.providers import create_providers
    from jupyter_qcred.core.settings import Settings
    """
    )
    + GATE
    + textwrap.dedent(
        """

    async def main():
        manager = CredentialManager(create_providers(Settings.from_environment(), ("qcs",)), watch_interval=0.05)
        manager.start()
        deadline = time.monotonic() + 60
        last = None
        while True:
            (status,) = [s for s in manager.statuses() if s.name == "default"]
            if (status.state.value, status.error) != last:
                last = (status.state.value, status.error)
                print(f"{time.monotonic():.2f} server: {last}", file=sys.stderr, flush=True)
            if status.state.value == "ok" and (status.account.get("user") or status.account.get("note")):
                break
            if time.monotonic() > deadline:
                print("server: gave up waiting", file=sys.stderr, flush=True)
                break
            await asyncio.sleep(0.02)
        try:
            await asyncio.wait_for(manager.stop(), 20)
            print("server: stopped", file=sys.stderr, flush=True)
        except asyncio.TimeoutError:
            print("server: CredentialManager.stop() did not return within 20 s; tasks:", file=sys.stderr)
            for task in asyncio.all_tasks():
                task.print_stack(file=sys.stderr)
            sys.stderr.flush()
        print(json.dumps(manager.snapshot()))

    asyncio.run(main())
    """
    )
)

KERNEL = (
    textwrap.dedent(
        """
    import hashlib, json
    import httpx
    from qcs_api_client_common.configuration import ClientConfiguration
    """
    )
    + GATE
    + textwrap.dedent(
        """

    configuration = ClientConfiguration.load_profile(sys.argv[2])
    token = configuration.get_bearer_access_token().secret
    with httpx.Client() as client:
        answer = client.get(configuration.api_url + "/v1/auth:getUser", headers={"Authorization": f"Bearer {token}"})
    print(json.dumps({"sha": hashlib.sha256(token.encode()).hexdigest(), "status": answer.status_code}))
    """
    )
)

CLI = "from jupyter_qcred.cli import main\n" + GATE + "sys.exit(main(sys.argv[2:]))\n"

# The SDK on its own: its configuration was loaded long ago (a running kernel); now it needs a token.
SDK_ALONE = (
    textwrap.dedent(
        """
    import hashlib, json, os, sys, time
    from pathlib import Path
    from qcs_api_client_common.configuration import ClientConfiguration

    configuration = ClientConfiguration.load_default()
    """
    )
    + GATE.replace("import os, sys, time\nfrom pathlib import Path\n", "")
    + textwrap.dedent(
        """
    try:
        token = configuration.get_bearer_access_token().secret
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__}))
    else:
        print(json.dumps({"sha": hashlib.sha256(token.encode()).hexdigest()}))
    """
    )
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def holders(lock: Path) -> set[int]:
    """Other processes that have ``lock`` open: :class:`files.FileLock` opens it, then polls until it gets it."""
    target = str(lock)
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") == target:
                    found.add(int(entry))
                    break
            except OSError:
                continue
    return found - {os.getpid()}


def start(script: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-c", script, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def open_gate(gates: Path, processes: list[subprocess.Popen[str]]) -> None:
    """Wait until every process reached its gate, then let them all go at once."""

    def all_ready() -> bool:
        assert all(p.poll() is None for p in processes), "a process died before the gate"
        return len(list(gates.glob("ready-*"))) >= len(processes)

    wait_until(all_ready, timeout=120, what="every process at the gate")
    (gates / "go").touch()


def finish(
    processes: list[subprocess.Popen[str]],
    scanner: SecretScanner,
    what: str,
    secret_out: int | None = None,
    must_succeed: bool = True,
) -> list[str]:
    """Collect every process's stdout (recording stdout and stderr for the secret scan, except the stdout of
    ``secret_out``: ``jupyter qcred token`` prints the token there by design); kill stragglers."""
    outputs: list[str] = []
    try:
        for index, process in enumerate(processes):
            try:
                out, err = process.communicate(timeout=150)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
                pytest.fail(f"{what} {index} did not finish; its stderr ends with: {err[-4000:]}")
            scanner.saw(f"{what} {index} stderr", err)
            if index != secret_out:
                scanner.saw(f"{what} {index} stdout", out)
            assert process.returncode == 0 or not must_succeed, f"{what} {index} failed: {err[-1500:]}"
            outputs.append(out if process.returncode == 0 else json.dumps({"error": f"exit {process.returncode}"}))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return outputs


def add_externally_managed_profile(qcs: QcsProvider, api_url: str) -> None:
    """Profile ``kernel`` whose credential is ``jupyter qcred token qcs --profile default`` (what a kernel uses)."""
    settings_doc = tomlkit.parse(qcs.settings_path.read_text())
    settings_doc["profiles"]["kernel"] = {
        "credentials_name": "via-qcred",
        "api_url": api_url,
        "auth_server_name": "default",
    }
    files.atomic_write(qcs.settings_path, tomlkit.dumps(settings_doc))
    secrets_doc = tomlkit.parse(qcs.secrets_path.read_text())
    command = {"command": PYTHON, "args": ["-m", "jupyter_qcred.cli", "token", "qcs", "--profile", "default"]}
    secrets_doc["credentials"]["via-qcred"] = {"externally_managed": {**command, "timeout_seconds": 120}}
    files.atomic_write(qcs.secrets_path, tomlkit.dumps(secrets_doc))


def stored(qcs: QcsProvider) -> Any:
    """The real tokens of ``default`` (handed off or plain)."""
    _doc, model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
    return handoff.view(model).credentials["default"].token_payload


def test_everyone_refreshes_once_and_the_sdk_alone_does_not(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    home = tmp_path / "home"
    env = sandbox_environ(home, sandbox)
    qcs = QcsProvider(settings_for(home, sandbox))
    expired = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-100)
    secret_scanner.add_secrets(expired)
    qcs.materialize([qcs_spec(sandbox, expired)], source="bundle")
    add_externally_managed_profile(qcs, sandbox.qcs_api_url)
    sandbox.clear_log()

    # ---- 1. jupyter_qcred: server + kernels through the token command + the CLI --------------------------
    gates = tmp_path / "gates-ours"
    gates.mkdir()
    gate = str(gates / "go")
    lock = files.lock_path(qcs.secrets_path)
    started = time.monotonic()
    with files.locked(qcs.secrets_path):
        server = start(SERVER, [gate], env)
        kernels = [start(KERNEL, [gate, "kernel"], env) for _ in range(KERNELS)]
        clis = [start(CLI, [gate, "token", "qcs"], env), start(CLI, [gate, "refresh", "qcs", "--json"], env)]
        everyone = [server, *kernels, *clis]
        open_gate(gates, everyone)
        waiting = wait_until(
            lambda: (found := holders(lock)) and len(found) >= 1 + KERNELS + 2 and found,
            timeout=120,
            what="every process waiting for the secrets.toml lock",
        )
    outputs = finish(everyone, secret_scanner, "process", secret_out=1 + KERNELS)
    ours_seconds = time.monotonic() - started
    ours = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    fresh = stored(qcs)
    secret_scanner.add_secrets(fresh.access_token, fresh.refresh_token)
    kernel_results = [json.loads(out) for out in outputs[1 : 1 + KERNELS]]
    token_out = outputs[1 + KERNELS].strip()
    refresh_status = json.loads(outputs[2 + KERNELS])
    server_status = json.loads(outputs[0])
    assert len(ours) == 1, f"{len(ours)} token requests for {len(everyone)} processes"
    assert {r["sha"] for r in kernel_results} == {sha(fresh.access_token)}, "every kernel got the one new token"
    assert all(r["status"] == 200 for r in kernel_results)
    assert token_out == fresh.access_token
    assert [e["state"] for e in refresh_status["providers"] if e["name"] == "default"] == ["ok"]
    (server_entry,) = [e for e in server_status["providers"] if e["name"] == "default"]
    assert server_entry["state"] == "ok", server_entry
    assert server_entry["account"].get("user") or server_entry["account"].get("note")
    assert fresh.refresh_token != expired["refresh_token"], "the rotated refresh token was kept"
    expires = jwt_times(fresh.access_token).expires_at
    assert expires is not None and expires.timestamp() > time.time() + 3000

    # ---- 2. the SDK alone: every kernel refreshes by itself ------------------------------------------------
    again = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-100)
    secret_scanner.add_secrets(again)
    qcs = QcsProvider(settings_for(home, sandbox, qcs_handoff="files"))  # plain files: the SDK refreshes by itself
    qcs.materialize([qcs_spec(sandbox, again)], source="bundle")
    sandbox.clear_log()
    gates = tmp_path / "gates-sdk"
    gates.mkdir()
    alone = [start(SDK_ALONE, [str(gates / "go")], env) for _ in range(KERNELS)]
    open_gate(gates, alone)
    results = [json.loads(out) for out in finish(alone, secret_scanner, "sdk kernel", must_succeed=False)]
    crashed = [r for r in results if r.get("error", "").startswith("exit")]
    sdk = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    refused = [e for e in sdk if e["status"] == 400]
    failed = [r for r in results if "error" in r]
    after = stored(qcs)
    secret_scanner.add_secrets(after.access_token, after.refresh_token)
    try:
        asyncio.run(QcsProvider(settings_for(home, sandbox)).token("default", force=True))
        chain = "intact"
    except RefusedError:
        chain = "BROKEN (the stored refresh token was refused)"
    final = stored(qcs)
    secret_scanner.add_secrets(final.access_token, final.refresh_token)
    secret_scanner.saw("sandbox request log", json.dumps(sandbox.log()))
    secret_scanner.saw("sandbox stderr", sandbox.stderr_path.read_text(errors="replace"))

    report(
        f"concurrency, ours: 1 server + {KERNELS} SDK kernels (externally_managed -> jupyter qcred token qcs) + "
        f"2 CLI = {len(everyone)} processes ({len(waiting)} at the lock) on an expired token -> {len(ours)} token "
        f"request; all {KERNELS} kernels got the same token, in {ours_seconds:.1f}s"
        + (
            f" (server's account check: {server_entry['account']['note']})"
            if server_entry["account"].get("note")
            else ""
        )
    )
    report(
        f"concurrency, SDK alone: {KERNELS} kernels refreshing on their own -> {len(sdk)} token requests, "
        f"{len(refused)} refused (rotated refresh token reused), {len(failed)} kernels got no token "
        f"({len(crashed)} of them crashed: {sorted({r['error'] for r in crashed})}); "
        f"refresh token chain afterwards: {chain}"
    )
    assert len(sdk) >= 1
