"""What a check learnt is known to the next process too (core/remembered.py), through the real CLI as a user runs it.

issue 23: ``jupyter qcred status`` showed QCS ok right after ``jupyter qcred refresh`` answered needs_reinit (the
refusal lived in one process's memory); the QCS card lost its User row and groups after a restart until a Refresh.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import cli_runs
from support.helpers import SecretScanner

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment

home, cli_run = cli_runs.home, cli_runs.cli_run
ACTION_NEEDED = 3  # docs/cli.md: a credential needs a person


def qcs_env(sandbox: Any, scanner: SecretScanner) -> dict[str, str]:
    bundle = demo_bundle(sandbox, clouds=("qcs",), access_token_lifetime=3600)
    scanner.add_bundle(bundle)
    return {**sandbox_environment(sandbox), "QCRED_BUNDLE": json.dumps(bundle)}


def qcs_entry(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    (found,) = [e for e in json.loads(result.stdout)["providers"] if e["provider"] == "qcs"]
    return found


@pytest.mark.slow
def test_a_refusal_seen_by_refresh_is_shown_by_the_next_status(
    sandbox: Any, home: Path, cli_run: Any, secret_scanner: SecretScanner
) -> None:
    env = qcs_env(sandbox, secret_scanner)
    assert cli_run("init", env=env).returncode == 0
    before = cli_run("status", "--json", env=env)
    assert before.returncode == 0 and qcs_entry(before)["state"] == "ok"  # the access token has an hour left

    sandbox.revoke("alice")
    refresh = cli_run("refresh", env=env)
    assert refresh.returncode == ACTION_NEEDED, refresh.stdout + refresh.stderr
    # Another process, offline: the access token still has time, but its refresh token was refused.
    status = cli_run("status", "--json", env=env)
    assert status.returncode == ACTION_NEEDED, status.stdout + status.stderr
    shown = qcs_entry(status)
    assert shown["state"] == "needs_reinit"
    assert shown["account"]["refresh_token_state"] == "refused"
    assert "re-initialize" in (shown["error"] or "").lower()
    table = cli_run("status", env=env)
    assert table.returncode == ACTION_NEEDED and "NEEDS RE-INIT" in table.stdout

    remembered = home / ".local" / "state" / "jupyter_qcred" / "remembered.json"
    assert stat.S_IMODE(remembered.stat().st_mode) == 0o600
    secret_scanner.saw("remembered.json", remembered.read_text())  # fingerprints and sentences, never a token

    # A new login (here: init from a fresh bundle) is not taken for the refused one.
    fresh = qcs_env(sandbox, secret_scanner)
    assert cli_run("init", "--reinit", env=fresh).returncode == 0
    again = cli_run("status", "--json", env=fresh)
    assert again.returncode == 0 and qcs_entry(again)["state"] == "ok", again.stdout


@pytest.mark.slow
def test_user_and_groups_learnt_by_one_process_are_shown_by_the_next(
    sandbox: Any, home: Path, cli_run: Any, secret_scanner: SecretScanner
) -> None:
    env = qcs_env(sandbox, secret_scanner)
    assert cli_run("init", env=env).returncode == 0
    assert qcs_entry(cli_run("status", "--json", env=env))["account"]["user"] is None  # nothing asked yet
    assert cli_run("refresh", env=env).returncode == 0  # reads the user and groups from the QCS API
    requests = len(sandbox.log())
    account = qcs_entry(cli_run("status", "--json", env=env))["account"]
    assert account["user"]["email"] == "alice@example.org"
    assert [group["name"] for group in account["groups"]], "alice's groups"
    assert "alice@example.org" in account["summary"]
    assert len(sandbox.log()) == requests, "status stayed offline"
