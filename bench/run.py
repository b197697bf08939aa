"""What jupyter_qcred costs, measured side by side in one run: ``python bench/run.py [--quick] [--out FILE]``.

Parts (``--only`` takes a comma-separated subset, in any order; they always run in this order):

- ``startup``  Jupyter Server start-up with / without the extension, same spawn bundle (goal: ratio ≤ 1.02);
- ``status``   ``GET qcred/status`` vs ``GET api/status`` requests per second on one server (goal: ratio ≥ 0.9);
- ``tokens``   QCS token requests when N = 1, 5, 20 processes need a token at once: ours vs the SDK alone;
- ``command``  the hand-off's token command with no refresh due vs ``python -c pass`` (goal: ratio ≤ 1.5);
- ``kernel``   ``%load_ext jupyter_qcred`` vs ``import qiskit_ibm_runtime`` (bench/bench_import.py);
- ``output``   a cell printing 10 MB with / without the kernel output filter (bench/bench_outputguard.py);
- ``hub``      JupyterHub spawn-to-ready with / without the extension.

Every comparison interleaves its repetitions (ours, baseline, baseline, ours, ...) so that drifting machine load
hits both alike, and reports medians with their [min–max]. Everything runs on loopback against one sandbox
process; all processes are stopped (process groups) and temporary folders removed, also on failure or Ctrl-C.
The table goes to stdout and, as Markdown with the machine's details, to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# Measure this checkout, whatever else is installed: here and in every process started (servers, hubs, spawned
# single-user servers — JupyterHub keeps PYTHONPATH —, kernels, token processes).
for entry in (str(REPO), str(BENCH)):
    if entry in sys.path:
        sys.path.remove(entry)
    sys.path.insert(0, entry)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)

from benchlib import Row, machine_info, render_markdown  # noqa: E402

from jupyter_qcred.sandbox.client import Sandbox  # noqa: E402

PARTS = ("startup", "status", "tokens", "command", "kernel", "output", "hub")
DEFAULT_OUT = BENCH / "results" / "latest.md"


class Plan:
    """Repetitions and durations: full by default, ``--quick`` for a smoke run (CI)."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.startup_repeats = 2 if quick else 10
        self.status_rounds = 2 if quick else 3
        self.status_seconds = 1.0 if quick else 5.0
        self.status_concurrency = 8
        self.token_counts = (1, 5, 20)
        self.token_repeats = 1 if quick else 3
        self.command_repeats = 5 if quick else 15
        self.kernel_repeats = 2 if quick else 7
        self.output_repeats = 2 if quick else 7
        self.hub_repeats = 2 if quick else 6

    def describe(self) -> str:
        return (
            f"{'--quick' if self.quick else 'full'}: start-up {self.startup_repeats} pairs; status "
            f"{self.status_rounds}×{self.status_seconds:g} s per endpoint at {self.status_concurrency} connections; "
            f"tokens N={'/'.join(map(str, self.token_counts))}, {self.token_repeats} trial(s); token command "
            f"{self.command_repeats} pairs; kernel "
            f"{self.kernel_repeats} pairs; output {self.output_repeats} pairs; hub {self.hub_repeats} pairs"
        )


def parse_parts(text: str) -> list[str]:
    """``--only`` value -> parts in canonical order; unknown names are an error."""
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in PARTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part {unknown[0]!r}; known: {', '.join(PARTS)}")
    return [part for part in PARTS if part in wanted]


def run_parts(parts: list[str], plan: Plan, root: Path, progress: Callable[[str], None]) -> list[Row]:
    """Run the chosen parts against one sandbox; the rows in table order."""
    import bench_hub
    import bench_kernel
    import bench_outputguard
    import bench_startup
    import bench_status
    import bench_tokencmd
    import bench_tokens

    rows: list[Row] = []
    with Sandbox(tls=True, state_dir=root / "sandbox") as sandbox:
        steps: dict[str, Callable[[], list[Row]]] = {
            "startup": lambda: bench_startup.run(sandbox, plan.startup_repeats, root),
            "status": lambda: bench_status.run(
                sandbox, plan.status_rounds, plan.status_seconds, root, plan.status_concurrency
            ),
            "tokens": lambda: bench_tokens.run(sandbox, plan.token_counts, plan.token_repeats, root),
            "command": lambda: bench_tokencmd.run(sandbox, plan.command_repeats, root),
            "kernel": lambda: bench_kernel.run(plan.kernel_repeats),
            "output": lambda: bench_outputguard.run(plan.output_repeats),
            "hub": lambda: bench_hub.run(sandbox, plan.hub_repeats, root),
        }
        for part in parts:
            progress(f"{part} ...")
            started = time.monotonic()
            rows.extend(steps[part]())
            progress(f"{part} done in {time.monotonic() - started:.0f} s")
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 0 when the table was produced (goals missed are reported, not an error)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and shorter runs (smoke test)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"Markdown file to write (default {DEFAULT_OUT})")
    parser.add_argument(
        "--only", type=parse_parts, default=list(PARTS), help=f"comma-separated parts (default all: {','.join(PARTS)})"
    )
    args = parser.parse_args(argv)
    plan = Plan(args.quick)
    info = machine_info()

    def progress(message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    progress(f"parts: {', '.join(args.only)}; {plan.describe()}")
    root = Path(tempfile.mkdtemp(prefix="qcred-bench-"))
    try:
        rows = run_parts(args.only, plan, root, progress)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if hasattr(os, "getloadavg"):
        info["load average (1, 5, 15 min) at end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    markdown = render_markdown(rows, info, plan.describe())
    print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# jupyter_qcred benchmark (`python bench/run.py`)\n\n" + markdown)
    progress(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
