"""Shared pieces of the reliability suite: compressed time, homes wired to the sandbox, file readers, the report.

Kept apart from the test modules so each test file stays about one property; ``report`` lives in
:mod:`support.report` (its lines are printed after the run).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import jupyter_qcred
from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.core.policy import Backoff, RefreshPolicy
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import jwt_times, load_secrets, load_settings
from jupyter_qcred.sandbox.client import Sandbox

from .helpers import qcs_spec, stored_qcs_payload  # noqa: F401 - qcs_spec: the reliability tests import it from here
from .report import REPORT, report  # noqa: F401 - the reliability tests import them from here

ROOT = Path(jupyter_qcred.__file__).resolve().parents[1]
PYTHON = sys.executable


@dataclasses.dataclass(frozen=True)
class TimeScale:
    """Real time compressed so that one hour of provider time lasts ``token_seconds`` seconds.

    Tokens, refresh margins and backoff are all scaled by the same factor, so a simulated day keeps the real
    proportions (a 1 h token refreshed 12 min before expiry, retries starting at 2 s and capped at 5 min).
    """

    token_seconds: int
    fraction: float | None = None

    @property
    def factor(self) -> float:
        """How many real seconds one test second stands for."""
        return 3600 / self.token_seconds

    def seconds(self, real: float) -> float:
        """Test seconds that stand for ``real`` seconds of a real day."""
        return real / self.factor

    def policy(self, fraction: float | None = None) -> RefreshPolicy:
        """The server's default policy (20 % of the lifetime, at the latest 5 min before expiry), scaled.

        ``fraction`` replaces the 20 % where the test's own latency needs it: one request on this loopback costs
        some 50 ms whatever the scale, which at a factor of 1800 would stand for a minute and a half.
        """
        defaults = RefreshPolicy()
        return RefreshPolicy(
            fraction=defaults.fraction if fraction is None else fraction,
            latest=self.seconds(defaults.latest),
            jitter=defaults.jitter,
        )

    @property
    def margin(self) -> float:
        """How long before expiry a token is due, in test seconds."""
        return self.policy(self.fraction).margin(timedelta(seconds=self.token_seconds)).total_seconds()


def scale_backoff(monkeypatch: pytest.MonkeyPatch, scale: TimeScale) -> None:
    """Scale the manager's retry backoff (2 s doubling up to 5 min) like everything else.

    The manager builds ``Backoff()`` with its defaults and offers no parameter for them (reported to the lead), so
    the defaults of the dataclass constructor are patched for this test only.
    """
    defaults = Backoff()
    monkeypatch.setattr(
        Backoff.__init__,
        "__defaults__",
        (scale.seconds(defaults.initial), defaults.factor, scale.seconds(defaults.maximum), 0),
    )


def sandbox_environ(home: Path, sandbox: Sandbox) -> dict[str, str]:
    """The environment of a process whose credentials live in ``home`` and whose providers are the sandbox."""
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "IAM_URL": sandbox.iam_url,
    }
    if sandbox.ca_file:
        env["SSL_CERT_FILE"] = sandbox.ca_file
    return env


def settings_for(home: Path, sandbox: Sandbox, **overrides: Any) -> Settings:
    """Core settings of a server whose HOME is ``home``, talking to the sandbox."""
    return Settings.from_environment(sandbox_environ(home, sandbox), **overrides)


def ibm_spec(sandbox: Sandbox, user: str = "alice") -> IbmAccountSpec:
    """The sandbox user's IBM Quantum Platform account (API key + CRN)."""
    ibm = sandbox.ibm_credentials(user)
    return IbmAccountSpec(
        name="default-ibm-quantum-platform",
        channel="ibm_quantum_platform",
        token=ibm["apikey"],
        instance=ibm["instance"],
        url=sandbox.runtime_url,
        default=True,
    )


@dataclasses.dataclass(frozen=True)
class StoredTokens:
    """What a kernel's SDK would take from ``secrets.toml`` right now."""

    access_token: str = dataclasses.field(repr=False)
    refresh_token: str | None = dataclasses.field(repr=False)
    expires_at: float | None


def read_qcs_tokens(settings_path: Path, secrets_path: Path, credential: str = "default") -> StoredTokens:
    """Read both QCS files like a kernel would, with our model and with an independent TOML parser.

    Raises AssertionError (with no secret in it) when a file is empty, does not parse, or the two parsers disagree.
    """
    settings_text = settings_path.read_text("utf-8")
    secrets_text = secrets_path.read_text("utf-8")
    assert settings_text and secrets_text, "a QCS file is empty"
    load_settings(settings_path, settings_text)
    _document, model = load_secrets(secrets_path, secrets_text)
    plain = stored_qcs_payload(secrets_text, credential)
    found = handoff.view(model).credentials[credential].token_payload
    assert found is not None, "the credential lost its token payload"
    assert found.access_token == plain["access_token"] and found.refresh_token == plain.get("refresh_token")
    assert found.access_token, "the credential lost its access token"
    expires = jwt_times(found.access_token).expires_at
    return StoredTokens(found.access_token, found.refresh_token, expires.timestamp() if expires else None)


class StallMeter(threading.Thread):
    """Notices when this whole process could not run (a busy shared machine), so timing checks can tell the host's
    stalls from the code's.

    A thread sleeps 10 ms at a time and records every wake-up that came much later. Blocking I/O on the event loop
    (an fsync, a lock) does not stall this thread, so the code under test is never excused for it; only the
    process losing the CPU (or the GIL to one long computation) is.
    """

    def __init__(self, tick: float = 0.01, late: float = 0.05) -> None:
        super().__init__(name="stall-meter", daemon=True)
        self.tick, self.late = tick, late
        self.stalls: list[tuple[float, float]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while True:
            before = time.time()
            if self.halt.wait(self.tick):
                return
            after = time.time()
            if after - before > self.tick + self.late:
                self.stalls.append((before + self.tick, after))

    def stalled(self, start: float, end: float) -> float:
        """Seconds of stall inside [start, end]."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.stalls)

    @property
    def total(self) -> float:
        """All stalled seconds so far."""
        return sum(b - a for a, b in self.stalls)
