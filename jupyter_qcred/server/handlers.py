"""REST API and push channel under ``{base_url}qcred/`` (the contract is docs/api.md).

Every handler requires Jupyter's authentication and authorization on the ``qcred`` resource (read for GET, write
otherwise); browser writes need the XSRF token like the rest of Jupyter Server. Inputs are validated strictly and
answers never contain a secret. Bodies are streamed and their size checked before anything is kept or parsed
(a 200 MB POST costs no memory), JSON nesting is limited, and every bad input is a 4xx with a sentence.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Set
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..core import safejson
from ..core.doctor import Memo
from ..core.errors import (
    BusyError,
    FieldError,
    HostsError,
    LockTimeoutError,
    ProviderError,
    QCredError,
    RefusedError,
)
from ..core.service import (
    CredentialService,
    ExistsError,
    ForbiddenError,
    InputError,
    NotFoundError,
    UnavailableError,
)
from ..core.validation import Fields

AUTH_RESOURCE = "qcred"
MAX_FILE_BYTES = 256 * 1024
#: The largest request body kept: a credentials file of MAX_FILE_BYTES as a JSON string, with room to spare.
MAX_BODY_BYTES = 1024 * 1024
#: Bodies up to this size are read to their end and dropped, so the client gets the 413 and its sentence.
DRAIN_BYTES = 1024 * 1024 * 1024
#: HTTP status of each failure the service layer names; a provider's failure answers 502, and anything else we
#: refuse (a file or folder in the way) 409.
ERROR_STATUS: tuple[tuple[type[QCredError], int], ...] = (
    (InputError, 400),
    (FieldError, 400),
    (RefusedError, 400),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (UnavailableError, 409),
    (BusyError, 429),
    (LockTimeoutError, 503),
    (ProviderError, 502),
)


@web.stream_request_body
class QCredHandler(APIHandler):
    """Shared plumbing: the service (handed over by ``initialize``), strict JSON bodies, errors as sentences."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, ready: Callable[[], Awaitable[CredentialService]]) -> None:
        """Tornado hands each handler the service layer, never the whole app (as jupyter-server-proxy does): as
        ``ready()``, which waits for the start-up to have written the files."""
        self._ready = ready
        self._received = bytearray()
        self._too_large = False

    async def prepare(self) -> None:  # type: ignore[override]
        """A body announced too large is not kept at all; the rest is counted while it streams in.

        The refusal (413) is sent once the body has been read and dropped: answering before would make the client
        see a connection reset instead of the sentence (the unread data makes the kernel reset the connection).
        """
        await super().prepare()  # authentication (the method's decorators then decide)
        if not self.current_user:  # nobody to answer politely: refused before a single byte of the body is read
            raise web.HTTPError(403)
        self.service = await self._ready()
        length = self.request.headers.get("Content-Length", "")
        self._too_large = length.isdigit() and int(length) > MAX_BODY_BYTES
        # Up to DRAIN_BYTES are read (and dropped) so the sentence arrives; beyond, Tornado cuts the connection.
        self.request.connection.set_max_body_size(DRAIN_BYTES)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        """Keep at most MAX_BODY_BYTES of the body; drop the rest."""
        if self._too_large:
            return
        if len(self._received) + len(chunk) > MAX_BODY_BYTES:
            self._too_large = True
            self._received.clear()
            return
        self._received += chunk

    def body(self, allowed: Set[str], flags: Set[str] = frozenset()) -> dict[str, Any]:
        """The JSON object body, checked by the same validator as bundles: unknown fields and wrong types are a
        400 that names the field. Fields in ``flags`` are booleans; every other value is a string."""
        if self._too_large:
            raise web.HTTPError(413, _TOO_LARGE)
        if not self._received:
            return {}
        try:
            data = safejson.loads(bytes(self._received))
        except safejson.TooDeepError:
            raise web.HTTPError(
                400, f"The request body nests deeper than {safejson.MAX_DEPTH} levels; send a flat JSON object."
            ) from None
        except ValueError:
            raise web.HTTPError(400, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise web.HTTPError(400, "The request body must be a JSON object.")
        try:
            fields = Fields("The request body", "", data)
            fields.unknown(allowed | flags)
            for flag in flags:
                fields.flag(flag, None)
            Fields("The request body", "", {k: v for k, v in data.items() if k not in flags}).only_text()
        except FieldError as exc:
            raise web.HTTPError(400, str(exc)) from None
        return data

    async def run(self, operation: Awaitable[dict[str, Any]], status: int = 200) -> None:
        """Run a service operation and answer its JSON, or its failure as a status and a sentence."""
        try:
            result = await operation
        except ExistsError as exc:
            # A conflict a view resolves by asking: say which credential, so it can offer "replace".
            self.set_status(409)
            self.finish(
                json.dumps({"message": str(exc), "reason": "exists", "provider": exc.provider, "name": exc.name})
            )
            return
        except HostsError as exc:
            # Hosts an upload would send tokens to: a view shows them and asks before anything is written or sent.
            self.set_status(409)
            self.finish(
                json.dumps({"message": str(exc), "reason": "hosts", "provider": exc.provider, "hosts": exc.hosts})
            )
            return
        except QCredError as exc:
            code = next((code for kind, code in ERROR_STATUS if isinstance(exc, kind)), 409)
            raise web.HTTPError(code, str(exc)) from None
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(result))


_TOO_LARGE = f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB; credentials files are at most 256 KiB."


class StatusHandler(QCredHandler):
    """``GET qcred/status``: the status JSON."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(self.service.status_json())


class RefreshHandler(QCredHandler):
    """``POST qcred/refresh``: refresh now; failures are outcomes in the answer, not HTTP errors."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body({"provider", "name"})
        await self.run(self.service.refresh(data.get("provider"), data.get("name")))


class ReinitializeHandler(QCredHandler):
    """``POST qcred/reinitialize``: from the hub/bundle, a token, a credentials file, or a QCS device login."""

    FIELDS = frozenset(
        {
            "source",
            "provider",
            "token",
            "channel",
            "instance",
            "url",
            "name",
            "access_token",
            "refresh_token",
            "profile",
            "filename",
            "content",
        }
    )

    FLAGS = frozenset({"replace", "make_default", "trust_hosts"})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body(self.FIELDS, self.FLAGS)
        source = data.get("source") or "auto"
        service = self.service
        choices = {"replace": data.get("replace") is True, "make_default": data.get("make_default") is True}
        if source in ("auto", "hub", "bundle"):
            await self.run(service.reinitialize(source))
        elif source == "token":
            await self.run(service.add_token(data.get("provider") or "", data, **choices))
        elif source == "file":
            content = data.get("content") or ""
            if len(content.encode()) > MAX_FILE_BYTES:
                raise web.HTTPError(400, "The credentials file is too large (at most 256 KiB).")
            provider, filename = data.get("provider") or "", data.get("filename") or ""
            trust = data.get("trust_hosts") is True
            await self.run(service.import_file(provider, filename, content, **choices, trust_hosts=trust))
        elif source == "device":
            await self.run(service.start_login(data.get("provider"), data.get("profile")))
        else:
            raise web.HTTPError(400, "Field 'source' must be one of: auto, hub, bundle, token, file, device.")


class RestartHandler(QCredHandler):
    """``POST qcred/restart``: stop this server through the hub; the browser then follows ``spawn_url``."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.body(set())
        await self.run(self.service.restart(), status=202)


class DefaultHandler(QCredHandler):
    """``PUT qcred/default``: the default IBM account (and hub/group/project) or QCS profile."""

    @web.authenticated
    @authorized
    async def put(self) -> None:
        data = self.body({"provider", "name", "instance"})
        await self.run(self.service.set_default(data.get("provider") or "", data.get("name"), data.get("instance")))


class RemoveHandler(QCredHandler):
    """``POST qcred/remove``: remove an IBM account or a QCS profile (the views confirm first)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body({"provider", "name"})
        await self.run(self.service.remove(data.get("provider") or "", data.get("name")))


class DoctorHandler(QCredHandler):
    """``GET qcred/doctor?path=<folder relative to the server's root>``: which credential each installed SDK will use
    in that folder (the folder open in the file browser), compared with the status (docs/api.md).

    The path is confined to the server's ``root_dir`` (no ``..``, no absolute path, no link leading out): the
    doctor runs the SDKs there, so it must never be pointed at a folder the file browser could not open. Answers
    for the same folder within :data:`DOCTOR_TTL` seconds are shared (the panel asks on every folder change).
    """

    def initialize(
        self, ready: Callable[[], Awaitable[CredentialService]], root: Callable[[], str] | None = None
    ) -> None:
        super().initialize(ready)
        self._root = root

    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_argument("path", "")
        if self._root is None:
            raise web.HTTPError(409, "This server has no root folder to examine.")
        root = Path(self._root())
        key = (id(self.service), str(root), path.strip("/"))
        now = time.monotonic()
        cached = _DOCTOR_ANSWERS.get(key)
        if cached is None or now - cached[0] > DOCTOR_TTL or _failed(cached[1]):
            future = asyncio.ensure_future(self.service.doctor(path, root=root, memo=_PROBE_MEMO))
            _DOCTOR_ANSWERS[key] = cached = (now, future)
            for old in [k for k, (at, _) in _DOCTOR_ANSWERS.items() if now - at > DOCTOR_TTL]:
                _DOCTOR_ANSWERS.pop(old, None)
        await self.run(asyncio.shield(cached[1]))


def _failed(future: asyncio.Future[Any]) -> bool:
    """A finished answer that is no answer (a refused path, a cancelled run): asked again next time."""
    return future.done() and (future.cancelled() or future.exception() is not None)


#: Seconds a doctor answer for one folder is reused (each answer runs one subprocess per installed SDK).
DOCTOR_TTL = 20.0
_DOCTOR_ANSWERS: dict[tuple[int, str, str], tuple[float, asyncio.Future[dict[str, Any]]]] = {}
#: The answers of SDKs that do not look at the folder, shared from one folder to the next (see Memo).
_PROBE_MEMO = Memo()


class RedactionsHandler(QCredHandler):
    """``POST qcred/redactions``: a kernel's output filter kept a credential value out of an output
    (``{provider, name, where, what}``, ``what`` defaulting to "kernel output"); answers 204. The notice appears in
    the status and the ``secret_redacted`` event is emitted; no value is ever sent here."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = self.body({"provider", "name", "where", "what"})
        try:
            self.service.record_redaction(
                data.get("provider") or "",
                data.get("name") or "",
                data.get("where") or "",
                data.get("what") or "kernel output",
            )
        except InputError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.set_status(204)
        self.finish()


class EventsHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """``GET qcred/events``: a WebSocket that sends the status JSON on connect and after every change."""

    auth_resource = AUTH_RESOURCE
    _unsubscribe: Callable[[], None] | None = None

    def initialize(self, ready: Callable[[], Awaitable[CredentialService]]) -> None:
        """The service layer, as for the REST handlers."""
        self._ready = ready

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        user = self.current_user
        if not await ensure_async(self.authorizer.is_authorized(self, user, "read", AUTH_RESOURCE)):
            raise web.HTTPError(403)
        self.service = await self._ready()
        await super().get(*args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self._unsubscribe = self.service.subscribe(self._send)

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


ROUTES: list[tuple[str, type]] = [
    ("status", StatusHandler),
    ("refresh", RefreshHandler),
    ("reinitialize", ReinitializeHandler),
    ("restart", RestartHandler),
    ("default", DefaultHandler),
    ("remove", RemoveHandler),
    ("doctor", DoctorHandler),
    ("redactions", RedactionsHandler),
    ("events", EventsHandler),
]


def handlers(
    ready: Callable[[], Awaitable[CredentialService]], base: str = "qcred", root: Callable[[], str] | None = None
) -> list[tuple[str, type, dict[str, Any]]]:
    """Routes relative to the server's base_url (ExtensionApp prefixes it), each handed ``ready()``: the service,
    once the start-up has written the files; the doctor also gets ``root()``, the server's root folder."""
    return [
        (
            url_path_join("/", base, path),
            handler,
            {"ready": ready, "root": root} if handler is DoctorHandler else {"ready": ready},
        )
        for path, handler in ROUTES
    ]
