"""Helpers of the QCS hand-off tests: a profile written by jupyter_qcred (tokens from the sandbox or made up), the
credentials of its secrets.toml as the standard library reads them, and commands run with their stderr scanned."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

from .helpers import SecretScanner
from .qcs import make_jwt

SCRIPT = Path(sys.executable).parent / "jupyter-qcred"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write(qcs: QcsProvider, sandbox: Sandbox | None, lifetime: int, **spec: Any) -> dict[str, Any]:
    tokens = (
        sandbox.issue_qcs_tokens("alice", access_token_lifetime=lifetime)
        if sandbox
        else {"access_token": make_jwt(lifetime), "refresh_token": "rt-" + os.urandom(6).hex()}
    )
    extra = (
        {"issuer": sandbox.qcs_issuer, "client_id": sandbox.qcs_client_id, "api_url": sandbox.qcs_api_url}
        if sandbox
        else {}
    )
    qcs.materialize(
        [
            QcsProfileSpec(
                profile="default",
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                default=True,
                **{**extra, **spec},
            )
        ],
        source="bundle",
    )
    if sandbox:
        sandbox.clear_log()
    return tokens


def secrets_toml(qcs: QcsProvider) -> dict[str, Any]:
    return tomllib.loads(qcs.secrets_path.read_text())["credentials"]


def run(args: list[str], env: dict[str, str], scanner: SecretScanner) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    scanner.saw(" ".join(args[-3:]) + " stderr", done.stderr)
    return done
