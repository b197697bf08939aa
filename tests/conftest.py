"""Shared fixtures: the sandbox services, a Jupyter server with the extension, secret scanning."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from helpers import SecretScanner
from support.sandbox_fixtures import sandbox, sandbox_session  # noqa: F401

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def secret_scanner(caplog: pytest.LogCaptureFixture) -> Iterator[SecretScanner]:
    """Fails the test if any secret it registered shows up in a log record or in what it recorded as seen."""
    caplog.set_level(logging.DEBUG)
    scanner = SecretScanner()
    yield scanner
    for record in caplog.records:
        scanner.saw(f"log record {record.name}", record.getMessage() + (record.exc_text or ""))
    leaks = scanner.leaks()
    assert not leaks, "\n".join(leaks)
