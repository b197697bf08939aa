"""Figures a test wants quoted after the run (the reliability tests: scenarios, faults, cycles, kills, requests).

``report(line)`` records a line; the root conftest registers :func:`pytest_terminal_summary`, which prints them in a
"reliability figures" section at the end of the run, whether or not output was captured.
"""

from __future__ import annotations

from typing import Any

#: The lines recorded so far in this run.
REPORT: list[str] = []


def report(line: str) -> None:
    """Record one summary line (shown at the end of the run, even without ``-s``)."""
    REPORT.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A "reliability figures" section the lead can quote, whether or not output was captured."""
    if REPORT:
        terminalreporter.section("reliability figures")
        for line in REPORT:
            terminalreporter.write_line(line)
