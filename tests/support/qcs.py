"""Helpers shared by the QCS provider tests: JWTs, a provider on a private HOME, a subprocess environment, files that
hold other people's profiles, a profile holding tokens the sandbox issued, and the ``no_secret_in_logs`` autouse
fixture of the store tests."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import stat
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_qcred
from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import load_secrets
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox

ROOT = Path(jupyter_qcred.__file__).resolve().parents[1]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


#: Every token :func:`make_jwt` handed out, so tests can assert none of them leaked into a log or a message.
ISSUED: list[str] = []


def make_jwt(lifetime: float = 3600, issued: float | None = None, **claims: Any) -> str:
    """An unsigned-looking JWT (the QCS SDK and we never verify the signature; only ``iat``/``exp`` matter)."""
    now = int(time.time() if issued is None else issued)
    body = {"iat": now, "exp": int(now + lifetime), "sub": "tester", "jti": os.urandom(8).hex(), **claims}
    token = ".".join([b64(b'{"alg":"RS256","typ":"JWT"}'), b64(json.dumps(body).encode()), b64(os.urandom(32))])
    ISSUED.append(token)
    return token


def provider(home: Path, **environ: str) -> QcsProvider:
    """A provider whose HOME is ``home`` (and nothing else from this process's environment)."""
    return QcsProvider(Settings.from_environment({"HOME": str(home), **environ}))


def sandbox_env(home: Path, ca_file: str | None) -> dict[str, str]:
    """The environment a subprocess (our CLI code or the real SDK) needs to use ``home`` and trust the sandbox."""
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if ca_file:
        env["SSL_CERT_FILE"] = ca_file
    return env


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


PYTHON = sys.executable


#: The literal secrets the tests below write (tokens from make_jwt are tracked in ISSUED).
LITERAL_SECRETS = re.compile(r"[a-z-]*(refresh|secret|token)[a-z-]*-000\d|lab-refresh-token-0001")


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a test does, no token or secret it wrote may appear in a log record."""
    caplog.set_level(logging.DEBUG)
    ISSUED.clear()
    yield
    for record in caplog.records:
        text = record.getMessage()
        assert not LITERAL_SECRETS.search(text), f"a secret in log record {record.name}: {text[:40]}..."
        assert not any(token in text for token in ISSUED), f"a token in log record {record.name}"


def spec(profile: str = "default", **values: object) -> QcsProfileSpec:
    return QcsProfileSpec(profile=profile, **values)  # type: ignore[arg-type]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


FOREIGN_SETTINGS = """\
# Settings of Alice's lab. Keep this comment!
default_profile_name = "lab"
unknown_top_level = "kept"   # a trailing comment

[profiles.lab]
api_url = "https://api.lab.example"   # the lab's own API
credentials_name = "lab"
auth_server_name = "lab"
future_setting = { nested = [1, 2, 3] }

[profiles.lab.applications.pyquil]
qvm_url = "http://qvm.lab.example:5000"
quilc_url = "tcp://quilc.lab.example:5555"

[auth_servers.lab]
client_id = "lab-client"
issuer = "https://auth.lab.example/oauth2/lab"
"""


FOREIGN_SECRETS = """\
# Tokens written by the QCS CLI.
[credentials.lab.token_payload]
access_token = "{lab_token}"
refresh_token = "lab-refresh-token-0001"
scope = "openid offline_access"
updated_at = "2026-01-01T00:00:00.000000001Z"
comment_key = "unknown but kept"   # trailing
"""


def setup_profile(
    home: Path,
    sandbox: Sandbox,
    scanner: Any,
    *,
    lifetime: int = -100,
    profile: str = "default",
    user: str = "alice",
    timeout: float | None = None,
    refresh: str = "provider",
) -> tuple[QcsProvider, dict[str, Any]]:
    """A profile pointing at the sandbox holding freshly issued tokens (expired by default)."""
    tokens = sandbox.issue_qcs_tokens(user, access_token_lifetime=lifetime)
    scanner.add_secrets(tokens)
    environ = {"SSL_CERT_FILE": sandbox.ca_file or ""}
    qcs = provider(home, **environ) if timeout is None else _provider_with_timeout(home, timeout, environ)
    qcs.materialize(
        [
            QcsProfileSpec(
                profile=profile,
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                issuer=sandbox.qcs_issuer,
                client_id=sandbox.qcs_client_id,
                api_url=sandbox.qcs_api_url,
                default=True,
                refresh=refresh,
            )
        ],
        source="bundle",
    )
    return qcs, tokens


def _provider_with_timeout(home: Path, timeout: float, environ: dict[str, str]) -> QcsProvider:
    from jupyter_qcred.core.settings import Settings

    return QcsProvider(Settings.from_environment({"HOME": str(home), **environ}, timeout=timeout))


def stored_payload(qcs: QcsProvider, credential: str = "default") -> Any:
    """The real tokens of ``credential`` (handed off by default: they live in ``jupyter_qcred-NAME``)."""
    _doc, model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
    return handoff.view(model).credentials[credential].token_payload
