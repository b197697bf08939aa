"""Signing in to QCS by hand: tokens a person pasted, and the RFC 8628 device login started from the panel.

A sign-in replaces whatever the profile held (it is a re-initialization) and creates the profile when it is new,
starting from the default profile's API and auth server, so a group account on the same QCS deployment works. A
pasted refresh token is exchanged before anything is written: a refused one leaves the files as they were.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from ...core.errors import FieldError, ProviderError, QCredError, RefusedError
from ...core.flows import Flow
from ...core.logins import DeviceLogin
from ...core.states import CredentialStatus, utcnow
from ...core.validation import Fields
from ..shared.client import Client
from ..shared.oidc import Oidc, TokenResponse
from ..shared.times import jwt_times
from . import loginclient
from .api import PROVIDER, account_flow
from .base import Memory, QcsFiles, Snapshot, log
from .loginclient import LOGIN_AUTH_SERVER, LoginClient
from .model import DEFAULT_PROFILE_NAME, AuthServer, Profile
from .refresh import QcsRefresher
from .spec import QcsProfileSpec, parse_entry
from .status import QcsStatus
from .writer import QcsWriter


class QcsSignIn:
    """Pasted tokens and device logins for QCS profiles: checked with the cloud first, then written by the writer
    as a re-initialization, then checked with the QCS API by the refresher."""

    def __init__(
        self,
        files: QcsFiles,
        memory: Memory,
        reader: QcsStatus,
        writer: QcsWriter,
        refresher: QcsRefresher,
        *,
        client: Client,
        oidc: Oidc,
    ) -> None:
        self.files = files
        self.memory = memory
        self.reader = reader
        self.writer = writer
        self.refresher = refresher
        self.client = client
        self.oidc = oidc
        #: client id -> the client logins were started with (for the tokens' auth server and the sentences)
        self._login_clients: dict[str, LoginClient] = {}

    def _profile_target(self, profile: str | None) -> tuple[str, AuthServer, str]:
        """Profile name, its auth server and its credential name, for a profile that may not exist yet."""
        snapshot = self.files.load()
        name = profile or snapshot.settings.effective_default(self.files.environ())
        found = snapshot.settings.profiles.get(name) or self._template(snapshot)
        server_name = found.auth_server_name if found else DEFAULT_PROFILE_NAME
        server = snapshot.settings.auth_servers.get(server_name) or AuthServer()
        return name, server, found.credentials_name if name in snapshot.settings.profiles and found else name

    def _api_url_for(self, name: str) -> str:
        """The QCS API a sign-in into profile ``name`` will use: the profile's, or for a new profile the default
        profile's (what :meth:`_save_sign_in` writes), never a guess."""
        snapshot = self.files.load()
        found = snapshot.settings.profiles.get(name) or self._template(snapshot) or Profile(name)
        return snapshot.settings.resolved(found, self.files.environ()).api_url

    def _template(self, snapshot: Snapshot) -> Profile | None:
        """The default profile, whose API and auth server a profile created by a sign-in starts from (a group
        account on the same QCS deployment), rather than the public service's defaults."""
        return snapshot.settings.profiles.get(snapshot.settings.effective_default(self.files.environ()))

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        """The tokens a person pasted for ``profile`` (None: the default profile; a new profile starts from the
        default one's API and auth server when it is saved)."""
        access = str(data.get("access_token") or "").strip() or None
        refresh = str(data.get("refresh_token") or "").strip() or None
        if not access and not refresh:
            raise QCredError("Paste your QCS refresh token (and optionally an access token).")
        name = self._profile_target(str(data.get("profile") or "") or None)[0]
        entry = {"profile": name, "access_token": access, "refresh_token": refresh}
        return [parse_entry(Fields("The QCS tokens you entered", "qcs[0]", entry))]

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """A pasted refresh token is exchanged at once, and the fresh pair is what is written (a pasted access token
        is superseded); an access token pasted alone is checked with the profile's QCS API (the default profile's
        for a new one). A refusal raises RefusedError, and nothing is written."""
        checked = []
        for spec in specs:
            access, refresh = spec.access_token, spec.refresh_token
            if refresh is not None:
                server = self._profile_target(spec.profile)[1]
                # Under a hub the profile's client is the hub's confidential one: a refresh token a person pasted
                # (from the QCS CLI's login, from a colleague's notebook) belongs to a public client.
                client = self.login_client(spec.profile)
                try:
                    tokens = await self.client.arun(
                        self.oidc.refresh_grant(
                            server.issuer,
                            client.client_id,
                            refresh,
                            what="the identity provider",
                            advice="the pasted refresh token is not valid (expired, revoked or from another client); "
                            "copy a fresh one.",
                        )
                    )
                except RefusedError as exc:
                    log.warning(
                        "QCS profile %s: the pasted refresh token was refused; nothing was written", spec.profile
                    )
                    raise loginclient.naming_client(exc, client) if client.own else exc from None
                access, refresh = tokens.access_token, tokens.refresh_token or refresh
                if client.own:  # written with an auth server naming the client that can refresh these tokens
                    self._login_clients[client.client_id] = client
                    spec = dataclasses.replace(spec, client_id=client.client_id, auth_server_name=LOGIN_AUTH_SERVER)
            else:
                try:
                    await self.client.arun(account_flow(self._api_url_for(spec.profile), access))
                except RefusedError:
                    log.warning(
                        "QCS profile %s: the pasted access token was refused; nothing was written", spec.profile
                    )
                    raise
            checked.append(dataclasses.replace(spec, access_token=access, refresh_token=refresh))
        return checked

    def save(self, specs: Sequence[Any]) -> list[str]:
        """Checked tokens a person gave replace whatever each profile held (creating it if needed)."""
        for spec in specs:
            own = spec.auth_server_name == LOGIN_AUTH_SERVER
            client = self._login_clients.get(spec.client_id or "") if own else None
            self._save_sign_in(spec.profile, spec.access_token, spec.refresh_token, "token", spec.default, client)
        return [spec.profile for spec in specs]

    async def store_tokens(
        self,
        profile: str | None = None,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        default: bool = False,
    ) -> CredentialStatus:
        """Re-initialize ``profile`` from pasted tokens (:meth:`pasted`, :meth:`check_specs`, :meth:`save`; the
        service's ``add_token`` adds the rules about names and defaults), and return its status."""
        data = {"profile": profile, "access_token": access_token, "refresh_token": refresh_token}
        try:
            (spec,) = self.pasted(data)
        except QCredError:
            raise FieldError("QCS sign-in", "refresh_token", "is required (or an access_token)") from None
        (spec,) = await self.check_specs([dataclasses.replace(spec, default=default)])
        await asyncio.to_thread(self.save, [spec])
        return await self._after_sign_in(spec.profile)

    async def _after_sign_in(self, name: str) -> CredentialStatus:
        snapshot = self.files.load()
        target = self.files.resolve(snapshot, name)
        payload = target.credential.token_payload
        if payload and payload.access_token and not jwt_times(payload.access_token).problem:
            await self.refresher.update_account(target.credential.name, target.profile.api_url, payload.access_token)
        return self.reader.status(name)

    def login_profile(self, profile: str | None) -> str:
        """The profile a login for ``profile`` (None: the default) signs in to."""
        return self._profile_target(profile)[0]

    def login_client(self, profile: str | None) -> LoginClient:
        """The OAuth client a browser login into ``profile`` uses: never the hub's confidential one (see
        :mod:`.loginclient`)."""
        name, server, credential = self._profile_target(profile)
        snapshot = self.files.load()
        found = snapshot.settings.profiles.get(name) or self._template(snapshot)
        server_name = found.auth_server_name if found else DEFAULT_PROFILE_NAME
        where = f"[auth_servers.{server_name}] in {self.files.settings_path}"
        return loginclient.choose(self.files.environ(), server, self.memory.refresh_via.get(credential), where)

    def _device_start_flow(self, profile: str | None) -> Flow[DeviceLogin]:
        name, server, _credential = self._profile_target(profile)
        client = self.login_client(profile)
        try:
            discovery, authorization = yield from self.oidc.device_authorization(server.issuer, client.client_id)
        except ProviderError as exc:
            raise loginclient.naming_client(exc, client) from None
        self._login_clients[client.client_id] = client
        return DeviceLogin(
            id=secrets.token_urlsafe(6),
            profile=name,
            provider=PROVIDER,
            user_code=authorization.user_code,
            verification_uri=authorization.verification_uri,
            verification_uri_complete=authorization.verification_uri_complete,
            expires_at=utcnow() + timedelta(seconds=authorization.expires_in),
            interval=authorization.interval,
            device_code=authorization.device_code,
            token_endpoint=discovery.token_endpoint,
            client_id=client.client_id,
        )

    async def start_device_login(self, profile: str | None = None) -> DeviceLogin:
        """Begin a browser sign-in (RFC 8628) for ``profile``: show ``user_code`` and ``verification_uri``."""
        login = await self.client.arun(self._device_start_flow(profile))
        log.info("QCS profile %s: device login %s started", login.profile, login.id)
        return login

    def _device_poll_flow(self, login: DeviceLogin) -> Flow[TokenResponse | None]:
        """One poll; updates ``login`` and returns the tokens when the person finished signing in."""
        if login.finished:
            return None
        if utcnow() >= login.expires_at:
            login.state = "expired"
            login.error = "The sign-in code expired before it was used; start the QCS login again."
            return None
        try:
            poll = yield from self.oidc.device_poll(login.token_endpoint, login.client_id, login.device_code)
        except ProviderError as exc:
            client = self._login_clients.get(login.client_id) or LoginClient(login.client_id, "", own=False)
            raise loginclient.naming_client(exc, client) from None
        if poll.outcome == "slow_down":
            login.interval += 5
        elif poll.outcome == "expired":
            login.state = "expired"
            login.error = "The sign-in code expired before it was used; start the QCS login again."
        elif poll.outcome == "denied":
            login.state = "failed"
            login.error = "The QCS sign-in was denied in the browser; start the login again to retry."
        elif poll.outcome == "done":
            return poll.tokens
        return None

    def _save_sign_in(
        self,
        profile: str,
        access_token: str,
        refresh_token: str | None,
        source: str,
        default: bool = False,
        client: LoginClient | None = None,
    ) -> None:
        """Write tokens a person just obtained into ``profile`` (creating it if needed), whatever was there.

        Tokens of a login through a client other than the profile's (``client.own``: the public client for
        notebook-server logins under a hub) get the auth server :data:`LOGIN_AUTH_SERVER` naming that client: only
        it can refresh them."""
        name, server, credential = self._profile_target(profile)
        snapshot = self.files.load()
        template = None if name in snapshot.settings.profiles else self._template(snapshot)
        own = client is not None and client.own
        spec = QcsProfileSpec(
            profile=name,
            access_token=access_token,
            refresh_token=refresh_token,
            credentials_name=credential,
            api_url=template.api_url if template else None,
            grpc_api_url=template.grpc_api_url if template else None,
            auth_server_name=LOGIN_AUTH_SERVER if own else template.auth_server_name if template else None,
            client_id=client.client_id if client is not None and own else None,
            issuer=server.issuer if own else None,
            default=default,
        )
        self.writer.write_profiles([spec], source=source, reinit=True, keep_newer=False)
        self.memory.refresh_via[credential] = "provider"

    def _finish_login(self, login: DeviceLogin, tokens: TokenResponse | None) -> None:
        if tokens is None:
            return
        client = self._login_clients.get(login.client_id)
        self._save_sign_in(login.profile, tokens.access_token, tokens.refresh_token, "device", client=client)
        login.state = "done"
        log.info("QCS profile %s: device login %s finished; tokens saved", login.profile, login.id)

    async def poll_device_login(self, login: DeviceLogin) -> DeviceLogin:
        """Ask once whether the person finished signing in; on success the tokens are saved into the profile.

        Updates and returns ``login``: ``state`` stays ``pending`` (poll again after ``login.interval`` seconds,
        which grows on ``slow_down``), or becomes ``done``, ``failed`` (denied) or ``expired``. Transport trouble
        raises :class:`TransientProviderError` and leaves the login pending.
        """
        tokens = await self.client.arun(self._device_poll_flow(login))
        if tokens is not None:
            # Writing waits for the file locks: keep the event loop free meanwhile.
            await asyncio.to_thread(self._finish_login, login, tokens)
            await self._after_sign_in(login.profile)
        return login
