"""AWS STS for Amazon Braket: moto's STS server behind a front that checks web identity tokens like AWS does.

AWS accepts ``AssumeRoleWithWebIdentity`` only with a token signed by an identity provider the account trusts
(here: our sandbox issuer), for an audience it knows (our OAuth clients), and not expired; it answers
``InvalidIdentityToken`` or ``ExpiredTokenException`` otherwise. moto does not check tokens at all, so this front
verifies the token, and only then forwards the request to moto, which mints the role credentials. When the caller
asks for no duration (botocore never does), the front asks moto for ``sts_session_lifetime`` seconds (AWS's default is
3600), so a test can make the credentials short. Every other STS action (``GetCallerIdentity``) is forwarded as is.

Clients reach it with ``AWS_ENDPOINT_URL_STS={http_url}/sts``. moto runs in a thread of the sandbox process, started
on first use (or as the sandbox starts, unless ``--sts-on-demand``), so a sandbox without moto installed still serves
everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .handlers import ServiceHandler
from .state import SandboxState
from .tokens import TokenInvalid

#: The role the demo and the tests assume (moto's account); any role of a 12-digit account is accepted.
DEMO_ROLE_ARN = "arn:aws:iam::123456789012:role/braket-users"

_moto: dict[str, Any] = {}
_moto_lock = threading.Lock()


def moto_url() -> str:
    """The loopback URL of this process's moto server (started on first use)."""
    with _moto_lock:
        if "url" not in _moto:
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            _moto.update(server=server, url=f"http://{host}:{port}")
        return str(_moto["url"])


def warm_up() -> None:
    """Start moto ahead of the first STS request, when it is installed (errors show on that request instead)."""
    with contextlib.suppress(Exception):  # moto missing or failing: the first STS request reports it
        moto_url()


def _error(code: str, message: str) -> str:
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )


class StsHandler(ServiceHandler):
    """``POST /sts/``: the STS query API."""

    endpoint = "sts"

    def check_token(self, form: dict[str, str]) -> str | None:
        """None when AWS would accept the web identity token, else the error (code, message) as XML."""
        state: SandboxState = self.sandbox
        token = form.get("WebIdentityToken") or ""
        try:
            claims = state.signer.verify(token, issuer=state.urls.qcs_issuer)
        except TokenInvalid as exc:
            if str(exc) == "expired":
                self.log_error = "ExpiredTokenException"
                message = "Token expired: current date/time must be before the expiration date/time"
                return _error("ExpiredTokenException", message)
            self.log_error = "InvalidIdentityToken"
            return _error("InvalidIdentityToken", f"The web identity token is not valid ({exc}).")
        if claims.get("aud") not in state.clients:
            self.log_error = "InvalidIdentityToken"
            return _error("InvalidIdentityToken", "Incorrect token audience")
        user = state.user_by_uid(str(claims.get("sub") or ""))
        self.log_user = user.username if user else str(claims.get("sub"))
        return None

    async def post(self) -> None:
        form = dict(parse_qsl(self.request.body.decode("utf-8", "replace"), keep_blank_values=True))
        action = form.get("Action")
        self.log_grant_type = action
        self.log_client_id = form.get("RoleSessionName")
        if action == "AssumeRoleWithWebIdentity":
            problem = self.check_token(form)
            if problem is not None:
                self.set_status(400)
                self.set_header("Content-Type", "text/xml")
                self.finish(problem)
                return
            form.setdefault("DurationSeconds", str(self.sandbox.config.sts_session_lifetime))
        headers = {
            key: value
            for key, value in self.request.headers.get_all()
            if key.lower() not in ("host", "content-length", "accept-encoding")
        }
        # Started: at once. Not yet: in a thread, since starting moto takes seconds and the sandbox serves everything
        # else meanwhile.
        url = str(_moto["url"]) if "url" in _moto else await asyncio.to_thread(moto_url)
        request = HTTPRequest(url + "/", method="POST", body=urlencode(form), headers=headers)
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        self.set_status(response.code)
        self.set_header("Content-Type", response.headers.get("Content-Type", "text/xml"))
        self.finish(response.body or b"")


def routes() -> list[tuple[str, Any]]:
    return [(r"/sts/?", StsHandler)]
