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


def entry(result: subprocess.CompletedProcess[str], provider: str) -> dict[str, Any]:
    (found,) = [e for e in json.loads(result.stdout)["providers"] if e["provider"] == provider and e["name"]]
    return found


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["ibm", "ionq"])
def test_a_refused_key_seen_by_refresh_is_refused_in_the_next_status(
    provider: str, sandbox: Any, home: Path, cli_run: Any, secret_scanner: SecretScanner
) -> None:
    """The same story for the providers whose checks are key checks (IBM Quantum, IonQ): one process learns that
    the key was refused, the next one says so offline, and a new key is not taken for the refused one."""
    bundle = demo_bundle(sandbox, clouds=(provider,))
    secret_scanner.add_bundle(bundle)
    env = {**sandbox_environment(sandbox), "QCRED_BUNDLE": json.dumps(bundle)}
    assert cli_run("init", env=env).returncode == 0
    assert cli_run("refresh", env=env).returncode == 0

    if provider == "ibm":
        sandbox.revoke_ibm_key(bundle["ibm"][0]["token"])
    else:
        assert sandbox.revoke_ionq_keys("alice") >= 1
    refresh = cli_run("refresh", env=env)
    assert refresh.returncode == ACTION_NEEDED, refresh.stdout + refresh.stderr
    status = cli_run("status", "--json", env=env)
    assert status.returncode == ACTION_NEEDED, status.stdout + status.stderr
    assert entry(status, provider)["state"] == "needs_reinit"
    remembered = home / ".local" / "state" / "jupyter_qcred" / "remembered.json"
    secret_scanner.saw("remembered.json", remembered.read_text())

    fresh = demo_bundle(sandbox, clouds=(provider,))  # IonQ: a new key for alice
    if provider == "ibm":  # the sandbox gives alice one IBM key, now revoked: a new key of a new account
        carol = sandbox.add_ibm_user("carol")
        fresh["ibm"][0].update(token=carol["apikey"], instance=carol["instances"][0])
    secret_scanner.add_bundle(fresh)
    init = cli_run("init", "--reinit", env={**env, "QCRED_BUNDLE": json.dumps(fresh)})
    assert init.returncode == 0, init.stdout + init.stderr
    again = cli_run("status", "--json", env=env)
    assert again.returncode == 0 and entry(again, provider)["state"] == "ok", again.stdout
