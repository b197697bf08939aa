"""Row 4: kernel import cost, ``%load_ext jupyter_qcred`` next to ``import qiskit_ibm_runtime``.

This reuses :mod:`bench_import` (its measurement scripts and its goal): every sample is a fresh interpreter, the
two statements alternate, and only the statement itself is timed.
"""

from __future__ import annotations

import bench_import
from benchlib import Row, Samples, pair_ratios

OURS, SDK = "%load_ext jupyter_qcred", "import qiskit_ibm_runtime"


def run(repeats: int) -> list[Row]:
    """Row 4: the extension's load time over the SDK's import time; goal: bench_import.GOAL_MS, nothing heavy."""
    samples = {name: Samples(unit="ms") for name in (OURS, SDK)}
    heavy: set[str] = set()
    modules = 0
    for index in range(repeats):
        for name in (OURS, SDK) if index % 2 == 0 else (SDK, OURS):
            result = bench_import.measure(bench_import.CASES[name])
            samples[name].values.append(float(result["seconds"]) * 1000)  # type: ignore[arg-type]
            if name == OURS:
                heavy.update(result["heavy"])  # type: ignore[arg-type]
                modules = int(result["modules"])  # type: ignore[call-overload]
    row = Row(
        key="kernel",
        label="Kernel: `%load_ext jupyter_qcred` vs `import qiskit_ibm_runtime` (fresh interpreter each)",
        ours=samples[OURS],
        baseline=samples[SDK],
        ours_name="`%load_ext jupyter_qcred`",
        baseline_name="`import qiskit_ibm_runtime`",
        digits=1,
        goal=f"ours < {bench_import.GOAL_MS:.0f} ms, nothing heavy",
        pair_ratios=pair_ratios(samples[OURS].values, samples[SDK].values),
    )
    row.met = samples[OURS].median < bench_import.GOAL_MS and not heavy
    row.notes.append(
        f"{repeats} fresh interpreters each, alternating (bench/bench_import.py); `%load_ext` imported {modules} new "
        f"modules, heavy ones: {', '.join(sorted(heavy)) or 'none'}."
    )
    return [row]
