"""pytest fixtures for a real Jupyter server (pytest-jupyter) with the extension and alice's spawn bundle.

Use from a conftest::

    from support.server_fixtures import api, bundle, qcs_lifetime  # noqa: F401

A test module then only says how its server is configured (``jp_server_config``, which should depend on ``bundle``
so the bundle is in the environment before the server starts), or imports the usual one from here::

    from support.server_fixtures import jp_server_config  # noqa: F401

``qcred_started`` (autouse in tests/server through its conftest) waits for the extension's start-up of every
in-process server a test starts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

from .helpers import SecretScanner


@pytest.fixture
def qcs_lifetime(request: pytest.FixtureRequest) -> int:
    """The QCS access tokens' lifetime in seconds: ``@pytest.mark.qcs_lifetime(N)``, else the sandbox's hour."""
    marker = request.node.get_closest_marker("qcs_lifetime")
    return int(marker.args[0]) if marker else 3600


@pytest.fixture
def bundle(
    sandbox: Sandbox, secret_scanner: SecretScanner, monkeypatch: pytest.MonkeyPatch, qcs_lifetime: int
) -> dict[str, Any]:
    """alice's spawn bundle in ``QCRED_BUNDLE`` (its tokens registered with the secret scan), and the variables that
    point the SDKs at the sandbox."""
    sandbox.configure(access_token_lifetime=qcs_lifetime)
    data = demo_bundle(sandbox, access_token_lifetime=qcs_lifetime, scenarios=("legacy",))
    secret_scanner.add_bundle(data)
    monkeypatch.setenv("QCRED_BUNDLE", json.dumps(data))
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    return data


@pytest.fixture
def api(jp_fetch: Any, secret_scanner: SecretScanner) -> Any:
    """Call the qcred API, record every answer for the secret scan, and return (status, JSON or text)."""

    async def call(path: str, method: str = "GET", body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        if body is not None and not isinstance(body, str | bytes):
            body = json.dumps(body)
        response = await jp_fetch("qcred", path, method=method, body=body, raise_error=False, **kwargs)
        text = response.body.decode()
        secret_scanner.saw(f"{method} {path}", text)
        try:
            return response.code, json.loads(text) if text else None
        except ValueError:
            return response.code, text

    return call


@pytest.fixture
def jp_server_config(bundle: dict[str, Any]) -> dict[str, Any]:
    """A server with the extension enabled, started after alice's bundle is in the environment, that notices file
    changes within 0.1 s (the security tests' server)."""
    return {"ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}}, "QCredApp": {"watch_interval": 0.1}}


@pytest.fixture(autouse=True)
def qcred_started(request: pytest.FixtureRequest) -> None:
    """In-process servers (pytest-jupyter's ``jp_serverapp``) start jupyter_qcred's start-up thread at once and wait for
    it, as a kernel, a terminal or the qcred API would: a test then finds the files the spawn bundle wrote."""
    if "jp_serverapp" not in request.fixturenames:
        return
    serverapp: Any = request.getfixturevalue("jp_serverapp")
    for app in serverapp.extension_manager.extension_apps.get("jupyter_qcred", ()):
        app.begin_startup()
        app.credentials.result(timeout=120)
