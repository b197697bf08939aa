"""Pure parts of the Azure Quantum provider: when the token file is due (ahead of azure-identity's 600 s re-read),
how Entra's error answers are read, and the workspace's URLs."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.azure.entra import entra_code
from jupyter_qcred.providers.azure.provider import SDK_REREAD, due_at
from jupyter_qcred.providers.azure.spec import data_plane, workspace_parts

RESOURCE = (
    "/subscriptions/c0ffee00-1234-4abc-8def-0123456789ab/resourceGroups/rg-1/providers/Microsoft.Quantum/Workspaces/ws"
)


def jwt(iat: float, exp: float) -> str:
    body = base64.urlsafe_b64encode(json.dumps({"iat": int(iat), "exp": int(exp)}).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{body}.c2ln"


def test_the_token_is_due_before_a_copy_azure_identity_holds_could_expire(tmp_path: Path) -> None:
    settings = Settings.from_environment({"HOME": str(tmp_path)})
    now = time.time()
    for lifetime in (900, 1200, 3600, 86400):
        token = jwt(now, now + lifetime)
        moment = due_at(settings, token)
        assert moment is not None
        left = now + lifetime - moment.timestamp()
        assert left >= SDK_REREAD.total_seconds() - 1, (lifetime, left)
    short = jwt(now, now + 60)  # shorter than the SDK's re-read: the policy alone, not due at once
    moment = due_at(settings, short)
    policy = settings.policy.due_at(
        datetime.fromtimestamp(int(now), timezone.utc), datetime.fromtimestamp(int(now) + 60, timezone.utc)
    )
    assert moment == policy and moment.timestamp() > now
    assert due_at(settings, "not-a-jwt") is None
    assert timedelta(seconds=600) <= SDK_REREAD


def test_entra_error_codes_are_read_from_the_codes_or_the_description() -> None:
    assert entra_code({"error": "invalid_client", "error_codes": [700213]}) == 700213
    assert entra_code({"error": "invalid_client", "error_description": "AADSTS700024: Client assertion..."}) == 700024
    assert entra_code({"error": "invalid_client"}) is None and entra_code(None) is None and entra_code([1]) is None


def test_workspace_parts_and_data_plane() -> None:
    assert workspace_parts(RESOURCE) == ("c0ffee00-1234-4abc-8def-0123456789ab", "rg-1", "ws")
    assert data_plane("westeurope", None) == "https://westeurope.quantum.azure.com"
    assert (
        data_plane("eastus", "https://127.0.0.1:1/azure-quantum/eastus/") == "https://127.0.0.1:1/azure-quantum/eastus"
    )
