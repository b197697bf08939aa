"""Helpers of the Amazon Braket tests: a manager of the Braket provider on a private HOME, the environment that points
botocore at the sandbox's STS, and the bundle entry the sandbox's tokens make."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.sandbox.client import Sandbox

ROLE = "arn:aws:iam::123456789012:role/braket-users"


def environ(home: Path, sandbox: Sandbox) -> dict[str, str]:
    """What a kernel of the user's server has: the home, and STS pointed at the sandbox; no AWS key anywhere."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **keep,
        "HOME": str(home),
        "AWS_ENDPOINT_URL_STS": sandbox.sts_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        **({"SSL_CERT_FILE": sandbox.ca_file} if sandbox.ca_file else {}),
    }


def entry(sandbox: Sandbox, tokens: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "profile": "default",
        "role_arn": ROLE,
        "web_identity_token": tokens["id_token"],
        "refresh_token": tokens["refresh_token"],
        "issuer": sandbox.qcs_issuer,
        "client_id": sandbox.qcs_client_id,
        **extra,
    }


def manager(home: Path, sandbox: Sandbox, **options: Any) -> CredentialManager:
    settings = Settings.from_environment(environ(home, sandbox))
    return CredentialManager(create_providers(settings, ("braket",)), **options)
