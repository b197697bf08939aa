"""``python bench/run.py --quick`` keeps working: the fast parts produce a table of positive numbers.

Timing goals are not asserted here (a loaded CI machine says nothing about them); the benchmark reports them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
