"""Rigetti QCS: ``~/.qcs/settings.toml`` profiles, ``~/.qcs/secrets.toml`` credentials, OIDC refresh, user/groups.

:class:`QcsProvider` is composed of one class per job, each standing on the previous one: :mod:`.base` (the files,
profile resolution, this process's memory, running flows) -> :mod:`.status` (what the views show) -> :mod:`.writer`
(bundle, uploads, default profile) -> :mod:`.refresh` (tokens renewed ahead of expiry, once for all processes) ->
:mod:`.signin` (pasted tokens, device login). The file model is in :mod:`.model`, the edits in :mod:`.store`, the
account API in :mod:`.api`; token times, OIDC, the client and the renewer are parts of :mod:`..shared`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .removing import QcsRemoving
from .signin import DeviceLogin
from .spec import parse_entry

__all__ = ["DeviceLogin", "QcsProvider"]


class QcsProvider(QcsRemoving):
    """Rigetti QCS credentials in the SDK's own files."""

    key: ClassVar[str] = "qcs"
    title: ClassVar[str] = "Rigetti QCS"
    noun: ClassVar[str] = "profile"
    methods: ClassVar[tuple[str, ...]] = ("token", "upload", "login")
    download_hint: ClassVar[str] = "download it again from the QCS tokens page (secrets.toml or settings.toml)"
    order: ClassVar[int] = 20
    parse_entry = staticmethod(parse_entry)
    login_options: ClassVar[tuple[str, ...]] = ("issuer", "api_url", "grpc_api_url", "client_id", "refresh", "profile")

    def command_token(self, name: str | None = None) -> str:
        """``jupyter qcred token qcs [--profile P]``: :meth:`token_sync`, the SDK's ``externally_managed`` command."""
        return self.token_sync(name)

    @classmethod
    def from_auth_state(cls, auth_state: Mapping[str, Any], options: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """The QCS profile of oauthenticator's tokens (the hub logged in against the QCS identity provider), or none
        when auth_state holds no token.

        ``options`` gives the profile's settings: ``profile``, ``api_url``, ``grpc_api_url``, ``issuer``,
        ``client_id`` and ``refresh`` ("hub", the default, when the hub's OAuth client is confidential, so only the
        hub can refresh), and ``handoff`` ("files" to give kernels plain token payloads instead of jupyter_qcred's
        token command).
        """
        access, refresh = auth_state.get("access_token"), auth_state.get("refresh_token")
        if not isinstance(access, str) and not isinstance(refresh, str):
            return []
        chosen = {key: value for key, value in dict(options or {}).items() if value is not None}
        return [
            {
                "profile": "default",
                **chosen,
                "access_token": access if isinstance(access, str) else None,
                "refresh_token": refresh if isinstance(refresh, str) else None,
                "default": True,
                "refresh": str(chosen.get("refresh") or "hub"),
            }
        ]
