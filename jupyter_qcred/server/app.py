"""The Jupyter Server extension: credentials in place before anything reads them, kept fresh while the server lives.

Start-up costs the server what it costs without us: at initialization the extension only takes the spawn bundle
out of the environment and registers its handlers. Once the event loop runs, a worker thread loads the providers,
writes the start-up sources into the SDKs' files and reads the stores; until it is done, what reads the files waits
for it (the qcred API, and starting a kernel: :mod:`.gate`). The refresh loop then runs in the
background, so start-up never waits on the network and a provider that is down shows as a state, not as a slow
server.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import Future
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Enum, Float, List, Unicode, default, validate

from .._version import __version__
from ..core import registry
from ..core.bundle import Bundle
from ..core.errors import QCredError
from ..core.manager import CredentialManager
from ..core.policy import Backoff, RefreshPolicy
from ..core.service import CredentialService
from ..core.settings import Settings
from .gate import gate_kernels

BUNDLE_VARIABLES = ("QCRED_BUNDLE", "QCRED_BUNDLE_FILE")
STARTUP_SOURCES = ("bundle", "env", "hub")
SERVER_URL_VARIABLE = "QCRED_SERVER_URL"
SERVER_PID_VARIABLE = "QCRED_SERVER_PID"


def _loggable(exc: BaseException) -> str:
    """What of an exception may be logged: our own sentences (which never hold values), an OS error's reason, or
    only the exception's type (its text could hold anything, e.g. the file being written)."""
    if isinstance(exc, QCredError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}{f' ({exc.filename})' if exc.filename else ''}"
    return f"unexpected {type(exc).__name__}; the credentials were not written"


class QCredApp(ExtensionApp):
    """Quantum-cloud credentials for Jupyter (``c.QCredApp.*`` in jupyter_server_config.py)."""

    name = "jupyter_qcred"
    description = __doc__
    version = __version__
    load_other_extensions = True

    providers = List(
        Unicode(),
        default_value=[],
        help="""Providers to manage, in the order views show them; empty (the default): every provider registered
        through the entry point group ``jupyter_qcred.providers`` ('ibm', 'qcs', 'ionq', 'braket', 'nexus' and any
        installed plugin's).""",
    ).tag(config=True)

    startup_sources = List(
        Unicode(),
        default_value=["bundle"],
        help="""Sources written into the SDKs' files at start, in order: 'bundle' (QCRED_BUNDLE or
        QCRED_BUNDLE_FILE, handed over by JupyterHub at spawn; written before a kernel or the qcred API
        may read the files), 'env' (the SDKs'
        own variables QE_*, QISKIT_IBM_*), 'hub' (pull fresh credentials from JupyterHub's API; done in the
        background so start-up never waits on the network).""",
    ).tag(config=True)

    reinitialize_source = Unicode(
        "auto",
        help="""Where 'Re-initialize' takes credentials from when the user does not supply them: 'hub', 'bundle',
        or 'auto' (the hub when running under JupyterHub, else the spawn bundle).""",
    ).tag(config=True)

    remove_bundle_from_environment = Bool(
        True,
        help="""Remove QCRED_BUNDLE and QCRED_BUNDLE_FILE from the server's environment once written, so kernels
        started later do not inherit secrets that go stale (they read the files, which stay fresh).""",
    ).tag(config=True)

    refresh_fraction = Float(
        0.2,
        help="Refresh an access token when less than this fraction of its lifetime is left.",
    ).tag(config=True)

    refresh_latest_seconds = Float(
        300.0,
        help="""Refresh an access token at the latest this many seconds before it expires (for very short tokens
        the margin is capped at half their lifetime).""",
    ).tag(config=True)

    refresh_jitter = Float(
        0.1,
        help="""Move each scheduled refresh earlier by a random part of this fraction of the margin, so that many
        servers started together do not all call the provider at the same second.""",
    ).tag(config=True)

    request_timeout = Float(20.0, help="Seconds to wait for a provider's answer before calling it down.").tag(
        config=True
    )

    retry_initial_seconds = Float(
        2.0,
        help="""After a transient failure (network, provider 5xx, timeout), wait about this long before the first
        retry; the wait doubles with each further failure (with jitter).""",
    ).tag(config=True)

    refresh_min_interval = Float(
        10.0,
        help="""A person asking to refresh a credential again within this many seconds (the refresh button, a
        script) gets the result of the last refresh instead of a new one; requests at the same time share one.""",
    ).tag(config=True)

    retry_max_seconds = Float(300.0, help="The longest wait between retries after repeated transient failures.").tag(
        config=True
    )

    lock_timeout = Float(
        60.0, help="Seconds to wait for another process's lock on a credentials file before giving up."
    ).tag(config=True)

    watch_interval = Float(
        1.0,
        help="Seconds between checks of the credential files for changes made by other processes (kernels, users).",
    ).tag(config=True)

    qcs_settings_path = Unicode(
        "",
        help="QCS settings file (default: $QCS_SETTINGS_FILE_PATH or ~/.qcs/settings.toml).",
    ).tag(config=True)

    qcs_secrets_path = Unicode(
        "",
        help="QCS secrets file (default: $QCS_SECRETS_FILE_PATH or ~/.qcs/secrets.toml).",
    ).tag(config=True)

    qiskit_dir = Unicode(
        "",
        help="Folder of qiskitrc and qiskit-ibm.json (default: ~/.qiskit).",
    ).tag(config=True)

    qcs_handoff = Unicode(
        "",
        help="""How QCS SDK processes (kernels) get the tokens of the credentials jupyter_qcred writes or finds:
        'command' (the default; the SDK's credential becomes externally_managed running `jupyter-qcred token qcs`
        and the tokens live in `jupyter_qcred-NAME`, so only jupyter_qcred spends the refresh token) or 'files'
        (plain token payloads the SDK refreshes by itself). Applied at start to every profile on disk. Empty: the
        environment's QCRED_QCS_HANDOFF, else 'command'.""",
    ).tag(config=True)

    sdk_adapters = Bool(
        True,
        help="""Let the SDK adapters act in this server's kernels and terminals (pyquil 4 and qnexus then ask
        jupyter_qcred for tokens instead of refreshing by themselves; see docs/sdk-adapters.md). False sets
        JUPYTER_QCRED_SDK_ADAPTERS=off in the server's environment, which its kernels and terminals inherit: the
        SDKs are left exactly as they are, and the status shows the adapters "off". Plain scripts outside the
        server follow their own environment's JUPYTER_QCRED_SDK_ADAPTERS.""",
    ).tag(config=True)

    save_guard = Enum(
        ["redact", "refuse", "warn", "off"],
        default_value="redact",
        help="""What happens when a notebook or text file saved through Jupyter holds a credential value of the user
        (docs/leak-guard.md): 'redact' (the default) saves it without the value: outputs, markdown and comments get
        a label (`<IBM Quantum API key ‘name’ …abcd>`), a string in Python code becomes
        `jupyter_qcred.credential(PROVIDER, NAME, kind=...)`, which reads the value from the SDK's files when the
        code runs; 'refuse' refuses the save with a sentence naming the cell or line; 'warn' saves as it is and
        shows the notice; 'off' does not look. The SDKs' own credentials files are never changed.""",
    ).tag(config=True)

    @validate("qcs_handoff")
    def _check_handoff(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if value not in ("", "command", "files"):
            raise ValueError(f"QCredApp.qcs_handoff: {value!r} is unknown; use 'command' or 'files'")
        return value

    @validate("providers")
    def _check_providers(self, proposal: dict[str, Any]) -> list[str]:
        known = registry.registered_names()
        unknown = [key for key in proposal["value"] if key not in known]
        if unknown:
            raise ValueError(f"QCredApp.providers: unknown provider {unknown[0]!r}; known: {', '.join(known)}")
        return list(proposal["value"])

    @validate("startup_sources")
    def _check_sources(self, proposal: dict[str, Any]) -> list[str]:
        unknown = [key for key in proposal["value"] if key not in STARTUP_SOURCES]
        if unknown:
            raise ValueError(
                f"QCredApp.startup_sources: unknown source {unknown[0]!r}; known: {', '.join(STARTUP_SOURCES)}"
            )
        return list(proposal["value"])

    @default("reinitialize_source")
    def _default_reinitialize_source(self) -> str:
        return "auto"

    # ------------------------------------------------------------------------------------------------------------

    def make_settings(self) -> Settings:
        """The core's settings from these traitlets and the environment."""
        return Settings.from_environment(
            timeout=self.request_timeout,
            lock_timeout=self.lock_timeout,
            policy=RefreshPolicy(
                fraction=self.refresh_fraction, latest=self.refresh_latest_seconds, jitter=self.refresh_jitter
            ),
            qcs_settings_path=self.qcs_settings_path or None,
            qcs_secrets_path=self.qcs_secrets_path or None,
            qiskit_dir=self.qiskit_dir or None,
            qcs_handoff=self.qcs_handoff or None,
        )

    def initialize_settings(self) -> None:
        """Take the spawn bundle out of the environment; everything else waits for the event loop.

        The providers are loaded, the start-up sources written and the stores read in the worker thread
        ``jupyter_qcred-startup``, started by the loop's first callback, so the server answers as early as it would
        without us. What needs the files waits for that thread: the qcred API, and starting a kernel
        (whose SDKs read the files).
        """
        from ..core.hubclient import HubClient

        if not self.sdk_adapters:  # before anything starts a child (or describes the adapters in the status)
            from ..core.importhook import ENV

            os.environ[ENV] = "off"
        self.core_settings = self.make_settings()  # holds its own copy of the environment, bundle included
        if self.remove_bundle_from_environment:
            # First, before anything can fail: whatever happens next, kernels started later never inherit it.
            for name in BUNDLE_VARIABLES:
                os.environ.pop(name, None)
        self.startup_bundle: Bundle | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self.hub = HubClient.from_environment(self.core_settings.environ, timeout=self.request_timeout)
        self.active_sources = list(self.startup_sources)
        if self.core_settings.environ.get("QCRED_PULL_FROM_HUB") and "hub" not in self.active_sources:
            self.active_sources.append("hub")  # set by jupyter_qcred.hub.configure(c, handover="hub")
        #: The service once the start-up thread has written the files (what handlers and kernel starts wait for).
        self.credentials: Future[CredentialService] = Future()
        self.observability: Any = None  # see _start_background
        self.child_environment: Any = None  # see _export_environment
        self._started = False
        self._startup_thread: threading.Thread | None = None
        contents = getattr(self.serverapp, "contents_manager", None)
        if contents is not None and self.save_guard != "off":  # runs after the admin's own pre_save_hook
            from .saveguard import SaveGuard

            contents.register_pre_save_hook(SaveGuard(self.save_guard, self.credentials, self.lock_timeout))
        IOLoop.current().add_callback(self._start_background)

    @property
    def service(self) -> CredentialService:
        """The service layer (waits for the start-up thread: in-process callers that did not await
        :attr:`credentials`)."""
        return self.credentials.result(timeout=self.lock_timeout)

    @property
    def manager(self) -> CredentialManager:
        return self.service.manager

    def _start_credentials(self) -> None:
        """The start-up thread: providers, manager and service, then the start-up sources written into the SDKs'
        files (mostly fsync waits); :attr:`credentials` is resolved at the end, whatever happened."""
        try:
            manager = CredentialManager(
                registry.create_providers(self.core_settings, tuple(self.providers) if self.providers else None),
                watch_interval=self.watch_interval,
                hub_info=self.hub.info,
                backoff=lambda: Backoff(initial=self.retry_initial_seconds, maximum=self.retry_max_seconds),
                min_refresh_interval=self.refresh_min_interval,
            )
            service = CredentialService(
                manager,
                hub_pull=self.hub.fetch_bundle if self.hub.available else None,
                spawn_bundle=lambda: self.startup_bundle,
                reinitialize_source=self.reinitialize_source,
                stop_server=self._restart if self.hub.available else None,
            )
            if self.hub.available:  # credentials only the hub can refresh are pulled through the service
                manager.hub_refresh = service.pull_from_hub
            loaded = [self._load_startup(source) for source in self.active_sources if source != "hub"]
            self._write_startup(service, [item for item in loaded if item is not None])
            self._export_environment(manager)
        except BaseException as exc:
            self.log.error("jupyter_qcred: could not start (%s): %s", type(exc).__name__, _loggable(exc))
            self.credentials.set_exception(exc)
            raise
        self.credentials.set_result(service)

    def _load_startup(self, source: str) -> tuple[str, Bundle, str] | None:
        """Read one start-up source (from the settings' copy of the environment, which holds the bundle); nothing that
        goes wrong here or in :meth:`_write_startup` may stop the server or reach the log as text (an exception's
        repr can carry a whole credentials file): errors are logged as our own sentences, or by their type only."""
        from ..core import sources

        try:
            bundle, origin = sources.load(source, self.core_settings)
        except Exception as exc:
            if not isinstance(exc, QCredError):
                self.log.error("jupyter_qcred: could not read the start-up source %s (%s)", source, type(exc).__name__)
                return None
            if source == "bundle" and not any(self.core_settings.environ.get(v) for v in BUNDLE_VARIABLES):
                self.log.debug("jupyter_qcred: no spawn bundle; using the credentials already on disk")
            else:
                self.log.error("jupyter_qcred: %s", exc)
            return None
        if source == "bundle":
            self.startup_bundle = bundle  # kept in memory only: the variables are gone already
        return source, bundle, origin

    def _write_startup(self, service: CredentialService, loaded: list[tuple[str, Bundle, str]]) -> None:
        """Write the start-up sources into the SDKs' files, then let each provider lay out its files for SDK
        processes (QCS: the hand-off)."""
        for source, bundle, origin in loaded:
            try:
                written, _ = service.write_files(bundle, source, keep_defaults=True, lay_out=False)
            except Exception as exc:  # a read-only or full home, or a file in the way, must not stop the server
                self.log.error("jupyter_qcred: could not write credentials from %s: %s", origin, _loggable(exc))
                continue
            self.log.info("jupyter_qcred: wrote %d credential(s) from %s", len(written), origin)
        service.write_files(None, "disk")  # lay out what is on disk for SDK processes, once (QCS: the hand-off)

    def _export_environment(self, manager: CredentialManager) -> None:
        """Hand kernels and terminals the credentials only the environment carries to them (IonQ's key, for scripts
        and folders outside the home folder; :mod:`.exports`), now and whenever the status changes. The server's
        environment at start decides what the user set on purpose, which is never overridden."""
        from .exports import ChildEnvironment

        self.child_environment = ChildEnvironment(manager.providers.values(), self.core_settings.environ)
        try:
            self.child_environment.apply()
        except Exception as exc:  # never a reason not to start
            self.log.error("jupyter_qcred: could not export credentials to kernels (%s)", type(exc).__name__)
        manager.subscribe(self.child_environment.on_status)

    def _root_dir(self) -> str:
        """The folder the file browser shows (the doctor's paths are relative to it and may not leave it)."""
        return str(getattr(self.serverapp, "root_dir", None) or os.getcwd())

    def initialize_handlers(self) -> None:
        """Register the REST API and the push channel under ``{base_url}qcred/``."""
        from .handlers import handlers

        self.handlers.extend(handlers(lambda: asyncio.wrap_future(self.credentials), root=self._root_dir))

    def begin_startup(self) -> None:
        """Start the start-up thread (idempotent): the loop's first callback does, and so may an embedding that
        wants the files now (then waits on :attr:`credentials`)."""
        if self._startup_thread is not None:
            return
        # Kernels started from now on inherit this and talk to us (the one place that refreshes); they
        # authenticate with the server's runtime file, or under JupyterHub with JUPYTERHUB_API_TOKEN.
        if self.serverapp is not None:
            os.environ[SERVER_URL_VARIABLE] = self.serverapp.connection_url
            gate_kernels(self.serverapp, self.credentials, self.lock_timeout)
        os.environ[SERVER_PID_VARIABLE] = str(os.getpid())
        self._startup_thread = threading.Thread(
            target=self._start_credentials, name="jupyter_qcred-startup", daemon=True
        )
        self._startup_thread.start()

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Jupyter Server's start hook (not called by every embedding, hence also scheduled at initialization)."""
        await self._start_background()

    async def _start_background(self) -> None:
        """Start the refresh loop once the event loop runs (and pull from the hub if configured). Idempotent."""
        if self._started:
            return
        self._started = True
        self.begin_startup()
        try:
            service = await asyncio.wrap_future(self.credentials)
        except Exception:  # logged by the thread; the API answers 500 and kernels start without waiting
            return
        from .observability import Observability

        # After the writing, so the metrics and events start from the files as written (no start-up transitions).
        self.observability = Observability(
            service.manager, service, getattr(self.serverapp, "event_logger", None), self.hub.server_name
        )
        if self.observability.event_logger is not None:
            from .saveguard import observe

            observe(service, self.observability.event_logger)  # the secret_redacted events
        service.manager.start()
        await self.hub.start()
        if "hub" in self.active_sources and self.hub.available:
            self._spawn(self._startup_hub_pull())

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _startup_hub_pull(self) -> None:
        try:
            await self.service.reinitialize("hub", explicit=False)
        except QCredError as exc:
            self.log.error("jupyter_qcred: could not pull credentials from JupyterHub: %s", exc)

    async def _restart(self) -> dict[str, Any]:
        """The service's restart: the hub stops this server; a failure is published so the views show it."""
        return await self.hub.restart(
            on_failed=lambda: self.manager.publish(
                {"provider": "hub", "name": None, "state": "error", "previous": None}
            )
        )

    async def stop_extension(self) -> None:
        """Stop the refresh loop with the server, and take back the variables exported to its children."""
        if self.child_environment is not None:
            self.child_environment.withdraw()
        for task in list(self._background):
            task.cancel()
        await self.hub.stop()
        if self.observability is not None:
            self.observability.close()
        if self.credentials.done() and self.credentials.exception() is None:
            await self.manager.stop()
            self.manager.logins.cancel_all()
