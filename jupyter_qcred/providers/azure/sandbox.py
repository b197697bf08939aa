"""Azure Quantum's loopback stand-in (:class:`~jupyter_qcred.sandbox.plugins.StandIn`): the Microsoft identity
platform's token endpoint, ARM's workspace resource and the workspace's data plane (:mod:`.entra_api`).

azure-identity accepts only https authority hosts, so everything is served on the sandbox's TLS port, whose private
CA the SDKs are handed: azure-core sends through requests, which trusts ``REQUESTS_CA_BUNDLE`` (not
``SSL_CERT_FILE``). The demo people (alice, bob) get federated credentials for their logins; a workspace entry for
them carries a fresh id_token and refresh token of their sandbox login, as the hub's would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ...sandbox.plugins import StandIn
from . import entra_api

if TYPE_CHECKING:
    from ...sandbox.client import Sandbox
    from ...sandbox.config import SandboxUrls
    from ...sandbox.state import SandboxState


class AzureStandIn(StandIn):
    """Entra ID + Azure Quantum on loopback (see the module docstring)."""

    key: ClassVar[str] = "azure"
    foreign_variables: ClassVar[tuple[str, ...]] = (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
        "AZURE_QUANTUM_CONNECTION_STRING",
        "AZURE_QUANTUM_SUBSCRIPTION_ID",
        "AZURE_QUANTUM_WORKSPACE_RG",
        "AZURE_QUANTUM_WORKSPACE_NAME",
        "AZURE_QUANTUM_WORKSPACE_LOCATION",
    )

    def routes(self) -> list[tuple[Any, ...]]:
        return entra_api.routes()

    def seed(self, state: SandboxState, user: str) -> None:
        if user in state.qcs_users:
            entra_api.federate(state, user)

    def info(self, urls: SandboxUrls) -> dict[str, Any]:
        base = urls.https_base
        return {
            "azure_authority": f"{base}/azure-login" if base else None,
            "azure_arm_url": f"{base}/azure-arm" if base else None,
            "azure_quantum_url": f"{base}/azure-quantum/{entra_api.LOCATION}" if base else None,
            "azure_tenant_id": entra_api.TENANT_ID,
            "azure_client_id": entra_api.CLIENT_ID,
            "azure_resource_id": entra_api.RESOURCE_ID,
            "azure_location": entra_api.LOCATION,
        }

    def summary(self, state: SandboxState) -> dict[str, Any]:
        azure = entra_api.world(state)
        return {"azure_federated_credentials": len(azure.credentials), "azure_tokens_issued": azure.issued}

    def hub_options(self, sandbox: Sandbox) -> dict[str, Any] | None:
        """``configure(c, azure=...)``: the sandbox's app registration and workspace (the hub renews the token)."""
        info = sandbox.info
        if not info.get("azure_authority"):
            return None
        return {
            "tenant_id": info["azure_tenant_id"],
            "client_id": info["azure_client_id"],
            "resource_id": info["azure_resource_id"],
            "location": info["azure_location"],
            "authority_host": info["azure_authority"],
            "endpoint": info["azure_quantum_url"],
        }

    def bundle_entries(self, sandbox: Sandbox, user: str) -> list[dict[str, Any]]:
        """A workspace with a fresh login of ``user`` (renewed by the server with its refresh token)."""
        options = self.hub_options(sandbox)
        if options is None:
            return []  # no TLS: azure-identity would refuse the authority
        tokens = sandbox.issue_qcs_tokens(user)
        return [
            {
                "workspace": "default",
                **options,
                "federated_token": tokens["id_token"],
                "refresh_token": tokens["refresh_token"],
                "issuer": sandbox.qcs_issuer,
                "oidc_client_id": sandbox.qcs_client_id,
                "default": True,
            }
        ]

    def environment(self, sandbox: Sandbox) -> dict[str, str]:
        """azure-core (requests) trusts ``REQUESTS_CA_BUNDLE``; the workspace's ARM endpoint has no variable
        (``Workspace(arm_endpoint=...)``), see docs/providers/azure.md."""
        return {"REQUESTS_CA_BUNDLE": sandbox.ca_file} if sandbox.ca_file else {}


STAND_IN = AzureStandIn()
