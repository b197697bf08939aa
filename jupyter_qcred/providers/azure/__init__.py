"""Azure Quantum: no secret is ever stored. The hub login's OIDC id_token becomes a federated credential for an
Entra ID app registration: azure-identity's ``WorkloadIdentityCredential`` (and so ``DefaultAzureCredential`` and
``azure.quantum.Workspace``) reads it from ``AZURE_FEDERATED_TOKEN_FILE``, which jupyter_qcred keeps fresh."""
