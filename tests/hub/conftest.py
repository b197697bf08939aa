"""The hub tier: a failing test's report ends with the hub's and the sandbox's logs (support/hub_logs.py)."""

from __future__ import annotations

from support.hub_logs import pytest_runtest_makereport  # noqa: F401
