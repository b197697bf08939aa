"""Helpers of the IonQ tests: a manager of the IonQ provider alone on a private HOME."""

from __future__ import annotations

from pathlib import Path

from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers


def manager(home: Path, **environ: str) -> CredentialManager:
    settings = Settings.from_environment({"HOME": str(home), **environ})
    return CredentialManager(create_providers(settings))
