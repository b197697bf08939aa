"""REST API and push channel under ``{base_url}qcred/`` (the contract is docs/api.md).

Every handler requires Jupyter's authentication and authorization on the ``qcred`` resource (read for GET, write
otherwise); browser writes need the XSRF token like the rest of Jupyter Server. Inputs are validated strictly and
answers never contain a secret.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Set
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .errors import QCredError

if TYPE_CHECKING:
    from .server import QCredApp

AUTH_RESOURCE = "qcred"
MAX_FILE_BYTES = 256 * 1024


class QCredHandler(APIHandler):
    """Shared plumbing: the app, strict JSON bodies, and errors as sentences."""

    auth_resource = AUTH_RESOURCE

    @property
    def qcred(self) -> QCredApp:
        app: QCredApp = self.settings["qcred"]
        return app

    def body(self, allowed: Set[str]) -> dict[str, Any]:
        """The JSON object body, refusing unknown fields and wrong types with a 400 that says which."""
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except ValueError:
            raise web.HTTPError(400, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise web.HTTPError(400, "The request body must be a JSON object.")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise web.HTTPError(400, f"Unknown field {unknown[0]!r}; allowed fields: {', '.join(sorted(allowed))}.")
        for key, value in data.items():
            if value is not None and not isinstance(value, str):
                raise web.HTTPError(400, f"Field {key!r} must be a string.")
        return data

    def provider_key(self, data: dict[str, Any], required: bool = False) -> str | None:
        """The ``provider`` field, checked against the enabled providers."""
        key = data.get("provider")
        if key is None:
            if required:
                raise web.HTTPError(400, f"Field 'provider' is required: one of {', '.join(self.qcred.providers)}.")
            return None
        if key not in self.qcred.manager.providers:
            raise web.HTTPError(400, f"Unknown provider {key!r}; use one of: {', '.join(self.qcred.providers)}.")
        return str(key)

    def reply(self, data: dict[str, Any], status: int = 200) -> None:
        """Send JSON, never cached."""
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))


class StatusHandler(QCredHandler):
    """``GET qcred/status``: the status JSON."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(self.qcred.manager.snapshot_json())


class RefreshHandler(QCredHandler):
    """``POST qcred/refresh``: refresh now; failures are states in the answer, not HTTP errors."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body({"provider", "name"})
        provider = self.provider_key(data)
        try:
            snapshot = await self.qcred.manager.refresh(provider, data.get("name"), force=True)
        except QCredError as exc:
            raise web.HTTPError(404 if data.get("name") else 400, str(exc)) from None
        self.reply(snapshot)


class ReinitializeHandler(QCredHandler):
    """``POST qcred/reinitialize``: from the hub/bundle, a token, a credentials file, or a QCS device login."""

    FIELDS = frozenset(
        {
            "source",
            "provider",
            "token",
            "channel",
            "instance",
            "name",
            "access_token",
            "refresh_token",
            "profile",
            "filename",
            "content",
        }
    )

    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body(self.FIELDS)
        source = data.get("source") or "auto"
        from . import reinit

        try:
            if source in ("auto", "hub", "bundle"):
                result = await reinit.from_source(self.qcred, source)
            elif source == "token":
                result = await reinit.from_token(self.qcred, self.provider_key(data, required=True) or "", data)
            elif source == "file":
                content = data.get("content") or ""
                if len(content.encode()) > MAX_FILE_BYTES:
                    raise web.HTTPError(400, "The credentials file is too large (at most 256 KiB).")
                result = await reinit.from_file(
                    self.qcred, self.provider_key(data, required=True) or "", data.get("filename") or "", content
                )
            elif source == "device":
                if (self.provider_key(data) or "qcs") != "qcs":
                    raise web.HTTPError(400, "The device login is only available for Rigetti QCS.")
                result = {"login": await reinit.start_device_login(self.qcred, data.get("profile"))}
            else:
                raise web.HTTPError(400, "Field 'source' must be one of: auto, hub, bundle, token, file, device.")
        except reinit.InputError as exc:
            raise web.HTTPError(400, str(exc)) from None
        except QCredError as exc:
            raise web.HTTPError(409 if isinstance(exc, reinit.UnavailableError) else 502, str(exc)) from None
        self.reply(result)


class RestartHandler(QCredHandler):
    """``POST qcred/restart``: stop this server through the hub; the browser then follows ``spawn_url``."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.body(set())
        hub = self.qcred.hub
        if not hub.available:
            raise web.HTTPError(
                409,
                "This server is not running under JupyterHub, so it cannot restart itself: stop it (File > Shut "
                "Down) and start it again.",
            )
        if hub.info()["can_restart"] is False:
            from .hubclient import RESTART_FIX

            raise web.HTTPError(403, f"This server's hub token may not stop the server. {RESTART_FIX}")
        self.reply({"stopping": True, "spawn_url": hub.spawn_url}, status=202)
        # Ask the hub only once the answer is on its way: the hub stops this very process.
        self.qcred.schedule_stop()


class DefaultHandler(QCredHandler):
    """``PUT qcred/default``: the default IBM account (and hub/group/project) or QCS profile."""

    @web.authenticated
    @authorized
    async def put(self) -> None:
        data = self.body({"provider", "name", "instance"})
        provider = self.provider_key(data, required=True) or ""
        name = data.get("name")
        if not name:
            raise web.HTTPError(400, "Field 'name' is required: the account or profile to make the default.")
        known = {s.name for s in self.qcred.manager.statuses() if s.provider == provider and s.name}
        if name not in known:
            raise web.HTTPError(404, f"There is no {provider} credential named {name!r}.")
        try:
            await asyncio.to_thread(self.qcred.manager.providers[provider].set_default, name, data.get("instance"))
        except QCredError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.qcred.manager.reload()
        self.reply(self.qcred.manager.snapshot())


class EventsHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """``GET qcred/events``: a WebSocket that sends the status JSON on connect and after every change."""

    auth_resource = AUTH_RESOURCE
    _unsubscribe: Callable[[], None] | None = None

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        user = self.current_user
        if not await _maybe_await(self.authorizer.is_authorized(self, user, "read", AUTH_RESOURCE)):
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        manager = self.settings["qcred"].manager
        self._send({"type": "status", "status": manager.snapshot(), "change": None})
        self._unsubscribe = manager.subscribe(self._send)

    def _send(self, event: dict[str, Any]) -> None:
        try:
            self.write_message(json.dumps(event))
        except WebSocketClosedError:
            self.on_close()

    def on_message(self, message: str | bytes) -> None:
        """The channel is one-way; clients' messages are ignored."""

    def on_close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


async def _maybe_await(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future) else value


ROUTES: list[tuple[str, type]] = [
    ("status", StatusHandler),
    ("refresh", RefreshHandler),
    ("reinitialize", ReinitializeHandler),
    ("restart", RestartHandler),
    ("default", DefaultHandler),
    ("events", EventsHandler),
]


def handlers(base: str = "qcred") -> list[tuple[str, type]]:
    """Routes relative to the server's base_url (ExtensionApp prefixes it)."""
    return [(url_path_join("/", base, path), handler) for path, handler in ROUTES]
