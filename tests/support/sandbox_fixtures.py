"""pytest fixtures: a real sandbox process per test (``sandbox``) or per session (``sandbox_session``).

Use from a conftest::

    from support.sandbox_fixtures import sandbox, sandbox_session  # noqa: F401

Both run with TLS (the QCS client needs https) and the demo seed.  The per-test one is fresh, so faults, config
and the log never leak between tests; the session one is for read-only tests that want speed (clear what you
change).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jupyter_qcred.sandbox.client import Sandbox


@pytest.fixture
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A fresh sandbox (TLS on, demo seed), stopped after the test."""
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("sandbox")) as sb:
        yield sb


@pytest.fixture(scope="session")
def sandbox_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the whole session (TLS on, demo seed)."""
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("sandbox-session")) as sb:
        yield sb
