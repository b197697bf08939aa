"""Plain HTTP clients of the sandbox, for tests of its protocols: httpx over TLS with its CA, its QCS token endpoint,
and a refresh grant as the QCS SDK sends it."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from jupyter_qcred.sandbox.client import Sandbox


def tls_client(sb: Sandbox, **kwargs: Any) -> httpx.Client:
    """An httpx client that trusts the sandbox's CA (and nothing else)."""
    assert sb.ca_file
    return httpx.Client(verify=ssl.create_default_context(cafile=sb.ca_file), **kwargs)


def token_url(sb: Sandbox) -> str:
    return sb.qcs_issuer + "/v1/token"


def refresh(client: httpx.Client, sb: Sandbox, rt: str, client_id: str | None = None) -> httpx.Response:
    return client.post(
        token_url(sb),
        data={"grant_type": "refresh_token", "client_id": client_id or sb.qcs_client_id, "refresh_token": rt},
    )
