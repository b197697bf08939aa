"""IBM Quantum's legacy auth API (``qiskit-ibmq-provider``): ``{base}/ibm/api``.

``loginWithToken`` trades an API token for an opaque access token (``id``) with a ``ttl``; ``/users/me`` and
``{urls.http}/Network`` take it in ``X-Access-Token``.  Refusals carry the classic loopback error object
(``{"error": {"name", "status", "statusCode", "code", "message"}}``) with code 3446 "Login failed.".
"""

from __future__ import annotations

import time
from typing import Any

from .handlers import BaseHandler, ServiceHandler
from .state import IbmUser, LegacySession, iso
from .tokens import digest, opaque

API_AUTH_VERSION = "0.97.0-sandbox"


def network(user: IbmUser) -> list[dict[str, Any]]:
    """The hub/group/project tree, in the nesting the legacy provider walks."""
    hubs: dict[str, dict[str, Any]] = {}
    for entry in user.hubs:
        hub = hubs.setdefault(
            entry["hub"], {"name": entry["hub"], "title": entry["hub"], "isDefault": False, "groups": {}}
        )
        group = hub["groups"].setdefault(
            entry["group"], {"name": entry["group"], "title": entry["group"], "isDefault": False, "projects": {}}
        )
        is_default = bool(entry.get("default"))
        group["projects"][entry["project"]] = {
            "name": entry["project"],
            "title": entry["project"],
            "isDefault": is_default,
            "devices": {b: {"name": b, "priority": 1} for b in ("ibm_sandbox_fez", "ibm_sandbox_torino")},
        }
        if is_default:
            hub["isDefault"] = group["isDefault"] = True
    return list(hubs.values())


class VersionHandler(ServiceHandler):
    endpoint = "ibm_version"

    def get(self) -> None:
        self.write_json({"new_api": True, "api-auth": API_AUTH_VERSION})


class LegacyHandler(ServiceHandler):
    """Shared refusal and session lookup."""

    def login_failed(self, status: int = 401, code: int = 3446, message: str = "Login failed.") -> None:
        self.log_error = f"code {code}"
        self.write_json(
            {"error": {"name": "Error", "status": status, "statusCode": status, "code": code, "message": message}},
            status=status,
        )

    def session_user(self) -> IbmUser | None:
        """The user behind ``X-Access-Token``; answers 401 itself and returns None when it is not valid."""
        access = self.request.headers.get("X-Access-Token") or self.get_argument("access_token", None)
        session = self.sandbox.legacy_sessions.get(digest(access or ""))
        if session is not None and session.expires_at <= time.time():
            session = None
        if session is not None:
            secret = self.sandbox.ibm_secrets.get(session.token_digest)
            if secret is None or secret.revoked:
                session = None
        if session is None:
            self.login_failed(401, 2, "Authorization Required")
            return None
        self.log_user = session.user
        return self.sandbox.ibm_users.get(session.user)


class LoginWithTokenHandler(LegacyHandler):
    endpoint = "ibm_login"

    def post(self) -> None:
        body = self.json_body()
        token = body.get("apiToken")
        if not isinstance(token, str):
            token = ""
        secret = self.sandbox.ibm_secret(token, "legacy")
        if secret is None:
            self.login_failed()
            return
        self.log_user = secret.user
        access = opaque("sbxat_", 48)
        now = time.time()
        ttl = self.sandbox.config.ibm_access_token_ttl
        self.sandbox.legacy_sessions[digest(access)] = LegacySession(secret.user, digest(token), now, now + ttl)
        user = self.sandbox.ibm_users[secret.user]
        self.write_json({"id": access, "ttl": ttl, "created": iso(now), "userId": user.user_id})


class MeHandler(LegacyHandler):
    endpoint = "ibm_me"

    def get(self) -> None:
        user = self.session_user()
        if user is None:
            return
        urls = self.sandbox.urls
        ws = urls.http_base.replace("http://", "ws://", 1) + "/ibm/ws"
        self.write_json(
            {
                "urls": {
                    "http": urls.ibm_api_http,
                    "ws": ws,
                    "services": {
                        "runtime": urls.http_base + "/ibm/runtime",
                        "resultsDB": urls.http_base + "/ibm/resultsdb",
                        "extractorsService": urls.http_base + "/ibm/extractors",
                    },
                },
                "userId": user.user_id,
                "id": user.user_id,
                "username": user.email,
                "email": user.email,
                "firstName": user.first_name,
                "lastName": user.last_name,
                "institution": user.institution,
                "ibmQNetwork": True,
                "qNetworkRoles": [],
                "canScheduleBackends": False,
                "terms": {"accepted": True},
                "emailVerified": True,
            }
        )


class NetworkHandler(LegacyHandler):
    endpoint = "ibm_network"

    def get(self) -> None:
        user = self.session_user()
        if user is None:
            return
        self.write_json(network(user))


def routes() -> list[tuple[str, type[BaseHandler]]]:
    return [
        (r"/ibm/api/version", VersionHandler),
        (r"/ibm/api/users/loginWithToken", LoginWithTokenHandler),
        (r"/ibm/api/users/me", MeHandler),
        (r"/ibm/runtime-api/Network", NetworkHandler),
    ]
