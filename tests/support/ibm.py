"""Accounts, paths and a provider on a private HOME, shared by the IBM tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.core.states import State
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL, IbmProvider
from jupyter_qcred.providers.ibm.sdk import runtime_channels
from jupyter_qcred.sandbox.client import Sandbox

LEGACY_TOKEN = "legacy-api-token-aaaaaaaaaaaaaaaaaaaa1111"
LEGACY_TOKEN_2 = "legacy-api-token-bbbbbbbbbbbbbbbbbbbb2222"
API_KEY = "platform-api-key-cccccccccccccccccccc3333"
CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123:0000-1111::"


def provider(home: Path, *, timeout: float = 20.0, env: dict[str, str] | None = None, **more: str) -> IbmProvider:
    """An IBM provider whose HOME is ``home``, with ``env`` and ``more`` as its only other environment."""
    environ = {"HOME": str(home), **(env or {}), **more}
    return IbmProvider(Settings.from_environment(environ, timeout=timeout))


def rc_path(home: Path) -> Path:
    return home / ".qiskit" / "qiskitrc"


def json_path(home: Path) -> Path:
    return home / ".qiskit" / "qiskit-ibm.json"


def legacy_spec(**overrides: Any) -> IbmAccountSpec:
    values: dict[str, Any] = {
        "name": "legacy",
        "channel": "ibm_quantum",
        "token": LEGACY_TOKEN,
        "url": QX_AUTH_URL,
        "hub": "ibm-q",
        "group": "open",
        "project": "main",
    }
    values.update(overrides)
    return IbmAccountSpec(**values)


def platform_spec(**overrides: Any) -> IbmAccountSpec:
    values: dict[str, Any] = {
        "name": "default-ibm-quantum-platform",
        "channel": "ibm_quantum_platform",
        "token": API_KEY,
        "instance": CRN,
    }
    values.update(overrides)
    return IbmAccountSpec(**values)


FOREIGN_JSON = {
    "default-ibm-quantum": {
        "channel": "ibm_quantum",
        "instance": "ibm-q/open/main",
        "private_endpoint": False,
        "token": "legacy-json-token-dddddddddddddddd4444",
        "url": QX_AUTH_URL,
    },
    "team-cloud": {
        "channel": "ibm_cloud",
        "instance": CRN,
        "token": "cloud-key-eeeeeeeeeeeeeeeeeeeeeee5555",
        "url": "https://cloud.ibm.com",
        "is_default_account": True,
        "future_field": {"nested": [1, 2, 3]},
    },
}


#: What a legacy (ibm_quantum) account shows: the installed qiskit-ibm-runtime's own channel list decides.
LEGACY_STATE = State.OK if "ibm_quantum" in (runtime_channels() or {"ibm_quantum"}) else State.UNSUPPORTED


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and inode of every file under ~/.qiskit (lock files aside): proof that nothing was written."""
    folder = home / ".qiskit"
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes(), p.stat().st_ino) for p in folder.iterdir() if not p.name.endswith(".lock")}


def legacy(sb: Sandbox, token: str, name: str = "legacy", **extra: Any) -> IbmAccountSpec:
    return IbmAccountSpec(name=name, channel="ibm_quantum", token=token, url=sb.ibm_auth_url, **extra)


def platform(
    sb: Sandbox, key: str, instance: str, name: str = "default-ibm-quantum-platform", **extra: Any
) -> IbmAccountSpec:
    return IbmAccountSpec(
        name=name, channel="ibm_quantum_platform", token=key, instance=instance, url=sb.runtime_url, **extra
    )
