"""Fixtures of the security tests: a real Jupyter server with the extension, fed the sandbox user's bundle."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import SecretScanner

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment


@pytest.fixture
def bundle(sandbox: Any, secret_scanner: SecretScanner, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The spawn bundle of the sandbox user alice, and the variables that point the SDKs at the sandbox."""
    data = demo_bundle(sandbox)
    secret_scanner.add_bundle(data)
    monkeypatch.setenv("QCRED_BUNDLE", json.dumps(data))
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    return data


@pytest.fixture
def jp_server_config(bundle: dict[str, Any]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}}, "QCredApp": {"watch_interval": 0.1}}


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


def entry(status: dict[str, Any], provider: str, name: str | None = None) -> dict[str, Any]:
    """The status entry of one credential."""
    found = [e for e in status["providers"] if e["provider"] == provider and (name is None or e["name"] == name)]
    assert found, f"no {provider} {name} in {[(e['provider'], e['name']) for e in status['providers']]}"
    return found[0]
