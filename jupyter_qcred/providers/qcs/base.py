"""What every part of the QCS provider shares: the two files, read as one snapshot, and a profile resolved to its auth
server and credential (:class:`QcsFiles`, the store part); what this process learnt beyond the files (:class:`Memory`).

:class:`~.provider.QcsProvider` is composed of parts, each a plain object given what it uses: this store, the
statuses (:mod:`.status`), the writer (:mod:`.writer`, :mod:`.removing`), the refresher (:mod:`.refresh`) and the
sign-in (:mod:`.signin`), with the protocol parts of :mod:`jupyter_qcred.providers.shared` (client, OIDC, renewer).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import tomlkit

from ...core import files
from ...core.errors import QCredError
from ...core.settings import Settings
from ...core.states import fingerprint
from . import handoff
from .model import (
    AuthServer,
    Credential,
    Profile,
    QcsSecrets,
    QcsSettings,
    TokenPayload,
    load_secrets,
    load_settings,
)

log = logging.getLogger("jupyter_qcred.qcs")

REINIT_ADVICE = (
    "sign in again: re-initialize the QCS credential (device login, a new token, the secrets.toml from the QCS "
    "tokens page, or a server restart from JupyterHub)."
)


@dataclasses.dataclass
class Snapshot:
    """Both files, parsed and validated together (what the SDK would load right now); ``secrets`` is the hand-off
    view: a handed-off credential appears as its real token payload."""

    settings_doc: tomlkit.TOMLDocument
    settings: QcsSettings
    secrets_doc: tomlkit.TOMLDocument
    secrets: QcsSecrets
    settings_exists: bool
    secrets_exists: bool


@dataclasses.dataclass
class Target:
    """A profile resolved to everything a token request needs."""

    profile: Profile
    server: AuthServer
    credential: Credential


@dataclasses.dataclass
class ClientToken:
    """An access token from the client_credentials grant (the SDK keeps those in memory only; so do we)."""

    fingerprint: str | None
    access_token: str = dataclasses.field(repr=False)
    issued_at: datetime | None
    expires_at: datetime | None


@dataclasses.dataclass
class Memory:
    """What this process learnt beyond the files (the views show it; nothing here is written to disk)."""

    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    refresh_via: dict[str, str] = dataclasses.field(default_factory=dict)
    #: credential -> (fingerprint of the refused refresh token or client secret, sentence)
    refused: dict[str, tuple[str | None, str]] = dataclasses.field(default_factory=dict)
    #: credential -> {"user", "groups", "note", "checked_at"}
    accounts: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    client_tokens: dict[str, ClientToken] = dataclasses.field(default_factory=dict)
    refreshed_at: dict[str, datetime] = dataclasses.field(default_factory=dict)
    #: ``QCS_SECRETS_READ_ONLY``: credential -> (fingerprint of the refresh token on disk it replaced, the tokens
    #: this process obtained and could not write).
    held: dict[str, tuple[str | None, TokenPayload]] = dataclasses.field(default_factory=dict)


class QcsFiles:
    """The store part: both files (``QCS_SETTINGS_FILE_PATH`` / ``QCS_SECRETS_FILE_PATH`` honoured by
    :class:`Settings`), read as one snapshot, and a profile resolved to its auth server and credential. Under
    ``QCS_SECRETS_READ_ONLY`` a credential's tokens are those this process holds (``memory.held``)."""

    def __init__(self, settings: Settings, memory: Memory) -> None:
        self.settings = settings
        self.memory = memory

    @property
    def settings_path(self) -> Path:
        """``settings.toml``."""
        return self.settings.qcs_settings_path

    @property
    def secrets_path(self) -> Path:
        """``secrets.toml``."""
        return self.settings.qcs_secrets_path

    def watched_paths(self) -> list[Path]:
        """Both files: the SDK and other processes change them."""
        return [self.settings_path, self.secrets_path]

    def load(self) -> Snapshot:
        """Both files, parsed and validated together."""
        settings_text = files.read_text(self.settings_path)
        settings_doc, settings = load_settings(self.settings_path, settings_text)
        secrets_text = files.read_text(self.secrets_path)
        secrets_doc, secrets_model = load_secrets(self.secrets_path, secrets_text)
        return Snapshot(
            settings_doc,
            settings,
            secrets_doc,
            handoff.view(secrets_model),
            settings_text is not None,
            secrets_text is not None,
        )

    def load_secrets(self) -> tuple[tomlkit.TOMLDocument, QcsSecrets]:
        """``secrets.toml`` with handed-off credentials shown as their real token payloads (:func:`handoff.view`)."""
        document, model = load_secrets(self.secrets_path, files.read_text(self.secrets_path))
        return document, handoff.view(model)

    @property
    def read_only(self) -> bool:
        """``QCS_SECRETS_READ_ONLY`` is set: we never write ``secrets.toml`` (as the SDK does not)."""
        return handoff.secrets_read_only(self.environ())

    def payload(self, credential: Credential) -> TokenPayload | None:
        """The token payload to use: the file's, or under ``QCS_SECRETS_READ_ONLY`` the tokens this process
        obtained since (as long as the file still holds the refresh token they replaced)."""
        payload = credential.token_payload
        held = self.memory.held.get(credential.name) if self.read_only else None
        if payload is not None and held is not None and held[0] == fingerprint(payload.refresh_token):
            return held[1]
        return payload

    def environ(self) -> dict[str, str]:
        return dict(self.settings.environ)

    def resolve(self, snapshot: Snapshot, profile: str | None) -> Target:
        """The profile (``None``: the SDK's default one) with its auth server and credential, or a clear error."""
        environ = self.environ()
        name = profile or snapshot.settings.effective_default(environ)
        found = snapshot.settings.profiles.get(name)
        if found is None:
            known = ", ".join(sorted(snapshot.settings.profiles)) or "none"
            raise QCredError(
                f"Rigetti QCS: there is no profile {name!r} in {self.settings_path} (profiles: {known}); choose "
                "another profile or re-initialize the credentials."
            )
        resolved = snapshot.settings.resolved(found, environ)
        server = snapshot.settings.auth_servers.get(resolved.auth_server_name)
        if server is None:
            raise QCredError(
                f"Rigetti QCS: profile {name!r} uses the auth server {resolved.auth_server_name!r}, which "
                f"{self.settings_path} does not define; add [auth_servers.{resolved.auth_server_name}] with "
                "client_id and issuer, or re-initialize."
            )
        credential = snapshot.secrets.credentials.get(resolved.credentials_name)
        if credential is None or not credential.usable:
            raise QCredError(
                f"Rigetti QCS: profile {name!r} uses the credential {resolved.credentials_name!r}, which "
                f"{self.secrets_path} does not hold; " + REINIT_ADVICE
            )
        return Target(resolved, server, credential)
