"""Accounts, paths and a provider on a private HOME, shared by the IBM tests of the files (unit and SDK tiers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL, IbmProvider

LEGACY_TOKEN = "legacy-api-token-aaaaaaaaaaaaaaaaaaaa1111"
LEGACY_TOKEN_2 = "legacy-api-token-bbbbbbbbbbbbbbbbbbbb2222"
API_KEY = "platform-api-key-cccccccccccccccccccc3333"
CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123:0000-1111::"


def provider(home: Path, **env: str) -> IbmProvider:
    return IbmProvider(Settings.from_environment({"HOME": str(home), **env}))


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
