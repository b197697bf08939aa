"""What the Jupyter server hands its kernels and terminals for Azure Quantum (:mod:`jupyter_qcred.server.exports`).

azure-identity has no configuration file: ``WorkloadIdentityCredential`` reads ``AZURE_TENANT_ID``,
``AZURE_CLIENT_ID``, ``AZURE_FEDERATED_TOKEN_FILE`` (and ``AZURE_AUTHORITY_HOST``) from the environment, and
azure-quantum's ``Workspace()`` its subscription, resource group, name and location (``default_from_env_vars``).
None of these values is a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import QCredError
from .spec import PUBLIC_AUTHORITY, workspace_parts

if TYPE_CHECKING:
    from .provider import AzureProvider

#: Variables azure-identity's credential chain reads for who the app is; one set by the user stops every export.
IDENTITY_VARIABLES = (
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
)
#: What azure-quantum's ``Workspace()`` takes from the environment (``default_from_env_vars``).
WORKSPACE_VARIABLES = (
    "AZURE_QUANTUM_CONNECTION_STRING",
    "AZURE_QUANTUM_SUBSCRIPTION_ID",
    "AZURE_QUANTUM_WORKSPACE_RG",
    "AZURE_QUANTUM_WORKSPACE_NAME",
    "AZURE_QUANTUM_WORKSPACE_LOCATION",
)


def exported(provider: AzureProvider) -> list[tuple[tuple[str, ...], str, str | None]]:
    """(guards, name, value) for :mod:`jupyter_qcred.server.exports`: azure-identity's workload identity
    variables and azure-quantum's workspace variables of the default workspace, so that
    ``DefaultAzureCredential()`` and ``Workspace()`` need no argument. Any identity variable set by the user
    stops the whole identity group (and likewise for the workspace group)."""
    try:
        stored = provider.store.workspaces()
    except QCredError:
        return []
    default = provider.store.default_name(stored)
    chosen = next((s for s in stored if s.workspace == default), None)
    values: dict[str, str | None] = dict.fromkeys((*IDENTITY_VARIABLES[:4], *WORKSPACE_VARIABLES[1:]))
    if chosen is not None:
        authority = chosen.get("authority_host")
        values.update(
            AZURE_FEDERATED_TOKEN_FILE=str(chosen.token_file),
            AZURE_CLIENT_ID=chosen.get("client_id"),
            AZURE_TENANT_ID=chosen.get("tenant_id"),
            AZURE_AUTHORITY_HOST=authority if authority and authority.rstrip("/") != PUBLIC_AUTHORITY else None,
            AZURE_QUANTUM_WORKSPACE_LOCATION=chosen.get("location"),
        )
        try:
            parts = workspace_parts(chosen.get("resource_id") or "")
        except ValueError:
            parts = (None, None, None)  # type: ignore[assignment]
        values.update(
            AZURE_QUANTUM_SUBSCRIPTION_ID=parts[0],
            AZURE_QUANTUM_WORKSPACE_RG=parts[1],
            AZURE_QUANTUM_WORKSPACE_NAME=parts[2],
        )
    return [
        (IDENTITY_VARIABLES if name in IDENTITY_VARIABLES else WORKSPACE_VARIABLES, name, value)
        for name, value in values.items()
    ]
