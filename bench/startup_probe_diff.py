"""Per-step differences (with − without) from the JSON reports of ``startup_probe_run.py --keep DIR``.

``python bench/startup_probe_diff.py DIR``: for every step both variants have, and for the segments of the main
thread (interpreter + imports before ServerApp.initialize, initialize, start_app, event loop until ready), the
median thread-CPU and wall of each variant and their difference.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def load(folder: Path, variant: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob(f"[0-9]*-{variant}.json"))]


def segments(report: dict) -> dict[str, tuple[float, float]]:
    """(wall ms, main-thread CPU ms) of consecutive main-thread segments."""
    spans = {s["label"]: s for s in report["spans"] if s["thread"] == "MainThread"}
    init = spans["ServerApp.initialize[jupyter-server]"]
    app = spans["ServerApp.start_app[jupyter-server]"]
    init_cpu_start = init["thread_cpu_at_end"] - init["cpu"]
    out = {
        "0 probe start → ServerApp.initialize (imports of jupyter_server)": (
            (init["start"] - report["probe_start"]) * 1000,
            init_cpu_start * 1000,
        ),
        "1 ServerApp.initialize": ((init["end"] - init["start"]) * 1000, init["cpu"] * 1000),
        "2 ServerApp.start_app": ((app["end"] - app["start"]) * 1000, app["cpu"] * 1000),
        "3 event loop: start_app end → ready": (
            (report["ready"] - app["end"]) * 1000,
            (report["main_thread_cpu"] - app["thread_cpu_at_end"]) * 1000,
        ),
        "T main thread total (probe start → ready)": (
            (report["ready"] - report["probe_start"]) * 1000,
            report["main_thread_cpu"] * 1000,
        ),
        "P process CPU at ready (all threads)": (
            (report["ready"] - report["probe_start"]) * 1000,
            report["process_cpu"] * 1000,
        ),
    }
    return out


def per_label(report: dict) -> dict[str, tuple[float, float]]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for span in report["spans"]:
        totals[span["label"]][0] += (span["end"] - span["start"]) * 1000
        totals[span["label"]][1] += span["cpu"] * 1000
    gc2 = [e for e in report.get("gc", []) if e["start"] < report["ready"]]
    for generation in (0, 1, 2):
        mine = [e for e in gc2 if e["generation"] == generation]
        totals[f"GC gen{generation} (all before ready)"] = [
            sum(e["wall"] for e in mine) * 1000,
            sum(e["cpu"] for e in mine) * 1000,
        ]
    return {k: (v[0], v[1]) for k, v in totals.items()}


def main() -> int:
    folder = Path(sys.argv[1])
    withs, withouts = load(folder, "with"), load(folder, "without")
    print(f"{len(withs)} with, {len(withouts)} without; medians; CPU = CPU of the thread that ran the step")
    for title, function in (("main-thread segments", segments), ("steps", per_label)):
        a = [function(r) for r in withs]
        b = [function(r) for r in withouts]
        labels = list(dict.fromkeys([k for r in a for k in r] + [k for r in b for k in r]))
        if title == "main-thread segments":
            labels.sort()
        print(f"\n## {title}")
        print(f"{'':<84} {'wall with':>10} {'without':>9} {'diff':>8} | {'CPU with':>9} {'without':>9} {'diff':>8}")
        for label in labels:
            aw = [r[label][0] for r in a if label in r] or [0.0]
            bw = [r[label][0] for r in b if label in r] or [0.0]
            ac = [r[label][1] for r in a if label in r] or [0.0]
            bc = [r[label][1] for r in b if label in r] or [0.0]
            mw, nw, mc, nc = (statistics.median(x) for x in (aw, bw, ac, bc))
            if max(mw, nw, mc, nc) < 0.5:
                continue
            print(f"{label[:84]:<84} {mw:10.1f} {nw:9.1f} {mw - nw:+8.1f} | {mc:9.1f} {nc:9.1f} {mc - nc:+8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
