"""Row 3: token requests per refresh when N processes need a QCS access token at once (N = 1, 5, 20).

Before each trial a fresh HOME gets alice's sandbox credentials with an access token that has already expired
(written by ``QcsProvider.materialize``, exactly what the server extension writes). Then N fresh processes start,
import what they need, and wait at a gate (a file); the sandbox's request log is cleared and the gate opens, so
all N ask for a token at the same moment:

- ours: ``jupyter_qcred.cli.main(["token", "qcs"])`` — ``jupyter qcred token qcs``, the QCS SDK's
  ``externally_managed`` command, i.e. ``QcsProvider.token_sync()``;
- the SDK alone: ``ClientConfiguration.load_default().get_bearer_access_token()`` of ``qcs_api_client_common``
  (with ``SSL_CERT_FILE`` = the sandbox's CA), each process refreshing on its own.

The number of requests to the token endpoint is read from the sandbox's request log (``token_requests()``); the
processes that did not get a token are counted too (each prints only the token's length; the exit code is not
used, since the SDK's processes may abort at interpreter exit after they printed their token).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from benchlib import REPO, Row, Samples, stop_group

from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

GATE = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    gate = Path(sys.argv[1])
    (gate.parent / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not gate.exists():
        if time.monotonic() > deadline:
            sys.exit("the gate never opened")
        time.sleep(0.002)
    """
)
OURS = (
    "import contextlib, io, jupyter_qcred.cli, jupyter_qcred.providers.qcs.provider\n"
    + GATE
    + "out = io.StringIO()\n"
    + "with contextlib.redirect_stdout(out):\n"
    + "    code = jupyter_qcred.cli.main(['token', 'qcs'])\n"
    + "print('x' * len(out.getvalue().strip()))\n"  # never print the token itself
    + "sys.exit(code)\n"
)
SDK = (
    "from qcs_api_client_common.configuration import ClientConfiguration\n"
    + GATE
    + "token = ClientConfiguration.load_default().get_bearer_access_token().secret\n"
    + "print('x' * len(token))\n"  # never print the token itself
)
CASES = {"ours": OURS, "sdk": SDK}


def prepare_home(sandbox: Sandbox, home: Path, handoff: str) -> None:
    """alice's QCS credentials with an expired access token, written as the extension writes them (``handoff``:
    "command", the default, for ours; "files" for the SDK alone, which then refreshes by itself)."""
    tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=-100)
    environ = {"HOME": str(home), "SSL_CERT_FILE": sandbox.ca_file or "", "QCRED_QCS_HANDOFF": handoff}
    provider = QcsProvider(Settings.from_environment(environ))
    provider.materialize(
        [
            QcsProfileSpec(
                profile="default",
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                issuer=sandbox.qcs_issuer,
                client_id=sandbox.qcs_client_id,
                api_url=sandbox.qcs_api_url,
                default=True,
            )
        ],
        source="bundle",
    )


def trial(sandbox: Sandbox, code: str, processes: int, root: Path) -> tuple[int, int, int, float]:
    """N processes at once on an expired token.

    Returns (token requests, processes without a token, processes killed by a signal, seconds until all ended).
    """
    work = Path(tempfile.mkdtemp(prefix="tokens-", dir=root))
    home, gates = work / "home", work / "gates"
    gates.mkdir(parents=True)
    prepare_home(sandbox, home, "command" if code is OURS else "files")
    gate = gates / "go"
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "SSL_CERT_FILE": sandbox.ca_file or "",
    }
    started: list[subprocess.Popen[bytes]] = []  # stdout: 'x' * len(token)
    try:
        for _ in range(processes):
            started.append(
                subprocess.Popen(
                    [sys.executable, "-c", code, str(gate)],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 120
        while len(list(gates.glob("ready-*"))) < processes:
            if any(p.poll() is not None for p in started):
                raise RuntimeError("a token process exited before the gate opened")
            if time.monotonic() > deadline:
                raise TimeoutError("the token processes did not all start within 120 s")
            time.sleep(0.01)
        sandbox.clear_log()
        opened = time.perf_counter()
        gate.touch()
        printed = [process.communicate(timeout=120)[0].strip() for process in started]
        seconds = time.perf_counter() - opened
        failed = sum(1 for out in printed if not out)  # a token is a token, whatever the exit code said after
        crashed = sum(1 for process in started if process.returncode < 0)
        return len(sandbox.token_requests()), failed, crashed, seconds
    finally:
        for process in started:
            if process.poll() is None:
                stop_group(process, timeout=1)
        shutil.rmtree(work, ignore_errors=True)


def run(sandbox: Sandbox, counts: tuple[int, ...], repeats: int, root: Path) -> list[Row]:
    """One row per N: token requests per refresh, ours vs the SDK refreshing on its own."""
    rows = []
    for n in counts:
        requests = {key: Samples() for key in CASES}
        failures = {key: Samples() for key in CASES}
        crashes = {key: Samples() for key in CASES}
        seconds = {key: Samples(unit="ms") for key in CASES}
        for index in range(repeats):
            for key in CASES if index % 2 == 0 else reversed(CASES):
                made, failed, crashed, took = trial(sandbox, CASES[key], n, root)
                requests[key].values.append(made)
                failures[key].values.append(failed)
                crashes[key].values.append(crashed)
                seconds[key].values.append(took * 1000)
        row = Row(
            key=f"tokens_{n}",
            label=f"QCS token requests for one refresh, {n} process{'es' if n > 1 else ''} at once",
            ours=requests["ours"],
            baseline=requests["sdk"],
            ours_name="`jupyter qcred token qcs`",
            baseline_name="SDK alone",
            goal="ours = 1, every process served",
            pair_ratios=[],
        )
        row.met = max(requests["ours"].values) == 1 and max(failures["ours"].values) == 0
        row.notes.append(
            f"N={n}: processes without a token: ours {failures['ours'].summary()}, SDK {failures['sdk'].summary()}; "
            f"killed by a signal (e.g. SIGABRT at exit): ours {crashes['ours'].summary()}, "
            f"SDK {crashes['sdk'].summary()}; "
            f"gate → all done: ours {seconds['ours'].summary()}, SDK {seconds['sdk'].summary()} "
            f"({repeats} trial{'s' if repeats > 1 else ''} each)."
        )
        rows.append(row)
    return rows
