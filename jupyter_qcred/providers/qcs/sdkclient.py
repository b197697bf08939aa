"""pyquil 4 clients whose access tokens come from jupyter_qcred instead of the copy in ``secrets.toml``.

pyquil 4.22 pulls qcs-sdk-python 0.21 (0.21.22 checked), whose extension module bundles its own QCS client crate,
qcs-api-client-common 0.12.8. That crate reads only ``token_payload`` from ``secrets.toml``: it does not know the
hand-off's ``externally_managed`` table, so ``QCSClient.load()`` gets the access-token copy beside it (see
:func:`.store.mirror`) with no refresh token, and once that copy is past its expiry (plus the crate's 60 s leeway)
every request fails with "No refresh token is configured within the selected QCS credential". What the crate does
honour is an ``ExternallyManaged`` refresh function given in code. :func:`client_with_refresh` builds such a client
with the URLs ``QCSClient.load()`` resolved; it is shared by :func:`pyquil_client` (explicit, in-process refresh)
and by :mod:`.pyquil_adapter` (which makes plain ``QCSClient.load()`` return one, running the token command).

Nothing here imports qcs_sdk or jupyter_qcred's heavy modules at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def original_load() -> Callable[..., Any]:
    """``qcs_sdk.client.QCSClient.load`` as qcs-sdk-python defines it, even when :mod:`.pyquil_adapter` replaced it
    (the adapter keeps the original as ``__wrapped__``)."""
    from qcs_sdk.client import QCSClient

    load: Callable[..., Any] = QCSClient.load
    return getattr(load, "__wrapped__", load)


def client_with_refresh(
    loaded: Any, refresh: Callable[[Any], str], client_id: str, issuer: str, access_token: str | None = None
) -> Any:
    """A ``QCSClient`` with the URLs of ``loaded`` (a client ``QCSClient.load()`` returned, so environment overrides
    are kept) whose session asks ``refresh(auth_server)`` for every new access token.

    ``access_token`` seeds the session: the crate uses it without calling ``refresh`` while it validates (expiry
    with 60 s leeway, audience ``api://qcs``). A client built this way is a "Builder" client for the crate, which
    never writes ``secrets.toml``.
    """
    from qcs_sdk.client import AuthServer, ExternallyManaged, OAuthSession, QCSClient

    def refresh_function(auth_server: Any) -> str:  # the crate takes a Python function, not any callable
        return refresh(auth_server)

    session = OAuthSession(ExternallyManaged(refresh_function), AuthServer(client_id, issuer), access_token)
    return QCSClient(
        oauth_session=session,
        api_url=loaded.api_url,
        grpc_api_url=loaded.grpc_api_url,
        quilc_url=loaded.quilc_url,
        qvm_url=loaded.qvm_url,
    )


def pyquil_client(profile: str | None = None) -> Any:
    """A ``qcs_sdk.client.QCSClient`` for ``profile`` (default: the SDK's default profile) getting its tokens from
    jupyter_qcred in this process (``token_sync``: the stored token when it is not due, else one refresh under the
    lock for every process); pass it as ``client_configuration=`` to pyquil's API calls.

    With the SDK adapter active (the default), plain ``QCSClient.load()`` already gives such a client for a
    handed-off profile; this function stays for code that wants it explicitly, or for profiles written as plain
    files.
    """
    from ...core.settings import Settings
    from .provider import QcsProvider

    provider = QcsProvider(Settings.from_environment())
    target = provider._resolve(provider._load(), profile)
    loaded = original_load()(profile)  # the URLs exactly as pyquil resolves them (environment overrides included)

    def refresh(_auth_server: Any) -> str:
        return provider.token_sync(profile)

    return client_with_refresh(loaded, refresh, target.server.client_id, target.server.issuer)
