"""The laptop-wake test: the access token on disk has expired and everyone needs a token at the same moment.

An issuer that rotates refresh tokens strictly (the sandbox's default: a spent refresh token is refused), alice's
credentials written by jupyter_qcred with an access token that expired while the laptop slept. At the same moment:
a Jupyter server with the extension starts (its start-up lays out the hand-off, its scheduler refreshes), 5 kernels
make pyquil 4 API calls (``list_quantum_computers``), 5 kernels use qcs-api-client-common 0.27 (which runs the
hand-off's ``jupyter-qcred token qcs``), and the CLI asks for a token. To make "the same moment" exact the test
holds the lock of ``secrets.toml`` until every one of them waits for it (seen in ``/proc``), then lets go.

With the hand-off: exactly 1 token request, every call succeeds with the same fresh token, and a refresh
afterwards (the CLI's, then a forced one with the stored refresh token) succeeds: the chain is intact. Again with
the server down and only the kernels. Then the same without the hand-off (plain files) as a measurement for the
closing note: how many token requests, how many calls failed, and whether the chain broke.

The "kernels" are Python processes running the real SDKs with the environment a kernel gets; pyquil's kernels use
``jupyter_qcred.pyquil_client()`` (pyquil 4.22's bundled client does not read ``externally_managed`` from the file;
see tests/sdk/test_qcs_handoff.py for what its ``QCSClient.load()`` does under the hand-off).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from support.helpers import SecretScanner, qcs_spec, wait_until
from support.kernels import JupyterServer
from support.qcs import PYTHON, provider, sandbox_env
from support.sessions import start_session

from jupyter_qcred.core import files
from jupyter_qcred.core.errors import RefusedError
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import jwt_times, load_secrets
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

pytest.importorskip("pyquil")
pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]

KERNELS = 5
SCRIPT = Path(sys.executable).parent / "jupyter-qcred"

PYQUIL_KERNEL = textwrap.dedent(
    """
    import hashlib, json, sys
    from pyquil.api import QCSClient, list_quantum_computers
    import jupyter_qcred
    client = jupyter_qcred.pyquil_client() if sys.argv[1] == "handoff" else QCSClient.load()
    try:
        names = list_quantum_computers(client_configuration=client, qvms=False)
    except Exception as exc:  # what a notebook cell would show
        print(json.dumps({"error": type(exc).__name__}), flush=True)
        sys.exit(0)
    token = client.oauth_session.access_token
    print(json.dumps({"names": names, "sha": hashlib.sha256(token.encode()).hexdigest()}), flush=True)
    """
)
SDK_KERNEL = textwrap.dedent(
    """
    import hashlib, json, sys
    import httpx
    from qcs_api_client_common.configuration import ClientConfiguration
    try:
        configuration = ClientConfiguration.load_default()
        token = configuration.get_bearer_access_token().secret
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__}), flush=True)
        sys.exit(0)
    with httpx.Client() as client:
        answer = client.get(configuration.api_url + "/v1/auth:getUser", headers={"Authorization": f"Bearer {token}"})
    print(json.dumps({"status": answer.status_code, "sha": hashlib.sha256(token.encode()).hexdigest()}), flush=True)
    """
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def holders(lock: Path) -> set[int]:
    """Processes (other than this one) that have ``lock`` open: a :class:`files.FileLock` opens it, then polls."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                if os.readlink(f"/proc/{entry}/fd/{fd}") == str(lock):
                    found.add(int(entry))
                    break
        except OSError:
            continue
    return found - {os.getpid()}


def write_expired(home: Path, sandbox: Sandbox, scanner: SecretScanner, mode: str) -> QcsProvider:
    """alice's credentials as jupyter_qcred writes them, the access token expired (the laptop slept)."""
    assert sandbox.configure(rotate_refresh_tokens=True)["rotate_refresh_tokens"] is True
    tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-100)
    scanner.add_secrets(tokens)
    qcs = provider(home, SSL_CERT_FILE=sandbox.ca_file or "", QCRED_QCS_HANDOFF=mode)
    qcs.materialize([qcs_spec(sandbox, tokens)], source="bundle")
    sandbox.clear_log()
    return qcs


def answers(jupyter: JupyterServer) -> bool:
    try:
        jupyter.api("GET", "qcred/status", timeout=5)
    except Exception:
        return False
    return True


def real_tokens(qcs: QcsProvider) -> Any:
    _doc, model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
    return handoff.view(model).credentials["default"].token_payload


def wake(
    tmp_path: Path, sandbox: Sandbox, qcs: QcsProvider, mode: str, *, server: bool
) -> tuple[list[dict[str, Any]], str | None, JupyterServer | None]:
    """Everyone at once; returns the kernels' results, the CLI's token and the (running) server."""
    env = sandbox_env(qcs.settings.home, sandbox.ca_file)
    env["QCRED_QCS_HANDOFF"] = mode
    kind = "handoff" if mode == "command" else "files"
    lock = files.lock_path(qcs.secrets_path)
    jupyter = JupyterServer(env, tmp_path, log_path=tmp_path / f"server-{mode}.log") if server else None
    processes: list[subprocess.Popen[str]] = []
    with files.locked(qcs.secrets_path):
        if jupyter is not None:
            jupyter.process = start_session(jupyter.command, jupyter.env, jupyter.log_path)
        for script in [PYQUIL_KERNEL] * KERNELS + [SDK_KERNEL] * KERNELS:
            processes.append(
                subprocess.Popen(
                    [PYTHON, "-c", script, kind], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
            )
        cli = subprocess.Popen(
            [str(SCRIPT), "token", "qcs"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        if mode == "command":
            # server + 5 pyquil kernels (in-process) + 5 token commands run by the SDK + the CLI
            expected = (1 if server else 0) + 2 * KERNELS + 1
            wait_until(
                lambda: len(holders(lock)) >= expected,
                timeout=150,
                interval=0.1,
                what=f"{expected} processes waiting for the secrets.toml lock",
            )
        # plain files: the SDKs never take our lock, so the lock is let go at once and they race as they come
    results = []
    for process in processes:
        out, err = process.communicate(timeout=200)
        lines = out.strip().splitlines()  # (the SDKs may abort at interpreter exit, after printing: not checked)
        assert lines, f"a kernel printed nothing (exit {process.returncode}): {err[-2000:]}"
        results.append(json.loads(lines[-1]))
    cli_out, _cli_err = cli.communicate(timeout=200)
    token = cli_out.strip() if cli.returncode == 0 else None
    return results, token, jupyter


@pytest.mark.parametrize("server", [True, False], ids=["server-starts", "server-down"])
def test_laptop_wake_one_token_request_for_everyone(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner, server: bool
) -> None:
    home = tmp_path / "home"
    qcs = write_expired(home, sandbox, secret_scanner, "command")
    jupyter = None
    try:
        results, cli_token, jupyter = wake(tmp_path, sandbox, qcs, "command", server=server)
        fresh = real_tokens(qcs)
        secret_scanner.add_secrets(fresh.access_token, fresh.refresh_token)
        requests = sandbox.token_requests()
        assert [(r["grant_type"], r["status"]) for r in requests] == [("refresh_token", 200)], requests
        assert all("error" not in r for r in results), results
        assert {r["sha"] for r in results} == {sha(fresh.access_token)}, "everyone got the one fresh token"
        assert all(r["names"] == ["Ankaa-3", "Cepheus-1-36Q"] for r in results[:KERNELS])
        assert all(r["status"] == 200 for r in results[KERNELS:])
        assert cli_token == fresh.access_token
        expires = jwt_times(fresh.access_token).expires_at
        assert expires is not None and expires.timestamp() > time.time() + 3000
        if jupyter is not None:
            # The server came up (after waiting for the lock like everyone) and describes the real credential.
            def default_entry() -> Any:
                try:
                    snapshot = jupyter.api("GET", "qcred/status", timeout=5)
                except Exception:
                    return None
                entry = [e for e in snapshot["providers"] if e["provider"] == "qcs" and e["name"] == "default"]
                return entry and entry[0]["state"] == "ok" and entry[0]

            entry = wait_until(default_entry, timeout=120, interval=0.2, what="the server's status of default")
            assert entry["account"]["handoff"] == "command"
            assert entry["account"]["stored_as"] == "jupyter_qcred-default"
            assert entry["token_hint"] == "…" + fresh.access_token[-4:]
            secret_scanner.saw("server log", (tmp_path / "server-command.log").read_text(errors="replace"))
    finally:
        if jupyter is not None:
            jupyter.stop()
    assert len(sandbox.token_requests()) == 1, "the server asked for no token of its own"
    # The chain is intact: `jupyter qcred refresh qcs` renews now, spending the stored (rotated) refresh token.
    env = sandbox_env(home, sandbox.ca_file)
    refresh = subprocess.run([str(SCRIPT), "refresh", "qcs"], env=env, capture_output=True, text=True, timeout=120)
    assert refresh.returncode == 0, refresh.stderr
    after = [(r["grant_type"], r["status"]) for r in sandbox.token_requests()]
    assert after == [("refresh_token", 200), ("refresh_token", 200)], after
    final = real_tokens(qcs)
    secret_scanner.add_secrets(final.access_token, final.refresh_token)
    assert final.refresh_token != fresh.refresh_token
    secret_scanner.saw("sandbox log", json.dumps(sandbox.log()))


def test_laptop_wake_without_the_handoff_is_measured(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner, capsys: pytest.CaptureFixture[str]
) -> None:
    """Plain files (``handoff = files``): each SDK refreshes by itself. Measured for the closing note."""
    home = tmp_path / "home"
    qcs = write_expired(home, sandbox, secret_scanner, "files")
    jupyter = None
    try:
        results, cli_token, jupyter = wake(tmp_path, sandbox, qcs, "files", server=True)
        assert jupyter is not None
        wait_until(lambda: answers(jupyter), timeout=120, interval=0.2, what="the server to answer")
    finally:
        if jupyter is not None:
            jupyter.stop()
    requests = sandbox.token_requests()
    refused = [r for r in requests if r["status"] != 200]
    failed = [r for r in results if "error" in r]
    stored = real_tokens(qcs)
    secret_scanner.add_secrets(stored.access_token, stored.refresh_token)
    try:
        asyncio.run(QcsProvider(qcs.settings).token("default", force=True))
        chain = "intact"
    except RefusedError:
        chain = "BROKEN (the refresh token in secrets.toml was refused: the user must sign in again)"
    final = real_tokens(qcs)
    secret_scanner.add_secrets(final.access_token, final.refresh_token)
    with capsys.disabled():
        print(
            f"\nlaptop wake WITHOUT the hand-off: server + {KERNELS} pyquil + {KERNELS} qcs-api-client-common "
            f"kernels + CLI -> {len(requests)} token requests ({len(refused)} refused), {len(failed)} of "
            f"{len(results)} kernel calls failed, CLI {'got a token' if cli_token else 'failed'}; chain: {chain}"
        )
    secret_scanner.saw("sandbox log", json.dumps(sandbox.log()))
    assert requests, "someone refreshed the expired token"
