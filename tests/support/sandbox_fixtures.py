"""pytest fixtures: a real sandbox process per test (``sandbox``) or per session (``sandbox_session``).

Use from a conftest::

    from support.sandbox_fixtures import sandbox, sandbox_session, sandbox_spares  # noqa: F401

Both run with TLS (the QCS client needs https) and the demo seed.  The per-test one is fresh, so faults, config
and the log never leak between tests; the session one is for read-only tests that want speed (clear what you
change).

A fresh sandbox takes about half a second to start and a sixth to stop, and some two hundred tests of the fast loop
ask for one. So the next test's sandbox is started while the current test runs, and a used one is stopped in the
background (:class:`Spares`): each test still gets a process nobody used before, started with the environment the
session began with, and a test never waits for another's teardown. These sandboxes start moto (Amazon Braket's STS)
at the first STS request rather than at once: a second of CPU that most tests would pay for nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from jupyter_qcred.sandbox.client import Sandbox

#: The environment the session began with: a sandbox started ahead of its test must not inherit the variables the
#: running test set (its monkeypatch undoes them only after the test).
_SESSION_ENVIRON = dict(os.environ)


class Spares:
    """Fresh sandboxes started one test ahead, and used ones stopped in the background."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sandbox-spares")
        self._next: Future[Sandbox] | None = None
        self._stopping: list[Future[None]] = []

    def take(self) -> Sandbox:
        """A sandbox no test has used (waiting for it if it is still starting); the next one starts now."""
        ready, self._next = self._next or self._start(), self._start()
        return ready.result()

    def give_back(self, sandbox: Sandbox) -> None:
        """Stop a used sandbox without making the next test wait for it."""
        self._stopping = [f for f in self._stopping if not f.done()]
        self._stopping.append(self._workers.submit(sandbox.stop))

    def close(self) -> None:
        """Stop the spare nobody took and wait for every stop (no process outlives the session)."""
        spare, self._next = self._next, None
        if spare is not None:
            self._stopping.append(self._workers.submit(_stop_when_started, spare))
        self._workers.shutdown(wait=True)

    def _start(self) -> Future[Sandbox]:
        sandbox = Sandbox(
            tls=True,
            state_dir=self._factory.mktemp("sandbox"),
            env=dict(_SESSION_ENVIRON),
            extra_args=["--sts-on-demand"],  # most tests never ask STS: moto's start is a second of CPU
        )
        return self._workers.submit(sandbox.start)


def _stop_when_started(started: Future[Sandbox]) -> None:
    try:
        sandbox = started.result()
    except Exception:  # it never started: nothing to stop
        return
    sandbox.stop()


@pytest.fixture(scope="session")
def sandbox_spares(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Spares]:
    """The session's supply of fresh sandboxes (see :class:`Spares`)."""
    spares = Spares(tmp_path_factory)
    yield spares
    spares.close()


@pytest.fixture
def sandbox(sandbox_spares: Spares) -> Iterator[Sandbox]:
    """A fresh sandbox (TLS on, demo seed) for this test alone, stopped after it."""
    sb = sandbox_spares.take()
    try:
        yield sb
    finally:
        sandbox_spares.give_back(sb)


@pytest.fixture(scope="session")
def sandbox_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the whole session (TLS on, demo seed)."""
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("sandbox-session")) as sb:
        yield sb
