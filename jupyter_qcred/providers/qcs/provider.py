"""Rigetti QCS: ``~/.qcs/settings.toml`` profiles, ``~/.qcs/secrets.toml`` credentials, OIDC refresh, user/groups.

:class:`QcsProvider` is one class composed of parts, each a plain object given what it uses (no part inherits from
another): :class:`~.base.QcsFiles` (the two files read as one snapshot, profiles resolved), :class:`~.status.QcsStatus`
(what the views show), :class:`~.writer.QcsWriter` and :class:`~.removing.QcsRemover` (bundle, uploads, hand-off,
default profile, removal), :class:`~.refresh.QcsRefresher` (tokens renewed ahead of expiry, once for all processes)
and :class:`~.signin.QcsSignIn` (pasted tokens, device login), over the protocol parts of
:mod:`jupyter_qcred.providers.shared` (client, OIDC, renewer). They share this process's :class:`~.base.Memory`. The
file model is in :mod:`.model`, the edits in :mod:`.store`, the account API in :mod:`.api`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...core.logins import DeviceLogin
from ...core.provider import Provider
from ...core.settings import Settings
from ...core.states import CredentialStatus
from .api import PROVIDER
from .base import Memory, QcsFiles, Snapshot, Target
from .spec import parse_entry
from .status import QcsStatus
from .writer import QcsWriter

if TYPE_CHECKING:
    from ...core.secrets import Secret, TokenFormat
    from ..shared.client import Client
    from ..shared.oidc import Oidc
    from ..shared.renewer import Renewer
    from .refresh import QcsRefresher
    from .removing import QcsRemover
    from .signin import QcsSignIn

__all__ = ["DeviceLogin", "QcsProvider"]


class QcsProvider(Provider):
    """Rigetti QCS credentials in the SDK's own files."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "Rigetti QCS"
    noun: ClassVar[str] = "profile"
    methods: ClassVar[tuple[str, ...]] = ("token", "upload", "login")
    download_hint: ClassVar[str] = "download it again from the QCS tokens page (secrets.toml or settings.toml)"
    order: ClassVar[int] = 20
    parse_entry = staticmethod(parse_entry)
    login_options: ClassVar[tuple[str, ...]] = ("issuer", "api_url", "grpc_api_url", "client_id", "refresh", "profile")
    sdk_adapters: ClassVar[tuple[str, ...]] = (
        "jupyter_qcred.providers.qcs.pyquil_adapter",
        "jupyter_qcred.providers.qcs.exitguard",
    )

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._memory = Memory()
        self.files = QcsFiles(settings, self._memory)
        # What start-up needs (status, materialize, adopt) is built now; the protocol parts (client, OIDC, renewer,
        # refresher, sign-in, remover) on first use, so the server's start imports none of their modules.
        self.reader = QcsStatus(self.files, self._memory)
        self.writer = QcsWriter(self.files, self._memory)

    # ----- the parts built on first use ----------------------------------------------------------------------

    @cached_property
    def client(self) -> Client:
        """TLS trust like the SDK: ``SSL_CERT_FILE``/``SSL_CERT_DIR`` from the settings' environment, else
        defaults."""
        from ..shared.client import Client

        return Client.from_settings(self.settings, PROVIDER, files=("SSL_CERT_FILE",), folders=("SSL_CERT_DIR",))

    @cached_property
    def oidc(self) -> Oidc:
        from ..shared.oidc import Oidc

        return Oidc(PROVIDER, "QCS", "the auth server of settings.toml")

    @cached_property
    def renewer(self) -> Renewer:
        from ..shared.renewer import Renewer

        return Renewer(self.settings, self.client)

    @cached_property
    def remover(self) -> QcsRemover:
        from .removing import QcsRemover

        return QcsRemover(self.files, self._memory, self.writer)

    @cached_property
    def refresher(self) -> QcsRefresher:
        from .refresh import QcsRefresher

        return QcsRefresher(
            self.files, self._memory, self.reader, client=self.client, oidc=self.oidc, renewer=self.renewer
        )

    @cached_property
    def signin(self) -> QcsSignIn:
        from .signin import QcsSignIn

        return QcsSignIn(
            self.files, self._memory, self.reader, self.writer, self.refresher, client=self.client, oidc=self.oidc
        )

    # ----- the files -----------------------------------------------------------------------------------------

    @property
    def settings_path(self) -> Path:
        """``settings.toml`` (``QCS_SETTINGS_FILE_PATH`` honoured by :class:`Settings`)."""
        return self.files.settings_path

    @property
    def secrets_path(self) -> Path:
        """``secrets.toml`` (``QCS_SECRETS_FILE_PATH`` honoured by :class:`Settings`)."""
        return self.files.secrets_path

    @property
    def read_only(self) -> bool:
        """``QCS_SECRETS_READ_ONLY`` is set: we never write ``secrets.toml`` (as the SDK does not)."""
        return self.files.read_only

    def watched_paths(self) -> list[Path]:
        return self.files.watched_paths()

    def _load(self) -> Snapshot:
        return self.files.load()

    def _resolve(self, snapshot: Snapshot, profile: str | None) -> Target:
        return self.files.resolve(snapshot, profile)

    # ----- reading -------------------------------------------------------------------------------------------

    def read(self) -> list[CredentialStatus]:
        return self.reader.read()

    def status(self, name: str) -> CredentialStatus:
        """The status of profile ``name`` (an error status when the files or the profile are unusable)."""
        return self.reader.status(name)

    def names(self) -> list[str]:
        """The profiles that hold a usable credential (what the views list); empty when a file does not parse."""
        return [status.name for status in self.reader.read() if status.name]

    def can_be_default(self, name: str) -> str | None:
        """Every QCS profile the files hold can be the default."""
        return None

    # ----- writing -------------------------------------------------------------------------------------------

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        return self.writer.materialize(specs, source=source, reinit=reinit)

    def adopt(self, mode: str | None = None) -> list[str]:
        return self.writer.adopt(mode)

    def set_default(self, name: str, instance: str | None = None) -> None:
        self.writer.set_default(name, instance)

    def upload_names(self, filename: str, content: str) -> list[str]:
        return self.writer.upload_names(filename, content)

    def upload_hosts(self, filename: str, content: str) -> list[str]:
        return self.writer.upload_hosts(filename, content)

    def upload_replaces(self, filename: str, content: str) -> list[tuple[str, str]]:
        return self.writer.upload_replaces(filename, content)

    async def check_upload(self, filename: str, content: str) -> None:
        """Uploaded QCS files are checked by the refresh that follows the import (their access tokens may have
        expired already, and exchanging a refresh token here would spend it)."""

    def import_file(self, filename: str, content: str, *, make_default: bool = False) -> list[str]:
        return self.writer.import_file(filename, content, make_default=make_default)

    def remove(self, name: str) -> list[Path]:
        return self.remover.remove(name)

    # ----- tokens --------------------------------------------------------------------------------------------

    def _fast_path(self, target: Target, force: bool) -> str | None:
        return self.refresher._fast_path(target, force)

    def token_sync(self, profile: str | None = None) -> str:
        return self.refresher.token_sync(profile)

    async def token(self, profile: str | None = None, *, force: bool = False) -> str:
        return await self.refresher.token(profile, force=force)

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        return await self.refresher.refresh(name, force=force)

    def command_token(self, name: str | None = None) -> str:
        """``jupyter qcred token qcs [--profile P]``: :meth:`token_sync`, the SDK's ``externally_managed`` command."""
        return self.token_sync(name)

    # ----- signing in ----------------------------------------------------------------------------------------

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        return self.signin.pasted(data)

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        return await self.signin.check_specs(specs)

    def save(self, specs: Sequence[Any]) -> list[str]:
        return self.signin.save(specs)

    async def store_tokens(
        self,
        profile: str | None = None,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        default: bool = False,
    ) -> CredentialStatus:
        return await self.signin.store_tokens(
            profile, access_token=access_token, refresh_token=refresh_token, default=default
        )

    def login_profile(self, profile: str | None) -> str:
        return self.signin.login_profile(profile)

    async def start_device_login(self, profile: str | None = None) -> DeviceLogin:
        return await self.signin.start_device_login(profile)

    async def poll_device_login(self, login: DeviceLogin) -> DeviceLogin:
        return await self.signin.poll_device_login(login)

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

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)
