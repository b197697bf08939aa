"""The login's access token for the renewer (:class:`~..shared.renewer.Renewal`): the tokens file's ``access_token``,
renewed with its ``refresh_token`` under the file's lock, once for every process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import RefusedError
from .protocol import PROVIDER

if TYPE_CHECKING:
    from ...core.flows import Flow
    from .provider import IqmProvider
    from .store import TokensDocument


class LoginRenewal:
    """The login's access token for the renewer: the tokens file's ``access_token``, renewed with its
    ``refresh_token`` (:class:`~..shared.renewer.Renewal`)."""

    def __init__(self, provider: IqmProvider) -> None:
        self.provider = provider
        self.lock = provider.path
        self.document: TokensDocument | None = None

    def stored(self) -> str | None:
        self.document = self.provider.store.read()
        if not self.document.renewable:
            raise RefusedError(PROVIDER, "there is no IQM login (refresh token) to renew; paste a token or upload one.")
        return self.document.get("access_token")

    def due(self, token: str) -> bool:
        from ..shared.renewer import token_due

        return token_due(self.provider.settings, token)

    def renew(self, stored: str | None) -> Flow[str]:
        assert self.document is not None
        return self.provider._renew_flow(self.document)
