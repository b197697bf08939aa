"""Base request handler: fault injection, request logging and small JSON/form helpers.

Every provider-facing handler derives from ``ServiceHandler`` so faults apply uniformly and every request lands
in the log with the fields tests assert on (endpoint, grant type, client, user, status, fault) and nothing secret.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct
from typing import Any, ClassVar
from urllib.parse import unquote

from tornado import web

from .faults import FaultRule
from .state import SandboxState

GARBAGE_BODY = "<html><head><title>Service Unavailable</title></head><body>upstream said no</body></html>"


class BaseHandler(web.RequestHandler):
    """Helpers shared by service and admin handlers."""

    @property
    def sandbox(self) -> SandboxState:
        state: SandboxState = self.settings["sandbox_state"]
        return state

    def write_json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.set_header(key, value)
        self.finish(json.dumps(data))

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object ({} when empty); 400 when it is not one."""
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except ValueError as exc:
            raise web.HTTPError(400, "body is not JSON") from exc
        if not isinstance(data, dict):
            raise web.HTTPError(400, "body is not a JSON object")
        return data

    def form(self, name: str) -> str | None:
        """A form (or query) argument, None when absent."""
        value = self.get_argument(name, None)
        return value if value is None else str(value)

    def basic_auth(self) -> tuple[str, str] | None:
        """Credentials from an ``Authorization: Basic`` header (RFC 6749 2.3.1 url-decodes both parts)."""
        header = self.request.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            raw = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeError):
            return None
        user, _, password = raw.partition(":")
        return unquote(user), unquote(password)

    def bearer(self) -> str | None:
        header = self.request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None
        return None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Uncaught errors answer JSON too, without a traceback."""
        reason = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, web.HTTPError) and exc.log_message:
            reason = exc.log_message % exc.args if exc.args else exc.log_message
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": "sandbox_error", "error_description": reason}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Keep expected HTTP errors out of the server log; log real bugs (they carry no secrets)."""
        if not isinstance(value, web.HTTPError):
            super().log_exception(typ, value, tb)


class ServiceHandler(BaseHandler):
    """A handler of one fake provider endpoint."""

    endpoint: ClassVar[str] = "unknown"

    def initialize(self) -> None:
        self.log_grant_type: str | None = None
        self.log_client_id: str | None = None
        self.log_user: str | None = None
        self.log_error: str | None = None
        self.fault: FaultRule | None = None
        self.log_form_keys: list[str] | None = None
        self._closed = asyncio.Event()
        self._logged = False

    def check_xsrf_cookie(self) -> None:
        """The fake clouds are APIs, not cookie sites."""

    def on_connection_close(self) -> None:
        self._closed.set()
        if not self._finished:
            self._record(None)

    async def prepare(self) -> None:
        """Apply the first matching fault before the real handler runs."""
        if self.request.body_arguments:
            # Names only: which parameters a client really sends is worth asserting; their values are secret.
            self.log_form_keys = sorted(self.request.body_arguments)
        if self.request.method == "POST" and self.endpoint == "qcs_token":
            self.log_grant_type = self.get_body_argument("grant_type", None)
            self.log_client_id = self.get_body_argument("client_id", None) or (self.basic_auth() or (None,))[0]
        rule = self.sandbox.faults.take(self.endpoint, self.request.path)
        if rule is None:
            return
        self.fault = rule
        if rule.mode == "delay":
            await asyncio.sleep(rule.delay)
            return
        if rule.mode == "status":
            self.write_json({"error": "server_error", "error_description": "sandbox fault"}, status=rule.status)
        elif rule.mode == "invalid_grant":
            self.write_json(
                {"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."}, status=400
            )
        elif rule.mode == "garbage":
            self.set_status(200)
            self.set_header("Content-Type", "text/html")
            self.finish(GARBAGE_BODY)
        elif rule.mode == "timeout":
            await self._closed.wait()
            self._finished = True
        elif rule.mode == "reset":
            self._record(None)
            stream = getattr(self.request.connection, "stream", None)
            sock = getattr(stream, "socket", None)
            if stream is None:
                raise web.Finish()
            if sock is not None:
                # SO_LINGER 0 makes close() send RST: the client sees "connection reset", not a clean EOF.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            stream.close()
            self._finished = True
        raise web.Finish()

    def on_finish(self) -> None:
        self._record(self.get_status())

    def _record(self, status: int | None) -> None:
        if self._logged:
            return
        self._logged = True
        self.sandbox.log.append(
            {
                "method": self.request.method,
                "path": self.request.path,
                "endpoint": self.endpoint,
                "scheme": self.request.protocol,
                "grant_type": self.log_grant_type,
                "client_id": self.log_client_id,
                "user": self.log_user,
                "status": status,
                "error": self.log_error,
                "fault": self.fault.mode if self.fault else None,
                "fault_id": self.fault.id if self.fault else None,
                "form_keys": self.log_form_keys,
            }
        )

    def oauth_error(self, error: str, description: str, status: int = 400) -> None:
        """An RFC 6749 error response (the shape Okta and the QCS client speak)."""
        self.log_error = error
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="sandbox"'
        self.write_json({"error": error, "error_description": description}, status=status, headers=headers)
