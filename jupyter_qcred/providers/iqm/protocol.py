"""What we ask IQM, as flows (:mod:`jupyter_qcred.core.flows`) the provider runs sync or async.

- The token check is the first request iqm-client 36 itself makes (``IQMServerClient.__init__`` →
  ``_get_quantum_computers``): ``GET {server}/api/v1/quantum-computers`` with ``Authorization: Bearer TOKEN``, answered
  ``{"quantum_computers": [{"id", "alias", "display_name", "proxy_path"?}]}``; 401/403 is a refused token. It is also
  the cheapest call that tells what the token sees (the quantum computers, shown on the card).
- The renewal is the Cortex CLI's ``refresh_request``: ``POST {auth_server_url}/realms/{realm}/protocol/openid-
  connect/token`` with ``grant_type=refresh_token``, ``client_id``, ``refresh_token`` (Keycloak), answered with a new
  ``access_token`` and ``refresh_token``; 400/401 is a refused login.
"""

from __future__ import annotations

from typing import Any

from ...core import flows
from ...core.errors import RefusedError, TransientProviderError
from ...core.flows import Flow

PROVIDER = "iqm"
DEFAULT_URL = "https://resonance.iqm.tech"
REINIT_ADVICE = "generate a new token in the IQM Resonance dashboard and paste it, or re-initialize from JupyterHub."


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _alias(qc: object) -> object:
    return qc.get("alias") if isinstance(qc, dict) else None


def quantum_computers_flow(server_url: str, token: str) -> Flow[list[str]]:
    """The aliases of the quantum computers ``token`` sees at ``server_url`` (RefusedError for 401/403)."""
    what = f"IQM at {_host(server_url)}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    response = yield flows.request("GET", server_url.rstrip("/") + "/api/v1/quantum-computers", headers=headers)
    if response.status_code in (401, 403):
        refused = f"{what} does not accept this token (HTTP {response.status_code}); {REINIT_ADVICE}"
        raise RefusedError(PROVIDER, refused)
    body = flows.require(flows.expect_ok(response, PROVIDER, what), PROVIDER, what, "quantum_computers")
    listed = body.get("quantum_computers")
    if not isinstance(listed, list) or not all(isinstance(_alias(qc), str) for qc in listed):
        raise TransientProviderError(PROVIDER, f"{what} answered a quantum computer list iqm-client would not parse")
    return [str(qc["alias"]) for qc in listed]


def refresh_flow(auth_server_url: str, realm: str, client_id: str, refresh_token: str) -> Flow[dict[str, Any]]:
    """New ``access_token`` and ``refresh_token`` for the login (RefusedError when the auth server refuses it)."""
    what = f"the IQM login server at {_host(auth_server_url)}"
    url = f"{auth_server_url.rstrip('/')}/realms/{realm}/protocol/openid-connect/token"
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    response = yield flows.request("POST", url, data=form, headers={"Accept": "application/json"})
    if response.status_code in (400, 401, 403):
        raise RefusedError(
            PROVIDER,
            f"{what} refused to renew the login (HTTP {response.status_code}); sign in again with the Cortex CLI "
            "(iqmcortex auth login) and upload its tokens file, or re-initialize from JupyterHub.",
        )
    body = flows.require(flows.expect_ok(response, PROVIDER, what), PROVIDER, what, "access_token", "refresh_token")
    return {"access_token": str(body["access_token"]), "refresh_token": str(body["refresh_token"])}
