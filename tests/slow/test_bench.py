"""``python bench/run.py --quick`` keeps working: the fast parts produce a table of positive numbers.

Timing goals are not asserted here (a loaded CI machine says nothing about them); the benchmark reports them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


@pytest.mark.timeout(240)
def test_quick_bench_produces_the_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--only", "startup,status,tokens", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    markdown = out.read_text()
    rows = [line for line in markdown.splitlines() if re.match(r"\| \d+ \|", line)]
    assert all(row in done.stdout for row in rows), "stdout shows the same table"
    labels = " ".join(rows)
    assert "start-up" in labels
    assert "REST throughput" in labels
    for n in (1, 5, 20):
        assert f"{n} process" in labels
    assert len(rows) == 2 + 1 + 3, rows
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        ours, baseline, ratio = cells[2], cells[3], cells[4]
        for cell in (ours, baseline, ratio):
            first = re.search(NUMBER, cell.split(":", 1)[-1])
            assert first is not None, f"no number in {cell!r} of {row}"
            assert float(first.group().replace(",", "")) > 0, row
    assert "Machine:" in markdown
    assert "python" in markdown
    assert "cores" in markdown


@pytest.mark.timeout(600)
def test_hub_load_bench_runs_with_one_command(tmp_path: Path) -> None:
    """``python bench/bench_hub_load.py`` (here with few users and short phases) measures every phase without a
    failed pull, and the steady state refreshes through the hub."""
    out = tmp_path / "hub_load.md"
    done = subprocess.run(
        [sys.executable, "bench/bench_hub_load.py", "--users", "40", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=580,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    markdown = out.read_text()
    phase = re.compile(r"\| (restart|plain|steady)")
    rows = [line.strip("|").split("|") for line in markdown.splitlines() if phase.match(line)]
    assert len(rows) == 5, markdown
    for cells in rows:
        pulls, errors = int(cells[1]), int(cells[2])
        assert pulls > 0 and errors == 0, cells
    burst, steady = rows[0], rows[-1]
    assert int(burst[3]) == 40, "every expired token was refreshed by the hub at the first pull"
    assert int(steady[3]) > 0, "the steady state refreshed through the hub"
    assert "Per user-hour with 1-hour tokens" in markdown and "100,000" in markdown
