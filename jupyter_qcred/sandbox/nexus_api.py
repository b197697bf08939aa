"""Quantinuum Nexus as qnexus 0.51 sees it: cookie tokens at the root of the Nexus host.

- ``POST /auth/tokens/refresh`` with the ``myqos_oat`` cookie (the refresh token) answers 200 and sets the
  ``myqos_id`` cookie (the access token, a JWT); 401 for a refresh token that is unknown, expired or revoked;
- ``GET /auth/tokens``: ``{"token_status": {"ttl": seconds}}`` of the refresh token (what ``qnx`` warns with);
- ``GET /api/users/v1beta2/me``: the user, with a valid ``myqos_id`` cookie (401 otherwise: qnexus then refreshes);
- the device login of ``qnx.auth.login()``: ``POST /auth/device/device_authorization`` (``client_id=scales``) and
  ``POST /auth/device/token`` (400 ``AUTHORIZATION_PENDING`` until approved, then 200 with both tokens and the
  email). A person approves at ``/nexus/activate``; tests use ``/_sandbox/nexus/device/approve``.

qnexus builds its URL as ``{protocol}://{domain}:{port}``, so these routes live at the root of the sandbox's plain
port: ``NEXUS_PROTOCOL=http NEXUS_DOMAIN=127.0.0.1 NEXUS_PORT=<port>``. Access tokens live as long as the QCS
access tokens (``access_token_lifetime``); refresh tokens 30 days.
"""

from __future__ import annotations

import dataclasses
import html
import secrets
import time
import uuid
from typing import Any

from .handlers import BaseHandler, ServiceHandler
from .state import SandboxState
from .tokens import TokenInvalid, digest, opaque

REFRESH_LIFETIME = 30 * 86400
DEVICE_LIFETIME = 600


@dataclasses.dataclass
class NexusGrant:
    user: str
    expires_at: float
    revoked: bool = False


@dataclasses.dataclass
class NexusDevice:
    device_code: str
    user_code: str
    expires_at: float
    user: str | None = None


def _store(state: SandboxState, name: str) -> dict[str, Any]:
    return state.nexus.setdefault(name, {})


def issuer(state: SandboxState) -> str:
    return state.urls.http_base + "/nexus"


def issue_refresh_token(state: SandboxState, user: str) -> str:
    """A new refresh token (``myqos_oat``) for ``user``."""
    token = opaque("sbxnxrt_", 32)
    _store(state, "grants")[digest(token)] = NexusGrant(user, time.time() + REFRESH_LIFETIME)
    return token


def issue_access_token(state: SandboxState, user: str) -> str:
    now = int(time.time())
    person = state.ensure_qcs_user(user)
    claims = {"iss": issuer(state), "aud": "nexus", "sub": person.idp_id, "email": person.email, "iat": now}
    claims["exp"] = now + state.config.access_token_lifetime
    return state.signer.mint(claims)


def revoke(state: SandboxState, user: str | None = None) -> int:
    count = 0
    for grant in _store(state, "grants").values():
        if not grant.revoked and (user is None or grant.user == user):
            grant.revoked, count = True, count + 1
    return count


def user_id(state: SandboxState, user: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, issuer(state) + "/" + user))


class NexusHandler(ServiceHandler):
    def grant(self) -> NexusGrant | None:
        found = _store(self.sandbox, "grants").get(digest(self.get_cookie("myqos_oat") or ""))
        if found is None or found.revoked or found.expires_at <= time.time():
            return None
        self.log_user = found.user
        return found

    def access_user(self) -> str | None:
        token = self.get_cookie("myqos_id") or ""
        try:
            claims = self.sandbox.signer.verify(token, issuer=issuer(self.sandbox))
        except TokenInvalid:
            return None
        user = self.sandbox.user_by_uid(str(claims.get("sub")))
        self.log_user = user.username if user else None
        return user.username if user else None

    def unauthorized(self) -> None:
        self.log_error = "unauthorized"
        self.write_json({"message": "Unauthorized"}, status=401)


class RefreshHandler(NexusHandler):
    endpoint = "nexus_refresh"

    def post(self) -> None:
        grant = self.grant()
        if grant is None:
            self.unauthorized()
            return
        self.set_cookie("myqos_id", issue_access_token(self.sandbox, grant.user), path="/", httponly=True)
        self.write_json({})


class TokensHandler(NexusHandler):
    endpoint = "nexus_tokens"

    def get(self) -> None:
        grant = self.grant()
        if grant is None or self.access_user() is None:
            self.unauthorized()
            return
        self.write_json({"token_status": {"ttl": int(grant.expires_at - time.time())}})


class MeHandler(NexusHandler):
    endpoint = "nexus_me"

    def get(self) -> None:
        user = self.access_user()
        if user is None:
            self.unauthorized()
            return
        person = self.sandbox.ensure_qcs_user(user)
        display = f"{person.first_name} {person.last_name}"
        attributes = {"display_name": display, "email": person.email}
        self.write_json({"data": {"id": user_id(self.sandbox, user), "type": "user", "attributes": attributes}})


class DeviceAuthorizationHandler(NexusHandler):
    endpoint = "nexus_device"

    def post(self) -> None:
        if self.form("client_id") != "scales":
            self.write_json({"error": "invalid_client"}, status=400)
            return
        device = NexusDevice(secrets.token_urlsafe(24), secrets.token_hex(4).upper(), time.time() + DEVICE_LIFETIME)
        _store(self.sandbox, "devices")[device.device_code] = device
        page = f"{self.sandbox.urls.http_base}/nexus/activate?user_code={device.user_code}"
        self.write_json(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_uri": self.sandbox.urls.http_base + "/nexus/activate",
                "verification_uri_complete": page,
                "expires_in": DEVICE_LIFETIME,
                "interval": self.sandbox.config.device_interval,
            }
        )


class DeviceTokenHandler(NexusHandler):
    endpoint = "nexus_device_token"

    def post(self) -> None:
        device = _store(self.sandbox, "devices").get(self.form("device_code") or "")
        if device is None or device.expires_at <= time.time():
            self.write_json({"error": "EXPIRED_TOKEN"}, status=400)
            return
        if device.user is None:
            self.write_json({"error": "AUTHORIZATION_PENDING"}, status=400)
            return
        del _store(self.sandbox, "devices")[device.device_code]
        self.log_user = device.user
        self.write_json(
            {
                "refresh_token": issue_refresh_token(self.sandbox, device.user),
                "access_token": issue_access_token(self.sandbox, device.user),
                "email": self.sandbox.ensure_qcs_user(device.user).email,
            }
        )


def approve(state: SandboxState, user_code: str, user: str) -> bool:
    for device in _store(state, "devices").values():
        if device.user_code == user_code.strip().upper():
            device.user = user
            return True
    return False


class ActivateHandler(BaseHandler):
    """The page a person opens: pick a sandbox user and allow the device (no password: it is a sandbox)."""

    def check_xsrf_cookie(self) -> None:
        """A sandbox page."""

    def get(self) -> None:
        code = self.get_argument("user_code", "")
        users = "".join(f"<option>{name}</option>" for name in self.sandbox.qcs_users)
        self.finish(
            "<!doctype html><title>Quantinuum Nexus (sandbox)</title><form method=post>"
            f"<p>Code <input name=user_code value='{html.escape(code)}'></p>"
            f"<p>User <select name=user>{users}</select></p>"
            "<button>Allow device</button></form>"
        )

    def post(self) -> None:
        ok = approve(self.sandbox, self.get_argument("user_code", ""), self.get_argument("user", ""))
        self.finish("Device allowed; return to Jupyter." if ok else "Unknown code.")


class AdminIssueHandler(ActivateHandler):
    def post(self) -> None:
        body = self.json_body()
        user = str(body.get("user") or "alice")
        self.write_json(
            {
                "refresh_token": issue_refresh_token(self.sandbox, user),
                "access_token": issue_access_token(self.sandbox, user),
            }
        )


class AdminRevokeHandler(ActivateHandler):
    def post(self) -> None:
        user = self.json_body().get("user")
        self.write_json({"revoked": revoke(self.sandbox, str(user) if user else None)})


class AdminApproveHandler(ActivateHandler):
    def post(self) -> None:
        body = self.json_body()
        self.write_json(
            {"approved": approve(self.sandbox, str(body.get("user_code")), str(body.get("user") or "alice"))}
        )


def routes() -> list[tuple[str, Any]]:
    return [
        ("/auth/tokens/refresh", RefreshHandler),
        ("/auth/tokens", TokensHandler),
        ("/api/users/v1beta2/me", MeHandler),
        ("/auth/device/device_authorization", DeviceAuthorizationHandler),
        ("/auth/device/token", DeviceTokenHandler),
        ("/nexus/activate", ActivateHandler),
        ("/_sandbox/nexus/issue", AdminIssueHandler),
        ("/_sandbox/nexus/revoke", AdminRevokeHandler),
        ("/_sandbox/nexus/device/approve", AdminApproveHandler),
    ]
