"""A pyquil 4 client whose tokens come from jupyter_qcred, for code that wants it even when the file's has expired.

pyquil 4.22 pulls qcs-sdk-python 0.21, whose bundled QCS client (0.12) does not know ``externally_managed`` in
``secrets.toml``: ``QCSClient.load()`` reads only the access token that the hand-off copies beside the command (see
:func:`.store.mirror`), which jupyter_qcred keeps fresh but cannot renew inside that process. pyquil does honour an
``ExternallyManaged`` refresh function given in code, so :func:`pyquil_client` builds the client ``QCSClient.load()``
would, with a session whose refresh function is ``token_sync`` (the token command's own code: the stored token
when it is not due, else one refresh under the lock for every process).
"""

from __future__ import annotations

from typing import Any

from ...core.settings import Settings


def pyquil_client(profile: str | None = None) -> Any:
    """A ``qcs_sdk.client.QCSClient`` for ``profile`` (default: the SDK's default profile) getting its tokens from
    jupyter_qcred; pass it as ``client_configuration=`` to pyquil's API calls."""
    from qcs_sdk.client import AuthServer, ExternallyManaged, OAuthSession, QCSClient

    from .provider import QcsProvider

    provider = QcsProvider(Settings.from_environment())
    target = provider._resolve(provider._load(), profile)
    loaded = QCSClient.load(profile)  # the URLs exactly as pyquil resolves them (environment overrides included)

    def refresh(_auth_server: Any) -> str:
        return provider.token_sync(profile)

    session = OAuthSession(ExternallyManaged(refresh), AuthServer(target.server.client_id, target.server.issuer))
    return QCSClient(
        oauth_session=session,
        api_url=loaded.api_url,
        grpc_api_url=loaded.grpc_api_url,
        quilc_url=loaded.quilc_url,
        qvm_url=loaded.qvm_url,
    )
