"""The Microsoft identity platform and Azure Quantum as far as credentials go, on loopback (the stand-in's routes).

- ``POST /azure-login/{tenant}/oauth2/v2.0/token``: the client-credentials grant with a federated
  ``client_assertion``, checked as Entra ID checks it: the assertion's signature against its issuer's keys (the
  sandbox issuer's JWKS), then a federated credential of the app whose issuer, subject and audience all match, and
  the assertion's time range; errors in Entra's shape (``AADSTS700213: ...``, ``error_codes``, ``trace_id``). The
  answer is an access token for the scope's resource (Azure Quantum or ARM), signed by the sandbox.
- ``GET /azure-arm/subscriptions/.../providers/Microsoft.Quantum/workspaces/W``: the ARM resource azure-quantum
  3.13's ``WorkspaceMgmtClient.load_workspace_from_arm`` reads (location, ``properties.endpointUri``).
- ``GET /azure-quantum/{location}/subscriptions/.../workspaces/W/providerStatus`` and ``/quotas``: the data plane
  ``Workspace.get_targets()`` and ``get_quotas()`` call; 401 without a valid token, 403 when the app has no role on
  the workspace.

The world (tenant, app registration, federated credentials, workspace) is :class:`AzureWorld` in
``state.plugins["azure"]``; admin routes under ``/_sandbox/azure/`` change it for tests.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from ...sandbox.handlers import BaseHandler, ServiceHandler
from ...sandbox.state import JUPYTERHUB_CLIENT_ID, QCS_CLI_CLIENT_ID, SandboxState
from ...sandbox.tokens import TokenInvalid, unverified_claims

TENANT_ID = "5a9d1c3e-0b7f-4e2a-9c61-7d3f8e2b4a10"
CLIENT_ID = "8f14e45f-ceea-467f-a0e6-3c2b7d9e1f42"
SUBSCRIPTION_ID = "c0ffee00-1234-4abc-8def-0123456789ab"
RESOURCE_GROUP = "wonderland"
WORKSPACE = "sandbox-workspace"
LOCATION = "eastus"
RESOURCE_ID = (
    f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Quantum/"
    f"Workspaces/{WORKSPACE}"
)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Resources a ``.default`` scope may name, and the audience of the access tokens for them.
RESOURCES = {
    "https://quantum.microsoft.com": "https://quantum.microsoft.com",
    "https://management.azure.com": "https://management.azure.com",
}
PROVIDERS = [
    {
        "id": "microsoft.estimator",
        "currentAvailability": "Available",
        "targets": [
            {"id": "microsoft.estimator", "currentAvailability": "Available", "averageQueueTime": 0, "statusPage": None}
        ],
    },
    {
        "id": "ionq",
        "currentAvailability": "Available",
        "targets": [
            {"id": "ionq.simulator", "currentAvailability": "Available", "averageQueueTime": 3, "statusPage": None}
        ],
    },
]


@dataclasses.dataclass
class FederatedCredential:
    """One federated identity credential of the app (Entra allows one audience each)."""

    issuer: str
    subject: str
    audience: str


@dataclasses.dataclass
class AzureWorld:
    """The tenant, its one app registration and the workspace it may use."""

    tenant_id: str = TENANT_ID
    client_id: str = CLIENT_ID
    credentials: list[FederatedCredential] = dataclasses.field(default_factory=list)
    #: Whether the app holds a role on the workspace (the data plane answers 403 without one).
    role: bool = True
    access_token_lifetime: int = 3599
    #: Successful token answers, for tests.
    issued: int = 0


def world(state: SandboxState) -> AzureWorld:
    found = state.plugins.get("azure")
    if not isinstance(found, AzureWorld):
        found = state.plugins["azure"] = AzureWorld()
    return found


def federate(state: SandboxState, user: str) -> int:
    """Trust ``user``'s logins (through the QCS CLI client and the hub's client) for the app; returns how many
    federated credentials the app has."""
    found = state.qcs_users.get(user)
    if found is None:
        raise KeyError(user)
    subject = found.idp_id
    azure = world(state)
    for audience in (QCS_CLI_CLIENT_ID, JUPYTERHUB_CLIENT_ID):
        credential = FederatedCredential(state.urls.qcs_issuer, subject, audience)
        if credential not in azure.credentials:
            azure.credentials.append(credential)
    return len(azure.credentials)


def unfederate(state: SandboxState, user: str | None) -> int:
    """Remove the federated credentials of ``user`` (all with None); returns how many were removed."""
    azure = world(state)
    found = state.qcs_users.get(user) if user else None
    keep = [c for c in azure.credentials if user is not None and (found is None or c.subject != found.idp_id)]
    removed = len(azure.credentials) - len(keep)
    azure.credentials = keep
    return removed


class EntraTokenHandler(ServiceHandler):
    """``POST /azure-login/{tenant}/oauth2/v2.0/token``."""

    endpoint = "azure_token"

    def entra_error(self, status: int, error: str, code: int, text: str) -> None:
        self.log_error = f"AADSTS{code}"
        now = datetime.now(timezone.utc)
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        description = (
            f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} "
            f"Timestamp: {now.strftime('%Y-%m-%d %H:%M:%SZ')}"
        )
        self.write_json(
            {
                "error": error,
                "error_description": description,
                "error_codes": [code],
                "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"),
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"{self.request.protocol}://{self.request.host}/azure-login/error?code={code}",
            },
            status=status,
            headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        )

    def post(self, tenant: str) -> None:
        state: SandboxState = self.sandbox
        azure = world(state)
        form = {key: self.get_body_argument(key, "") for key in self.request.body_arguments}
        self.log_grant_type, self.log_client_id = form.get("grant_type"), form.get("client_id")
        if tenant.lower() not in (azure.tenant_id, "sandbox.onmicrosoft.com"):
            self.entra_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        elif form.get("grant_type") != "client_credentials":
            self.entra_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        elif (form.get("client_id") or "").lower() != azure.client_id:
            self.entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the directory.",
            )
        elif form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            self.entra_error(400, "invalid_request", 7000218, "The request body must contain 'client_assertion'.")
        else:
            resource = (form.get("scope") or "").strip()
            if not resource.endswith("/.default") or resource[: -len("/.default")] not in RESOURCES:
                self.entra_error(
                    400, "invalid_scope", 70011, f"The provided value for scope '{resource}' is not valid."
                )
                return
            self.assertion(azure, form["client_assertion"], RESOURCES[resource[: -len("/.default")]])

    def assertion(self, azure: AzureWorld, assertion: str, audience: str) -> None:
        """Check the federated assertion as Entra does, then answer an access token for ``audience``."""
        state: SandboxState = self.sandbox
        try:
            claims = unverified_claims(assertion)
        except (ValueError, IndexError, UnicodeError):
            self.entra_error(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
            return
        issuer, subject, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
        trusted = [c for c in azure.credentials if c.issuer == issuer]
        if not trusted:
            self.entra_error(
                401,
                "invalid_client",
                700211,
                f"No matching federated identity record found for presented assertion issuer '{issuer}'.",
            )
            return
        try:  # the issuer's keys (the sandbox issuer's JWKS) and the assertion's time range
            state.signer.verify(assertion, issuer=str(issuer))
        except TokenInvalid as exc:
            if str(exc) == "expired":
                self.entra_error(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")
            else:
                self.entra_error(401, "invalid_client", 700027, "Client assertion failed signature validation.")
            return
        user = state.user_by_uid(str(subject or ""))
        self.log_user = user.username if user else None
        if not [c for c in trusted if c.subject == subject]:
            self.entra_error(
                401,
                "invalid_client",
                700213,
                f"No matching federated identity record found for presented assertion subject '{subject}'.",
            )
            return
        if not [c for c in trusted if c.subject == subject and c.audience == aud]:
            self.entra_error(
                401,
                "invalid_client",
                700212,
                f"No matching federated identity record found for presented assertion audience '{aud}'.",
            )
            return
        now = int(time.time())
        token = state.signer.mint(
            {
                "aud": audience,
                "iss": f"https://sts.windows.net/{azure.tenant_id}/",
                "iat": now,
                "nbf": now,
                "exp": now + azure.access_token_lifetime,
                "appid": azure.client_id,
                "tid": azure.tenant_id,
                "sub": azure.client_id,
                "uti": secrets.token_urlsafe(12),
            }
        )
        azure.issued += 1
        self.write_json(
            {
                "token_type": "Bearer",
                "expires_in": azure.access_token_lifetime,
                "ext_expires_in": azure.access_token_lifetime,
                "access_token": token,
            },
            headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        )


class AzureResourceHandler(ServiceHandler):
    """A bearer-checked Azure API (ARM or the Azure Quantum data plane): ARM's error shape."""

    audience = ""

    def arm_error(self, status: int, code: str, message: str) -> None:
        self.log_error = code
        self.write_json({"error": {"code": code, "message": message}}, status=status)

    def authorized(self, subscription: str, group: str, name: str) -> bool:
        state: SandboxState = self.sandbox
        azure = world(state)
        try:
            claims = state.signer.verify(self.bearer() or "", issuer=f"https://sts.windows.net/{azure.tenant_id}/")
        except TokenInvalid as exc:
            code = "ExpiredAuthenticationToken" if str(exc) == "expired" else "InvalidAuthenticationToken"
            self.arm_error(401, code, f"The access token is invalid ({exc}).")
            return False
        if claims.get("aud") != self.audience:
            self.arm_error(401, "InvalidAuthenticationTokenAudience", "The access token has an invalid audience.")
            return False
        if (subscription.lower(), group.lower(), name.lower()) != (
            SUBSCRIPTION_ID,
            RESOURCE_GROUP,
            WORKSPACE.lower(),
        ):
            self.arm_error(
                404, "ResourceNotFound", f"The Resource 'Microsoft.Quantum/workspaces/{name}' was not found."
            )
            return False
        if not azure.role:
            self.arm_error(
                403,
                "AuthorizationFailed",
                f"The client '{azure.client_id}' does not have authorization to perform action over scope.",
            )
            return False
        return True


class ArmWorkspaceHandler(AzureResourceHandler):
    endpoint = "azure_arm"
    audience = RESOURCES["https://management.azure.com"]

    def get(self, subscription: str, group: str, name: str) -> None:
        if self.authorized(subscription, group, name):
            base = f"{self.request.protocol}://{self.request.host}"
            self.write_json(
                {
                    "id": RESOURCE_ID,
                    "name": WORKSPACE,
                    "type": "microsoft.quantum/workspaces",
                    "location": LOCATION,
                    "properties": {
                        "provisioningState": "Succeeded",
                        "endpointUri": f"{base}/azure-quantum/{LOCATION}/",
                        "providers": [{"providerId": p["id"], "providerSku": "free"} for p in PROVIDERS],
                    },
                }
            )


class ProviderStatusHandler(AzureResourceHandler):
    endpoint = "azure_provider_status"
    audience = RESOURCES["https://quantum.microsoft.com"]

    def get(self, location: str, subscription: str, group: str, name: str) -> None:
        if self.authorized(subscription, group, name):
            self.write_json({"value": PROVIDERS, "nextLink": None})


class QuotasHandler(AzureResourceHandler):
    endpoint = "azure_quotas"
    audience = RESOURCES["https://quantum.microsoft.com"]

    def get(self, location: str, subscription: str, group: str, name: str) -> None:
        if self.authorized(subscription, group, name):
            quota = {
                "dimension": "qgs",
                "scope": "Subscription",
                "providerId": "ionq",
                "utilization": 0.0,
                "holds": 0.0,
                "limit": 16666667.0,
                "period": "Monthly",
            }
            self.write_json({"value": [quota], "nextLink": None})


class AdminHandler(BaseHandler):
    """``POST /_sandbox/azure/{federate,unfederate,role,lifetime}`` for tests."""

    def check_xsrf_cookie(self) -> None:
        """An admin API for tests, not a cookie site."""

    def post(self, action: str) -> None:
        body, state = self.json_body(), self.sandbox
        azure = world(state)
        user = body.get("user")
        if action == "federate":
            try:
                self.write_json({"credentials": federate(state, str(user))})
            except KeyError:
                self.write_json({"error": f"unknown user {user!r}"}, status=400)
        elif action == "unfederate":
            self.write_json({"removed": unfederate(state, str(user) if user else None)})
        elif action == "role":
            azure.role = bool(body.get("granted", True))
            self.write_json({"role": azure.role})
        elif action == "state":
            self.write_json({"credentials": len(azure.credentials), "role": azure.role, "issued": azure.issued})
        else:
            self.write_json({"error": f"unknown action {action!r}"}, status=404)


_WS = r"/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Quantum/workspaces/([^/]+)"


def routes() -> list[tuple[str, Any]]:
    return [
        (r"/azure-login/([^/]+)/oauth2/v2\.0/token", EntraTokenHandler),
        (r"(?i)/azure-arm" + _WS, ArmWorkspaceHandler),
        (r"(?i)/azure-quantum/([a-z0-9]+)" + _WS + "/providerStatus", ProviderStatusHandler),
        (r"(?i)/azure-quantum/([a-z0-9]+)" + _WS + "/quotas", QuotasHandler),
        (r"/_sandbox/azure/([a-z]+)", AdminHandler),
    ]
