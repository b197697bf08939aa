"""Child process of ``bench/startup_probe_run.py``: ``python -m jupyter_server ARGS`` with timing hooks.

Nothing of the package is edited: methods are wrapped at run time, each call recording its wall time
(``time.perf_counter``, the system-wide monotonic clock, so the parent can line it up with its spawn time) and the CPU
time of the thread that ran it (``time.thread_time``). Nothing of ``jupyter_qcred`` is imported here before Jupyter
Server imports it; its methods are wrapped right after Jupyter Server has imported the extension (``add_extension``).

The first ``GET /api/status`` (what ``bench_startup`` polls) is the "ready" mark: the report (JSON, to
``$QCRED_PROBE_OUT``) is written then, with the modules loaded by that moment, the process CPU time and the calls to
``importlib.metadata``. ``$QCRED_PROBE_PROFILE=PREFIX`` also runs cProfile on the main thread (spawn → ready) and on the
start-up writer thread, dumped to ``PREFIX.main.prof`` / ``PREFIX.writer.prof``. A line ``QCRED-PROBE-READY`` goes
to stderr at the mark, so ``-X importtime`` output can be cut there.
"""

from __future__ import annotations

import time

T_PROBE = time.perf_counter()
CPU_PROBE = time.process_time()

import functools  # noqa: E402
import gc  # noqa: E402
import importlib.metadata  # noqa: E402  (the server imports it anyway; needed to count its calls)
import inspect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

OUT = os.environ.get("QCRED_PROBE_OUT")
PROFILE = os.environ.get("QCRED_PROBE_PROFILE")
SPANS: list[dict[str, object]] = []
METADATA_CALLS: list[dict[str, object]] = []
MODULES_AT_START = sorted(sys.modules)
_main_profile = None
if PROFILE:
    import cProfile

    _main_profile = cProfile.Profile()
    _main_profile.enable()


GC_EVENTS: list[dict[str, object]] = []
_gc_started: dict[str, float] = {}


def _on_gc(phase: str, info: dict[str, int]) -> None:
    """Every collection of the cyclic garbage collector (any thread): generation, duration, objects collected."""
    now = time.perf_counter()
    if phase == "start":
        _gc_started["t"] = now
        _gc_started["cpu"] = time.thread_time()
    else:
        GC_EVENTS.append(
            {
                "generation": info["generation"],
                "start": _gc_started.get("t", now),
                "wall": now - _gc_started.get("t", now),
                "cpu": time.thread_time() - _gc_started.get("cpu", time.thread_time()),
                "collected": info["collected"],
                "thread": threading.current_thread().name,
            }
        )


MINIMAL = os.environ.get("QCRED_PROBE_MINIMAL") == "1"  # only the ready mark: no wrappers, no GC callback
if os.environ.get("QCRED_PROBE_GC") == "off":
    gc.disable()
if not MINIMAL:
    gc.callbacks.append(_on_gc)


def _record(label: str, start: float, end: float, cpu: float) -> None:
    now_cpu = time.thread_time()
    SPANS.append(
        {
            "label": label,
            "thread": threading.current_thread().name,
            "start": start,
            "end": end,
            "cpu": cpu,
            "thread_cpu_at_end": now_cpu,
        }
    )


def wrap(owner: object, attribute: str, label: str | None = None, *, by_name: bool = False) -> None:
    """Replace ``owner.attribute`` (function, method or coroutine function) by a timed wrapper (nothing if the
    code measured has no such attribute: the probe must never break a start)."""
    try:
        original = inspect.getattr_static(owner, attribute)
    except AttributeError:
        print(f"startup_probe: nothing to time at {owner!r}.{attribute}", file=sys.stderr)
        return
    kind = type(original)
    function = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original
    name = label or f"{getattr(owner, '__name__', owner)}.{attribute}"

    def label_for(args: tuple[object, ...]) -> str:
        if by_name and len(args) >= 2 and isinstance(args[1], str):
            return f"{name}({args[1]})"
        if len(args) >= 1 and hasattr(args[0], "name") and isinstance(getattr(args[0], "name", None), str):
            return f"{name}[{args[0].name}]"
        return name

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def timed_async(*args, **kwargs):  # type: ignore[no-untyped-def]
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return await function(*args, **kwargs)
            finally:
                _record(
                    label_for(args) + " (async, incl. awaits)", start, time.perf_counter(), time.thread_time() - cpu
                )

        replacement: object = timed_async
    else:

        @functools.wraps(function)
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                _record(label_for(args), start, time.perf_counter(), time.thread_time() - cpu)

        replacement = timed
    if kind is classmethod:
        replacement = classmethod(replacement)  # type: ignore[arg-type]
    elif kind is staticmethod:
        replacement = staticmethod(replacement)  # type: ignore[arg-type]
    setattr(owner, attribute, replacement)


def _count_metadata(name: str) -> None:
    original = getattr(importlib.metadata, name)

    @functools.wraps(original)
    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            caller = sys._getframe(1)
            METADATA_CALLS.append(
                {
                    "function": name,
                    "args": repr(args)[:80],
                    "kwargs": repr(kwargs)[:80],
                    "caller": f"{caller.f_code.co_filename}:{caller.f_lineno}",
                    "start": start,
                    "wall": time.perf_counter() - start,
                    "cpu": time.thread_time() - cpu,
                }
            )

    setattr(importlib.metadata, name, counted)


if not MINIMAL:
    for _name in ("entry_points", "distributions", "distribution", "version", "metadata", "packages_distributions"):
        _count_metadata(_name)


def _instrument_qcred() -> None:
    """Wrap the extension's start-up methods (only modules Jupyter Server has imported already)."""
    app = sys.modules.get("jupyter_qcred.server.app")
    if app is None or getattr(app, "_probe_wrapped", False):
        return
    app._probe_wrapped = True  # type: ignore[attr-defined]
    cls = app.QCredApp
    for attribute in (
        "initialize_settings",
        "initialize_handlers",
        "make_settings",
        "_load_startup",
        "_write_startup",
        "_adopt_qcs",
        "_start_background",
    ):
        wrap(cls, attribute, f"QCredApp.{attribute}")
    wrap(app, "create_providers", "providers.create_providers")
    registry = sys.modules.get("jupyter_qcred.core.registry")
    if registry is not None:
        wrap(registry, "create_providers", "registry.create_providers")
        wrap(registry, "_points", "registry._points (entry-point scan, cached)")
    if not hasattr(app, "CredentialManager"):
        return
    wrap(app.CredentialManager, "__init__", "CredentialManager.__init__")
    wrap(app.CredentialManager, "materialize", "CredentialManager.materialize")
    wrap(app.CredentialManager, "start", "CredentialManager.start")
    wrap(app.CredentialManager, "reload", "CredentialManager.reload")
    wrap(app.CredentialService, "__init__", "CredentialService.__init__")

    original_init = cls.initialize_settings

    def initialize_settings(self):  # type: ignore[no-untyped-def]
        result = original_init(self)
        writer = getattr(self, "_writing", None)
        if writer is not None:  # how long the loop's first callback waits for the writer thread
            join = writer.join

            def timed_join(*args, **kwargs):  # type: ignore[no-untyped-def]
                start, cpu = time.perf_counter(), time.thread_time()
                try:
                    return join(*args, **kwargs)
                finally:
                    _record(
                        "writer thread .join() in _start_background",
                        start,
                        time.perf_counter(),
                        time.thread_time() - cpu,
                    )

            writer.join = timed_join
        hub = getattr(self, "hub", None)
        if hub is not None:
            start_hub = hub.start

            async def timed_hub_start():  # type: ignore[no-untyped-def]
                start, cpu = time.perf_counter(), time.thread_time()
                try:
                    return await start_hub()
                finally:
                    _record("HubClient.start (async)", start, time.perf_counter(), time.thread_time() - cpu)

            hub.start = timed_hub_start
        return result

    cls.initialize_settings = initialize_settings
    if PROFILE:
        original_write = cls._write_startup

        def write_profiled(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            profile = cProfile.Profile()
            profile.enable()
            try:
                return original_write(self, *args, **kwargs)
            finally:
                profile.disable()
                profile.dump_stats(f"{PROFILE}.writer.prof")

        cls._write_startup = write_profiled


def _instrument_server() -> None:
    from jupyter_core.application import JupyterApp
    from jupyter_server.extension import manager
    from jupyter_server.extension.application import ExtensionApp
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.services.api.handlers import APIStatusHandler

    if MINIMAL:
        _ready_hook(APIStatusHandler)
        return
    for attribute in (
        "initialize",
        "find_server_extensions",
        "init_logging",
        "init_event_logger",
        "init_server_extensions",
        "init_resources",
        "init_configurables",
        "init_components",
        "init_webapp",
        "init_signal",
        "load_server_extensions",
        "init_mime_overrides",
        "init_shutdown_no_activity",
        "init_metrics",
        "init_httpserver",
        "start_app",
    ):
        wrap(ServerApp, attribute, f"ServerApp.{attribute}")
    wrap(JupyterApp, "initialize", "JupyterApp.initialize (config files)")
    for attribute in ("_prepare_config", "_prepare_templates", "_prepare_settings", "_prepare_handlers"):
        wrap(ExtensionApp, attribute, f"ExtensionApp.{attribute}")
    wrap(ExtensionApp, "_link_jupyter_server_extension", "ExtensionApp._link_jupyter_server_extension")
    wrap(manager.ExtensionManager, "link_extension", "ExtensionManager.link_extension", by_name=True)
    wrap(manager.ExtensionManager, "load_extension", "ExtensionManager.load_extension", by_name=True)
    wrap(manager.ExtensionManager, "start_extension", "ExtensionManager.start_extension", by_name=True)

    # add_extension imports the package and its extension points (for us: jupyter_qcred.server.app).
    add_extension = manager.ExtensionManager.add_extension

    def timed_add(self, extension_name, enabled=False):  # type: ignore[no-untyped-def]
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return add_extension(self, extension_name, enabled=enabled)
        finally:
            _record(
                f"ExtensionManager.add_extension({extension_name}, enabled={enabled}) (imports it)",
                start,
                time.perf_counter(),
                time.thread_time() - cpu,
            )
            if extension_name == "jupyter_qcred":
                _instrument_qcred()

    manager.ExtensionManager.add_extension = timed_add

    _ready_hook(APIStatusHandler)


def _ready_hook(APIStatusHandler) -> None:
    status_get = APIStatusHandler.get
    done = threading.Event()

    async def get(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not done.is_set():
            done.set()
            _ready()
        return await status_get(self, *args, **kwargs)

    APIStatusHandler.get = get


def _ready() -> None:
    ready, cpu, main_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    if _main_profile is not None:
        _main_profile.disable()
        _main_profile.dump_stats(f"{PROFILE}.main.prof")
    print("QCRED-PROBE-READY", file=sys.stderr, flush=True)
    report = {
        "probe_start": T_PROBE,
        "probe_start_process_cpu": CPU_PROBE,
        "ready": ready,
        "process_cpu": cpu,
        "main_thread_cpu": main_cpu,
        "threads": [t.name for t in threading.enumerate()],
        "spans": SPANS,
        "metadata_calls": METADATA_CALLS,
        "gc": GC_EVENTS,
        "gc_stats": gc.get_stats(),
        "modules_at_start": MODULES_AT_START,
        "modules": sorted(sys.modules),
    }
    if OUT:
        with open(OUT + ".tmp", "w") as file:
            json.dump(report, file)
        os.replace(OUT + ".tmp", OUT)


_instrument_server()

if __name__ == "__main__":
    from jupyter_server import serverapp

    sys.argv[0] = "jupyter-server"
    serverapp.launch_new_instance()
