"""Helpers shared by the QCS provider tests: JWTs, a provider on a private HOME, a subprocess environment."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

import jupyter_qcred
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.qcs.provider import QcsProvider

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
