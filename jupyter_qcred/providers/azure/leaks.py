"""Azure Quantum's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`).

No Azure secret is stored: azure-identity trades the federated token for short-lived access tokens in each
process's memory. What the files hold is secret enough: each workspace's federated token (the login's OIDC
id_token, ``~/.azure/qcred/NAME.token``), which anyone can trade for the app's Azure Quantum access while it is
valid, and the login's refresh token in the workspace's note (``NAME.json``).

No public format: the id_token's issuer is the hub's own login service, which differs at every site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.secrets import Secret, TokenFormat
from ..shared.idtoken import login_secrets

if TYPE_CHECKING:
    from .provider import AzureProvider


def values(provider: AzureProvider) -> list[Secret]:
    """The federated token and refresh token of each workspace; one whose files do not read is left out."""
    store = provider.store
    return login_secrets(provider.key, provider.title, store.names(), store.load, "federated token", store)


FORMATS: list[TokenFormat] = []
