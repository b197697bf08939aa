"""Read the ``-X importtime`` logs of ``startup_probe_run.py --mode importtime --keep DIR``: what the extension imports.

``python bench/startup_importtime.py DIR [--tree]``: for the modules imported before ``QCRED-PROBE-READY`` with the
extension and never without it, the self time summed by top-level package (median over the starts), and the
cumulative time of each import the extension's own modules make of a module that is not the extension's
(``--tree``: the whole nested list of the extension's first import, indentation as printed by Python).
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def parse(path: Path) -> list[tuple[int, int, int, str]]:
    """(self us, cumulative us, depth, module) in the order printed, up to the ready mark."""
    rows = []
    for line in path.read_text(errors="replace").splitlines():
        if "QCRED-PROBE-READY" in line:
            break
        match = LINE.match(line)
        if match:
            rows.append((int(match[1]), int(match[2]), len(match[3]) // 2, match[4]))
    return rows


def parents(rows: list[tuple[int, int, int, str]]) -> dict[int, int | None]:
    """Index of each row's importer (importtime prints children before their parent, one level deeper)."""
    parent: dict[int, int | None] = {}
    pending: dict[int, list[int]] = defaultdict(list)  # depth -> rows waiting for their parent
    for index, (_, _, depth, _) in enumerate(rows):
        for child in pending.pop(depth + 1, []):
            parent[child] = index
        pending[depth].append(index)
    for waiting in pending.values():
        for child in waiting:
            parent[child] = None
    return parent


def main() -> int:
    folder = Path(sys.argv[1])
    tree = "--tree" in sys.argv
    withs = sorted(p for p in folder.glob("[0-9]*-with.log"))
    withouts = sorted(p for p in folder.glob("[0-9]*-without.log"))
    base_modules: set[str] = set()
    for path in withouts:
        base_modules |= {row[3] for row in parse(path)}
    by_package: dict[str, list[float]] = defaultdict(list)
    extra_total: list[float] = []
    edges: dict[str, list[float]] = defaultdict(list)
    ours_cumulative: dict[str, list[float]] = defaultdict(list)
    for path in withs:
        rows = parse(path)
        parent = parents(rows)
        totals: dict[str, float] = defaultdict(float)
        total = 0.0
        for self_us, _, _, module in rows:
            if module not in base_modules:
                totals[module.split(".")[0]] += self_us / 1000
                total += self_us / 1000
        for package, value in totals.items():
            by_package[package].append(value)
        extra_total.append(total)
        for index, (_, cumulative, _, module) in enumerate(rows):
            importer = parent.get(index)
            if module.startswith("jupyter_qcred"):
                ours_cumulative[module].append(cumulative / 1000)
            if (
                importer is not None
                and rows[importer][3].startswith("jupyter_qcred")
                and not module.startswith("jupyter_qcred")
            ):
                edges[f"{rows[importer][3]} -> {module}"].append(cumulative / 1000)
        if tree and path == withs[0]:
            start = next(i for i, row in enumerate(rows) if row[3].startswith("jupyter_qcred"))
            for self_us, cumulative, depth, module in rows[max(0, start - 400) :]:
                if cumulative >= 300:
                    print(f"{self_us / 1000:8.1f} {cumulative / 1000:8.1f} {'  ' * depth}{module}")

    def med(values: list[float], n: int) -> str:
        values = values + [0.0] * (n - len(values))
        return f"{statistics.median(values):7.1f} [{min(values):.1f}–{max(values):.1f}]"

    n = len(withs)
    print(f"{n} starts with, {len(withouts)} without (logs in {folder})")
    print(f"\nself time of modules imported only with the extension, before ready: {med(extra_total, n)} ms")
    for package, values in sorted(
        by_package.items(), key=lambda item: -statistics.median(item[1] + [0] * (n - len(item[1])))
    ):
        print(f"  {med(values, n)} ms  {package}")
    print("\nimports made by jupyter_qcred modules of other packages (cumulative ms, 0 when already imported):")
    for edge, values in sorted(edges.items(), key=lambda item: -statistics.median(item[1])):
        if statistics.median(values) >= 0.2:
            print(f"  {med(values, n)}  {edge}")
    print("\njupyter_qcred modules, cumulative ms (includes their imports):")
    for module, values in sorted(ours_cumulative.items(), key=lambda item: -statistics.median(item[1])):
        print(f"  {med(values, n)}  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
