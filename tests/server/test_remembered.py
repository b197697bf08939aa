"""A real Jupyter server restarted: the QCS card keeps its User row and groups without a Refresh (issue 23).

The user and groups come from the QCS API after a refresh; after a restart the first status is built from the files.
They are kept on disk with what the credential's checks learnt (core/remembered.py, no token), so the restarted
server shows them even when the QCS API cannot be asked at that moment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.browser import LabServer
from support.helpers import wait_until

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def qcs_account(server: LabServer) -> dict[str, Any]:
    return dict(server.entry("qcs", "default")["account"])


def test_user_and_groups_survive_a_restart(tmp_path: Path, sandbox: Sandbox, secret_scanner: Any) -> None:
    bundle = demo_bundle(sandbox, clouds=("qcs",))
    secret_scanner.add_bundle(bundle)
    env = {**os.environ, **sandbox_environment(sandbox), "QCRED_BUNDLE": json.dumps(bundle)}
    server = LabServer(tmp_path, env, labextension=None)
    server.start()
    try:
        answer = httpx.post(server.url + "qcred/refresh", headers=server.headers(), json={}, timeout=60)
        assert answer.status_code == 200, answer.text
        wait_until(lambda: qcs_account(server).get("user") is not None, timeout=30, what="the QCS user after Refresh")
        before = qcs_account(server)
        assert before["groups"], "alice's groups"
    finally:
        server.stop()

    # The QCS API cannot be asked after the restart: what the card shows comes from what was kept.
    sandbox.fault("qcs_user", status=503)
    sandbox.fault("qcs_groups", status=503)
    server.start()
    try:
        after = qcs_account(server)
        assert after["user"] == before["user"]
        assert after["groups"] == before["groups"]
        assert "alice@example.org" in after["summary"]
        secret_scanner.saw("status after the restart", json.dumps(server.status()))
    finally:
        server.stop()
    kept = (tmp_path / "home" / ".local" / "state" / "jupyter_qcred" / "remembered.json").read_text()
    secret_scanner.saw("remembered.json", kept)
    assert "alice@example.org" in kept
