"""What ``doctor`` asks azure-identity: which credential ``DefaultAzureCredential`` would use, without a request.

azure-identity 1.27's chain starts with ``EnvironmentCredential`` (a client secret, a certificate, or a user name
and password in ``AZURE_*`` variables), then ``WorkloadIdentityCredential`` (``AZURE_TENANT_ID``,
``AZURE_CLIENT_ID``, ``AZURE_FEDERATED_TOKEN_FILE``): the first one configured wins. The probe builds those two the
way the chain does, and reports which is configured, its client and tenant, the token file and the fingerprint of
the token in it. (Managed identity, the Azure CLI and the others come after; they are named only as "another
credential of the chain".)
"""

from __future__ import annotations

from typing import Any

from ...core.doctor import Context, Finding, Probe

CODE = r"""
try:
    from azure.identity import EnvironmentCredential, WorkloadIdentityCredential
    from azure.identity._internal import get_default_authority
    method, where, token, client_id, tenant_id = None, None, None, None, None
    environment = EnvironmentCredential()
    if getattr(environment, "_credential", None) is not None:
        method = "environment (" + type(environment._credential).__name__ + ")"
        client_id, tenant_id = os.getenv("AZURE_CLIENT_ID"), os.getenv("AZURE_TENANT_ID")
    else:
        try:
            workload = WorkloadIdentityCredential()
        except ValueError:
            workload = None
        if workload is not None:
            method = "workload-identity"
            where = getattr(workload, "_token_file_path", None) or os.getenv("AZURE_FEDERATED_TOKEN_FILE")
            client_id, tenant_id = os.getenv("AZURE_CLIENT_ID"), os.getenv("AZURE_TENANT_ID")
            try:
                with open(where, encoding="utf-8") as handle:
                    token = handle.read().strip()
            except OSError:
                token = None
    _out(dict(method=method, where=where, client_id=client_id, tenant_id=tenant_id,
              authority=get_default_authority(), **_fp(token)))
except Exception as exc:
    _out({"error": type(exc).__name__})
"""

EXPORTS = "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID"


def probe(provider: object = None) -> Probe:
    """The probe (the comparison uses the status entries alone)."""
    return Probe(
        provider="azure",
        sdk="azure-identity",
        distribution="azure-identity",
        code=CODE,
        compare=compare,
        module="azure.identity",
    )


def compare(result: dict[str, Any], context: Context) -> list[Finding]:
    """The credential azure-identity picks against our default workspace (same token file, same app)."""
    method = result.get("method")
    entry = context.default_entry()
    account = (entry or {}).get("account") or {}
    finding = Finding(
        provider="azure",
        sdk="azure-identity",
        state="ok",
        uses=f"{method or 'no credential of its own'} (client {result.get('client_id') or 'unset'})",
        message="",
        credential=(entry or {}).get("name"),
        where=context.shown(result.get("where")) if result.get("where") else None,
        variable="AZURE_FEDERATED_TOKEN_FILE" if method == "workload-identity" else None,
        fingerprint=result.get("hint"),
        panel=(entry or {}).get("token_hint"),
        details={"method": method, "tenant_id": result.get("tenant_id"), "authority": result.get("authority")},
    )
    if entry is None:
        finding.state = "none"
        finding.message = "jupyter_qcred manages no Azure Quantum workspace here; azure-identity uses its own chain."
        return [finding]
    if method and method.startswith("environment"):
        finding.state = "differs"
        finding.message = (
            "A client secret, certificate or password in AZURE_* variables comes first in DefaultAzureCredential, "
            f"so azure-identity does not use the login token of workspace {entry.get('name')!r}."
        )
        finding.fix = "Unset AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH and AZURE_USERNAME there."
        return [finding]
    if method is None:
        finding.state = "differs"
        finding.message = (
            f"{EXPORTS} are not set in this environment, so DefaultAzureCredential falls through to managed "
            "identity or the Azure CLI."
        )
        finding.fix = (
            "Start the kernel or terminal from this Jupyter server (it sets them), or export "
            f"AZURE_FEDERATED_TOKEN_FILE={context.shown(account.get('token_file'))}, "
            f"AZURE_CLIENT_ID={account.get('client_id')} and AZURE_TENANT_ID={account.get('tenant_id')}."
        )
        return [finding]
    same = result.get("where") == account.get("token_file") and result.get("client_id") == account.get("client_id")
    if same and (finding.fingerprint == entry.get("token_hint") or entry.get("token_hint") is None):
        finding.message = f"azure-identity uses the login token jupyter_qcred renews for workspace {entry['name']!r}."
        return [finding]
    finding.state = "differs"
    finding.message = (
        f"azure-identity uses the token file {finding.where} for client {result.get('client_id')}, not the one "
        f"jupyter_qcred renews ({context.shown(account.get('token_file'))}, client {account.get('client_id')})."
    )
    finding.fix = f"Unset {EXPORTS} in that environment so the server's values apply, or start a new kernel."
    return [finding]
