"""For the hub tier's conftest: a failing test's report ends with the hub's log (and its servers'), because a hub
test's failure is usually a sentence in a log the test never reads: a refresh that was refused, a pull that failed, a
server that stopped. The CI shows only pytest's output, so what is not in the report is lost.

Use from a conftest::

    from support.hub_logs import pytest_runtest_makereport  # noqa: F401
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.sandbox.client import Sandbox

#: Lines of each log kept in a failing test's report: the last ones, and the last warnings, errors and lines of
#: jupyter_qcred before them (the access log of a panel polling the server would push those out of a plain tail).
LOG_LINES = 60
NOTABLE_LINES = 120
NOTABLE = re.compile(r"^\[[WEC] |jupyter_qcred|Traceback|Error")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: Any = yield
    if report.failed and call.when == "call":
        for title, path in _logs(getattr(item, "funcargs", {})):
            lines = _lines(path)
            notable = [line for line in lines[:-LOG_LINES] if NOTABLE.search(line)][-NOTABLE_LINES:]
            report.sections.append((f"{title}: warnings, errors and jupyter_qcred lines of {path}", "\n".join(notable)))
            report.sections.append((f"{title}: last {LOG_LINES} lines of {path}", "\n".join(lines[-LOG_LINES:])))
    return report


def _logs(funcargs: dict[str, Any]) -> list[tuple[str, Path]]:
    """The hub's and the sandbox's logs among the test's fixtures (directly or in a tuple)."""
    found: list[tuple[str, Path]] = []
    for value in funcargs.values():
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, LocalHub):
                found.append(("JupyterHub and its servers", part.state_dir / "jupyterhub.log"))
            elif isinstance(part, Sandbox):
                found.append(("sandbox", part.state_dir / "sandbox.log"))
    return list(dict.fromkeys(found))


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except OSError as exc:
        return [f"(could not read it: {exc})"]
