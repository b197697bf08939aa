"""Row: what an SDK process pays for its token when it runs the hand-off's command and no refresh is due.

Every SDK process whose QCS credential is handed off runs the command written into ``secrets.toml`` (this
interpreter, by absolute path: ``python -I -S .../tokenlaunch.py token qcs --profile=P``) at its first request and
after each expiry. Measured: wall time of that command with a fresh token on disk (alice's, issued by the sandbox
and written by ``QcsProvider.materialize``), against ``python -c pass`` with the same interpreter and environment;
the two alternate (ours, baseline, baseline, ours, ...) so that the machine's load hits both alike. Goal (issue 21):
ratio ≤ 1.5.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Row, Samples, pair_ratios

from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

GOAL = 1.5


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=True)
    return (time.perf_counter() - started) * 1000, done.stdout


def run(sandbox: Sandbox, repeats: int, root: Path) -> list[Row]:
    """One row: the token command's median against ``python -c pass``."""
    home = Path(tempfile.mkdtemp(prefix="tokencmd-", dir=root))
    try:
        tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=3600)
        env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        provider = QcsProvider(Settings.from_environment(env))
        spec = QcsProfileSpec(
            profile="default",
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            issuer=sandbox.qcs_issuer,
            client_id=sandbox.qcs_client_id,
            api_url=sandbox.qcs_api_url,
            default=True,
        )
        provider.materialize([spec], source="bundle")
        command = _command(provider)
        ours, baseline = Samples(unit="ms"), Samples(unit="ms")
        python = [sys.executable, "-c", "pass"]
        _timed(command, env), _timed(python, env)  # warm the page cache for both
        for index in range(repeats):
            order = ((ours, command), (baseline, python)) if index % 2 == 0 else ((baseline, python), (ours, command))
            for samples, args in order:
                took, out = _timed(args, env)
                if samples is ours and out.strip() != tokens["access_token"].encode():
                    raise RuntimeError("the token command did not print the stored token")
                samples.values.append(took)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    row = Row(
        key="token_command",
        label=f"QCS token command, no refresh due ({repeats} interleaved runs)",
        ours=ours,
        baseline=baseline,
        ours_name="the hand-off's command (`python -I -S .../tokenlaunch.py token qcs --profile=default`)",
        baseline_name="`python -c pass`",
        goal=f"ratio ≤ {GOAL}",
        pair_ratios=pair_ratios(ours.values, baseline.values),
        threshold=GOAL,
    )
    row.met = row.ratio <= GOAL
    row.notes.append(f"token command {ours.summary()}; python -c pass {baseline.summary()}; command: {command[0]}")
    return [row]


def _command(provider: QcsProvider) -> list[str]:
    """The command and args the hand-off wrote for the SDK (read back from secrets.toml)."""
    import tomllib

    table = tomllib.loads(provider.secrets_path.read_text())["credentials"]["default"]["externally_managed"]
    return [table["command"], *table["args"]]
