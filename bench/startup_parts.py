"""The extension's start-up, step by step, each step timed in isolation: ``python bench/startup_parts.py [--runs N]``.

Each run is a fresh interpreter that first imports what a Jupyter Server with JupyterLab has imported before our
extension loads (``jupyter_server.serverapp``, ``jupyterlab.labapp``, and jupyterlab's entry-point scan), then does
what ``QCredApp`` does at start, in the same order, timing each step (wall ``perf_counter``, CPU ``thread_time``) with
the cyclic GC paused (``gc.disable()`` around each step; GC is reported by the probe instead). Runs use a fresh HOME
and the demo's 5-cloud spawn bundle (made once from a sandbox, then passed as ``QCRED_BUNDLE``). The table gives
medians [min–max] over the runs. ``--child`` is the per-run worker (internal).

Also measured (same process, after the start-up steps): ``importlib.metadata`` entry-point scans, for the planned
``jupyter_qcred.providers`` group.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def child() -> None:
    results: list[tuple[str, float, float]] = []

    class step:
        def __init__(self, label: str) -> None:
            self.label = label

        def __enter__(self) -> step:
            gc.disable()
            self.t, self.c = time.perf_counter(), time.thread_time()
            return self

        def __exit__(self, *exc: object) -> None:
            results.append((self.label, (time.perf_counter() - self.t) * 1000, (time.thread_time() - self.c) * 1000))
            gc.enable()

    import importlib.metadata

    import jupyter_server.serverapp  # noqa: F401
    import jupyterlab.labapp  # noqa: F401  (imports jupyterlab.extensions, which scans one entry-point group)

    # What the server has done by then (the jupyter_events logger, and its schema validation machinery).
    from jupyter_events import EventLogger

    logger = EventLogger()
    gc.collect()

    with step("import jupyter_qcred + jupyter_qcred.server.app (add_extension)"):
        import jupyter_qcred

        points = jupyter_qcred._jupyter_server_extension_points()
    with step("QCredApp() (traitlets instance, add_extension)"):
        app_cls = points[0]["app"]
        app = app_cls()
    with step("import core.hubclient (initialize_settings)"):
        from jupyter_qcred.core.hubclient import HubClient
    with step("Settings + HubClient.from_environment"):
        settings = app.make_settings()
        hub = HubClient.from_environment(settings.environ, timeout=20.0)
    for _key, module in (
        ("ibm", "jupyter_qcred.providers.ibm.provider"),
        ("qcs", "jupyter_qcred.providers.qcs.provider"),
        ("ionq", "jupyter_qcred.providers.ionq.provider"),
        ("braket", "jupyter_qcred.providers.braket.provider"),
        ("nexus", "jupyter_qcred.providers.nexus.provider"),
    ):
        with step(f"import {module}"):
            __import__(module)
    with step("create_providers (instances only, modules imported)"):
        from jupyter_qcred.providers import create_providers

        providers = create_providers(settings, tuple(app.providers))
    from jupyter_qcred.providers.ibm import sdk

    with step(
        "  of which: ibm.sdk.runtime_channels() (find_spec + ast.parse of qiskit_ibm_runtime/accounts/account.py)"
    ):
        sdk.runtime_channels()
    sdk.runtime_channels.cache_clear()
    from jupyter_qcred.core.manager import CredentialManager

    with step("CredentialManager(...) (reload: 5 providers' read() of an empty HOME)"):
        manager = CredentialManager(providers, watch_interval=1.0, hub_info=hub.info)
    for key, provider in providers.items():
        with step(f"  {key}.read() (empty HOME)"):
            provider.read()
    from jupyter_qcred.core import sources

    with step("sources.load('bundle') (parse + validate the 5-cloud bundle)"):
        bundle, _origin = sources.load("bundle", settings)
    sections = bundle.sections()
    with step("manager.snapshot() (keep_defaults)"):
        manager.snapshot()
    for key, specs in sections.items():
        if specs and key in providers:
            with step(f"{key}.materialize({len(specs)} spec(s)) (writer thread)"):
                providers[key].materialize(specs, source="bundle", reinit=False)
    with step("manager.reload() after materialize (writer thread)"):
        manager.reload()
    for key, provider in providers.items():
        with step(f"  {key}.read() (files written)"):
            provider.read()
    with step("qcs.adopt() (writer thread)"):
        changed = providers["qcs"].adopt()
    with step(f"manager.reload() after adopt (the server does it only if it changed something: {changed})"):
        manager.reload(publish=False)
    with step("import server.observability (prometheus_client.core, metric families)"):
        from jupyter_qcred.server import observability
    with step("Observability(...): register 6 event schemas (_start_background, blocks the loop)"):
        observability.Observability(manager, object.__new__(type("S", (), {"action_observers": []})), logger, "")
    with step("import server.handlers + handlers(service) (initialize_handlers)"):
        from jupyter_qcred.core.service import CredentialService
        from jupyter_qcred.server.handlers import handlers

        handlers(CredentialService(manager))

    # Entry points (planned registry): the first scan of a group after jupyterlab's own scan at import, a second one,
    # and alternatives.
    with step("entry_points(group='jupyter_qcred.providers') #1 (after jupyterlab's scan)"):
        importlib.metadata.entry_points(group="jupyter_qcred.providers")
    with step("entry_points(group='jupyter_qcred.providers') #2"):
        importlib.metadata.entry_points(group="jupyter_qcred.providers")
    with step("distributions() listing only (no file read)"):
        dists = list(importlib.metadata.distributions())
    with step("distributions() + read_text('entry_points.txt') + substring test"):
        found = []
        for dist in importlib.metadata.distributions():
            text = dist.read_text("entry_points.txt")
            if text and "[jupyter_qcred.providers]" in text:
                found.append(dist)
    with step("entry_points() (all groups, SelectableGroups) then .select(group=...)"):
        importlib.metadata.entry_points().select(group="jupyter_qcred.providers")
    results.append((f"(count) distributions on sys.path: {len(dists)}", 0.0, 0.0))
    print("PARTS-JSON " + json.dumps(results))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    sys.path[:0] = [str(REPO), str(BENCH)]
    import bench_startup

    from jupyter_qcred.sandbox.client import Sandbox

    root = Path(tempfile.mkdtemp(prefix="qcred-parts-"))
    runs: list[list[tuple[str, float, float]]] = []
    with Sandbox(tls=True, state_dir=root / "sandbox") as sandbox:
        bundle = bench_startup.bundle_for(sandbox)
        env_extra = bench_startup.sandbox_environment(sandbox)
        for index in range(args.runs + 1):  # the first one warms caches and is dropped
            home = Path(tempfile.mkdtemp(prefix="home-", dir=root))
            env = {**os.environ, **env_extra, "HOME": str(home), "QCRED_BUNDLE": bundle}
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
            for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "QCRED_BUNDLE_FILE"):
                env.pop(name, None)
            out = subprocess.run(
                [sys.executable, __file__, "--child"], env=env, cwd=home, capture_output=True, text=True, check=True
            ).stdout
            line = next(line for line in out.splitlines() if line.startswith("PARTS-JSON "))
            if index:
                runs.append(json.loads(line[len("PARTS-JSON ") :]))
    print(f"# start-up steps in isolation, {args.runs} fresh processes; medians [min–max]; GC paused in each step")
    print(f"load average: {os.getloadavg()}")
    print(f"{'step':<104} {'wall ms':>22} {'CPU ms':>22}")
    for position, (label, _, _) in enumerate(runs[0]):
        walls = [run[position][1] for run in runs]
        cpus = [run[position][2] for run in runs]

        def fmt(values: list[float]) -> str:
            return f"{statistics.median(values):6.2f} [{min(values):.2f}–{max(values):.2f}]"

        print(f"{label:<104} {fmt(walls):>22} {fmt(cpus):>22}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
