"""The qnexus adapter: qnexus's ``AuthHandler`` asks jupyter_qcred for its access token instead of refreshing.

qnexus 0.51 (0.51.1 checked) reads ``id.json`` and ``token.json`` once per process, when it builds its client
(``get_nexus_client``), answers every 401 with its own ``POST /auth/tokens/refresh`` and rewrites ``id.json`` with a
plain ``open("w")``, no lock: N processes across one expiry make N refreshes, and a process that starts while another
rewrites the file fails with ``JSONDecodeError``. Its one extension point is the ``httpx.Auth`` of its client, and
qnexus itself relies on that being an ``AuthHandler`` (the job-status websocket calls ``refresh_id_token``). So
:func:`adapt` (run by :mod:`jupyter_qcred.core.importhook` right after ``qnexus`` is imported) rebinds the module
global ``qnexus.client.AuthHandler``, which ``get_nexus_client`` looks up each time it builds a client, to a subclass
(and adopts the handler of a client built already). The subclass:

- reads the files as qnexus does but tolerant of a half-written one (retried for a moment, then taken as missing);
- before a request whose access token is due (the same margin as the server's refresh) and after a 401, asks
  jupyter_qcred's renewer in-process (:meth:`.provider.NexusProvider.token_sync`): under the lock of ``id.json`` it
  re-reads the file and renews only if the token there is still due or, after a 401, still the one refused, then
  writes ``id.json`` atomically. The request is retried once with the new ``myqos_id``;
- does the same in ``refresh_id_token`` (the websocket path);
- never posts ``/auth/tokens/refresh`` itself and never writes the files with qnexus's writer.

Which logins: every login qnexus reads from the files jupyter_qcred's Nexus provider reads, whoever wrote them (a
bundle, the panel, or ``qnx login``). Who wrote ``token.json`` cannot be told and need not be: the panel shows and the
server refreshes that very login; Nexus does not rotate the refresh token and the renewer sends the request qnexus
would send, only once for every process, under a lock, with an atomic write, so a ``qnx login`` user gets the fix
too and loses nothing. The original code runs whenever this process uses a login that is not the files', or one
jupyter_qcred does not send tokens for: a token given in code (``login_with_token``), ``CONFIG.store_tokens`` or
``CONFIG.httpx_verify`` off, a ``CONFIG`` changed in code (another host or region, another token folder), no
``token.json``, a Nexus address that is http beyond loopback, or an ``id.json`` that stays unreadable. Managed-token
mode (``NEXUS_MANAGED_TOKENS``) is the provider's: ``token.json`` is only read, and the access token is kept in
``~/.qnx/managed_auth/id.json``, where qnexus reads it in that mode.

Imports: the standard library, :mod:`jupyter_qcred.core.adapters` and the JWT reader; the provider at the first
renewal; no SDK at import time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from types import ModuleType
from typing import Any, ClassVar

from ...core.adapters import SdkAdapter
from ...core.margin import margin_seconds
from ..shared.times import jwt_times

ADAPTER = SdkAdapter(
    name="qnexus",
    sdk="qnexus",
    distribution="qnexus",
    supported=("0.51.",),
    does=(
        "qnexus gets its access token from jupyter_qcred, renewed once for every process and written atomically, "
        "instead of refreshing and rewriting ~/.qnx/auth/id.json in each process."
    ),
)

#: What qnexus must offer (checked before anything changes): module -> attributes.
NEEDED = {
    "qnexus.client": (
        "AuthHandler",
        "get_nexus_client",
        "_nexus_client",
        "read_token",
        "CONFIG",
        "_check_sunset_header",
    ),
    "qnexus.client.utils": ("_token_dir", "token_file_from_type"),
    "qnexus.exceptions": ("AuthenticationError",),
}
HANDLER_METHODS = ("auth_flow", "reload_tokens", "refresh_id_token", "build_refresh_request")
#: qnexus's cookies: the access token and the refresh token.
ACCESS, REFRESH = "myqos_id", "myqos_oat"
#: qnexus's own words for a login that is refused or missing (``client/__init__.py``).
NOT_AUTHENTICATED = "Not authenticated. Please run `qnx login` in your terminal."
#: How long a half-written token file is waited for (a writer finishes within milliseconds).
READ_PATIENCE = 0.5
#: After a renewal ahead of expiry failed, requests go out with the token they hold (it still works) for this long
#: before the next try; a 401 asks again at once.
RETRY_AHEAD = 10.0


def adapt(module: ModuleType) -> str | None:
    """Install the handler (see the module docstring); the reason, changing nothing, when qnexus is not a version
    or shape it was checked with."""
    from importlib import import_module

    refusal = ADAPTER.refusal()
    if refusal is not None:
        return refusal
    modules = {name: import_module(name) for name in NEEDED}
    for name, attributes in NEEDED.items():
        missing = [attribute for attribute in attributes if not hasattr(modules[name], attribute)]
        if missing:
            return f"{name} has no {', '.join(missing)}: left alone"
    client = modules["qnexus.client"]
    original = client.AuthHandler
    if getattr(original, "_jupyter_qcred", False):
        return None
    missing = [method for method in HANDLER_METHODS if not callable(getattr(original, method, None))]
    if missing:
        return f"qnexus.client.AuthHandler has no {', '.join(missing)}: left alone"
    qnexus = _Qnexus(client, modules["qnexus.client.utils"], modules["qnexus.exceptions"].AuthenticationError)
    handler: Any = type("AuthHandler", (_AdaptedAuth, original), {"_original": original, "_qnexus": qnexus})
    handler.__doc__ = f"qnexus's AuthHandler asking jupyter_qcred for tokens ({__name__})."
    setattr(client, "AuthHandler", handler)  # noqa: B010 - a module attribute mypy cannot see
    existing = client._nexus_client
    if existing is not None and type(existing.auth) is original:
        existing.auth = handler.adopt(existing.auth)
    return None


class _Qnexus:
    """The qnexus modules the handler works with (looked up once, at :func:`adapt`)."""

    def __init__(self, client: ModuleType, utils: ModuleType, auth_error: type[Exception]) -> None:
        self.client = client
        self.utils = utils
        self.auth_error = auth_error

    @property
    def config(self) -> Any:
        return self.client.CONFIG

    def path(self, kind: str) -> Any:
        """Where qnexus reads the token of ``kind`` ("access_token", "refresh_token") now."""
        return self.utils._token_dir(kind) / self.utils.token_file_from_type[kind]

    def read(self, kind: str) -> str | None:
        """``read_token`` as qnexus calls it, but a missing, empty or half-written file is None instead of an error
        (a file still unreadable after :data:`READ_PATIENCE` is taken as missing too)."""
        deadline = time.monotonic() + READ_PATIENCE
        while True:
            try:
                return str(self.client.read_token(kind)) or None
            except FileNotFoundError:
                return None
            except ValueError:  # json.JSONDecodeError, pydantic's ValidationError: another process is writing it
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.01)


class _AdaptedAuth:
    """Mixed in before qnexus's ``AuthHandler`` by :func:`adapt` (see the module docstring)."""

    _jupyter_qcred: ClassVar[bool] = True
    _original: ClassVar[Any]
    _qnexus: ClassVar[_Qnexus]
    cookies: Any

    def __init__(self) -> None:
        self._ask_lock = threading.RLock()
        #: The refresh token this handler read from token.json: a different one in the cookies was set in code.
        self._file_refresh: str | None = None
        self._due: tuple[str, float | None] | None = None
        self._quiet_until = 0.0
        self._original.__init__(self)

    @classmethod
    def adopt(cls, old: Any) -> Any:
        """This class's handler with the cookies of ``old`` (a client built before :func:`adapt` ran)."""
        handler = cls.__new__(cls)
        handler.__dict__.update(old.__dict__)
        handler._ask_lock = threading.RLock()
        handler._file_refresh = cls._qnexus.read("refresh_token")
        handler._due = None
        handler._quiet_until = 0.0
        return handler

    # ----- qnexus's methods ------------------------------------------------------------------------------------

    def reload_tokens(self) -> None:
        """As qnexus: clear the cookies, then the refresh token and the access token from the files; a file being
        rewritten by another process is waited for instead of failing with ``JSONDecodeError``."""
        self.cookies.clear()
        refresh = self._qnexus.read("refresh_token")
        self._file_refresh = refresh
        if refresh is None:
            return
        self._set(REFRESH, refresh)
        access = self._qnexus.read("access_token")
        if access is not None:
            self._set(ACCESS, access)

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        token = self._get(ACCESS)
        if self._needs_renewal(token):
            token = self._ahead(token)
        self._put_cookies(request)
        response = yield request
        if response.status_code != 401:
            self._qnexus.client._check_sunset_header(request, response)
            return
        fresh = self._ask(token, force=token is not None)
        if fresh is None:  # not the files' login: qnexus answers the 401 as it always did
            yield from self._original_after(request, response)
            return
        self._qnexus.client._check_sunset_header(request, response)
        self._put_cookies(request)
        yield request

    def refresh_id_token(self) -> None:
        """The websocket's renewal: from jupyter_qcred (forced unless the file already holds another token)."""
        token = self._get(ACCESS)
        if self._ask(token, force=token is not None) is None:
            self._original.refresh_id_token(self)

    # ----- asking jupyter_qcred --------------------------------------------------------------------------------

    def _needs_renewal(self, token: str | None) -> bool:
        """No access token, or one past the refresh margin (a token whose expiry cannot be read is left to the
        401: asking before every request would renew it every time)."""
        if token is None:
            return True
        if self._due is None or self._due[0] != token:
            times = jwt_times(token)
            due = None
            if times.expires_at is not None:
                lifetime = (times.expires_at - times.issued_at).total_seconds() if times.issued_at else 3600.0
                due = times.expires_at.timestamp() - margin_seconds(lifetime)
            self._due = (token, due)
        due = self._due[1]
        return due is not None and time.time() >= due

    def _ahead(self, token: str | None) -> str | None:
        """Before a request, the token due: renewed. A failure is not the request's (the token it holds may still
        work; if not, the 401 asks again and says what failed), and the next try waits :data:`RETRY_AHEAD`."""
        if time.monotonic() < self._quiet_until:
            return token
        try:
            return self._ask(token, force=False) or token
        except self._qnexus.auth_error:
            self._quiet_until = time.monotonic() + RETRY_AHEAD
            return token

    def _ask(self, seen: str | None, *, force: bool) -> str | None:
        """A valid access token from jupyter_qcred's renewer, set in the cookies; None when this process's login is
        not the files' (:meth:`_provider`) or the file stays unreadable. ``force``: ``seen`` was refused."""
        from ...core.errors import FileFormatError, QCredError, RefusedError

        with self._ask_lock:
            deadline = time.monotonic() + READ_PATIENCE
            while True:
                found = self._provider()
                if found is None:
                    return None
                provider, refresh = found
                try:
                    token = provider.token_sync(force=force, refused=seen if force else None)
                    break
                except FileFormatError:  # another process (an SDK without the adapter) is rewriting id.json
                    if time.monotonic() >= deadline:
                        return None
                    time.sleep(0.01)
                except RefusedError as exc:
                    raise self._qnexus.auth_error(f"{NOT_AUTHENTICATED} (jupyter_qcred: {exc})") from None
                except QCredError as exc:
                    raise self._qnexus.auth_error(
                        f"jupyter_qcred could not renew the Nexus access token: {exc}"
                    ) from None
            self._set(REFRESH, refresh)
            self._file_refresh = refresh
            self._set(ACCESS, token)
            return token

    def _provider(self) -> tuple[Any, str] | None:
        """jupyter_qcred's Nexus provider and the refresh token of ``token.json``, when qnexus in this process uses
        that login at the address, folders and settings the provider uses; else None (see the module docstring)."""
        from ...core.errors import QCredError
        from ...core.settings import Settings
        from .provider import NexusProvider

        q = self._qnexus
        config = q.config
        if not config.store_tokens or config.httpx_verify is False:
            return None
        jar = self._get(REFRESH)
        if jar is not None and jar != self._file_refresh:
            return None  # set in code (login_with_token): that login is not the files'
        try:
            provider = NexusProvider(Settings.from_environment())
            store = provider.store
            if (q.path("refresh_token"), q.path("access_token")) != (store.refresh_path, store.access_path):
                return None
            if config.url != store.url:
                return None
            store.checked_url()
            refresh = store.refresh_token()
        except QCredError:
            return None
        return (provider, refresh) if refresh else None

    # ----- cookies ---------------------------------------------------------------------------------------------

    def _original_after(self, request: Any, response: Any) -> Generator[Any, Any, None]:
        """qnexus's own answer to ``response`` (a 401 to ``request``): its flow, resumed after the first send."""
        flow = self._original.auth_flow(self, request)
        next(flow)  # it sets the cookie header and yields the request we already sent
        try:
            outgoing = flow.send(response)
            while True:
                outgoing = flow.send((yield outgoing))
        except StopIteration:
            return

    def _get(self, name: str) -> str | None:
        """The cookie's value (the last one set; never the ``CookieConflict`` of ``Cookies.get``)."""
        value = None
        for cookie in self.cookies.jar:
            if cookie.name == name:
                value = cookie.value
        return value

    def _set(self, name: str, value: str) -> None:
        self.cookies.delete(name)
        self.cookies.set(name, value, domain=self._qnexus.config.domain)

    def _put_cookies(self, request: Any) -> None:
        """The request's Cookie header with this handler's tokens: the client's own cookie jar may carry an older
        ``myqos_id`` (from a refresh qnexus made itself), which must not win over the one just renewed."""
        kept = [
            part.strip()
            for part in request.headers.get("cookie", "").split(";")
            if part.strip() and part.split("=", 1)[0].strip() not in (ACCESS, REFRESH)
        ]
        request.headers.pop("cookie", None)
        self.cookies.set_cookie_header(request)
        ours = request.headers.pop("cookie", None)
        merged = "; ".join([*kept, *([ours] if ours else [])])
        if merged:
            request.headers["Cookie"] = merged
