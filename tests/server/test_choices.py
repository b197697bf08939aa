"""A real Jupyter server keeps what the person chose through restarts and Re-initialize (issue 23).

alice's spawn bundle hands over two IBM accounts (``default-ibm-quantum-platform``, the default, and ``legacy``); she
adds ``mine``, makes it the default and removes ``legacy`` through the REST API (what the panel sends). Then the
server restarts (its start-up writes the spawn bundle again), the REST Re-initialize runs, and the widget's
Re-initialize runs (the notebook backend's session against the same server): after each, the files say ``legacy``
is still gone and ``mine`` is still the default.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.browser import LabServer

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.notebook.backend import Session
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def accounts(home: Path) -> dict[str, Any]:
    return dict(json.loads((home / ".qiskit" / "qiskit-ibm.json").read_text()))


def defaults(home: Path) -> list[str]:
    return [name for name, account in accounts(home).items() if account.get("is_default_account")]


def as_chosen(home: Path) -> None:
    names = set(accounts(home))
    assert "legacy" not in names, "legacy stays removed"
    assert {"mine", "default-ibm-quantum-platform"} <= names
    assert defaults(home) == ["mine"], "mine stays the default"


def test_restart_and_reinitialize_keep_what_the_person_chose(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    raw = demo_bundle(sandbox, clouds=("ibm",))
    platform = raw["ibm"][0]
    raw["ibm"].append({**platform, "name": "legacy", "default": False})
    secret_scanner.add_bundle(raw)
    env = {**os.environ, **sandbox_environment(sandbox), "QCRED_BUNDLE": json.dumps(raw)}
    server = LabServer(tmp_path, env, labextension=None)
    home = server.home

    def call(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.request(method, server.url + "qcred/" + path, headers=server.headers(), json=body, timeout=90)
        secret_scanner.saw(f"{method} {path}", answer.text)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    server.start()
    try:
        assert set(accounts(home)) == {"default-ibm-quantum-platform", "legacy"}
        mine = {key: platform[key] for key in ("token", "channel", "instance", "url")}
        added = call("POST", "reinitialize", {"source": "token", "provider": "ibm", "name": "mine", **mine})
        assert added["result"]["outcome"] == "ok", added["result"]["message"]
        call("PUT", "default", {"provider": "ibm", "name": "mine"})
        call("POST", "remove", {"provider": "ibm", "name": "legacy"})
        as_chosen(home)
    finally:
        server.stop()

    server.start()  # the start-up writes the spawn bundle again
    try:
        as_chosen(home)
        answer = call("POST", "reinitialize", {"source": "auto"})  # the panel's, outside a hub
        as_chosen(home)
        message = answer["result"]["message"]
        assert message.endswith("IBM Quantum: 'legacy' stays removed; 'mine' stays the default."), message

        # The widget's Re-initialize: the same operation, through the same server.
        session = Session({"QCRED_SERVER_URL": server.url, "JUPYTERHUB_API_TOKEN": server.token, "HOME": str(home)})
        result = session.reinitialize()
        assert session.mode == "server"
        as_chosen(home)
        assert "stays removed" in result["result"]["message"]
    finally:
        server.stop()
