"""Helpers of the Quantinuum Nexus tests: a manager of the Nexus provider on a private HOME, its environment, the
bundle the sandbox's tokens make, and the sandbox's log of one Nexus endpoint."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.sandbox.client import Sandbox


def environ(home: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    return {**keep, "HOME": str(home), **extra}


def manager(home: Path, **options: Any) -> CredentialManager:
    extra = options.pop("env", {})
    return CredentialManager(create_providers(Settings.from_environment(environ(home, **extra)), ("nexus",)), **options)


def bundle(sandbox: Sandbox, tokens: dict[str, str]) -> Any:
    entry = {"refresh_token": tokens["refresh_token"], "access_token": tokens["access_token"], "url": sandbox.nexus_url}
    return parse_bundle({"version": 1, "nexus": [entry]})


def nexus_log(sandbox: Sandbox, endpoint: str) -> list[dict[str, Any]]:
    return sandbox.log(endpoint)
