"""OpenID Connect as generator flows (see :mod:`jupyter_qcred.core.flows`): one code path for the CLI and the server,
for every provider whose tokens come from an OIDC identity provider (QCS, Amazon Braket's login token).

- discovery, checked the way ``qcs_api_client_common`` checks it: the document's ``issuer`` must equal the
  configured one exactly and ``scopes_supported`` must contain ``openid``;
- the token endpoint: ``refresh_token`` (public client: ``client_id`` in the form), ``client_credentials`` (HTTP
  Basic, nothing else in the form), and the RFC 8628 device flow (authorization, then polls).

:class:`Oidc` is the part a provider composes: who asks (the provider's key and title, where its issuer is
configured, for the sentences) and its cache of discovery documents, one per issuer and process.

A refused credential (``invalid_grant``, ``invalid_client``, ``unauthorized_client``, or a 401) is a
:class:`~jupyter_qcred.core.errors.RefusedError`; 5xx, timeouts and unreadable answers are transient. Request bodies and
tokens never reach an exception message or a log line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from ...core import flows
from ...core.errors import ProviderError, RefusedError, TransientProviderError, describe_response
from ...core.flows import Flow
from ...core.validation import web_url

if TYPE_CHECKING:
    import httpx

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: Scopes of a device login: ``offline_access`` is what makes the provider hand out a refresh token.
DEVICE_SCOPE = "openid offline_access"
REFUSED_CODES = ("invalid_grant", "invalid_client", "unauthorized_client")
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


@dataclasses.dataclass
class Oidc:
    """The OIDC part of a provider: its flows, with sentences that name it, and its discovery cache.

    ``configured_in`` says where a person fixes the issuer and client_id ("the auth server of settings.toml");
    ``title`` is the provider's name for people, for the sentence that sends them to their administrator.
    """

    provider: str
    title: str
    configured_in: str
    #: issuer -> its checked discovery document (fetched once per issuer and process)
    cache: MutableMapping[str, Discovery] = dataclasses.field(default_factory=dict)

    def discovery(self, issuer: str) -> Flow[Discovery]:
        """Fetch (once per issuer and process) and check ``{issuer}/.well-known/openid-configuration``."""
        cached = self.cache.get(issuer)
        if cached is not None:
            return cached
        provider = self.provider
        if not _allowed_url(issuer):
            raise ProviderError(
                provider, f"the issuer {issuer!r} is not an https URL; fix issuer in {self.configured_in}."
            )
        what = f"the discovery document of {issuer}"
        response = yield flows.request("GET", issuer.rstrip("/") + "/.well-known/openid-configuration", headers=_JSON)
        body = flows.require(flows.expect_ok(response, provider, what), provider, what, "issuer", "token_endpoint")
        if body["issuer"] != issuer:
            raise ProviderError(
                provider,
                f"{what} names another issuer; the issuer in {self.configured_in} must match the provider's exactly.",
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
        self.cache[issuer] = discovery
        return discovery

    def token(
        self,
        discovery: Discovery,
        form: Mapping[str, str],
        *,
        what: str,
        advice: str,
        basic: tuple[str, str] | None = None,
    ) -> Flow[TokenResponse]:
        """POST ``form`` to the token endpoint and read the tokens (``basic``: HTTP Basic client authentication)."""
        import httpx

        auth = httpx.BasicAuth(*basic) if basic else None
        request = flows.request("POST", discovery.token_endpoint, data=dict(form), headers=_JSON)
        if auth is not None:
            request = next(auth.auth_flow(request))
        response = yield request
        self._check_refused(response, what, advice)
        body = flows.expect_ok(response, self.provider, what)
        if not isinstance(body, Mapping):
            raise TransientProviderError(
                self.provider, f"{what} answered something that is not a token; try again later."
            )
        return self._token_response(body, what)

    def refresh_grant(
        self, issuer: str, client_id: str, refresh_token: str, *, what: str, advice: str
    ) -> Flow[TokenResponse]:
        """The refresh_token grant of a public client, exactly as the QCS SDK sends it."""
        discovery = yield from self.discovery(issuer)
        form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
        return (yield from self.token(discovery, form, what=what, advice=advice))

    def client_credentials(
        self, issuer: str, client_id: str, client_secret: str, *, what: str, advice: str
    ) -> Flow[TokenResponse]:
        """The client_credentials grant with HTTP Basic, as the QCS SDK sends it."""
        discovery = yield from self.discovery(issuer)
        form = {"grant_type": "client_credentials"}
        return (yield from self.token(discovery, form, what=what, advice=advice, basic=(client_id, client_secret)))

    def device_authorization(
        self, issuer: str, client_id: str, scope: str = DEVICE_SCOPE
    ) -> Flow[tuple[Discovery, DeviceAuthorization]]:
        """Start an RFC 8628 device login: the user visits ``verification_uri`` and types ``user_code``."""
        provider = self.provider
        discovery = yield from self.discovery(issuer)
        if discovery.device_authorization_endpoint is None:
            raise ProviderError(
                provider, f"the identity provider {issuer} does not offer device login; use another way to sign in."
            )
        what = "the device authorization endpoint"
        response = yield flows.request(
            "POST",
            discovery.device_authorization_endpoint,
            data={"client_id": client_id, "scope": scope},
            headers=_JSON,
        )
        self._check_refused(response, what, f"check client_id in {self.configured_in}.")
        body = flows.require(
            flows.expect_ok(response, provider, what), provider, what, "device_code", "user_code", "verification_uri"
        )
        expires = body.get("expires_in")
        interval = body.get("interval")
        complete = body.get("verification_uri_complete")
        link = body["verification_uri"]
        # The link becomes something a person clicks in the panel, the login dialog and the widget: only a web
        # address (https, or http on loopback) may get there, never a javascript: or data: URI.
        if not isinstance(link, str) or not _allowed_url(link):
            raise ProviderError(
                provider,
                f"the identity provider {issuer} answered the device login with a sign-in link that is not an https "
                f"address, so the login was not started; ask your {self.title} administrator to check the identity "
                "provider.",
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

    def device_poll(self, token_endpoint: str, client_id: str, device_code: str) -> Flow[DevicePoll]:
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
        self._check_refused(response, what, "start the login again.")
        body = flows.expect_ok(response, self.provider, what)
        if not isinstance(body, Mapping):
            raise TransientProviderError(
                self.provider, f"{what} answered something that is not a token; try again later."
            )
        return DevicePoll("done", self._token_response(body, what))

    def _token_response(self, body: Mapping[str, Any], what: str) -> TokenResponse:
        def text(key: str) -> str | None:
            value = body.get(key)
            return value if isinstance(value, str) and value else None

        access = text("access_token")
        if access is None:
            raise TransientProviderError(self.provider, f"{what} answered without an access token; try again later.")
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

    def _check_refused(self, response: httpx.Response, what: str, advice: str) -> None:
        """Raise :class:`RefusedError` when the answer says the credential itself was rejected."""
        if response.status_code not in (400, 401):
            return
        body = flows.json_or_none(response)
        code = body.get("error") if isinstance(body, dict) else None
        if response.status_code == 401 or code in REFUSED_CODES:
            described = describe_response(response.status_code, body)
            raise RefusedError(self.provider, f"{what} refused the credential ({described}); {advice}")
