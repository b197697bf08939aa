"""The exit guard (``providers/qcs/exitguard.py``) with the real qcs-api-client-common 0.27: short scripts that fetch
a token through the hand-off never abort at exit with it; without it some do (printed, not asserted: the rate depends
on the machine's load, see /work/notes/issue22-abort-rates.md for measured figures).

Each run is a fresh ``python -c`` (site enabled, so the installed ``.pth`` registers the guard) that loads the
default configuration and asks for a bearer token; the access token jupyter_qcred stored has expired, so the SDK
runs our token command, which refreshes it over the network. ``secrets.toml`` is put back before each run (the
sandbox does not rotate refresh tokens in this test) so that every run really fetches. ``QCRED_ABORT_RUNS`` changes
the number of runs per case (20 by default).

pyquil 4.22's qcs-sdk-python 0.21.22 shows the same abort in short scripts whose token is still valid; the pyquil
adapter registers the same wait, checked here too.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from support.helpers import SecretScanner
from support.qcs import PYTHON, provider, sandbox_env
from support.qcs_handoff import write

from jupyter_qcred.core.importhook import ENV
from jupyter_qcred.sandbox.client import Sandbox

pytest.importorskip("qcs_api_client_common")
pytestmark = pytest.mark.timeout(900)

RUNS = int(os.environ.get("QCRED_ABORT_RUNS", "20"))
FETCH = (
    "from qcs_api_client_common.configuration import ClientConfiguration as C; "
    "C.load_default().get_bearer_access_token()"
)
#: How an abort shows: killed by SIGABRT (-6 from subprocess), or 134 when a shell reports it.
ABORTED = (-signal.SIGABRT, 128 + signal.SIGABRT)


PYQUIL = "from pyquil import list_quantum_computers as l; assert l(qpus=True, qvms=False)"


def runs(home: Path, saved: str, env: dict[str, str], count: int, code: str = FETCH) -> Counter[int]:
    codes: Counter[int] = Counter()
    for _ in range(count):
        (home / ".qcs" / "secrets.toml").write_text(saved)
        done = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, timeout=180)
        codes[done.returncode] += 1
    return codes


def test_short_token_scripts_never_abort_at_exit_with_the_guard(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    sandbox.configure(rotate_refresh_tokens=False)
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    secret_scanner.add_secrets(write(qcs, sandbox, -100))
    saved = qcs.secrets_path.read_text()
    env = sandbox_env(tmp_path, sandbox.ca_file)

    guarded = runs(tmp_path, saved, env, RUNS)
    assert len(sandbox.token_requests()) == RUNS, "every run fetched a token (through our command)"
    unguarded = runs(tmp_path, saved, {**env, ENV: "-qcs-api-client-common"}, RUNS)
    aborts = sum(guarded[code] for code in ABORTED)
    baseline = sum(unguarded[code] for code in ABORTED)
    print(
        f"\nexit aborts in {RUNS} runs through the hand-off (load {os.getloadavg()[0]:.1f}): "
        f"with the guard {aborts} {dict(guarded)}, without it {baseline} {dict(unguarded)}"
    )
    assert aborts == 0, dict(guarded)
    assert set(guarded) == {0}, dict(guarded)


def test_short_pyquil_scripts_never_abort_at_exit_with_the_adapter(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    pytest.importorskip("pyquil")
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    secret_scanner.add_secrets(write(qcs, sandbox, 3600))  # a valid copy: the adapter seeds pyquil's client with it
    saved = qcs.secrets_path.read_text()
    env = sandbox_env(tmp_path, sandbox.ca_file)

    adapted = runs(tmp_path, saved, env, RUNS, PYQUIL)
    alone = runs(tmp_path, saved, {**env, ENV: "-pyquil"}, RUNS, PYQUIL)  # pyquil reads the valid copy by itself
    aborts = sum(adapted[code] for code in ABORTED)
    baseline = sum(alone[code] for code in ABORTED)
    print(
        f"\npyquil exit aborts in {RUNS} runs (load {os.getloadavg()[0]:.1f}): with the adapter {aborts} "
        f"{dict(adapted)}, pyquil alone {baseline} {dict(alone)}"
    )
    assert sandbox.token_requests() == []
    assert set(adapted) == {0}, dict(adapted)
