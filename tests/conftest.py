"""Shared fixtures: the sandbox services, a Jupyter server with the extension, secret scanning."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from helpers import SecretScanner
from support.sandbox_fixtures import sandbox, sandbox_session  # noqa: F401
from support.server_fixtures import api, bundle, qcs_lifetime  # noqa: F401

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def secret_scanner(caplog: pytest.LogCaptureFixture) -> Iterator[SecretScanner]:
    """Fails the test if any secret it registered shows up in a log record or in what it recorded as seen.

    Every phase's records are searched (a server started by a fixture logs during setup), including the server
    extension's own logger, which does not propagate to the root logger (a traitlets application's log)."""
    caplog.set_level(logging.DEBUG)
    # The application configures its logger's handlers itself (logging.config.dictConfig): records are copied as
    # the logger handles them, which survives that.
    extension_log = logging.getLogger("QCredApp")
    original = extension_log.handle

    def handle(record: logging.LogRecord) -> None:
        caplog.handler.handle(record)
        original(record)

    extension_log.handle = handle  # type: ignore[method-assign]
    scanner = SecretScanner()
    try:
        yield scanner
    finally:
        del extension_log.handle
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    for record in records:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        scanner.saw(f"log record {record.name}", record.getMessage() + (record.exc_text or ""))
    leaks = scanner.leaks()
    assert not leaks, "\n".join(leaks)
