"""The bundle's ``azure`` section: one Azure Quantum workspace per entry, reached with the login's OIDC id_token as
the federated credential of an Entra ID app registration (no client secret anywhere)."""

from __future__ import annotations

import dataclasses
import re

from ...core.errors import FieldError
from ...core.validation import Fields

#: How the token file is kept fresh: by the server with the login's refresh token (a public OIDC client), or by
#: pulling the hub's freshest id_token (the hub's confidential client refreshes its login).
REFRESH_PATHS = ("provider", "hub")
#: Microsoft's public cloud (azure-identity's ``AzureAuthorityHosts.AZURE_PUBLIC_CLOUD``).
PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
#: A workspace's ARM resource id, as azure-quantum's ``Workspace(resource_id=...)`` parses it (case-insensitive).
RESOURCE_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[\w().-]{1,90})"
    r"/providers/Microsoft\.Quantum/Workspaces/(?P<workspace>[a-zA-Z0-9]+(-*[a-zA-Z0-9])*)$",
    re.IGNORECASE,
)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: A tenant as azure-identity accepts it (``_internal.validate_tenant_id``): letters, digits, '-' and '.'.
TENANT = re.compile(r"^[A-Za-z0-9.-]{1,100}$")
#: An Azure region name ("eastus", "westeurope"): it becomes part of the workspace's host.
LOCATION = re.compile(r"^[a-z0-9]{2,40}$")


@dataclasses.dataclass(frozen=True)
class AzureWorkspaceSpec:
    """An Azure Quantum workspace and the app registration whose federated credential trusts the login."""

    workspace: str
    tenant_id: str
    client_id: str
    resource_id: str
    location: str
    authority_host: str | None = None
    endpoint: str | None = None
    federated_token: str | None = None
    refresh_token: str | None = None
    issuer: str | None = None
    oidc_client_id: str | None = None
    refresh: str = "hub"
    default: bool = False

    @property
    def name(self) -> str:
        return self.workspace

    def __repr__(self) -> str:  # never show the tokens
        return f"AzureWorkspaceSpec(workspace={self.workspace!r}, resource_id={self.resource_id!r})"


def parse_entry(fields: Fields) -> AzureWorkspaceSpec:
    """One entry of ``azure``. The location becomes part of the workspace's host and the tenant part of the token
    endpoint's path, and the name part of file names in ``~/.azure/qcred``: each is checked, so none can point the
    login's token at another host or a file outside that folder."""
    fields.unknown({f.name for f in dataclasses.fields(AzureWorkspaceSpec)})
    where, path = fields.where, fields.path
    tenant_id = fields.text("tenant_id", required=True) or ""
    if not TENANT.match(tenant_id):
        raise FieldError(where, f"{path}.tenant_id", "must be a tenant id (a GUID) or domain (letters, digits, '.')")
    client_id = fields.text("client_id", required=True) or ""
    if not GUID.match(client_id):
        raise FieldError(where, f"{path}.client_id", "must be the app registration's client id (a GUID)")
    resource_id = fields.text("resource_id", required=True) or ""
    if not RESOURCE_ID.match(resource_id):
        raise FieldError(
            where,
            f"{path}.resource_id",
            "must be a workspace resource id (/subscriptions/ID/resourceGroups/GROUP/providers/"
            "Microsoft.Quantum/Workspaces/NAME)",
        )
    location = (fields.text("location", required=True) or "").replace(" ", "").lower()
    if not LOCATION.match(location):
        raise FieldError(where, f"{path}.location", "must be an Azure region name such as eastus or westeurope")
    refresh_token = fields.text("refresh_token")
    spec = AzureWorkspaceSpec(
        workspace=fields.name("workspace", "default") or "default",
        tenant_id=tenant_id,
        client_id=client_id.lower(),
        resource_id=resource_id,
        location=location,
        authority_host=fields.url("authority_host"),
        endpoint=fields.url("endpoint"),
        federated_token=fields.text("federated_token"),
        refresh_token=refresh_token,
        issuer=fields.url("issuer"),
        oidc_client_id=fields.text("oidc_client_id"),
        refresh=fields.text("refresh") or ("provider" if refresh_token else "hub"),
        default=bool(fields.flag("default", False)),
    )
    if spec.authority_host and not spec.authority_host.startswith("https://"):
        raise FieldError(where, f"{path}.authority_host", "must be https (azure-identity refuses any other)")
    if spec.refresh not in REFRESH_PATHS:
        raise FieldError(where, f"{path}.refresh", f"must be one of {', '.join(REFRESH_PATHS)}")
    if spec.refresh == "provider" and not (spec.refresh_token and spec.issuer and spec.oidc_client_id):
        raise FieldError(where, path, "refreshed by the server needs refresh_token, issuer and oidc_client_id")
    if not (spec.federated_token or spec.refresh_token):
        raise FieldError(where, path, "needs a federated_token (the login's OIDC id_token) or a refresh_token")
    return spec


def workspace_parts(resource_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, workspace name) of a checked resource id."""
    match = RESOURCE_ID.match(resource_id)
    if match is None:
        raise ValueError("not a workspace resource id")
    return match["subscription"], match["group"], match["workspace"]


def data_plane(location: str, endpoint: str | None) -> str:
    """The workspace's data-plane URL: the entry's ``endpoint``, else azure-quantum's production one for the
    location (``ConnectionConstants.GET_QUANTUM_PRODUCTION_ENDPOINT``)."""
    return (endpoint or f"https://{location}.quantum.azure.com").rstrip("/")
