"""Provider protocols as generators of HTTP requests, driven by a sync or an async httpx client.

Like httpx's ``Auth.auth_flow``, a protocol step is written once as a generator that yields an
:class:`httpx.Request` and receives the :class:`httpx.Response`; :func:`run_sync` drives it for the CLI (no event
loop, fast start) and :func:`run_async` for the server. Transport failures become
:class:`~jupyter_qcred.core.errors.TransientProviderError` with a sentence that names the provider and the host, never
a URL's query or a header.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from . import safejson
from .errors import ProviderError, RefusedError, TransientProviderError, describe_response

if TYPE_CHECKING:  # httpx is imported when a request is made: a process that finds a fresh token never pays for it
    import httpx

T = TypeVar("T")
Flow = Generator["httpx.Request", "httpx.Response", T]

DEFAULT_TIMEOUT = 20.0
#: A header httpcore's DEBUG trace shows as ``(b'Name', b'value')`` whose value is a secret (Nexus answers its
#: access token as a cookie).
_SECRET_HEADER = re.compile(
    r"\((b'(?:set-cookie|cookie|authorization)'), b(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\)", re.IGNORECASE
)


class _HeaderRedactor(logging.Filter):
    """httpcore logs every response's headers at DEBUG; secret header values are replaced before any handler (or a
    test's secret scan) sees the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        redacted = _SECRET_HEADER.sub(r"(\1, b'<redacted>')", text)
        if redacted != text:
            record.msg, record.args = redacted, ()
        return True


def _redact_http_traces() -> None:
    for name in ("httpcore.http11", "httpcore.http2"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HeaderRedactor) for f in logger.filters):
            logger.addFilter(_HeaderRedactor())


def request(method: str, url: str, **kwargs: Any) -> httpx.Request:
    """An :class:`httpx.Request` for a flow to yield (httpx is imported here, on first use)."""
    import httpx

    return httpx.Request(method, url, **kwargs)


def sync_client(**options: Any) -> httpx.Client:
    """A blocking httpx client (for :func:`run_sync`), importing httpx on first use."""
    import httpx

    _redact_http_traces()
    return httpx.Client(**options)


def async_client(**options: Any) -> httpx.AsyncClient:
    """An async httpx client (for :func:`run_async`), importing httpx on first use."""
    import httpx

    _redact_http_traces()
    return httpx.AsyncClient(**options)


def _host(request: httpx.Request) -> str:
    """Scheme, host and port of the request: never the ``user:pass@`` a URL may carry, nor its path or query."""
    url = request.url
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}" + (f":{url.port}" if url.port is not None else "")


def _transport_error(provider: str, request: httpx.Request, exc: Exception, timeout: float | None) -> ProviderError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        limit = f" within {timeout:g} s" if timeout else ""
        return TransientProviderError(
            provider, f"{_host(request)} did not answer{limit}; it may be down or slow. Try again later."
        )
    return TransientProviderError(
        provider,
        f"could not reach {_host(request)} ({type(exc).__name__}); check the network or proxy settings and try again.",
    )


def run_sync(flow: Flow[T], client: Callable[[], httpx.Client], provider: str) -> T:
    """Drive ``flow`` with a blocking client, made by ``client()`` only if the flow sends a request at all.

    A process that finds the token another process just refreshed sends nothing, and so never pays for a client
    (its SSL context and transport) while it holds the credentials lock.
    """
    try:
        request = next(flow)
    except StopIteration as stop:
        return stop.value
    import httpx

    with client() as session:
        try:
            while True:
                try:
                    response = session.send(request)
                except httpx.HTTPError as exc:
                    raise _transport_error(provider, request, exc, _read_timeout(session)) from None
                request = flow.send(response)
        except StopIteration as stop:
            return stop.value


async def run_async(flow: Flow[T], client: Callable[[], httpx.AsyncClient], provider: str) -> T:
    """Drive ``flow`` with an async client, made by ``client()`` only if the flow sends a request at all."""
    try:
        request = next(flow)
    except StopIteration as stop:
        return stop.value
    import httpx

    async with client() as session:
        try:
            while True:
                try:
                    response = await session.send(request)
                except httpx.HTTPError as exc:
                    raise _transport_error(provider, request, exc, _read_timeout(session)) from None
                request = flow.send(response)
        except StopIteration as stop:
            return stop.value


def _read_timeout(client: httpx.Client | httpx.AsyncClient) -> float | None:
    return client.timeout.read


def parse_json(response: httpx.Response, provider: str, what: str) -> Any:
    """The JSON body of a response, or a transient error saying the provider answered something unreadable."""
    try:
        return safejson.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise TransientProviderError(
            provider,
            f"{what} answered HTTP {response.status_code} with a body that is not JSON; "
            "the service may be misconfigured or down. Try again later.",
        ) from None


def expect_ok(response: httpx.Response, provider: str, what: str, refused: tuple[int, ...] = ()) -> Any:
    """Check a response and return its JSON.

    ``refused`` lists the statuses that mean the credential itself was rejected (-> re-initialize); 5xx and 429 are
    transient, other 4xx are errors of the request that retrying will not fix.
    """
    if response.is_success:
        body = parse_json(response, provider, what)
        return body
    body = json_or_none(response)
    described = describe_response(response.status_code, body)
    if response.status_code in refused:
        raise RefusedError(provider, f"{what} refused the credential ({described}); re-initialize it.")
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientProviderError(provider, f"{what} failed ({described}).")
    raise ProviderError(provider, f"{what} rejected the request ({described}).")


def json_or_none(response: httpx.Response) -> Any:
    """The JSON body of a response, or None: an error answer may hold anything, and is only described."""
    try:
        return safejson.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def require(body: Any, provider: str, what: str, *keys: str) -> Mapping[str, Any]:
    """``body`` as a mapping holding ``keys``, or a transient error naming what was missing."""
    if not isinstance(body, Mapping) or any(key not in body for key in keys):
        missing = ", ".join(keys)
        raise TransientProviderError(
            provider, f"{what} answered without the expected fields ({missing}); try again later."
        )
    return body


def client_options(
    timeout: float = DEFAULT_TIMEOUT, verify: bool | str = True, proxies: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``httpx.Client``/``AsyncClient`` from requests-style settings.

    ``proxies`` is a requests-style ``{"http": URL, "https": URL}`` mapping (IBM's ``proxies["urls"]``).
    """
    import httpx

    options: dict[str, Any] = {"timeout": httpx.Timeout(timeout), "verify": verify, "follow_redirects": False}
    if proxies:
        options["mounts"] = {
            (key if "://" in key else f"{key}://"): httpx.HTTPTransport(proxy=url) for key, url in proxies.items()
        }
    return options


def async_client_options(
    timeout: float = DEFAULT_TIMEOUT, verify: bool | str = True, proxies: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Like :func:`client_options` for ``httpx.AsyncClient``."""
    import httpx

    options = client_options(timeout, verify, None)
    if proxies:
        options["mounts"] = {
            (key if "://" in key else f"{key}://"): httpx.AsyncHTTPTransport(proxy=url) for key, url in proxies.items()
        }
    return options
