"""The server lays out the QCS profiles it finds on disk for ``c.QCredApp.qcs_handoff`` when it starts."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support.helpers import SecretScanner, qcs_spec

from jupyter_qcred.core.settings import Settings
from jupyter_qcred.demo.world import sandbox_environment
from jupyter_qcred.providers.qcs.provider import QcsProvider
from jupyter_qcred.sandbox.client import Sandbox


@pytest.fixture
def handoff_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def written_before_start(
    handoff_mode: str, jp_home_dir: Path, sandbox: Sandbox, secret_scanner: SecretScanner, monkeypatch: Any
) -> dict[str, Any]:
    """alice's credentials on disk in the *other* layout than the server is configured for."""
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    tokens = sandbox.issue_qcs_tokens("alice", access_token_lifetime=3600)
    secret_scanner.add_secrets(tokens)
    other = "files" if handoff_mode == "command" else "command"
    qcs = QcsProvider(Settings.from_environment({"HOME": str(jp_home_dir), "QCRED_QCS_HANDOFF": other}))
    qcs.materialize([qcs_spec(sandbox, tokens)], source="someone else")
    return tokens


@pytest.fixture
def jp_server_config(written_before_start: dict[str, Any], handoff_mode: str) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}},
        "QCredApp": {"watch_interval": 0.1, "qcs_handoff": handoff_mode},
    }


@pytest.mark.parametrize("handoff_mode", ["command", "files"], indirect=True)
async def test_server_start_lays_out_what_it_finds(
    handoff_mode: str, written_before_start: dict[str, Any], jp_fetch: Any, jp_home_dir: Path
) -> None:
    response = await jp_fetch("qcred", "status")
    (entry,) = [e for e in json.loads(response.body)["providers"] if e["provider"] == "qcs"]
    credentials = tomllib.loads((jp_home_dir / ".qcs" / "secrets.toml").read_text())["credentials"]
    if handoff_mode == "command":
        assert credentials["default"]["externally_managed"]["args"][-3:] == ["token", "qcs", "--profile=default"]
        stored = credentials["jupyter_qcred-default"]["token_payload"]
        assert (entry["account"]["handoff"], entry["account"]["stored_as"]) == ("command", "jupyter_qcred-default")
    else:
        assert set(credentials) == {"default"} and "externally_managed" not in credentials["default"]
        stored = credentials["default"]["token_payload"]
        assert (entry["account"]["handoff"], entry["account"]["stored_as"]) == ("files", None)
    assert stored["refresh_token"] == written_before_start["refresh_token"]
    assert entry["token_hint"] == "…" + written_before_start["access_token"][-4:]
