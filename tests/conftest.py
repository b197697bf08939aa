"""The root of the suite: it only registers. The fixtures and helpers live in tests/support (see tests/README.md)."""

from __future__ import annotations

from support.attacker import attacker  # noqa: F401 - fixtures every test may ask for
from support.helpers import secret_scanner  # noqa: F401
from support.report import pytest_terminal_summary  # noqa: F401 - prints the reliability figures after the run
from support.sandbox_fixtures import sandbox, sandbox_session  # noqa: F401
from support.server_fixtures import api, bundle, qcs_lifetime  # noqa: F401

pytest_plugins = ["pytest_jupyter.jupyter_server"]
