"""The loopback stand-in of IQM Resonance, as far as iqm-client 36 and this provider go.

iqm-client takes a base URL WITHOUT a path (a last path segment is refused as a quantum computer name), and sends
``Authorization: Bearer TOKEN`` over http only to loopback, so the stand-in serves at the sandbox's root:

- ``GET /api/v1/quantum-computers``: ``{"quantum_computers": [{"id", "alias", "display_name", "proxy_path"}]}`` (the
  model iqm-client parses, ``ListQuantumComputersResponse``) for the token's user; 401 with IQM's error body
  (``IQMServerError``: ``message``, ``error_code``, ``source``) for a missing, unknown, revoked or expired token;
- ``GET /api/v1/quantum-computers/{alias}/health``: a health answer (iqm-client returns the JSON as it is), 404 for a
  computer the token does not see;
- ``POST /iqm/auth/realms/{realm}/protocol/openid-connect/token``: Keycloak's refresh grant as the Cortex CLI sends
  it (``grant_type=refresh_token``, ``client_id``, ``refresh_token``), answering a new JWT access token and refresh
  token; 400 ``invalid_grant`` for an unknown or revoked refresh token.

Resonance API tokens are opaque here (IQM publishes no format); login access tokens are RS256 JWTs with ``exp``,
which iqm-client's tokens file reader requires. Admin (``/_sandbox/iqm/...``): ``tokens`` (issue an API token),
``logins`` (issue a login's token pair; ``access_ttl`` seconds), ``revoke`` (every token of a user), ``not-before``
(refuse the access tokens a user holds now, as Keycloak's not-before push), ``settings`` (``access_ttl`` of renewed
access tokens).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from ...sandbox.handlers import BaseHandler, ServiceHandler
from ...sandbox.plugins import StandIn
from ...sandbox.tokens import TokenInvalid, digest, opaque

if TYPE_CHECKING:
    from ...sandbox.client import Sandbox
    from ...sandbox.config import SandboxUrls
    from ...sandbox.state import SandboxState

KEY = "iqm"
REALM = "cortex"
CLIENT_ID = "iqm_client"
#: The quantum computers each demo person's token sees (anyone else sees the first).
COMPUTERS = {"alice": ["garnet"], "bob": ["emerald", "garnet"]}
NAMES = {"garnet": "IQM Garnet", "emerald": "IQM Emerald", "sirius": "IQM Sirius"}


@dataclasses.dataclass
class Grant:
    """An API token or a login's refresh token (only its digest is kept, as the key of its dict)."""

    user: str
    revoked: bool = False


@dataclasses.dataclass
class IqmWorld:
    api_tokens: dict[str, Grant] = dataclasses.field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = dataclasses.field(default_factory=dict)
    access_ttl: int = 3600
    #: user -> a time before which their access tokens are refused (Keycloak's "not before" push)
    not_before: dict[str, int] = dataclasses.field(default_factory=dict)
    ids: dict[str, str] = dataclasses.field(default_factory=dict)


def world(state: SandboxState) -> IqmWorld:
    found: IqmWorld = state.plugins.setdefault(KEY, IqmWorld())
    return found


def issuer(state: SandboxState) -> str:
    return f"{state.urls.http_base}/iqm/auth/realms/{REALM}"


def issue_api_token(state: SandboxState, user: str) -> str:
    token = opaque("sbxiqm_", 30)
    world(state).api_tokens[digest(token)] = Grant(user)
    return token


def _access(state: SandboxState, user: str, ttl: int) -> str:
    now = int(time.time())
    claims = {"iss": issuer(state), "sub": user, "azp": CLIENT_ID, "iat": now, "exp": now + ttl, "typ": "Bearer"}
    claims["jti"] = str(uuid.uuid4())  # as Keycloak's: two tokens minted in one second still differ
    return state.signer.mint(claims)


def issue_login(state: SandboxState, user: str, access_ttl: int | None = None) -> dict[str, str]:
    refresh = opaque("sbxiqmrt_", 32)
    world(state).refresh_tokens[digest(refresh)] = Grant(user)
    return {
        "access_token": _access(state, user, access_ttl or world(state).access_ttl),
        "refresh_token": refresh,
        "auth_server_url": f"{state.urls.http_base}/iqm/auth",
        "realm": REALM,
        "client_id": CLIENT_ID,
    }


def revoke(state: SandboxState, user: str | None) -> int:
    count = 0
    for grants in (world(state).api_tokens, world(state).refresh_tokens):
        for grant in grants.values():
            if not grant.revoked and (user is None or grant.user == user):
                grant.revoked, count = True, count + 1
    return count


class ResonanceHandler(ServiceHandler):
    """Checks the Bearer token as Resonance does: an API token we issued, or a login's unexpired access token."""

    def user(self) -> str | None:
        scheme, _, value = self.request.headers.get("Authorization", "").partition(" ")
        value = value.strip()
        found: str | None = None
        if scheme == "Bearer" and value:
            grant = world(self.sandbox).api_tokens.get(digest(value))
            if grant is not None and not grant.revoked:
                found = grant.user
            elif grant is None and value.count(".") == 2:
                try:
                    claims = self.sandbox.signer.verify(value, issuer=issuer(self.sandbox))
                    if int(claims.get("iat", 0)) >= world(self.sandbox).not_before.get(str(claims["sub"]), 0):
                        found = str(claims["sub"])
                except TokenInvalid:
                    found = None
        if found is None:
            self.log_error = "unauthorized"
            body = {"message": "Invalid or expired token.", "error_code": "unauthorized", "source": "iqm-server"}
            self.write_json(body, status=401)
            return None
        self.log_user = found
        return found

    def computers(self, user: str) -> list[dict[str, Any]]:
        ids = world(self.sandbox).ids
        return [
            {
                "id": ids.setdefault(alias, str(uuid.uuid4())),
                "alias": alias,
                "display_name": NAMES.get(alias, alias),
                "proxy_path": f"station/{alias}",
            }
            for alias in COMPUTERS.get(user, ["garnet"])
        ]


class QuantumComputersHandler(ResonanceHandler):
    endpoint = "iqm_quantum_computers"

    def get(self) -> None:
        user = self.user()
        if user is not None:
            self.write_json({"quantum_computers": self.computers(user)})


class HealthHandler(ResonanceHandler):
    endpoint = "iqm_health"

    def get(self, alias: str) -> None:
        user = self.user()
        if user is None:
            return
        if alias not in [qc["alias"] for qc in self.computers(user)]:
            message = f"Quantum computer {alias} not found."
            body = {"message": message, "error_code": "not_found", "source": "iqm-server"}
            self.write_json(body, status=404)
            return
        self.write_json({"status": "healthy", "quantum_computer": alias})


class TokenHandler(ServiceHandler):
    """Keycloak's token endpoint, refresh grant only (what the Cortex CLI and this provider send)."""

    endpoint = "iqm_token"

    def post(self, realm: str) -> None:
        grant_type = self.get_body_argument("grant_type", None)
        self.log_grant_type = grant_type
        self.log_client_id = self.get_body_argument("client_id", None)
        refresh = self.get_body_argument("refresh_token", None) or ""
        grant = world(self.sandbox).refresh_tokens.get(digest(refresh)) if refresh else None
        if realm != REALM or grant_type != "refresh_token" or grant is None or grant.revoked:
            self.log_error = "invalid_grant"
            self.write_json({"error": "invalid_grant", "error_description": "Token is not active"}, status=400)
            return
        self.log_user = grant.user
        ttl = world(self.sandbox).access_ttl
        fresh = opaque("sbxiqmrt_", 32)  # Keycloak rotates; the old refresh token stays valid until it expires
        world(self.sandbox).refresh_tokens[digest(fresh)] = Grant(grant.user)
        self.write_json(
            {
                "access_token": _access(self.sandbox, grant.user, ttl),
                "expires_in": ttl,
                "refresh_token": fresh,
                "token_type": "Bearer",
            }
        )


class AdminHandler(BaseHandler):
    def check_xsrf_cookie(self) -> None:
        """An admin API for tests, not a cookie site."""

    def _user(self) -> str | None:
        user = str(self.json_body().get("user") or "")
        if not user:
            self.write_json({"error": "user is required"}, status=400)
            return None
        return user


class IssueTokenHandler(AdminHandler):
    def post(self) -> None:
        user = self._user()
        if user:
            self.write_json({"user": user, "token": issue_api_token(self.sandbox, user)})


class IssueLoginHandler(AdminHandler):
    def post(self) -> None:
        user = self._user()
        if user:
            ttl = self.json_body().get("access_ttl")
            self.write_json({"user": user, **issue_login(self.sandbox, user, int(ttl) if ttl else None)})


class RevokeHandler(AdminHandler):
    def post(self) -> None:
        user = self.json_body().get("user")
        self.write_json({"revoked": revoke(self.sandbox, str(user) if user else None)})


class NotBeforeHandler(AdminHandler):
    """Refuse the access tokens a user holds now (issued before the next second); later ones work."""

    def post(self) -> None:
        user = self._user()
        if user:
            world(self.sandbox).not_before[user] = int(time.time()) + 1
            self.write_json({"user": user, "not_before": world(self.sandbox).not_before[user]})


class SettingsHandler(AdminHandler):
    def post(self) -> None:
        ttl = self.json_body().get("access_ttl")
        if ttl is not None:
            world(self.sandbox).access_ttl = int(ttl)
        self.write_json({"access_ttl": world(self.sandbox).access_ttl})


class IqmStandIn(StandIn):
    key: ClassVar[str] = KEY
    foreign_variables: ClassVar[tuple[str, ...]] = (
        "IQM_TOKEN",
        "IQM_TOKENS_FILE",
        "IQM_SERVER_URL",
        "IQM_QUANTUM_COMPUTER",
        "QCRED_IQM_TOKENS_FILE",
    )

    def routes(self) -> list[tuple[Any, ...]]:
        return [
            (r"/api/v1/quantum-computers", QuantumComputersHandler),
            (r"/api/v1/quantum-computers/([^/]+)/health", HealthHandler),
            (r"/iqm/auth/realms/([^/]+)/protocol/openid-connect/token", TokenHandler),
            ("/_sandbox/iqm/tokens", IssueTokenHandler),
            ("/_sandbox/iqm/logins", IssueLoginHandler),
            ("/_sandbox/iqm/revoke", RevokeHandler),
            ("/_sandbox/iqm/settings", SettingsHandler),
            ("/_sandbox/iqm/not-before", NotBeforeHandler),
        ]

    def seed(self, state: SandboxState, user: str) -> None:
        state.seed_keys.setdefault(KEY, {})[user] = issue_api_token(state, user)

    def info(self, urls: SandboxUrls) -> dict[str, Any]:
        return {"iqm_url": urls.http_base}

    def summary(self, state: SandboxState) -> dict[str, Any]:
        w = world(state)
        return {
            "api_tokens": sum(1 for g in w.api_tokens.values() if not g.revoked),
            "logins": sum(1 for g in w.refresh_tokens.values() if not g.revoked),
        }

    def bundle_entries(self, sandbox: Sandbox, user: str) -> list[dict[str, Any]]:
        """A login renewed here (the demo shows the renewal), at the stand-in, on the person's first computer."""
        login = dict(sandbox.admin("POST", "iqm/logins", {"user": user}))
        login.pop("user", None)
        computer = COMPUTERS.get(user, ["garnet"])[0]
        return [{**login, "url": sandbox.info["iqm_url"], "quantum_computer": computer}]

    def environment(self, sandbox: Sandbox) -> dict[str, str]:
        return {"IQM_SERVER_URL": str(sandbox.info["iqm_url"])}


STAND_IN = IqmStandIn()
