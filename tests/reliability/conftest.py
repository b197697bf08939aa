"""Prints the figures the reliability tests recorded (scenarios, faults, cycles, kills, requests) after the run."""

from __future__ import annotations

from typing import Any

from rel_support import REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A "reliability figures" section the lead can quote, whether or not output was captured."""
    if REPORT:
        terminalreporter.section("reliability figures")
        for line in REPORT:
            terminalreporter.write_line(line)
