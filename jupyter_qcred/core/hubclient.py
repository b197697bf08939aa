"""The single-user server's side of JupyterHub: who we are, what our token may do, pull credentials, stop.

Uses only the server's own ``JUPYTERHUB_API_TOKEN``. Re-initializing needs ``admin:auth_state!user`` on the
``server`` role and restarting needs ``delete:servers!server``; :func:`jupyter_qcred.hub.configure` grants both.
When a scope is missing, the error names the hub configuration line that fixes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .authstate import Options, bundle_from_auth_state, login_options
from .bundle import Bundle
from .errors import ForbiddenError, QCredError
from .flows import expect_ok

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("jupyter_qcred.hub")

REINIT_FIX = (
    "Ask the hub's admin to call jupyter_qcred.hub.configure(c) in jupyterhub_config.py (it grants the server role "
    "the scope admin:auth_state!user), then restart your server."
)
RESTART_FIX = (
    "Ask the hub's admin to call jupyter_qcred.hub.configure(c) in jupyterhub_config.py (it adds "
    "delete:servers!server to c.Spawner.server_token_scopes), then restart your server from the hub's home page."
)
NOT_UNDER_HUB = (
    "This server is not running under JupyterHub, so it cannot restart itself: stop it (File > Shut Down) and "
    "start it again the way you started it."
)
NO_RESTART_SCOPE = f"This server's hub token may not stop the server. {RESTART_FIX}"


def _segment(name: str) -> str:
    """``name`` as one URL path segment: quoted, and never ``.`` or ``..`` (which clients resolve away)."""
    quoted = quote(name, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


class HubError(QCredError):
    """JupyterHub could not do what we asked."""


class HubClient:
    """Talks to the hub's REST API with the server's own token."""

    def __init__(
        self,
        api_url: str | None,
        token: str | None,
        user: str | None,
        server_name: str = "",
        base_url: str = "/",
        timeout: float = 20.0,
        options: Options | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.api_url = (api_url or "").rstrip("/")
        self._token = token
        self.user = user
        self.server_name = server_name
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        #: Each provider's options for entries from the login's own tokens (see :mod:`.authstate`); from
        #: ``environ``'s ``QCRED_<KEY>_<OPTION>`` variables when not given, read at the first pull (which loads the
        #: providers: never at server start).
        self._options: dict[str, Mapping[str, Any] | None] | None = dict(options) if options is not None else None
        self._environ = dict(environ or {})
        self.scopes: set[str] | None = None
        #: Why the last restart failed (shown in the status JSON until the next one).
        self.restart_error: str | None = None
        self._probe: asyncio.Task[None] | None = None
        self._stopping: set[asyncio.Future[None]] = set()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], timeout: float = 20.0) -> HubClient:
        """From the variables JupyterHub sets for a single-user server (and those hub.configure adds)."""
        return cls(
            api_url=environ.get("JUPYTERHUB_API_URL"),
            token=environ.get("JUPYTERHUB_API_TOKEN"),
            user=environ.get("JUPYTERHUB_USER"),
            server_name=environ.get("JUPYTERHUB_SERVER_NAME", ""),
            base_url=environ.get("JUPYTERHUB_BASE_URL", "/"),
            timeout=timeout,
            environ=environ,
        )

    def options(self) -> Options:
        """Each provider's login options (see :attr:`_options`)."""
        if self._options is None:
            self._options = dict(login_options(self._environ))
        return self._options

    def __repr__(self) -> str:
        return f"HubClient(api_url={self.api_url!r}, user={self.user!r}, server_name={self.server_name!r})"

    @property
    def available(self) -> bool:
        """Whether this server runs under JupyterHub."""
        return bool(self.api_url and self._token and self.user)

    @property
    def spawn_url(self) -> str | None:
        """The hub page that starts this server again (named servers included)."""
        if not self.available or self.user is None:
            return None
        url = f"{self.base_url}hub/spawn/{_segment(self.user)}"
        return url + (f"/{_segment(self.server_name)}" if self.server_name else "")

    @property
    def hub_url(self) -> str | None:
        """The hub's pages and REST API as the browser reaches them (through the proxy), e.g. ``/hub/``."""
        return f"{self.base_url}hub/" if self.available else None

    def restart_answer(self) -> dict[str, Any]:
        """What the browser needs to follow a restart it cannot watch from this (stopping) server: the hub's own
        address, the user and server to ask the hub about, and the page that starts the server again."""
        return {
            "stopping": True,
            "spawn_url": self.spawn_url,
            "hub_url": self.hub_url,
            "user": self.user,
            "server_name": self.server_name,
        }

    def _has(self, prefix: str) -> bool | None:
        if self.scopes is None:
            return None
        own = {f"{prefix}!user={self.user}", f"{prefix}!user", prefix}
        if prefix == "delete:servers":
            own |= {f"delete:servers!server={self.user}/{self.server_name}", "delete:servers!server"}
        return bool(self.scopes & own)

    def info(self) -> dict[str, Any]:
        """The ``hub`` part of the status JSON."""
        if not self.available:
            return {
                "available": False,
                "user": None,
                "server_name": "",
                "spawn_url": None,
                "can_restart": False,
                "can_reinitialize": False,
                "hub_url": None,
                "restart_unavailable": NOT_UNDER_HUB,
            }
        restart, reinit = self._has("delete:servers"), self._has("admin:auth_state")
        return {
            "available": True,
            "user": self.user,
            "server_name": self.server_name,
            "spawn_url": self.spawn_url,
            # Unknown until the hub answered: offer the action and let the hub say no.
            "can_restart": True if restart is None else restart,
            "can_reinitialize": True if reinit is None else reinit,
            "restart_error": self.restart_error,
            "hub_url": self.hub_url,
            # Why Restart is disabled, for the views that show it greyed out rather than hide it.
            "restart_unavailable": NO_RESTART_SCOPE if restart is False else None,
        }

    async def start(self) -> None:
        """Learn our token's scopes in the background (start-up never waits on the hub)."""
        if self.available and self._probe is None:
            self._probe = asyncio.ensure_future(self._learn_scopes())

    async def restart(self, on_failed: Callable[[], None], delay: float = 0.2) -> dict[str, Any]:
        """Ask the hub to stop this server shortly, once the HTTP answer that announced it has left (the hub stops
        this very process); the answer tells the browser where to start it again. A failure is kept in
        :attr:`restart_error` (the status's ``hub`` part) and announced with ``on_failed()``."""
        if self.info()["can_restart"] is False:
            raise ForbiddenError(NO_RESTART_SCOPE)
        self.restart_error = None  # a new attempt: the browser watches for this one's failure only

        async def stop_later() -> None:
            try:
                await self.stop_server()
            except QCredError as exc:
                self.restart_error = str(exc)
                log.error("jupyter_qcred: restart failed: %s", exc)
                on_failed()

        def launch() -> None:
            task = asyncio.ensure_future(stop_later())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

        asyncio.get_running_loop().call_later(delay, launch)
        return self.restart_answer()

    async def stop(self) -> None:
        """Cancel the background probe and a restart in flight (this server is stopping anyway)."""
        for task in list(self._stopping):
            task.cancel()
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe

    async def _learn_scopes(self) -> None:
        try:
            body = await self._request("GET", "/user", "asking the hub who this server is")
        except QCredError as exc:
            log.warning("jupyter_qcred: %s", exc)
            return
        scopes = body.get("scopes") if isinstance(body, dict) else None
        if isinstance(scopes, list):
            self.scopes = {str(scope) for scope in scopes}

    def _client(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(
            timeout=self.timeout, headers={"Authorization": f"token {self._token}"}, follow_redirects=False
        )

    async def _request(self, method: str, path: str, what: str) -> Any:
        if not self.available:
            raise HubError(
                "This server is not running under JupyterHub, so there is no hub to ask. Re-initialize with a "
                "token or a credentials file instead, and restart the server yourself."
            )
        import httpx

        try:
            async with self._client() as client:
                response = await client.request(method, self.api_url + path)
        except httpx.HTTPError as exc:
            raise HubError(f"JupyterHub did not answer {what} ({type(exc).__name__}); try again later.") from None
        if response.status_code in (401, 403):
            raise HubError(f"JupyterHub refused {what} (HTTP {response.status_code}).")
        if response.status_code in (202, 204):
            return None
        try:
            return expect_ok(response, "hub", what)
        except QCredError as exc:
            raise HubError(str(exc)) from None

    async def fetch_bundle(self) -> Bundle:
        """Fresh credentials from the user's auth_state (reading it makes the hub run ``refresh_user``)."""
        assert self.user is not None or not self.available
        path = f"/users/{_segment(self.user or '')}"
        try:
            model = await self._request("GET", path, "the request for your credentials")
        except HubError as exc:
            if "refused" in str(exc):
                raise HubError(f"{exc} {REINIT_FIX}") from None
            raise
        if not isinstance(model, dict) or "auth_state" not in model:
            raise HubError(f"JupyterHub did not share your credentials with this server. {REINIT_FIX}")
        if model["auth_state"] is None:
            raise HubError(
                "JupyterHub holds no credentials for you (auth_state is empty): log out of the hub and log in "
                "again, or ask the admin to enable auth_state (c.Authenticator.enable_auth_state = True)."
            )
        return bundle_from_auth_state(model["auth_state"], self.options(), where="JupyterHub auth_state")

    async def stop_server(self) -> str:
        """Ask the hub to stop this server; returns the spawn page the browser should go to next."""
        user = _segment(self.user or "")
        path = f"/users/{user}/servers/{_segment(self.server_name)}" if self.server_name else f"/users/{user}/server"
        try:
            await self._request("DELETE", path, "the request to stop this server")
        except HubError as exc:
            if "refused" in str(exc):
                raise HubError(f"{exc} {RESTART_FIX}") from None
            raise
        return self.spawn_url or "/hub/home"
