"""The check of a workspace, as azure-identity and azure-quantum make it: an Entra ID token for Azure Quantum with
the login's id_token as the federated ``client_assertion``, then the workspace's provider status with that token.

1. ``POST {authority}/{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``, ``client_id``,
   ``client_assertion`` (the id_token), ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:
   jwt-bearer`` and ``scope=https://quantum.microsoft.com/.default`` — the form azure-identity 1.27's
   ``AadClientBase._get_jwt_assertion_request`` sends. Entra answers errors as ``{"error", "error_description":
   "AADSTS700213: ...", "error_codes": [700213]}``.
2. ``GET {endpoint}/subscriptions/S/resourceGroups/G/providers/Microsoft.Quantum/workspaces/W/providerStatus`` —
   what azure-quantum 3.13's ``Workspace.get_targets()`` calls first: it tells whether the app may use the
   workspace (a role on it) and which providers it offers.

Neither token is ever stored or logged: azure-identity gets its own in each process.
"""

from __future__ import annotations

import re
from typing import Any

from ...core import flows
from ...core.errors import ProviderError, RefusedError, TransientProviderError
from ...core.flows import Flow
from .spec import workspace_parts

PROVIDER = "azure"
SCOPE = "https://quantum.microsoft.com/.default"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: azure-quantum 3.13's data-plane API version (``_client/operations``).
API_VERSION = "2026-01-15-preview"
#: Entra codes meaning this app, tenant or federated credential does not accept the login's token: only an admin
#: (the federated credential, the app) or a new login helps. 700024 (assertion outside its valid time) is not
#: among them: a renewed token fixes it.
REFUSED = {
    50027: "the login's token is not a valid JWT",
    700016: "there is no such application in the tenant",
    700211: "no federated credential of the app trusts the login's issuer",
    700212: "no federated credential of the app accepts the login token's audience",
    700213: "no federated credential of the app matches your login (subject)",
    90002: "there is no such tenant",
    700027: "the login token's signature does not verify",
}
_CODE = re.compile(r"AADSTS(\d+)")


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def entra_code(body: Any) -> int | None:
    """The AADSTS code of an Entra error answer (``error_codes`` first, else the description's prefix)."""
    if not isinstance(body, dict):
        return None
    codes = body.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return codes[0]
    found = _CODE.search(str(body.get("error_description") or ""))
    return int(found.group(1)) if found else None


def token_flow(authority: str, tenant: str, client_id: str, assertion: str, workspace: str) -> Flow[dict[str, Any]]:
    """An access token for Azure Quantum: ``{"access_token", "expires_in"}`` (RefusedError with Entra's reason)."""
    what = f"Microsoft Entra ID ({_host(authority)}) for workspace {workspace!r}"
    form = {
        "client_assertion": assertion,
        "client_assertion_type": ASSERTION_TYPE,
        "client_id": client_id,
        "grant_type": "client_credentials",
        "scope": SCOPE,
    }
    url = "/".join((authority.rstrip("/"), tenant, "oauth2/v2.0/token"))
    response = yield flows.request("POST", url, data=form)
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientProviderError(PROVIDER, f"{what} failed (HTTP {response.status_code}); will retry.")
    body = flows.json_or_none(response)
    if response.is_success:
        body = flows.require(body, PROVIDER, what, "access_token")
        return {"access_token": str(body["access_token"]), "expires_in": body.get("expires_in")}
    code = entra_code(body)
    if code in REFUSED:
        raise RefusedError(PROVIDER, f"{what} refused the login's token: {REFUSED[code]} (AADSTS{code}).")
    if code == 700024:
        raise TransientProviderError(
            PROVIDER, f"{what}: the login's token expired before it was renewed (AADSTS700024); will retry."
        )
    error = body.get("error") if isinstance(body, dict) else None
    described = f"AADSTS{code}" if code else (str(error) if isinstance(error, str) else f"HTTP {response.status_code}")
    if body is None:
        raise TransientProviderError(PROVIDER, f"{what} answered HTTP {response.status_code} without JSON; will retry.")
    raise ProviderError(PROVIDER, f"{what} rejected the request ({described}).")


def status_flow(endpoint: str, resource_id: str, access_token: str, workspace: str) -> Flow[dict[str, Any]]:
    """The workspace's provider status: ``{"providers": [...], "available": [...]}`` (RefusedError for a 401/403:
    the app has no role on the workspace)."""
    subscription, group, name = workspace_parts(resource_id)
    what = f"Azure Quantum ({_host(endpoint)}) for workspace {workspace!r}"
    url = (
        f"{endpoint.rstrip('/')}/subscriptions/{subscription}/resourceGroups/{group}"
        f"/providers/Microsoft.Quantum/workspaces/{name}/providerStatus"
    )
    response = yield flows.request(
        "GET", url, params={"api-version": API_VERSION}, headers={"Authorization": f"Bearer {access_token}"}
    )
    if response.status_code in (401, 403):
        body = flows.json_or_none(response)
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        raise RefusedError(
            PROVIDER,
            f"{what} refused the app's token ({code or f'HTTP {response.status_code}'}): the app registration "
            "needs a role on the workspace (Quantum Workspace Data Contributor).",
        )
    if response.status_code == 404:
        raise ProviderError(PROVIDER, f"{what}: there is no workspace {name!r} in resource group {group!r} there.")
    body = flows.expect_ok(response, PROVIDER, what)
    providers = body.get("value") if isinstance(body, dict) else None
    if not isinstance(providers, list):
        raise TransientProviderError(PROVIDER, f"{what} answered without a provider list; will retry.")
    ids = [str(p.get("id")) for p in providers if isinstance(p, dict) and p.get("id")]
    available = [
        str(p.get("id")) for p in providers if isinstance(p, dict) and p.get("currentAvailability") == "Available"
    ]
    return {"providers": ids, "available": available}
