"""Amazon Braket's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`).

By design the Braket profiles jupyter_qcred writes hold no AWS secret: botocore trades the web identity token for
short-lived credentials in each process's memory. What the files do hold is secret enough: each profile's web
identity token (an OIDC ID token from the hub's login, in ``~/.aws/qcred/NAME.token``), which anyone can trade for
the role's credentials while it is valid, and the login's refresh token in the profile's note (``NAME.json``).

No public format: an OIDC ID token's issuer is the hub's own login service, which differs at every site, and AWS
access key ids are not secrets (the secret keys have no recognisable shape).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import QCredError
from ...core.secrets import Secret, TokenFormat
from ..shared.idtoken import login_secrets

if TYPE_CHECKING:
    from .provider import BraketProvider


def values(provider: BraketProvider) -> list[Secret]:
    """The web identity token and the refresh token of each of our profiles; a profile whose files do not read is
    left out (the others still count)."""
    store = provider.store
    try:
        profiles = [profile for profile, _ in store._sections(store.document())]
    except QCredError:
        return []
    return login_secrets(provider.key, provider.title, profiles, store.load, "web identity token", store)


FORMATS: list[TokenFormat] = []
