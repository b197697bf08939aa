"""Where ``%qcred`` and the widget get their answers: the server that started the kernel, or the files directly.

The Jupyter server's extension is the one place that refreshes tokens, so a kernel asks it (its REST API) rather
than refreshing on its own. The server puts ``QCRED_SERVER_URL`` and ``QCRED_SERVER_PID`` into its environment at
start, which its kernels inherit; the kernel authenticates with the token in that server's runtime file
(``jpserver-PID.json``), or under JupyterHub with ``JUPYTERHUB_API_TOKEN``. Without such a server (plain IPython,
a kernel started elsewhere, a server that does not answer) the same operations run on the core library in this
process, with the same states, so every command works everywhere.

Everything here is imported only when a command runs: ``%load_ext jupyter_qcred`` must stay cheap.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

SERVER_URL_VARIABLE = "QCRED_SERVER_URL"
SERVER_PID_VARIABLE = "QCRED_SERVER_PID"
#: Seconds to wait for the server to accept a connection: it is on loopback (or the same pod), so a slow connect
#: means it is gone and the kernel should answer from the files instead of hanging.
CONNECT_TIMEOUT = 3.0
#: Reads that only serve the current state.
READ_TIMEOUT = 10.0
#: Writes that make the server talk to a provider (refresh, re-initialize); the server's own provider timeout is
#: 20 s per request by default, and a refresh of everything makes a few of them.
ACTION_TIMEOUT = 90.0
#: How long a local operation may take before the command gives up waiting (it keeps running in the background).
LOCAL_TIMEOUT = 120.0


class NotebookError(Exception):
    """A failure the user can act on; ``str()`` is the sentence to show (never a secret)."""


class ServerUnavailable(NotebookError):
    """The server named by ``QCRED_SERVER_URL`` did not answer; the caller falls back to the files."""


class Backend(Protocol):
    """The operations behind ``%qcred`` and the widget; each returns the status JSON of docs/api.md."""

    #: Shown in the widget: where the answers come from.
    description: str

    def status(self) -> dict[str, Any]: ...

    def refresh(self, provider: str | None = None, name: str | None = None) -> dict[str, Any]: ...

    def reinitialize(self, source: str = "auto") -> dict[str, Any]: ...

    def restart(self) -> dict[str, Any]: ...

    def set_default(self, provider: str, name: str, instance: str | None = None) -> dict[str, Any]: ...

    def remove(self, provider: str, name: str) -> dict[str, Any]: ...


# ----- the server --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ServerEndpoint:
    """The qcred API of one Jupyter server, and the credential that opens it (kept out of ``repr``)."""

    url: str
    token: str | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ServerEndpoint | None:
        """The server that started this kernel, if it told us (``QCRED_SERVER_URL``), else None."""
        env = os.environ if environ is None else environ
        url = env.get(SERVER_URL_VARIABLE, "").strip()
        if not url:
            return None
        token = _runtime_token(env.get(SERVER_PID_VARIABLE, "").strip()) or env.get("JUPYTERHUB_API_TOKEN") or None
        return cls(url=url if url.endswith("/") else url + "/", token=token)

    def api_url(self, path: str) -> str:
        """``{connection_url}qcred/{path}``."""
        return f"{self.url}qcred/{path}"

    def websocket_url(self) -> str:
        """The push channel, ``ws(s)://…/qcred/events``."""
        url = self.api_url("events")
        return "ws" + url[4:] if url.startswith("http") else url

    def headers(self) -> dict[str, str]:
        """Token authentication: Jupyter Server skips its XSRF check for it, so no cookie dance is needed."""
        return {"Authorization": f"token {self.token}"} if self.token else {}


def _runtime_token(pid: str) -> str | None:
    """The token in the server's runtime file (``jpserver-PID.json``), readable only by its user."""
    if not pid.isdigit():
        return None
    from jupyter_core.paths import jupyter_runtime_dir

    try:
        info = json.loads(Path(jupyter_runtime_dir(), f"jpserver-{pid}.json").read_text())
    except (OSError, ValueError):
        return None
    token = info.get("token") if isinstance(info, dict) else None
    return str(token) if token else None


class ServerBackend:
    """The REST API of docs/api.md, called synchronously with short timeouts."""

    def __init__(self, endpoint: ServerEndpoint) -> None:
        self.endpoint = endpoint
        self.description = f"the Jupyter server at {endpoint.url}"

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = READ_TIMEOUT
    ) -> Any:
        import httpx

        try:
            response = httpx.request(
                method,
                self.endpoint.api_url(path),
                json=body,
                headers=self.endpoint.headers(),
                timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
            )
        except httpx.ConnectError:
            raise ServerUnavailable(f"The Jupyter server at {self.endpoint.url} does not answer.") from None
        except httpx.TimeoutException:
            raise ServerUnavailable(
                f"The Jupyter server at {self.endpoint.url} did not answer within {timeout:.0f} s."
            ) from None
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"Could not reach the Jupyter server at {self.endpoint.url} ({exc}).") from None
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {}
        if response.status_code >= 400:
            raise NotebookError(_error_sentence(response.status_code, data, self.endpoint.url))
        if response.status_code >= 300 or not isinstance(data, dict):
            raise ServerUnavailable(
                f"The Jupyter server at {self.endpoint.url} answered {response.status_code} instead of the qcred API."
            )
        return data

    def status(self) -> dict[str, Any]:
        return dict(self._request("GET", "status"))

    def refresh(self, provider: str | None = None, name: str | None = None) -> dict[str, Any]:
        body = {key: value for key, value in (("provider", provider), ("name", name)) if value}
        return dict(self._request("POST", "refresh", body, timeout=ACTION_TIMEOUT))

    def reinitialize(self, source: str = "auto") -> dict[str, Any]:
        return dict(self._request("POST", "reinitialize", {"source": source}, timeout=ACTION_TIMEOUT))

    def restart(self) -> dict[str, Any]:
        return dict(self._request("POST", "restart", {}))

    def set_default(self, provider: str, name: str, instance: str | None = None) -> dict[str, Any]:
        body = {"provider": provider, "name": name, **({"instance": instance} if instance else {})}
        return dict(self._request("PUT", "default", body))

    def remove(self, provider: str, name: str) -> dict[str, Any]:
        return dict(self._request("POST", "remove", {"provider": provider, "name": name}))


def _error_sentence(code: int, data: Any, url: str) -> str:
    message = data.get("message") if isinstance(data, dict) else None
    if code == 403 and not message:
        return (
            f"The Jupyter server at {url} refused this kernel (403): it could not authenticate. Restart the kernel "
            "from the notebook so it inherits the server's settings."
        )
    if code == 404 and not message:
        return f"The Jupyter server at {url} has no qcred API (404): is the jupyter_qcred server extension enabled?"
    return str(message or f"The Jupyter server at {url} answered {code}.")


# ----- the files, in this process ----------------------------------------------------------------------------


#: The doctor runs one subprocess per SDK (in parallel), each with its own timeout.
DOCTOR_TIMEOUT = 150.0


class _LoopThread:
    """A private event loop in a daemon thread: the kernel's own loop is running, so ``asyncio.run`` is not an
    option, and providers may keep loop-bound clients between calls, so every call uses this same loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="qcred-local", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = LOCAL_TIMEOUT) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            raise NotebookError(
                f"Gave up waiting after {timeout:.0f} s; the operation continues in the background."
            ) from None


class LocalBackend:
    """The service layer on the files of this process's ``$HOME``: what ``jupyter qcred`` does, same outcomes."""

    description = "the credential files (no Jupyter server with jupyter_qcred behind this kernel)"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        from ..core.manager import CredentialManager
        from ..core.registry import create_providers
        from ..core.service import CredentialService
        from ..core.settings import Settings

        settings = Settings.from_environment(environ)
        self._loop = _LoopThread()

        async def create() -> CredentialService:  # on the private loop, so what the manager binds belongs to it
            # Every Refresh a person clicks here is made, like `jupyter qcred refresh` (a new process each time):
            # answering from the last refresh protects a server many tabs and scripts share, not this kernel.
            manager = CredentialManager(create_providers(settings), min_refresh_interval=0)
            return CredentialService.without_server(settings, manager)

        self.service = self._loop.run(create())

    def _run(self, operation: Callable[[], Awaitable[dict[str, Any]] | dict[str, Any]]) -> dict[str, Any]:
        """Re-read the files (other processes change them), then run ``operation`` on the private loop."""
        from jupyter_core.utils import ensure_async

        from ..core.errors import QCredError

        async def run() -> dict[str, Any]:
            self.service.reread()
            return dict(await ensure_async(operation()))

        try:
            return self._loop.run(run())
        except QCredError as exc:
            raise NotebookError(str(exc)) from None

    def status(self) -> dict[str, Any]:
        return self._run(self.service.status)

    def refresh(self, provider: str | None = None, name: str | None = None) -> dict[str, Any]:
        return self._run(lambda: self.service.refresh(provider, name))

    def reinitialize(self, source: str = "auto") -> dict[str, Any]:
        return self._run(lambda: self.service.reinitialize(source))

    def restart(self) -> dict[str, Any]:
        return self._run(self.service.restart)

    def set_default(self, provider: str, name: str, instance: str | None = None) -> dict[str, Any]:
        return self._run(lambda: self.service.set_default(provider, name, instance))

    def remove(self, provider: str, name: str) -> dict[str, Any]:
        return self._run(lambda: self.service.remove(provider, name))

    def doctor(self, path: str | None = None) -> dict[str, Any]:
        """The doctor in THIS process: its probes must run with the kernel's environment and folder, which the
        server does not have (a kernel's environment can differ from the server's), so it never goes through it."""
        from ..core.errors import QCredError

        async def run() -> dict[str, Any]:
            self.service.reread()
            return await self.service.doctor(path, environ=os.environ)

        try:
            return self._loop.run(run(), timeout=DOCTOR_TIMEOUT)
        except QCredError as exc:
            raise NotebookError(str(exc)) from None


# ----- choosing ----------------------------------------------------------------------------------------------


class Session:
    """What ``%qcred`` and the widget talk to: the server when it answers, the files in this process otherwise.

    The server is tried on every call (a restarted server is picked up again); when it does not answer the call is
    repeated on the files and ``on_note`` is told why, once per switch.
    """

    def __init__(self, environ: Mapping[str, str] | None = None, on_note: Callable[[str], None] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self.endpoint = ServerEndpoint.from_environment(self._environ)
        self.server = ServerBackend(self.endpoint) if self.endpoint else None
        self._local: LocalBackend | None = None
        self._lock = threading.Lock()
        self.on_note = on_note
        #: Where the last answer came from ("server" or "files"), for the widget.
        self.mode = "server" if self.server else "files"
        self.note: str | None = None
        self._announced = False

    @property
    def local(self) -> LocalBackend:
        with self._lock:
            if self._local is None:
                self._local = LocalBackend(self._environ)
            return self._local

    @property
    def description(self) -> str:
        return self.server.description if self.server and self.mode == "server" else LocalBackend.description

    def call(self, operation: Callable[[Backend], T], notify: bool = True) -> T:
        """Run ``operation`` on the server, or on the files when the server does not answer.

        ``notify=False`` for background callers (the widget's thread): a note printed from there would land in
        whichever cell happens to run.
        """
        if self.server is not None:
            try:
                result = operation(self.server)
            except ServerUnavailable as exc:
                self._switch("files", f"{exc} Reading the credential files directly instead.", notify)
            else:
                self._switch("server", None, notify)
                return result
        return operation(self.local)

    def _switch(self, mode: str, note: str | None, notify: bool) -> None:
        """Remember where answers come from; tell the user once each time the server stops answering."""
        self.mode, self.note = mode, note
        if note is None:
            self._announced = False
        elif notify and not self._announced and self.on_note is not None:
            self._announced = True
            self.on_note(note)

    def status(self, notify: bool = True) -> dict[str, Any]:
        return self.call(lambda backend: backend.status(), notify)

    def refresh(self, provider: str | None = None, name: str | None = None) -> dict[str, Any]:
        return self.call(lambda backend: backend.refresh(provider, name))

    def reinitialize(self) -> dict[str, Any]:
        """The panel's Re-initialize, with the same meaning (one service operation, ``reinitialize``, which keeps
        what the person chose): from JupyterHub when the status says the hub can re-initialize, else the server's
        own rule ("auto": its spawn bundle)."""
        hub = self.status(notify=False).get("hub") or {}
        source = "hub" if hub.get("available") and hub.get("can_reinitialize") else "auto"
        return self.call(lambda backend: backend.reinitialize(source))

    def restart(self) -> dict[str, Any]:
        return self.call(lambda backend: backend.restart())

    def set_default(self, provider: str, name: str, instance: str | None = None) -> dict[str, Any]:
        return self.call(lambda backend: backend.set_default(provider, name, instance))

    def remove(self, provider: str, name: str) -> dict[str, Any]:
        return self.call(lambda backend: backend.remove(provider, name))
