"""`jupyter qcred`: exit codes scripts can trust, the status JSON, and no secret in any output but `token`'s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.demo import demo_bundle, sandbox_environment


def run_cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("QCRED_", "QCS_", "QE_"))}
    environment.update({"HOME": str(home), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def setup(sandbox, tmp_path, secret_scanner) -> tuple[Path, dict[str, str], dict[str, Any]]:
    bundle = demo_bundle(sandbox)
    secret_scanner.add_bundle(bundle)
    env = {**sandbox_environment(sandbox), "QCRED_BUNDLE": json.dumps(bundle)}
    return tmp_path / "home", env, bundle


def test_no_credentials_exits_4(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "status", "--json")
    assert result.returncode == 4
    status = json.loads(result.stdout)
    assert {entry["state"] for entry in status["providers"]} == {"absent"}


def test_init_then_status_refresh_and_token(setup, sandbox, secret_scanner) -> None:
    home, env, _ = setup
    init = run_cli(home, "init", "--from", "bundle", env=env)
    secret_scanner.saw("init", init.stdout + init.stderr)
    assert init.returncode == 0, init.stderr
    assert "Wrote 3 credential(s) from QCRED_BUNDLE" in init.stdout

    status = run_cli(home, "status", "--json", env=env)
    secret_scanner.saw("status", status.stdout + status.stderr)
    assert status.returncode == 0
    data = json.loads(status.stdout)
    assert data["version"] == 1
    assert {(e["provider"], e["name"]) for e in data["providers"]} == {
        ("ibm", "default-ibm-quantum-platform"),
        ("ibm", "legacy"),
        ("qcs", "default"),
    }
    assert all(e["token_hint"] is None or e["token_hint"].startswith("…") for e in data["providers"])

    refresh = run_cli(home, "refresh", env=env)
    secret_scanner.saw("refresh", refresh.stdout + refresh.stderr)
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    assert "alice@example.org" in refresh.stdout
    assert len([e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]) == 1

    token = run_cli(home, "token", "qcs", env=env)
    stored = tomllib.loads((home / ".qcs/secrets.toml").read_text())["credentials"]["default"]["token_payload"]
    assert token.returncode == 0
    assert token.stdout.strip() == stored["access_token"]


def test_refused_refresh_token_exits_3_with_what_to_do(setup, sandbox, secret_scanner) -> None:
    home, env, _ = setup
    assert run_cli(home, "init", env=env).returncode == 0
    sandbox.revoke("alice")
    refresh = run_cli(home, "refresh", "qcs", env=env)
    secret_scanner.saw("refresh", refresh.stdout + refresh.stderr)
    assert refresh.returncode == 3
    assert "NEEDS RE-INIT" in refresh.stdout
    assert "re-initialize" in refresh.stdout.lower()


def test_provider_down_exits_3_and_changes_nothing(setup, sandbox, secret_scanner) -> None:
    home, env, _ = setup
    assert run_cli(home, "init", env=env).returncode == 0
    before = (home / ".qcs/secrets.toml").read_bytes()
    sandbox.fault("qcs_token", "status", status=503)
    refresh = run_cli(home, "refresh", "qcs", "--json", env=env)
    secret_scanner.saw("refresh", refresh.stdout + refresh.stderr)
    assert refresh.returncode == 3
    (qcs,) = [e for e in json.loads(refresh.stdout)["providers"] if e["provider"] == "qcs"]
    assert qcs["state"] == "error"
    assert "503" in qcs["error"]
    assert (home / ".qcs/secrets.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("bundle", "words"),
    [
        ('{"version": 2}', "bundle version 1"),
        ('{"version": 1, "qcs": [{"profile": "x"}]}', "qcs[0]"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_bundle_exits_1_with_a_sentence_and_writes_nothing(tmp_path: Path, bundle: str, words: str) -> None:
    result = run_cli(tmp_path, "init", "--from", "bundle", env={"QCRED_BUNDLE": bundle})
    assert result.returncode == 1
    assert words in result.stderr
    assert not (tmp_path / ".qcs").exists()
    assert not (tmp_path / ".qiskit").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "frobnicate").returncode == 2
    assert run_cli(tmp_path, "refresh", "azure").returncode == 2
