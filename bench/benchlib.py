"""Shared plumbing of the benchmarks: samples and their summaries, result rows, processes, machine information.

Everything here is loopback-only and bounded: processes are started in their own session (process group) and
:func:`stop_group` always ends the whole group, first politely, then with SIGKILL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[1]
VERSIONED = (
    "jupyter_qcred",
    "jupyter_server",
    "jupyterlab",
    "jupyterhub",
    "oauthenticator",
    "tornado",
    "httpx",
    "ipython",
    "qcs-api-client-common",
    "qiskit-ibm-runtime",
)


@dataclasses.dataclass
class Samples:
    """Repeated measurements of one quantity (in ``unit``)."""

    values: list[float] = dataclasses.field(default_factory=list)
    unit: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def summary(self, digits: int = 0) -> str:
        """``median [min–max] unit`` (just the value when there is one sample or no spread)."""
        if not self.values:
            return "n/a"
        unit = f" {self.unit}" if self.unit else ""
        low, high = min(self.values), max(self.values)
        if len(self.values) == 1 or low == high:
            return f"{self.median:,.{digits}f}{unit}"
        return f"{self.median:,.{digits}f} [{low:,.{digits}f}–{high:,.{digits}f}]{unit}"


@dataclasses.dataclass
class Row:
    """One line of the results table: ours against a baseline measured side by side in the same run."""

    key: str
    label: str
    ours: Samples
    baseline: Samples
    ours_name: str = "with jupyter_qcred"
    baseline_name: str = "without"
    digits: int = 0
    goal: str = ""
    met: bool | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    #: Ratio of each pair of repetitions measured next to each other (ours / baseline), for the spread.
    pair_ratios: list[float] = dataclasses.field(default_factory=list)
    #: The goal's bound on the ratio, if the goal is one (for flagging results the noise could flip).
    threshold: float | None = None

    @property
    def ratio(self) -> float:
        """median(ours) / median(baseline)."""
        base = self.baseline.median
        return self.ours.median / base if base else float("nan")

    def ratio_text(self) -> str:
        text = f"{self.ratio:.3f}"
        if len(self.pair_ratios) > 1:
            text += f" [{min(self.pair_ratios):.3f}–{max(self.pair_ratios):.3f}]"
        return text

    def verdict(self) -> str:
        text = {True: "met", False: "**MISSED**", None: "—"}[self.met]
        if self.met is not None and self.noisy:
            text += " (noisy: pairs on both sides of the goal)"
        return text

    @property
    def noisy(self) -> bool:
        """Whether some pairs of repetitions fall on each side of the goal's bound."""
        if self.threshold is None or len(self.pair_ratios) < 2:
            return False
        return min(self.pair_ratios) < self.threshold < max(self.pair_ratios)


def pair_ratios(ours: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Ratios of the i-th measurements (taken next to each other)."""
    return [a / b for a, b in zip(ours, baseline, strict=False) if b]


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_group(
    command: Sequence[str], *, env: dict[str, str], cwd: Path | None = None, log: IO[bytes] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` in a new session (its own process group), output to ``log`` (or discarded)."""
    return subprocess.Popen(
        list(command),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_group(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """SIGTERM the process group, wait up to ``timeout`` s, then SIGKILL it; always reaps the process."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):  # children that outlived the leader, or the leader itself
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@contextlib.contextmanager
def group(
    command: Sequence[str], *, env: dict[str, str], cwd: Path | None = None, log: IO[bytes] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """:func:`start_group` as a context manager that always stops the group."""
    process = start_group(command, env=env, cwd=cwd, log=log)
    try:
        yield process
    finally:
        stop_group(process)


def wait_for(condition: Any, *, timeout: float, interval: float, what: str) -> Any:
    """Call ``condition()`` every ``interval`` s until it returns something truthy; TimeoutError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def tail(path: Path, size: int = 2000) -> str:
    """The end of a log file (for error messages)."""
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def machine_info() -> dict[str, str]:
    """Where and with what the numbers were measured."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    versions = []
    for name in VERSIONED:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    import jupyter_qcred

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git(),
        "cpu": f"{_cpu_model()}; {os.cpu_count()} cores, {usable} usable",
        "load average (1, 5, 15 min) at start": load,
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        "versions": "; ".join(versions),
        "jupyter_qcred imported from": str(Path(jupyter_qcred.__file__).parent),
        "running as": "root" if os.getuid() == 0 else "user",
    }


def render_markdown(rows: Sequence[Row], info: dict[str, str], settings: str) -> str:
    """The results as Markdown: the table, its notes, the machine."""
    lines = [
        "| # | measurement | with jupyter_qcred (median [min–max]) | baseline (median [min–max]) "
        "| ratio [pairs] | goal | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, row in enumerate(rows, 1):
        lines.append(
            f"| {number} | {row.label} | {row.ours_name}: {row.ours.summary(row.digits)} "
            f"| {row.baseline_name}: {row.baseline.summary(row.digits)} | {row.ratio_text()} | {row.goal} "
            f"| {row.verdict()} |"
        )
    notes = [(number, note) for number, row in enumerate(rows, 1) for note in row.notes]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- ({number}) {note}" for number, note in notes]
    lines += ["", f"Settings: {settings}", "", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    return "\n".join(lines) + "\n"
