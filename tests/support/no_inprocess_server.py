"""Opt-outs of pytest-jupyter's autouse fixtures for test modules that run Jupyter in other processes.

Playwright's sync API (and the real-hub tests) keep an event loop of their own running in the test thread:
pytest-jupyter's autouse loop fixture would pick that loop up and close it, and its server clean-up expects an
in-process server these modules never start. Import both into such a module::

    from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """No pytest-jupyter event loop: this module starts no in-process server."""
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """No in-process server to clean up."""
    return None
