"""IBM Quantum's protocols, written once as :mod:`jupyter_qcred.core.flows` generators and driven sync or async.

- Legacy auth API (qiskit-ibmq-provider): ``GET version``, ``POST users/loginWithToken`` (API token -> opaque access
  token with a ``ttl``), ``GET users/me`` (service URLs), ``GET {urls.http}/Network`` (hubs/groups/projects, the
  default one marked). Unlike the original we log in again once when a stored access token gets a 401.
- IBM Cloud IAM (qiskit-ibm-runtime): API key -> Bearer JWT, expiry from ``expiration`` or ``expires_in``.

A refused credential is a :class:`~jupyter_qcred.core.errors.RefusedError` (only a new key helps); 5xx, timeouts and
unreadable answers are :class:`~jupyter_qcred.core.errors.TransientProviderError`. Access tokens live only in the
objects returned here (their ``repr`` hides them): nothing in this module writes or logs them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from ...core import flows
from ...core.errors import ProviderError, RefusedError, TransientProviderError, describe_response
from ...core.flows import Flow, json_or_none
from ...core.states import utcnow
from ...core.validation import url_problem, web_url
from ..shared.client import Client

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("jupyter_qcred.ibm")
PROVIDER = "ibm"
DEFAULT_IAM_URL = "https://iam.cloud.ibm.com"
IAM_APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
#: Legacy error codes that mean the token itself was refused (3446 "Login failed", 3445 "authorized provider
#: required"), and IAM's "API key could not be found".
LEGACY_REFUSED_CODES = {"3446", "3445"}
IAM_REFUSED_CODES = {"BXNIM0415E"}
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class AccessToken:
    """A short-lived token obtained from the provider; kept in memory only and never shown."""

    value: str = dataclasses.field(repr=False)
    issued_at: datetime
    expires_at: datetime | None

    def __repr__(self) -> str:
        return f"AccessToken(issued_at={self.issued_at.isoformat()}, expires_at={self.expires_at})"

    def valid(self, now: datetime) -> bool:
        """Whether the token has not expired yet (unknown expiry counts as valid)."""
        return self.expires_at is None or now < self.expires_at


@dataclasses.dataclass(frozen=True)
class LegacyAccount:
    """What the legacy auth API told us about an account."""

    access_token: AccessToken
    user_id: str | None
    http_url: str | None
    ws_url: str | None
    services: Mapping[str, Any]
    instances: list[dict[str, Any]]

    @property
    def default_instance(self) -> str | None:
        """``hub/group/project`` the network marks as default, else the first one."""
        marked = [i for i in self.instances if i.get("default")] or self.instances
        return "/".join((marked[0]["hub"], marked[0]["group"], marked[0]["project"])) if marked else None


def _error_code(response: httpx.Response) -> str | None:
    """The provider's own error code of an error answer (legacy ``error.code``/``name``, IAM ``errorCode``)."""
    body = json_or_none(response)
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("errorCode"), str):
        return str(body["errorCode"])
    error = body.get("error")
    if isinstance(error, dict):
        for key in ("code", "name"):
            if isinstance(error.get(key), str | int):
                return str(error[key])
    return None


def _legacy_name(response: httpx.Response) -> str | None:
    body = json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    name = error.get("name") if isinstance(error, dict) else None
    return name if isinstance(name, str) else None


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def version_flow(base_url: str) -> Flow[Mapping[str, Any]]:
    """``GET {base}/version``: check the URL really is an IBM Quantum legacy auth API."""
    response = yield flows.request("GET", _join(base_url, "version"))
    body = flows.expect_ok(response, PROVIDER, "The IBM Quantum auth API (version)")
    if not isinstance(body, dict) or "api-auth" not in body:
        raise ProviderError(
            PROVIDER,
            f"{_host(base_url)} does not look like an IBM Quantum authentication API; check the account's url.",
        )
    return body


def _host(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def login_flow(
    base_url: str, api_token: str, now: Callable[[], datetime] = utcnow
) -> Flow[tuple[AccessToken, str | None]]:
    """``POST {base}/users/loginWithToken``: the API token for an access token and the user id."""
    response = yield flows.request("POST", _join(base_url, "users/loginWithToken"), json={"apiToken": api_token})
    if response.status_code in (400, 401, 403):
        code = _error_code(response)
        if response.status_code == 401 or code in LEGACY_REFUSED_CODES:
            if _legacy_name(response) == "ACCEPT_LICENSE_REQUIRED":
                raise RefusedError(
                    PROVIDER,
                    "the login needs the IBM Quantum license to be accepted: log in on the IBM Quantum website, "
                    "accept it, then refresh.",
                )
            raise RefusedError(
                PROVIDER,
                f"the legacy API refused the API token ({describe_response(response.status_code, None)}"
                f"{', code ' + code if code else ''}); get a new token and re-initialize.",
            )
    body = flows.require(
        flows.expect_ok(response, PROVIDER, "The IBM Quantum login"), PROVIDER, "The IBM Quantum login", "id"
    )
    issued = now()
    ttl = body.get("ttl")
    expires = issued + timedelta(seconds=float(ttl)) if isinstance(ttl, int | float) and ttl > 0 else None
    if not isinstance(body["id"], str) or not body["id"]:
        raise TransientProviderError(PROVIDER, "The IBM Quantum login answered without an access token.")
    user_id = body.get("userId")
    return AccessToken(body["id"], issued, expires), user_id if isinstance(user_id, str) else None


def _network_instances(body: Any) -> list[dict[str, Any]]:
    """Flatten ``[{name, groups: {G: {projects: {P: {isDefault}}}}}]`` into hub/group/project rows."""
    if not isinstance(body, list):
        raise TransientProviderError(PROVIDER, "The IBM Quantum network list is not a list; try again later.")
    rows: list[dict[str, Any]] = []
    for hub in body:
        if not isinstance(hub, dict) or not isinstance(hub.get("name"), str):
            continue
        groups = hub.get("groups")
        for group_name, group in groups.items() if isinstance(groups, dict) else ():
            projects = group.get("projects") if isinstance(group, dict) else None
            for project_name, project in projects.items() if isinstance(projects, dict) else ():
                default = bool(project.get("isDefault")) if isinstance(project, dict) else False
                rows.append({"hub": hub["name"], "group": group_name, "project": project_name, "default": default})
    return rows


def legacy_account_flow(
    base_url: str,
    api_token: str,
    access_token: AccessToken | None = None,
    now: Callable[[], datetime] = utcnow,
) -> Flow[LegacyAccount]:
    """Log in (unless a still-valid ``access_token`` is given) and fetch service URLs and hubs.

    A 401 on ``users/me`` or ``Network`` with a reused access token means it was revoked or expired early: log in
    again, once. A 401 right after a fresh login means the account itself is refused.
    """
    check_destination(base_url)
    yield from version_flow(base_url)
    user_id: str | None = None
    fresh = access_token is None or not access_token.valid(now())
    if fresh:
        access_token, user_id = yield from login_flow(base_url, api_token, now)
    assert access_token is not None
    for attempt in range(2):
        headers = {"X-Access-Token": access_token.value}
        me = yield flows.request("GET", _join(base_url, "users/me"), headers=headers)
        if me.status_code == 401 and not fresh and attempt == 0:
            log.info("IBM Quantum: the kept access token was refused; logging in again")
            access_token, user_id = yield from login_flow(base_url, api_token, now)
            fresh = True
            continue
        body = flows.expect_ok(me, PROVIDER, "The IBM Quantum account API (users/me)", refused=(401,))
        urls = body.get("urls") if isinstance(body, dict) else None
        urls = urls if isinstance(urls, dict) else {}
        http_url = urls.get("http") if isinstance(urls.get("http"), str) else None
        http_url = http_url if web_url(http_url) else None  # the access token goes there: https (or loopback) only
        instances: list[dict[str, Any]] = []
        if http_url:
            network = yield flows.request("GET", _join(http_url, "Network"), headers=headers)
            if network.status_code == 401 and not fresh and attempt == 0:
                access_token, user_id = yield from login_flow(base_url, api_token, now)
                fresh = True
                continue
            instances = _network_instances(
                flows.expect_ok(network, PROVIDER, "The IBM Quantum network API", refused=(401,))
            )
        if user_id is None and isinstance(body, dict) and isinstance(body.get("userId"), str):
            user_id = body["userId"]
        services = urls.get("services")
        services = services if isinstance(services, dict) else {}
        ws_url = urls.get("ws") if isinstance(urls.get("ws"), str) else None
        return LegacyAccount(access_token, user_id, http_url, ws_url, services, instances)
    raise RefusedError(PROVIDER, "the legacy API keeps refusing fresh access tokens; re-initialize the account.")


class DestinationError(ProviderError):
    """The address a key would be sent to is not https (or http on loopback): nothing was sent; retrying does not
    help, fixing the account's url (or ``IAM_URL``) does."""

    transient = False


def check_destination(url: str) -> str:
    """``url`` when a key may be sent there (:func:`~jupyter_qcred.core.validation.url_problem`), else
    :class:`DestinationError` before any request: the one rule for every address a token goes to."""
    problem = url_problem(url)
    if problem:
        raise DestinationError(
            PROVIDER, f"the address the key would be sent to {problem}, so it was not sent; fix the account's url."
        )
    return url


def iam_url(account_url: str | None, environ: Mapping[str, str]) -> str:
    """The IAM base URL the SDK would use: ``IAM_URL``, else ``iam.`` + the account URL's host."""
    override = environ.get("IAM_URL")
    if override:
        return override.rstrip("/")
    if account_url:
        parsed = urlparse(account_url)
        if parsed.scheme and parsed.hostname:
            return f"{parsed.scheme}://iam.{parsed.hostname}"
    return DEFAULT_IAM_URL


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


def iam_token_flow(base_url: str, api_key: str, now: Callable[[], datetime] = utcnow) -> Flow[AccessToken]:
    """``POST {IAM}/identity/token`` with the API key grant; the JWT and its expiry."""
    check_destination(base_url)
    request = flows.request(
        "POST",
        _join(base_url, "identity/token"),
        data={"grant_type": IAM_APIKEY_GRANT, "apikey": api_key, "response_type": "cloud_iam"},
        headers={"Accept": "application/json"},
    )
    response = yield request
    if response.status_code in (400, 401, 403):
        code = _error_code(response)
        if response.status_code == 401 or code in IAM_REFUSED_CODES:
            detail = describe_response(response.status_code, None) + (f", {code}" if code else "")
            raise RefusedError(
                PROVIDER, f"IBM Cloud IAM refused the API key ({detail}); create a new key and re-initialize."
            )
    body = flows.require(
        flows.expect_ok(response, PROVIDER, "IBM Cloud IAM"), PROVIDER, "IBM Cloud IAM", "access_token"
    )
    if not isinstance(body["access_token"], str) or not body["access_token"]:
        raise TransientProviderError(PROVIDER, "IBM Cloud IAM answered without an access token.")
    issued = now()
    expires = _epoch(body.get("expiration"))
    if expires is None:
        lifetime = body.get("expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0:
            expires = issued + timedelta(seconds=float(lifetime))
    return AccessToken(body["access_token"], issued, expires)


def client(timeout: float, verify: bool = True, proxies: Mapping[str, Any] | None = None) -> Client:
    """The client of one account as the SDK connects: its ``verify`` and ``proxies["urls"]`` (NTLM proxy
    authentication is not supported here: a warning, and the connection is made without it)."""
    urls = proxies.get("urls") if proxies else None
    if proxies and proxies.get("username_ntlm") and proxies.get("password_ntlm"):
        log.warning("IBM Quantum: NTLM proxy authentication is not supported here; connecting without it")
    return Client(PROVIDER, timeout, verify=verify, proxies=urls if isinstance(urls, Mapping) else None)


async def run_async(
    flow: Flow[T], *, timeout: float, verify: bool = True, proxies: Mapping[str, Any] | None = None
) -> T:
    """Drive ``flow`` with an async client honouring the account's ``verify`` and ``proxies["urls"]``."""
    return await client(timeout, verify, proxies).arun(flow)


def run_sync(flow: Flow[T], *, timeout: float, verify: bool = True, proxies: Mapping[str, Any] | None = None) -> T:
    """Drive ``flow`` with a blocking client (the CLI)."""
    return client(timeout, verify, proxies).run(flow)
