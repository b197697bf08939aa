"""Azure Quantum workspaces: the hub login's OIDC id_token kept fresh as a federated credential, checked with Entra.

azure-identity 1.27's ``WorkloadIdentityCredential`` (the second link of ``DefaultAzureCredential``'s chain, which
``azure.quantum.Workspace`` uses by default) takes ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID`` and
``AZURE_FEDERATED_TOKEN_FILE`` from the environment (and ``AZURE_AUTHORITY_HOST``, https only), reads the file at
most every 600 s (``TokenFileMixin``) and sends it to Entra ID as the ``client_assertion`` whenever its cached access
token needs renewing. So no Azure secret is ever stored: the kernels need a token file that is valid whenever the
SDK reads it, and those variables. The server renews the token once for every process (the OIDC refresh grant under
the lock of the workspace's note, or a pull of the hub's freshest id_token), early enough that a copy read up to
600 s before is still valid (:data:`SDK_REREAD`), and hands its kernels and terminals the variables
(:meth:`AzureProvider.exported_environment`), never over ones the user set. The token's files and renewal are
:mod:`..shared.idtoken` (Amazon Braket's too); this module adds the workspace and the Entra check.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...core.errors import FileFormatError, QCredError, RefusedError
from ...core.settings import Settings
from ...core.states import CredentialStatus, State, absent, fingerprint
from ..shared.idtoken import REINIT_ADVICE, LoginTokens, Wording, login_row
from ..shared.idtoken import due_at as login_due_at
from ..shared.specprovider import SpecProvider
from .spec import PUBLIC_AUTHORITY, AzureWorkspaceSpec, data_plane, parse_entry, workspace_parts
from .store import AzureStore, Stored

if TYPE_CHECKING:
    from ...core.secrets import Secret, TokenFormat
    from ..shared.client import Client

PROVIDER = "azure"
log = logging.getLogger("jupyter_qcred.azure")
#: How long azure-identity may keep presenting a token it read from the file (``TokenFileMixin``: 600 s), plus a
#: minute of clock skew: the file's token is renewed at the latest that long before it expires.
SDK_REREAD = timedelta(seconds=660)


def due_at(settings: Settings, token: str | None) -> datetime | None:
    """When the file's token must be renewed: the policy's moment, but never later than :data:`SDK_REREAD` before
    expiry (:meth:`~..shared.idtoken.LoginTokens.due_at`). None: no readable expiry."""
    return login_due_at(settings, token, SDK_REREAD)


class AzureProvider(SpecProvider):
    """Azure Quantum workspaces reached with the hub login's id_token as a federated credential."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "Azure Quantum"
    noun: ClassVar[str] = "workspace"
    methods: ClassVar[tuple[str, ...]] = ()
    order: ClassVar[int] = 60
    sandbox: ClassVar[str | None] = "jupyter_qcred.providers.azure.sandbox:STAND_IN"
    parse_entry = staticmethod(parse_entry)
    login_options: ClassVar[tuple[str, ...]] = (
        "tenant_id",
        "client_id",
        "resource_id",
        "location",
        "authority_host",
        "endpoint",
        "workspace",
        "issuer",
        "oidc_client_id",
    )

    @classmethod
    def from_auth_state(cls, auth_state: Mapping[str, Any], options: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """The workspace of the admin's ``options`` (``tenant_id``, ``client_id`` of the app registration whose
        federated credential trusts the login, ``resource_id``, ``location``...) with the login's id_token. With
        ``issuer`` and ``oidc_client_id`` (a public client) the login's refresh token goes along and the server
        renews the token itself; otherwise it pulls the hub's freshest id_token. None without an id_token."""
        id_token = auth_state.get("id_token")
        if not options or not options.get("client_id") or not isinstance(id_token, str) or not id_token:
            return []
        entry: dict[str, Any] = {"workspace": "default", **dict(options), "federated_token": id_token}
        refresh_token = auth_state.get("refresh_token")
        if options.get("issuer") and options.get("oidc_client_id") and isinstance(refresh_token, str) and refresh_token:
            entry.update(refresh_token=refresh_token, refresh="provider")
        else:
            entry.update(refresh="hub")
        return [{**entry, "default": True}]

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.store = AzureStore(settings)
        wording = Wording("workspace", "Azure Quantum workspace", client_key="oidc_client_id")
        self.login = LoginTokens(
            PROVIDER, self.title, settings, self.checks, self.store, self.store.load, wording, SDK_REREAD
        )

    @property
    def client(self) -> Client:
        """How this provider reaches Entra ID and the workspace (built on first use)."""
        return self.login.client

    def watched_paths(self) -> list[Path]:
        paths = [self.store.folder]
        for name in self.store.names():
            paths += [self.store.note_path(name), self.store.token_path(name)]
        return paths

    # ----- reading -------------------------------------------------------------------------------------------

    def read(self) -> list[CredentialStatus]:
        names = self.store.names()
        if not names:
            hint = "No Azure Quantum workspace: JupyterHub sets one up from your login when the admin configures one."
            return [absent(PROVIDER, self.store.folder, hint)]
        stored, statuses = [], []
        for name in names:
            try:
                stored.append(self.store.load(name))
            except QCredError as exc:
                path = exc.path if isinstance(exc, FileFormatError) else self.store.note_path(name)
                statuses.append(
                    CredentialStatus(provider=PROVIDER, name=name, state=State.ERROR, error=str(exc), file=path)
                )
        default = self.store.default_name(stored)
        return [self._status(s, s.workspace == default) for s in stored] + statuses

    def _status(self, stored: Stored, default: bool) -> CredentialStatus:
        via, resource_id, location = stored.refresh_via, stored.get("resource_id") or "", stored.get("location")
        status = self.login.status(
            stored.workspace,
            stored,
            file=self.store.note_path(stored.workspace),
            default=default,
            account={
                "resource_id": resource_id,
                "location": location,
                "tenant_id": stored.get("tenant_id"),
                "client_id": stored.get("client_id"),
                "token_file": str(stored.token_file),
                "refresh_via": via,
            },
        )
        try:
            _sub, group, name = workspace_parts(resource_id)
        except ValueError:
            group, name = "?", stored.workspace
        providers = status.account.get("providers")
        status.account["summary"] = f"{name} in {group} ({location})"
        status.account["fields"] = [
            ["Workspace", f"{name} (resource group {group})"],
            ["Resource id", resource_id],
            ["Location", location or "missing"],
            ["App", f"{stored.get('client_id')} in tenant {stored.get('tenant_id')}"],
            ["Providers", ", ".join(providers) if isinstance(providers, list) else "not checked yet"],
            login_row(via, "no Azure secret stored"),
        ]
        return status

    # ----- renewing and checking ---------------------------------------------------------------------------------

    def token_sync(self, name: str, *, force: bool = False) -> str:
        """A login token valid for at least :data:`SDK_REREAD`, renewed once for every process (blocking)."""
        return self.login.token_sync(name, force=force)

    async def token(self, name: str, *, force: bool = False) -> str:
        return await self.login.token(name, force=force)

    async def _check(self, spec_or_note: Mapping[str, Any], token: str, name: str) -> dict[str, Any]:
        """Entra's token for Azure Quantum with ``token`` as the assertion, then the workspace's provider status."""
        from .entra import status_flow, token_flow

        authority = str(spec_or_note.get("authority_host") or PUBLIC_AUTHORITY)
        granted = await self.client.arun(
            token_flow(authority, str(spec_or_note["tenant_id"]), str(spec_or_note["client_id"]), token, name)
        )
        endpoint = data_plane(str(spec_or_note["location"]), spec_or_note.get("endpoint"))
        return await self.client.arun(
            status_flow(endpoint, str(spec_or_note["resource_id"]), granted["access_token"], name)
        )

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Renew the login token if due (hub workspaces: the manager pulled it already), then check it with Entra
        and the workspace, as the kernels' azure-identity and azure-quantum will."""
        token = await self.token(name, force=force)
        stored = self.store.load(name)
        if token:
            try:
                account = await self._check(stored.note, token, name)
            except RefusedError as exc:
                self.checks.refuse(name, token, str(exc))
                raise
            self.checks.accepted(name, {**account, "fingerprint": fingerprint(token)})
        return next(s for s in self.read() if s.name == name)

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """Ask Entra and the workspace about each entry's login token before anything is written (a token renewed
        with the entry's refresh token first when it has none)."""
        import dataclasses

        checked = []
        for spec in specs:
            assert isinstance(spec, AzureWorkspaceSpec)
            if not spec.federated_token and spec.refresh_token and spec.issuer and spec.oidc_client_id:
                tokens = await self.client.arun(
                    self.login.oidc.refresh_grant(
                        spec.issuer,
                        spec.oidc_client_id,
                        spec.refresh_token,
                        what="the identity provider",
                        advice=REINIT_ADVICE,
                    )
                )
                spec = dataclasses.replace(
                    spec, federated_token=tokens.id_token, refresh_token=tokens.refresh_token or spec.refresh_token
                )
            if not spec.federated_token:
                raise QCredError(f"Azure Quantum workspace {spec.workspace!r} has no login token to check.")
            await self._check(dataclasses.asdict(spec), spec.federated_token, spec.workspace)
            checked.append(spec)
        return checked

    # ----- writing -----------------------------------------------------------------------------------------------

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        names = []
        for spec in specs:
            assert isinstance(spec, AzureWorkspaceSpec)
            self.store.write_workspace(spec, reinit=reinit)
            self.checks.forget(spec.workspace)
            names.append(spec.workspace)
            log.info("Azure Quantum workspace %s: written from %s", spec.workspace, source)
        return names

    def replacement(self, spec: Any, given: set[str]) -> Any:
        """A workspace replacing the stored one of its name keeps what the new entry does not say (its refresh
        token and how to renew, the authority and endpoint)."""
        import dataclasses

        try:
            note = self.store.load(spec.workspace).note
        except QCredError:
            return spec
        kept = {
            key: note[key]
            for key in ("authority_host", "endpoint", "issuer", "oidc_client_id", "refresh_token")
            if key not in given and getattr(spec, key) is None and isinstance(note.get(key), str)
        }
        if "refresh_token" in kept and "refresh" not in given:
            kept["refresh"] = str(note.get("refresh") or "provider")
        return dataclasses.replace(spec, **kept)

    def remove(self, name: str) -> list[Path]:
        """The workspace's token file and note (other workspaces kept)."""
        changed = self.store.remove_files(name)
        self.checks.forget(name)
        return changed

    def names(self) -> list[str]:
        return self.store.names()

    def upload_specs(self, filename: str, content: str) -> list[Any]:
        raise QCredError(
            "Azure Quantum credentials come from your JupyterHub login (no Azure secret is stored); re-initialize "
            "from JupyterHub instead of uploading a file."
        )

    # ----- what kernels and terminals get --------------------------------------------------------------------------

    def exported_environment(self) -> list[tuple[tuple[str, ...], str, str | None]]:
        """What the server hands its kernels and terminals (:mod:`.exports`)."""
        from .exports import exported

        return exported(self)

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)
