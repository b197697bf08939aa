"""Where the extension's start-up time goes: ``python bench/startup_probe_run.py [--pairs N] [--mode MODE]``.

The same starts as ``bench_startup`` (fresh HOME, the 5-cloud demo bundle against one sandbox, ``GET /api/status``
polled every 5 ms; "without" only disables the extension), but the server runs under ``bench/startup_probe.py``,
which times Jupyter Server's and the extension's start-up steps. Pairs alternate (with, without, without, with, ...)
after one warm-up start each; the table gives medians [min–max] over the pairs.

Modes:
- ``spans`` (default): wall and thread-CPU time of each step, per variant;
- ``importtime``: adds ``-X importtime``; keeps each start's stderr in ``--keep DIR`` (cut at ``QCRED-PROBE-READY``);
- ``profile``: cProfile of the main thread until ready and of the writer thread, kept in ``--keep DIR``;
- ``strace``: ``strace -f -c`` (syscall counts) and ``strace -f -e trace=file,desc`` logs, kept in ``--keep DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for entry in (str(REPO), str(BENCH)):
    if entry in sys.path:
        sys.path.remove(entry)
    sys.path.insert(0, entry)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)

import bench_startup  # noqa: E402

from jupyter_qcred.sandbox.client import Sandbox  # noqa: E402

PROBE = BENCH / "startup_probe.py"
EXTRA_ENV: dict[str, str] = {}


def probe_start(root: Path, bundle: str, env: dict[str, str], with_extension: bool, mode: str, keep: Path, tag: str):
    """One start under the probe: (wall s, process CPU s at ready as seen by the parent, report dict)."""
    server = bench_startup.JupyterServer(root, bundle, env, with_extension=with_extension)
    report_path = keep / f"{tag}.json"
    server.env["QCRED_PROBE_OUT"] = str(report_path)
    server.env.update(EXTRA_ENV)
    prefix: list[str] = [sys.executable]
    if mode == "importtime":
        prefix += ["-X", "importtime"]
    if mode == "profile":
        server.env["QCRED_PROBE_PROFILE"] = str(keep / tag)
    args = server.command[3:]  # after python -m jupyter_server
    command = [*prefix, str(PROBE), *args]
    if mode == "strace":
        command = ["strace", "-f", "-c", "-o", str(keep / f"{tag}.strace-c"), *command]
    if mode == "strace-log":
        command = [
            "strace",
            "-f",
            "-tt",
            "-e",
            "trace=%file,%desc,fsync,fdatasync,flock,fcntl,rename,renameat,renameat2",
            "-o",
            str(keep / f"{tag}.strace"),
            *command,
        ]
    server.command = command
    try:
        spawned = time.perf_counter()
        wall, cpu = server.start()
        deadline = time.monotonic() + 30
        while not report_path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        report["spawned"] = spawned
        return wall, cpu, report
    finally:
        try:
            server.process and server.process.poll()
        finally:
            log = server.log_path
            if log.exists() and mode in ("importtime", "spans", "profile"):
                shutil.copy(log, keep / f"{tag}.log")
            server.stop()


def summarize(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):7.1f} [{min(values):.1f}–{max(values):.1f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--mode", choices=("spans", "importtime", "profile", "strace", "strace-log"), default="spans")
    parser.add_argument("--minimal", action="store_true", help="no wrappers: only the ready mark and gc.get_stats()")
    parser.add_argument("--gc-off", action="store_true", help="gc.disable() in the server process (both variants)")
    parser.add_argument("--keep", type=Path, default=None, help="folder for reports/logs (default: a temp folder)")
    args = parser.parse_args()
    if args.minimal:
        EXTRA_ENV["QCRED_PROBE_MINIMAL"] = "1"
    if args.gc_off:
        EXTRA_ENV["QCRED_PROBE_GC"] = "off"
    keep = args.keep or Path(tempfile.mkdtemp(prefix="qcred-probe-"))
    keep.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="qcred-probe-root-"))
    results: dict[bool, list[tuple[float, float, dict]]] = {True: [], False: []}
    try:
        with Sandbox(tls=True, state_dir=root / "sandbox") as sandbox:
            bundle = bench_startup.bundle_for(sandbox)
            env = bench_startup.sandbox_environment(sandbox)
            for with_extension in (True, False):  # warm-up
                probe_start(
                    root,
                    bundle,
                    env,
                    with_extension,
                    args.mode,
                    keep,
                    f"warmup-{'with' if with_extension else 'without'}",
                )
            for index in range(args.pairs):
                order = (True, False) if index % 2 == 0 else (False, True)
                for with_extension in order:
                    tag = f"{index:02d}-{'with' if with_extension else 'without'}"
                    results[with_extension].append(probe_start(root, bundle, env, with_extension, args.mode, keep, tag))
                    print(f"[probe] {tag}: {results[with_extension][-1][0] * 1000:.0f} ms", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"# start-up probe, mode {args.mode}, {args.pairs} pairs; files in {keep}")
    print(f"load average: {os.getloadavg()}")
    for with_extension in (True, False):
        rows = results[with_extension]
        name = "with jupyter_qcred" if with_extension else "without"
        print(f"\n## {name}")
        print(f"spawn → ready (parent) wall ms: {summarize([r[0] * 1000 for r in rows])}")
        print(f"process CPU at ready (parent, /proc) ms: {summarize([r[1] * 1000 for r in rows])}")
        reports = [r[2] for r in rows if r[2]]
        if not reports:
            continue
        interpreter = [(r["probe_start"] - r["spawned"]) * 1000 for r in reports]
        print(f"spawn → probe start (interpreter + site) wall ms: {summarize(interpreter)}")
        print(f"process CPU at probe start ms: {summarize([r['probe_start_process_cpu'] * 1000 for r in reports])}")
        print(f"process CPU at ready (probe) ms: {summarize([r['process_cpu'] * 1000 for r in reports])}")
        print(f"main-thread CPU at ready ms: {summarize([r['main_thread_cpu'] * 1000 for r in reports])}")
        print(f"modules loaded at ready: {summarize([len(r['modules']) for r in reports])}")
        gen2 = [r["gc_stats"][2]["collections"] for r in reports]
        gen1 = [r["gc_stats"][1]["collections"] for r in reports]
        print(f"gen2 collections before ready (gc.get_stats): {summarize(gen2)}; gen1: {summarize(gen1)}")
        spans: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"wall": [], "cpu": [], "at": [], "n": []})
        for report in reports:
            per: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
            for span in report["spans"]:
                entry = per[span["label"]]
                entry[0] += (span["end"] - span["start"]) * 1000
                entry[1] += span["cpu"] * 1000
                if entry[3] == 0:
                    entry[2] = (span["start"] - report["spawned"]) * 1000
                entry[3] += 1
            for label, (wall, cpu, at, count) in per.items():
                spans[label]["wall"].append(wall)
                spans[label]["cpu"].append(cpu)
                spans[label]["at"].append(at)
                spans[label]["n"].append(count)
        print(
            f"{'step (label)':<92} {'starts at ms':>14} {'wall ms median [min–max]':>28} {'thread CPU ms':>28}  calls"
        )
        for label, data in sorted(spans.items(), key=lambda item: statistics.median(item[1]["at"])):
            at, calls = statistics.median(data["at"]), statistics.median(data["n"])
            print(f"{label:<92} {at:14.1f} {summarize(data['wall']):>28} {summarize(data['cpu']):>28}  {calls:g}")
        gc_rows: dict[str, list[float]] = defaultdict(list)
        where: dict[str, int] = defaultdict(int)
        for report in reports:
            events = report.get("gc", [])
            for generation in (0, 1, 2):
                mine = [e for e in events if e["generation"] == generation and e["start"] < report["ready"]]
                gc_rows[f"gen{generation} count"].append(len(mine))
                gc_rows[f"gen{generation} wall ms"].append(sum(e["wall"] for e in mine) * 1000)
                gc_rows[f"gen{generation} cpu ms"].append(sum(e["cpu"] for e in mine) * 1000)
            for event in events:
                if event["generation"] != 2 or event["start"] >= report["ready"]:
                    continue
                inside = [
                    s
                    for s in report["spans"]
                    if s["start"] <= event["start"] <= s["end"] and s["thread"] == event["thread"]
                ]
                innermost = (
                    min(inside, key=lambda s: s["end"] - s["start"])["label"]
                    if inside
                    else "(outside any timed step: imports at probe start / event loop)"
                )
                where[f"{innermost} ({event['wall'] * 1000:.0f} ms)"] += 1
        print("\ncyclic GC until ready (per start):")
        for key, values in gc_rows.items():
            print(f"  {key:<16} {summarize(values)}")
        print("  full (gen2) collections happened inside:")
        for key, count in sorted(where.items(), key=lambda item: -item[1]):
            print(f"    x{count}  {key}")
        calls: dict[str, list[float]] = defaultdict(list)
        for report in reports:
            per_call: dict[str, float] = defaultdict(float)
            for call in report["metadata_calls"]:
                per_call[f"{call['function']}{call['args']}{call['kwargs']} from {call['caller']}"] += (
                    call["wall"] * 1000
                )
            for key, value in per_call.items():
                calls[key].append(value)
        if calls:
            print("\nimportlib.metadata calls until ready (wall ms per start, summed per call site):")
            for key, values in sorted(calls.items(), key=lambda item: -statistics.median(item[1])):
                print(f"  {summarize(values)}  x{len(values)} starts  {key}")
    with_modules = set().union(*[set(r[2].get("modules", [])) for r in results[True]]) if results[True] else set()
    without_modules = set().union(*[set(r[2].get("modules", [])) for r in results[False]]) if results[False] else set()
    extra = sorted(with_modules - without_modules)
    (keep / "extra_modules.txt").write_text("\n".join(extra) + "\n")
    tops = sorted({name.split(".")[0] for name in extra})
    print(f"\nmodules loaded at ready only with the extension: {len(extra)} (top-level: {', '.join(tops)})")
    print(f"list in {keep / 'extra_modules.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
