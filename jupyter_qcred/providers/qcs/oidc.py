"""The QCS protocols as generator flows (see :mod:`jupyter_qcred.core.flows`): one code path for the CLI and the server.

- OIDC discovery, checked the way ``qcs_api_client_common`` checks it: the document's ``issuer`` must equal the
  configured one exactly and ``scopes_supported`` must contain ``openid``;
- the token endpoint: ``refresh_token`` (public client: ``client_id`` in the form), ``client_credentials`` (HTTP
  Basic, nothing else in the form), and the RFC 8628 device flow;
- the QCS API calls that describe the account: ``GET /v1/auth:getUser`` and ``GET /v1/users/{idpId}/groups``.

A refused credential (``invalid_grant``, ``invalid_client``, ``unauthorized_client``, or a 401) is a
:class:`~jupyter_qcred.core.errors.RefusedError`; 5xx, timeouts and unreadable answers are transient. Request bodies and
tokens never reach an exception message or a log line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ...core import flows
from ...core.errors import ProviderError, RefusedError, TransientProviderError, describe_response
from ...core.flows import Flow
from ...core.validation import web_url

if TYPE_CHECKING:
    import httpx

PROVIDER = "qcs"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: Scopes of a device login: ``offline_access`` is what makes the provider hand out a refresh token.
DEVICE_SCOPE = "openid offline_access"
REFUSED_CODES = ("invalid_grant", "invalid_client", "unauthorized_client")
#: At most this many pages of groups are fetched for the status views.
MAX_GROUP_PAGES = 10
_JSON = {"Accept": "application/json"}


@dataclasses.dataclass(frozen=True)
class Discovery:
    """The parts of an issuer's OIDC discovery document we use."""

    issuer: str
    token_endpoint: str
    device_authorization_endpoint: str | None = None


@dataclasses.dataclass(frozen=True)
class TokenResponse:
    """A successful token endpoint answer; tokens are hidden from ``repr``."""

    access_token: str = dataclasses.field(repr=False)
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    id_token: str | None = dataclasses.field(default=None, repr=False)
    expires_in: int | None = None
    scope: str | None = None
    token_type: str | None = None


@dataclasses.dataclass(frozen=True)
class DeviceAuthorization:
    """The answer of the device authorization endpoint (RFC 8628 section 3.2)."""

    device_code: str = dataclasses.field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


@dataclasses.dataclass(frozen=True)
class DevicePoll:
    """One poll of the device flow: ``outcome`` is pending, slow_down, done, expired or denied."""

    outcome: str
    tokens: TokenResponse | None = None


def _allowed_url(url: str) -> bool:
    """https, or http on loopback only (a local test service): never send a token in clear over a network."""
    return web_url(url)


def discovery_flow(issuer: str, cache: MutableMapping[str, Discovery], provider: str = PROVIDER) -> Flow[Discovery]:
    """Fetch (once per issuer and process) and check ``{issuer}/.well-known/openid-configuration``."""
    cached = cache.get(issuer)
    if cached is not None:
        return cached
    if not _allowed_url(issuer):
        raise ProviderError(
            provider,
            f"the issuer {issuer!r} is not an https URL; fix issuer in the auth server of settings.toml.",
        )
    what = f"the discovery document of {issuer}"
    response = yield flows.request("GET", issuer.rstrip("/") + "/.well-known/openid-configuration", headers=_JSON)
    body = flows.require(flows.expect_ok(response, provider, what), provider, what, "issuer", "token_endpoint")
    if body["issuer"] != issuer:
        raise ProviderError(
            provider,
            f"{what} names another issuer; the issuer in settings.toml must match the provider's exactly.",
        )
    scopes = body.get("scopes_supported")
    if not isinstance(scopes, list) or "openid" not in scopes:
        raise ProviderError(provider, f"{what} does not list the openid scope; this is not an OpenID provider.")
    endpoint = body["token_endpoint"]
    device = body.get("device_authorization_endpoint")
    if not isinstance(endpoint, str) or not _allowed_url(endpoint):
        raise TransientProviderError(provider, f"{what} has no usable token_endpoint; try again later.")
    discovery = Discovery(
        issuer=issuer,
        token_endpoint=endpoint,
        device_authorization_endpoint=device if isinstance(device, str) and _allowed_url(device) else None,
    )
    cache[issuer] = discovery
    return discovery


def _token_response(body: Mapping[str, Any], what: str) -> TokenResponse:
    def text(key: str) -> str | None:
        value = body.get(key)
        return value if isinstance(value, str) and value else None

    access = text("access_token")
    if access is None:
        raise TransientProviderError(PROVIDER, f"{what} answered without an access token; try again later.")
    expires = body.get("expires_in")
    if isinstance(expires, str) and expires.isdigit():
        expires = int(expires)
    return TokenResponse(
        access_token=access,
        refresh_token=text("refresh_token"),
        id_token=text("id_token"),
        expires_in=expires if isinstance(expires, int) and not isinstance(expires, bool) and expires >= 0 else None,
        scope=text("scope"),
        token_type=text("token_type"),
    )


def _check_refused(response: httpx.Response, what: str, advice: str, provider: str = PROVIDER) -> None:
    """Raise :class:`RefusedError` when the answer says the credential itself was rejected."""
    if response.status_code not in (400, 401):
        return
    body = flows.json_or_none(response)
    code = body.get("error") if isinstance(body, dict) else None
    if response.status_code == 401 or code in REFUSED_CODES:
        described = describe_response(response.status_code, body)
        raise RefusedError(provider, f"{what} refused the credential ({described}); {advice}")


def token_flow(
    discovery: Discovery,
    form: Mapping[str, str],
    *,
    what: str,
    advice: str,
    basic: tuple[str, str] | None = None,
    provider: str = PROVIDER,
) -> Flow[TokenResponse]:
    """POST ``form`` to the token endpoint and read the tokens (``basic``: HTTP Basic client authentication)."""
    import httpx

    auth = httpx.BasicAuth(*basic) if basic else None
    request = flows.request("POST", discovery.token_endpoint, data=dict(form), headers=_JSON)
    if auth is not None:
        request = next(auth.auth_flow(request))
    response = yield request
    _check_refused(response, what, advice, provider)
    body = flows.expect_ok(response, provider, what)
    if not isinstance(body, Mapping):
        raise TransientProviderError(provider, f"{what} answered something that is not a token; try again later.")
    return _token_response(body, what)


def refresh_grant_flow(
    issuer: str,
    client_id: str,
    refresh_token: str,
    cache: MutableMapping[str, Discovery],
    *,
    what: str,
    advice: str,
    provider: str = PROVIDER,
) -> Flow[TokenResponse]:
    """The refresh_token grant of a public client, exactly as the QCS SDK sends it (``provider`` names who asks)."""
    discovery = yield from discovery_flow(issuer, cache, provider)
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    return (yield from token_flow(discovery, form, what=what, advice=advice, provider=provider))


def client_credentials_flow(
    issuer: str, client_id: str, client_secret: str, cache: MutableMapping[str, Discovery], *, what: str, advice: str
) -> Flow[TokenResponse]:
    """The client_credentials grant with HTTP Basic, as the QCS SDK sends it."""
    discovery = yield from discovery_flow(issuer, cache)
    form = {"grant_type": "client_credentials"}
    return (yield from token_flow(discovery, form, what=what, advice=advice, basic=(client_id, client_secret)))


def device_authorization_flow(
    issuer: str, client_id: str, cache: MutableMapping[str, Discovery], scope: str = DEVICE_SCOPE
) -> Flow[tuple[Discovery, DeviceAuthorization]]:
    """Start an RFC 8628 device login: the user visits ``verification_uri`` and types ``user_code``."""
    discovery = yield from discovery_flow(issuer, cache)
    if discovery.device_authorization_endpoint is None:
        raise ProviderError(
            PROVIDER, f"the identity provider {issuer} does not offer device login; use another way to sign in."
        )
    what = "the device authorization endpoint"
    response = yield flows.request(
        "POST", discovery.device_authorization_endpoint, data={"client_id": client_id, "scope": scope}, headers=_JSON
    )
    _check_refused(response, what, "check client_id in the auth server of settings.toml.")
    body = flows.require(
        flows.expect_ok(response, PROVIDER, what), PROVIDER, what, "device_code", "user_code", "verification_uri"
    )
    expires = body.get("expires_in")
    interval = body.get("interval")
    complete = body.get("verification_uri_complete")
    link = body["verification_uri"]
    # The link becomes something a person clicks in the panel, the login dialog and the widget: only a web address
    # (https, or http on loopback) may get there, never a javascript: or data: URI.
    if not isinstance(link, str) or not _allowed_url(link):
        raise ProviderError(
            PROVIDER,
            f"the identity provider {issuer} answered the device login with a sign-in link that is not an https "
            "address, so the login was not started; ask your QCS administrator to check the identity provider.",
        )
    authorization = DeviceAuthorization(
        device_code=str(body["device_code"]),
        user_code=str(body["user_code"]),
        verification_uri=link,
        verification_uri_complete=complete if isinstance(complete, str) and _allowed_url(complete) else None,
        expires_in=expires if isinstance(expires, int) and expires > 0 else 600,
        interval=interval if isinstance(interval, int) and interval >= 0 else 5,
    )
    return discovery, authorization


def device_poll_flow(token_endpoint: str, client_id: str, device_code: str) -> Flow[DevicePoll]:
    """Ask once whether the user finished the device login (RFC 8628 section 3.4/3.5)."""
    what = "the token endpoint"
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id}
    response = yield flows.request("POST", token_endpoint, data=form, headers=_JSON)
    if response.status_code in (400, 401):
        body = flows.json_or_none(response)
        code = body.get("error") if isinstance(body, dict) else None
        outcomes = {
            "authorization_pending": "pending",
            "slow_down": "slow_down",
            "expired_token": "expired",
            "access_denied": "denied",
        }
        if code in outcomes:
            return DevicePoll(outcomes[code])
        if code == "invalid_grant":
            return DevicePoll("expired")
    _check_refused(response, what, "start the login again.")
    body = flows.expect_ok(response, PROVIDER, what)
    if not isinstance(body, Mapping):
        raise TransientProviderError(PROVIDER, f"{what} answered something that is not a token; try again later.")
    return DevicePoll("done", _token_response(body, what))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def account_flow(api_url: str, access_token: str) -> Flow[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Who the token belongs to and their groups, shaped for the status JSON (``account.user``/``groups``)."""
    base = api_url.rstrip("/")
    if not _allowed_url(base):
        raise ProviderError(PROVIDER, f"the api_url {api_url!r} is not an https URL; fix it in settings.toml.")
    headers = {**_JSON, "Authorization": f"Bearer {access_token}"}
    what = "the QCS API (auth:getUser)"
    response = yield flows.request("GET", base + "/v1/auth:getUser", headers=headers)
    body = flows.require(flows.expect_ok(response, PROVIDER, what, refused=(401,)), PROVIDER, what, "idpId")
    found = body.get("profile")
    profile: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    user = {
        "id": _text(body.get("id")),
        "idp_id": _text(body.get("idpId")),
        "email": _text(profile.get("email")),
        "first_name": _text(profile.get("firstName")),
        "last_name": _text(profile.get("lastName")),
        "organization": _text(profile.get("organization")),
    }
    groups: list[dict[str, Any]] = []
    page_token = ""
    what = "the QCS API (groups)"
    for _page in range(MAX_GROUP_PAGES):
        url = f"{base}/v1/users/{quote(str(body['idpId']), safe='')}/groups"
        params = {"pageToken": page_token} if page_token else None
        response = yield flows.request("GET", url, headers=headers, params=params)
        listing = flows.expect_ok(response, PROVIDER, what, refused=(401,))
        items = listing.get("groups") if isinstance(listing, Mapping) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                groups.append(
                    {
                        "id": _text(item.get("id")),
                        "name": _text(item.get("name")),
                        "description": _text(item.get("description")),
                    }
                )
        page_token = (_text(listing.get("nextPageToken")) if isinstance(listing, Mapping) else None) or ""
        if not page_token:
            break
    return user, groups
