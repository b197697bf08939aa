"""The QCS identity provider: an Okta-style OpenID Connect issuer at ``{base}/oauth2/sandbox``.

Faithful to what the real ``qcs_api_client_common`` and JupyterHub's GenericOAuthenticator send: discovery,
the token endpoint (refresh_token, client_credentials, authorization_code with optional PKCE, device_code per
RFC 8628), device authorization, the browser pages (login and device activation), userinfo and JWKS.  Error
bodies and statuses are Okta's: 400 ``invalid_grant`` for a refused refresh token, 401 ``invalid_client``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlparse

from .handlers import BaseHandler, ServiceHandler
from .state import JUPYTERHUB_CLIENT_ID, AuthCode, DeviceGrant, OAuthClient, QcsUser, RefreshGrant, SandboxState
from .tokens import TokenInvalid, digest, opaque

ISSUER_PATH = "/oauth2/sandbox"
DEFAULT_SCOPE = "openid profile email offline_access"
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
INVALID_REFRESH = "The refresh token is invalid or expired."


def discovery_document(state: SandboxState) -> dict[str, Any]:
    """Okta's authorization-server metadata, with the fields the QCS client validates."""
    issuer = state.urls.qcs_issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/v1/authorize",
        "token_endpoint": issuer + "/v1/token",
        "userinfo_endpoint": issuer + "/v1/userinfo",
        "jwks_uri": issuer + "/v1/keys",
        "device_authorization_endpoint": issuer + "/v1/device/authorize",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "iat",
            "exp",
            "email",
            "name",
            "preferred_username",
            "given_name",
            "family_name",
        ],
        "code_challenge_methods_supported": ["S256", "plain"],
    }


def issue_tokens(
    state: SandboxState,
    user: QcsUser,
    client_id: str,
    scope: str,
    *,
    refresh: bool = True,
    access_lifetime: int | None = None,
    refresh_lifetime: int | None = None,
    nonce: str | None = None,
) -> dict[str, Any]:
    """Mint an access token (and a refresh token, and an id_token for ``openid``) as Okta would answer."""
    now = int(time.time())
    lifetime = state.config.access_token_lifetime if access_lifetime is None else access_lifetime
    issuer = state.urls.qcs_issuer
    claims = {
        "ver": 1,
        "jti": "AT." + secrets.token_urlsafe(12),
        "iss": issuer,
        "aud": "api://qcs",
        "iat": now,
        "exp": now + lifetime,
        "cid": client_id,
        "uid": user.idp_id,
        "scp": scope.split(),
        "sub": user.email,
        "auth_time": now,
    }
    response: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "access_token": state.signer.mint(claims),
        "scope": scope,
    }
    if refresh:
        rt = opaque("sbxrt_", 32)
        r_life = state.config.refresh_token_lifetime if refresh_lifetime is None else refresh_lifetime
        state.refresh_grants[digest(rt)] = RefreshGrant(user.username, client_id, scope, now, now + r_life)
        response["refresh_token"] = rt
    if "openid" in scope.split():
        id_claims = {
            "iss": issuer,
            "aud": client_id,
            "sub": user.idp_id,
            "iat": now,
            "exp": now + lifetime,
            "email": user.email,
            "name": f"{user.first_name} {user.last_name}",
            "preferred_username": user.username,
            "auth_time": now,
            "amr": ["pwd"],
        }
        if nonce:
            id_claims["nonce"] = nonce
        response["id_token"] = state.signer.mint(id_claims)
    return response


def userinfo(user: QcsUser) -> dict[str, Any]:
    """OIDC userinfo claims; ``preferred_username`` is the short sandbox login name (use it as username_claim)."""
    return {
        "sub": user.idp_id,
        "name": f"{user.first_name} {user.last_name}",
        "given_name": user.first_name,
        "family_name": user.last_name,
        "email": user.email,
        "email_verified": True,
        "preferred_username": user.username,
        "locale": "en-US",
        "zoneinfo": "UTC",
        "updated_at": int(user.created_time),
        "organization": user.organization,
    }


def new_user_code() -> str:
    chars = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return chars[:4] + "-" + chars[4:]


def normalize_user_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def find_device_grant(state: SandboxState, user_code: str) -> DeviceGrant | None:
    wanted = normalize_user_code(user_code)
    for grant in state.device_grants.values():
        if normalize_user_code(grant.user_code) == wanted:
            return grant
    return None


def decide_device(state: SandboxState, user_code: str, username: str | None, approve: bool) -> str:
    """Approve or deny a pending device login; returns a sentence for the page or the admin answer."""
    grant = find_device_grant(state, user_code)
    if grant is None:
        raise LookupError(f"no device login with code {user_code!r}")
    if grant.expires_at <= time.time():
        raise LookupError("this code has expired; start the login again on the device")
    if grant.status != "pending":
        raise LookupError(f"this code was already {grant.status}")
    if approve:
        if not username:
            raise LookupError("choose a user to sign in as")
        state.ensure_qcs_user(username)
        grant.user = username
        grant.status = "approved"
        return f"Device activated for {username}. You can return to your device."
    grant.status = "denied"
    return "Sign-in denied."


class DiscoveryHandler(ServiceHandler):
    endpoint = "qcs_discovery"

    def get(self) -> None:
        self.write_json(discovery_document(self.sandbox))


class JwksHandler(ServiceHandler):
    endpoint = "qcs_jwks"

    def get(self) -> None:
        self.write_json(self.sandbox.signer.jwks())


class ClientAuthentication(ServiceHandler):
    """The client authentication of the token and device endpoints (Okta's, RFC 6749 section 2.3): a public
    client names itself; a confidential one (the hub's ``jupyterhub``) must also prove its secret, so a notebook
    server that tried a login with the hub's client is refused with 401 ``invalid_client``, as Okta does."""

    def authenticate_client(self) -> OAuthClient | None:
        """Resolve and authenticate the client (Basic or form); answers 401 itself and returns None on failure."""
        basic = self.basic_auth()
        client_id = basic[0] if basic else self.form("client_id")
        secret = basic[1] if basic else self.form("client_secret")
        if not client_id:
            self.oauth_error("invalid_client", "Client authentication failed: no client_id.", 401)
            return None
        self.log_client_id = client_id
        client = self.sandbox.client(client_id)
        if client is None:
            self.oauth_error("invalid_client", "Client authentication failed: unknown client.", 401)
            return None
        if client.secret is not None and not (secret and secrets.compare_digest(secret, client.secret)):
            self.oauth_error("invalid_client", "Client authentication failed: bad or missing client secret.", 401)
            return None
        return client


class TokenHandler(ClientAuthentication):
    """``POST {issuer}/v1/token``: every grant the real clients use."""

    endpoint = "qcs_token"

    def post(self) -> None:
        grant_type = self.form("grant_type")
        self.log_grant_type = grant_type
        client = self.authenticate_client()
        if client is None:
            return
        if grant_type == "refresh_token":
            self.refresh(client)
        elif grant_type == "client_credentials":
            self.client_credentials(client)
        elif grant_type == "authorization_code":
            self.authorization_code(client)
        elif grant_type == "urn:ietf:params:oauth:grant-type:device_code":
            self.device_code(client)
        else:
            self.oauth_error("unsupported_grant_type", f"The grant type {grant_type!r} is not supported.")

    def send_tokens(self, tokens: dict[str, Any]) -> None:
        self.write_json(tokens, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def refresh(self, client: OAuthClient) -> None:
        state = self.sandbox
        rt = self.form("refresh_token") or ""
        key = digest(rt)
        grant = state.refresh_grants.get(key)
        if grant is None:
            self.oauth_error("invalid_grant", INVALID_REFRESH)
            return
        self.log_user = grant.user
        if grant.revoked or grant.expires_at <= time.time() or grant.client_id != client.client_id:
            self.oauth_error("invalid_grant", INVALID_REFRESH)
            return
        user = state.qcs_users.get(grant.user)
        if user is None:
            self.oauth_error("invalid_grant", "The user of this refresh token no longer exists.")
            return
        scope = self.form("scope") or grant.scope
        rotate = state.config.rotate_refresh_tokens
        tokens = issue_tokens(state, user, client.client_id, scope, refresh=rotate)
        if rotate:
            grant.revoked = "rotated"
        else:
            tokens["refresh_token"] = rt
        self.send_tokens(tokens)

    def client_credentials(self, client: OAuthClient) -> None:
        if client.secret is None or client.service_user is None:
            self.oauth_error("unauthorized_client", "The client is not authorized to use client_credentials.")
            return
        user = self.sandbox.ensure_qcs_user(client.service_user)
        self.log_user = user.username
        scope = self.form("scope") or "openid"
        tokens = issue_tokens(self.sandbox, user, client.client_id, scope, refresh=False)
        tokens.pop("id_token", None)
        self.send_tokens(tokens)

    def authorization_code(self, client: OAuthClient) -> None:
        state = self.sandbox
        code = state.auth_codes.pop(digest(self.form("code") or ""), None)
        if code is None or code.expires_at <= time.time() or code.client_id != client.client_id:
            self.oauth_error("invalid_grant", "The authorization code is invalid or has expired.")
            return
        self.log_user = code.user
        if self.form("redirect_uri") != code.redirect_uri:
            self.oauth_error("invalid_grant", "The 'redirect_uri' does not match the one of the authorization.")
            return
        if code.code_challenge:
            verifier = self.form("code_verifier") or ""
            if code.code_challenge_method == "S256":
                computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                ok = secrets.compare_digest(computed.decode(), code.code_challenge)
            else:
                ok = secrets.compare_digest(verifier, code.code_challenge)
            if not ok:
                self.oauth_error("invalid_grant", "PKCE verification failed.")
                return
        user = state.ensure_qcs_user(code.user)
        self.send_tokens(issue_tokens(state, user, client.client_id, code.scope, nonce=code.nonce))

    def device_code(self, client: OAuthClient) -> None:
        state = self.sandbox
        grant = state.device_grants.get(digest(self.form("device_code") or ""))
        if grant is None or grant.client_id != client.client_id:
            self.oauth_error("invalid_grant", "The device code is invalid or has expired.")
            return
        now = time.time()
        self.log_user = grant.user
        if grant.status == "used":
            self.oauth_error("invalid_grant", "The device code has already been used.")
        elif grant.expires_at <= now:
            self.oauth_error("expired_token", "The device code has expired.")
        elif grant.status == "denied":
            self.oauth_error("access_denied", "The resource owner or authorization server denied the request.")
        elif grant.status == "approved" and grant.user:
            grant.status = "used"
            user = state.ensure_qcs_user(grant.user)
            self.send_tokens(issue_tokens(state, user, client.client_id, grant.scope))
        else:
            too_fast = grant.last_poll is not None and now - grant.last_poll < grant.interval
            grant.last_poll = now
            if too_fast:
                grant.interval += 5
                self.oauth_error("slow_down", "The client is polling too quickly; slow down.")
            else:
                self.oauth_error(
                    "authorization_pending", "The device authorization is pending. Please try again later."
                )


class DeviceAuthorizeHandler(ClientAuthentication):
    """``POST {issuer}/v1/device/authorize`` (RFC 8628 section 3.1: a confidential client authenticates here too)."""

    endpoint = "qcs_device"

    def post(self) -> None:
        state = self.sandbox
        client = self.authenticate_client()
        if client is None:
            return
        client_id = client.client_id
        device_code = opaque("sbxdc_", 24)
        user_code = state.config.device_user_code or new_user_code()
        lifetime = state.config.device_code_lifetime
        state.device_grants[digest(device_code)] = DeviceGrant(
            user_code=user_code,
            client_id=client_id,
            scope=self.form("scope") or DEFAULT_SCOPE,
            expires_at=time.time() + lifetime,
            interval=state.config.device_interval,
        )
        uri = state.config.device_verification_uri or state.urls.activate_url
        self.write_json(
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": uri,
                "verification_uri_complete": uri + "?" + urlencode({"user_code": user_code}),
                "expires_in": lifetime,
                "interval": state.config.device_interval,
            }
        )


class UserinfoHandler(ServiceHandler):
    endpoint = "qcs_userinfo"

    def get(self) -> None:
        token = self.bearer()
        try:
            claims = self.sandbox.signer.verify(token or "", issuer=self.sandbox.urls.qcs_issuer)
        except TokenInvalid as exc:
            self.log_error = str(exc)
            self.write_json(
                {"error": "invalid_token", "error_description": "The access token is invalid."},
                status=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            return
        user = self.sandbox.user_by_uid(str(claims.get("uid", "")))
        if user is None:
            self.write_json({"error": "invalid_token", "error_description": "Unknown user."}, status=401)
            return
        self.log_user = user.username
        self.write_json(userinfo(user))

    post = get


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}label{{display:block;margin:.6em 0}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


def user_picker(state: SandboxState, selected: str | None = None) -> str:
    """A select of known users plus a free-text field (a new name creates a user, as a first login would)."""
    options = "".join(
        f'<option value="{html.escape(u)}"{" selected" if u == selected else ""}>{html.escape(u)}</option>'
        for u in sorted(state.qcs_users)
    )
    return (
        f'<label>User <select id="username" name="username">{options}</select></label>'
        '<label>or another user name <input id="new_username" name="new_username" autocomplete="off"></label>'
    )


def chosen_user(handler: BaseHandler) -> str | None:
    name = (handler.get_body_argument("new_username", "") or handler.get_body_argument("username", "")).strip()
    return name or None


class ActivateHandler(ServiceHandler):
    """``{base}/activate``: where a person types the device's user code and says who they are."""

    endpoint = "qcs_activate"

    def get(self) -> None:
        code = self.get_argument("user_code", "")
        self.render_form(code)

    def render_form(self, code: str, message: str = "") -> None:
        body = (f'<p id="message">{html.escape(message)}</p>' if message else "") + (
            '<form method="post" action="">'
            f'<label>Code <input id="user_code" name="user_code" value="{html.escape(code)}"></label>'
            f"{user_picker(self.sandbox)}"
            '<button id="approve" name="action" value="approve" type="submit">Approve</button> '
            '<button id="deny" name="action" value="deny" type="submit">Deny</button></form>'
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(PAGE.format(title="Activate your device", body=body))

    def post(self) -> None:
        code = self.get_body_argument("user_code", "")
        username = chosen_user(self)
        self.log_user = username
        try:
            result = decide_device(self.sandbox, code, username, self.get_body_argument("action", "") != "deny")
        except LookupError as exc:
            self.set_status(400)
            self.render_form(code, str(exc))
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(PAGE.format(title="Device activation", body=f'<p id="result">{html.escape(result)}</p>'))


AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


class AuthorizeHandler(ServiceHandler):
    """``{issuer}/v1/authorize``: the login page of the authorization-code flow (JupyterHub's login)."""

    endpoint = "qcs_authorize"

    def check_request(self, params: dict[str, str]) -> str | None:
        """Why the request cannot proceed (shown on the page; never redirect to an unchecked URI), or None."""
        client = self.sandbox.client(params.get("client_id", ""))
        if client is None:
            return "Unknown client_id."
        if params.get("response_type") != "code":
            return "Only response_type=code is supported."
        redirect = params.get("redirect_uri", "")
        parsed = urlparse(redirect)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return "A redirect_uri (http or https) is required."
        allowed = self.sandbox.config.jupyterhub_redirect_uris if client.client_id == JUPYTERHUB_CLIENT_ID else []
        if allowed and redirect not in allowed:
            return "The redirect_uri is not registered for this client."
        return None

    def params(self) -> dict[str, str]:
        return {name: str(v) for name in AUTHORIZE_PARAMS if (v := self.get_argument(name, None)) is not None}

    def get(self) -> None:
        params = self.params()
        self.log_client_id = params.get("client_id")
        problem = self.check_request(params)
        if problem:
            self.set_status(400)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(PAGE.format(title="Sign-in error", body=f'<p id="error">{html.escape(problem)}</p>'))
            return
        hidden = "".join(f'<input type="hidden" name="{n}" value="{html.escape(v)}">' for n, v in params.items())
        hint = self.get_argument("login_hint", None)
        body = (
            f'<form method="post" action="">{hidden}{user_picker(self.sandbox, hint)}'
            '<button id="login" type="submit">Sign in</button></form>'
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(PAGE.format(title="QCS sandbox sign-in", body=body))

    def post(self) -> None:
        params = self.params()
        self.log_client_id = params.get("client_id")
        problem = self.check_request(params)
        username = chosen_user(self)
        if problem or not username:
            self.set_status(400)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            message = problem or "Choose a user."
            self.finish(PAGE.format(title="Sign-in error", body=f'<p id="error">{html.escape(message)}</p>'))
            return
        self.log_user = username
        self.sandbox.ensure_qcs_user(username)
        code = opaque("sbxcode_", 24)
        self.sandbox.auth_codes[digest(code)] = AuthCode(
            user=username,
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scope=params.get("scope") or DEFAULT_SCOPE,
            expires_at=time.time() + self.sandbox.config.auth_code_lifetime,
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method"),
            nonce=params.get("nonce"),
        )
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        sep = "&" if "?" in params["redirect_uri"] else "?"
        self.redirect(params["redirect_uri"] + sep + urlencode(query))


def routes() -> list[tuple[str, type[BaseHandler]]]:
    p = ISSUER_PATH
    return [
        (p + r"/\.well-known/openid-configuration", DiscoveryHandler),
        (p + r"/\.well-known/oauth-authorization-server", DiscoveryHandler),
        (p + "/v1/keys", JwksHandler),
        (p + "/v1/token", TokenHandler),
        (p + "/v1/device/authorize", DeviceAuthorizeHandler),
        (p + "/v1/authorize", AuthorizeHandler),
        (p + "/v1/userinfo", UserinfoHandler),
        ("/activate", ActivateHandler),
    ]
