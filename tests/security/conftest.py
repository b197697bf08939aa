"""Fixtures of the security tests: a real Jupyter server with the extension, fed the sandbox user's bundle."""

from __future__ import annotations

from typing import Any

import pytest
from support.attacker import attacker  # noqa: F401 - the fixture: a loopback host standing for the attacker's


@pytest.fixture
def jp_server_config(bundle: dict[str, Any]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}}, "QCredApp": {"watch_interval": 0.1}}


def entry(status: dict[str, Any], provider: str, name: str | None = None) -> dict[str, Any]:
    """The status entry of one credential."""
    found = [e for e in status["providers"] if e["provider"] == provider and (name is None or e["name"] == name)]
    assert found, f"no {provider} {name} in {[(e['provider'], e['name']) for e in status['providers']]}"
    return found[0]
