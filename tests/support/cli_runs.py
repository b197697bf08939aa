"""``jupyter qcred`` run as a user runs it: a subprocess with its own HOME, everything it printed handed to the secret
scan (``token``'s stdout aside), and every token its files hold at the end counted as a secret.

Assign the fixtures in a test module (a module-level name, so pytest finds them there)::

    from support import cli_runs

    home, cli_run = cli_runs.home, cli_runs.cli_run
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .helpers import SecretScanner

Run = Callable[..., subprocess.CompletedProcess[str]]


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


def file_secrets(home: Path) -> list[str]:
    """Every token the QCS secrets file holds now (rotated ones included), for the scanner."""
    path = home / ".qcs" / "secrets.toml"
    try:
        credentials = tomllib.loads(path.read_text()).get("credentials", {})
    except (OSError, tomllib.TOMLDecodeError):
        return []
    found = []
    for credential in credentials.values():
        payload = credential.get("token_payload") or {}
        found += [payload.get("access_token"), payload.get("refresh_token")]
    return [value for value in found if isinstance(value, str)]


@pytest.fixture
def home(tmp_path: Path, secret_scanner: SecretScanner) -> Iterator[Path]:
    """An empty HOME; whatever tokens it holds at the end are secrets the outputs must not contain."""
    path = tmp_path / "home"
    path.mkdir()
    yield path
    secret_scanner.add_secrets(file_secrets(path))


@pytest.fixture
def cli_run(home: Path, secret_scanner: SecretScanner) -> Run:
    """Runs the CLI in ``home`` and hands everything it printed to the scanner (``token``'s stdout aside)."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = run_cli(home, *args, env=env)
        shown = result.stderr if args[:1] == ("token",) else result.stdout + result.stderr
        secret_scanner.saw(" ".join(args), shown)
        return result

    return run
