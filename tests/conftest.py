"""The root of the suite: it only registers. The fixtures and helpers live in tests/support (see tests/README.md).

Each test gets the marker of its tier, the folder it lives in (``tests/unit/...`` -> ``unit``), so a tier can be
chosen by folder or by marker: ``pytest tests/unit`` or ``pytest -m unit``; ``pytest -m "not slow"`` is the fast loop.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.attacker import attacker  # noqa: F401 - fixtures every test may ask for
from support.helpers import secret_scanner  # noqa: F401
from support.report import pytest_terminal_summary  # noqa: F401 - prints the reliability figures after the run
from support.sandbox_fixtures import sandbox, sandbox_session, sandbox_spares  # noqa: F401
from support.sdkfolder import iqm_on_path, iqm_sdk  # noqa: F401
from support.server_fixtures import api, bundle, qcs_lifetime  # noqa: F401

pytest_plugins = ["pytest_jupyter.jupyter_server"]

#: The tiers, each a folder of tests/ and a marker of the same name (registered in pyproject.toml).
TIERS = ("unit", "sandbox", "server", "hub", "browser", "sdk", "slow")
#: Tiers whose every test is also ``slow``: each of them alone takes the fast loop past three minutes (measured on
#: this 2-core machine: browser 148 s, hub 253 s). Elsewhere a test is marked ``@pytest.mark.slow`` where it
#: is defined (tests/README.md says which).
SLOW_TIERS = ("browser", "hub", "slow")
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its tier, the first folder of its path below tests/ (and ``slow`` in the slow tiers)."""
    for item in items:
        try:
            folder = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:  # a test outside tests/ (a path given on the command line)
            continue
        if folder in TIERS:
            item.add_marker(folder)
        if folder in SLOW_TIERS and folder != "slow":
            item.add_marker("slow")
