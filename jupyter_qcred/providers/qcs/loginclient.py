"""Which OAuth client a browser (device) login the server starts uses, and the sentence that names it.

A refresh token is bound to the client that obtained it. Under JupyterHub the QCS profile the hub hands over names
the hub's own client (``jupyterhub``), which is confidential: its secret stays on the hub, so the server cannot log
in with it (the token endpoint answers ``invalid_client``). A login the server starts therefore uses a public client
of its own: the one the deployment configures for notebook-server logins (``jupyter_qcred.hub.configure(c,
qcs={"login_client_id": ...})``, which sets :data:`LOGIN_CLIENT_VARIABLE` on every server; or that variable on the
user image), else Rigetti's public client when the issuer is Rigetti's, else the login is refused before it starts,
with a sentence saying what to configure. Outside a hub the profile's own auth server is used, as the QCS SDK does.

The tokens of such a login are written with an auth server of their own (:data:`LOGIN_AUTH_SERVER`), naming the
client that can refresh them, so the server and the SDK refresh them with the right client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ...core.errors import ProviderError, UnavailableError, title
from .api import PROVIDER
from .model import DEFAULT_CLIENT_ID, DEFAULT_ISSUER, AuthServer

#: The variable that names the public client for logins the server starts (set by ``hub.configure(c, qcs=
#: {"login_client_id": ...})``, or on the user image).
LOGIN_CLIENT_VARIABLE = "QCRED_QCS_LOGIN_CLIENT_ID"
#: The auth server of settings.toml that profiles signed in through :data:`LOGIN_CLIENT_VARIABLE`'s client use.
LOGIN_AUTH_SERVER = "jupyter_qcred-login"


@dataclasses.dataclass(frozen=True)
class LoginClient:
    """The client a login uses, and where it comes from (for the sentence when the login is refused)."""

    client_id: str
    origin: str
    #: Whether it differs from the profile's auth server (its tokens then get :data:`LOGIN_AUTH_SERVER`).
    own: bool

    def sentence(self) -> str:
        """What a refusal adds: which client the login used, so a person (or their admin) knows what to fix."""
        return f"The login used the OAuth client {self.client_id!r} ({self.origin})."


def hub_client(environ: Mapping[str, str], server: AuthServer, refresh_via: str | None) -> bool:
    """Whether ``server``'s client is the hub's confidential client: the hub says so through the login options it
    sets on the server (``QCRED_QCS_CLIENT_ID`` with ``QCRED_QCS_REFRESH`` "hub", its default), or the credential
    is one only the hub refreshes."""
    named = environ.get("QCRED_QCS_CLIENT_ID")
    confidential = (environ.get("QCRED_QCS_REFRESH") or "hub") == "hub"
    return (bool(named) and named == server.client_id and confidential) or refresh_via == "hub"


def choose(environ: Mapping[str, str], server: AuthServer, refresh_via: str | None, where: str) -> LoginClient:
    """The client a login into a profile whose auth server is ``server`` uses (see the module docstring); ``where``
    names the auth server in settings.toml for the sentence. Raises :class:`UnavailableError` when the only client
    known is the hub's confidential one."""
    configured = (environ.get(LOGIN_CLIENT_VARIABLE) or "").strip()
    if configured:
        origin = f"the public client this deployment configured for notebook-server logins, {LOGIN_CLIENT_VARIABLE}"
        return LoginClient(configured, origin, own=configured != server.client_id)
    if not hub_client(environ, server, refresh_via):
        return LoginClient(server.client_id, f"the client of {where}", own=False)
    if server.issuer == DEFAULT_ISSUER:
        return LoginClient(DEFAULT_CLIENT_ID, "Rigetti's public client", own=True)
    raise UnavailableError(
        f"{title(PROVIDER)}: this server cannot start a browser login: the profile's client {server.client_id!r} "
        "is JupyterHub's own (confidential, its secret stays on the hub) and no public client is configured for "
        f"logins from notebook servers. Ask your administrator to set one (jupyter_qcred.hub.configure(c, "
        f"qcs={{'login_client_id': ...}}) or {LOGIN_CLIENT_VARIABLE}); meanwhile Re-initialize from JupyterHub "
        "(log in to the hub again if it refuses) or paste a refresh token."
    )


def naming_client(exc: ProviderError, client: LoginClient) -> ProviderError:
    """The same error (same class, so a refusal stays a refusal) with the sentence naming the client added."""
    message = str(exc).removeprefix(f"{title(exc.provider)}: ")
    named = type(exc)(exc.provider, f"{message} {client.sentence()}")
    return named
