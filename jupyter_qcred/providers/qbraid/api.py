"""The two calls a key check makes, as qbraid-core 0.6 makes them (``QbraidSessionV1``, ``QbraidClientV1``):

- ``GET {url}/users/verify`` with ``X-API-Key`` (and ``X-Domain: qbraid``): ``{"success": true, "data": {...}}``
  with the user's ``email``, ``userName``, ``userId`` and ``organizationId``; 401 for a key qBraid does not know
  or that was revoked (qbraid-core: "qBraid credentials missing or expired");
- ``GET {url}/billing/credits/balance?organizationId=...``: ``{"data": {"qbraidCredits": ...}}``, the balance
  ``QbraidClient.user_credits_value()`` reads. Optional for the card: a failure here does not fail the check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core import flows
from ...core.errors import ProviderError, RefusedError, TransientProviderError
from ...core.flows import Flow

PROVIDER = "qbraid"
REINIT_ADVICE = "create a new key at account.qbraid.com (API Keys) and paste it, or re-initialize from JupyterHub."


def where(url: str) -> str:
    """The API as sentences name it: its host, never a path or query."""
    return f"the API at {url.split('://', 1)[-1].split('/', 1)[0]}"


def account_flow(url: str, key: str) -> Flow[dict[str, Any]]:
    """The account the key belongs to (and its credit balance when the API gives it), or :class:`RefusedError`."""
    what = where(url)
    base = url.rstrip("/")
    headers = {"X-API-Key": key, "X-Domain": "qbraid", "Accept": "application/json"}
    response = yield flows.request("GET", base + "/users/verify", headers=headers)
    if response.status_code in (401, 403):
        raise RefusedError(
            PROVIDER, f"{what} does not accept this API key (HTTP {response.status_code}); {REINIT_ADVICE}"
        )
    body = flows.expect_ok(response, PROVIDER, what)
    data = body.get("data") if isinstance(body, Mapping) and body.get("success") else None
    if not isinstance(data, Mapping):
        raise TransientProviderError(PROVIDER, f"{what} answered /users/verify without the user; try again later.")
    account: dict[str, Any] = {
        "email": data.get("email"),
        "user_name": data.get("userName"),
        "user_id": data.get("userId"),
        "organization_id": data.get("organizationId"),
    }
    params = {"organizationId": str(data.get("organizationId") or "")}
    credits = yield flows.request("GET", base + "/billing/credits/balance", headers=headers, params=params)
    try:
        balance = flows.expect_ok(credits, PROVIDER, what)
    except ProviderError:  # the card goes without the balance; the key itself was accepted
        return account
    value = balance.get("data", {}).get("qbraidCredits") if isinstance(balance, Mapping) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        account["credits"] = value
    return account
