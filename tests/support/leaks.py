"""Credentials of the five clouds written by jupyter_qcred's own writers into a private HOME, for the leak guard's
tests (each provider's ``leaks.values`` reads them back; the output filter redacts them)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.provider import Provider
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers

CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123:0000-1111::"
IBM_KEY = "Leak0Guard1Test2Key3abcdefghijklmnopqrstuvWX"
IBM_LEGACY = "0123456789abcdef" * 8
QCS_REFRESH = "qcs-refresh-token-for-the-leak-guard-0001"
IONQ_KEY = "ionq-key-for-the-leak-guard-00001"
NEXUS_REFRESH = "nexus-refresh-token-for-the-leak-guard-01"
BRAKET_REFRESH = "braket-refresh-token-for-the-leak-guard-1"


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking JWT with ``claims`` (nothing here checks signatures)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


def qcs_access(issuer: str = "https://auth.qcs.rigetti.com/oauth2/aus8jcovzG0gW2TUG355", lifetime: int = 86400) -> str:
    now = int(time.time())
    return jwt({"iss": issuer, "sub": "alice", "iat": now, "exp": now + lifetime})


def bundle(qcs_access_token: str | None = None) -> dict[str, Any]:
    """A spawn bundle with one credential of each cloud (fixed values above)."""
    now = int(time.time())
    return {
        "version": 1,
        "ibm": [
            {"name": "platform", "channel": "ibm_quantum_platform", "token": IBM_KEY, "instance": CRN},
            {
                "name": "legacy",
                "channel": "ibm_quantum",
                "token": IBM_LEGACY,
                "url": "https://auth.quantum-computing.ibm.com/api",
                "hub": "ibm-q",
                "group": "open",
                "project": "main",
            },
        ],
        "qcs": [{"profile": "default", "access_token": qcs_access_token or qcs_access(), "refresh_token": QCS_REFRESH}],
        "ionq": [{"key": IONQ_KEY}],
        "braket": [
            {
                "profile": "default",
                "role_arn": "arn:aws:iam::123456789012:role/braket-users",
                "web_identity_token": jwt({"iss": "https://hub.example/oidc", "sub": "alice", "exp": now + 3600}),
                "refresh_token": BRAKET_REFRESH,
                "issuer": "https://hub.example/oidc",
                "client_id": "hub-client",
                "refresh": "provider",
            }
        ],
        "nexus": [
            {
                "refresh_token": NEXUS_REFRESH,
                "access_token": jwt({"iss": "https://nexus.quantinuum.com", "sub": "alice", "exp": now + 3600}),
                "url": "https://nexus.quantinuum.com",
            }
        ],
    }


def write_home(home: Path, data: dict[str, Any] | None = None, **environ: str) -> dict[str, Provider]:
    """Write ``data`` (default :func:`bundle`) into ``home`` with the providers' own writers; the providers."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    providers = create_providers(Settings.from_environment({"HOME": str(home), **environ}))
    for key, specs in parse_bundle(data or bundle()).sections().items():
        if specs:
            providers[key].materialize(specs, source="bundle")
    return providers


def bundle_secrets(data: dict[str, Any]) -> list[str]:
    """Every secret value of a bundle made by :func:`bundle`."""
    found: list[str] = []
    for section in data.values():
        if isinstance(section, list):
            for entry in section:
                for field in ("token", "access_token", "refresh_token", "key", "web_identity_token"):
                    if entry.get(field):
                        found.append(entry[field])
    return found


def format_hits(formats: list[Any], text: str) -> list[str]:
    """The tokens ``formats`` (TokenFormat objects) recognise in ``text``, as ``jupyter qcred scan`` would apply them
    (the ``token`` group when the pattern has one, else the whole match; then the format's ``check``)."""
    import re

    found: list[str] = []
    for token_format in formats:
        for match in re.finditer(token_format.pattern, text):
            token = match.group("token") if "token" in match.re.groupindex else match.group(0)
            if token_format.check is None or token_format.check(token):
                found.append(token)
    return found
