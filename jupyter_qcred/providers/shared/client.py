"""How a provider reaches its cloud: one :class:`Client` part (timeout, TLS trust, proxies) that drives the
provider's request flows (:mod:`jupyter_qcred.core.flows`) with a blocking client (the CLI, a kernel on its own,
locked refreshes) or an async one (the server).

TLS trust follows the provider's SDK: :func:`ca_trust` reads the CA bundle variables it honours from the settings'
environment (requests and botocore: ``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``, ``AWS_CA_BUNDLE``; the QCS SDK:
``SSL_CERT_FILE`` and ``SSL_CERT_DIR``); an account may also say ``verify: false`` and name proxies (IBM). The SSL
context is made once per client, and only when a flow sends a request (a process that finds a fresh token never
pays for it); httpx is imported then too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ...core import flows
from ...core.flows import Flow

if TYPE_CHECKING:
    import ssl

    from ...core.settings import Settings

T = TypeVar("T")

#: The CA bundle variables requests and botocore honour, in their order.
CA_FILE_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE")


def ca_trust(
    environ: Mapping[str, str], files: Sequence[str] = CA_FILE_VARIABLES, folders: Sequence[str] = ()
) -> ssl.SSLContext | bool:
    """An SSL context trusting the first CA file (and CA folder) the environment names, else True (the defaults)."""
    cafile = next((environ[name] for name in files if environ.get(name)), None)
    capath = next((environ[name] for name in folders if environ.get(name)), None)
    if not cafile and not capath:
        return True
    import ssl

    return ssl.create_default_context(cafile=cafile, capath=capath)


class Client:
    """The client settings of one provider (or one account), and the two drivers of its flows.

    ``verify`` is True (the defaults), False (an account that says so), or a function computing the SSL context on
    first use; ``proxies`` is a requests-style ``{"https": URL}`` mapping.
    """

    def __init__(
        self,
        provider: str,
        timeout: float,
        *,
        verify: bool | Callable[[], ssl.SSLContext | bool] = True,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.proxies = proxies
        self._verify = verify
        self._trust: ssl.SSLContext | bool | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, provider: str, *, files: Sequence[str] = CA_FILE_VARIABLES, folders: Sequence[str] = ()
    ) -> Client:
        """A client with the settings' timeout, trusting the CA bundle the settings' environment names."""
        environ = dict(settings.environ)
        return cls(provider, settings.timeout, verify=lambda: ca_trust(environ, files, folders))

    def verify(self) -> ssl.SSLContext | bool:
        """What the client checks certificates with (computed once)."""
        if self._trust is None:
            self._trust = self._verify() if callable(self._verify) else self._verify
        return self._trust

    def options(self, *, asynchronous: bool = False) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client`` (or ``httpx.AsyncClient``)."""
        make = flows.async_client_options if asynchronous else flows.client_options
        return {**make(timeout=self.timeout, proxies=self.proxies), "verify": self.verify()}

    def run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` with a blocking client, made only if the flow sends a request."""
        return flows.run_sync(flow, lambda: flows.sync_client(**self.options()), self.provider)

    async def arun(self, flow: Flow[T]) -> T:
        """Drive ``flow`` with an async client, made only if the flow sends a request."""
        return await flows.run_async(flow, lambda: flows.async_client(**self.options(asynchronous=True)), self.provider)


def run_flow(flow: Flow[T], settings: Settings, provider: str) -> T:
    """Drive ``flow`` once with a blocking client of the settings (:meth:`Client.from_settings`)."""
    return Client.from_settings(settings, provider).run(flow)


async def arun_flow(flow: Flow[T], settings: Settings, provider: str) -> T:
    """Drive ``flow`` once with an async client of the settings (:meth:`Client.from_settings`)."""
    return await Client.from_settings(settings, provider).arun(flow)
