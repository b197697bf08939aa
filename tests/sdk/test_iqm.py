"""The real iqm-client (36) in a real kernel, given only what the Jupyter server exports for it, authenticates to the
stand-in of IQM Resonance with the token jupyter_qcred wrote; a login renewed in the tokens file reaches a kernel that
is already running; a refused token gives our sentence in the status; ``doctor``'s probe asks iqm-client's own
TokenManager (the rest of the provider is in tests/sandbox/test_iqm.py)."""

from __future__ import annotations

import asyncio
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel
from support.helpers import wait_until

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.doctor import Context, run_probe
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.iqm.doctor import probe
from jupyter_qcred.sandbox.client import Sandbox
from jupyter_qcred.server.exports import ChildEnvironment

#: iqm-client runs from a folder of its own (tests/support/sdkfolder.py: it cannot share this environment).
pytestmark = [pytest.mark.timeout(600), pytest.mark.slow, pytest.mark.usefixtures("iqm_on_path")]

HEALTH = textwrap.dedent(
    """
    from iqm.iqm_client import IQMClient
    try:
        client
    except NameError:
        client = IQMClient.from_url()  # IQM_SERVER_URL and IQM_TOKEN / IQM_TOKENS_FILE from the environment
    try:
        print("health", client.get_health()["status"], client._executor.client.quantum_computer)
    except Exception as exc:
        print("refused", type(exc).__name__)
    """
)


def clean_environ(home: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("IQM_", "QCRED_IQM_"))}
    return {**keep, "HOME": str(home)}


def manager(home: Path) -> CredentialManager:
    return CredentialManager(create_providers(Settings.from_environment(clean_environ(home)), ("iqm",)))


def exported(m: CredentialManager, home: Path) -> dict[str, str]:
    """The kernel's environment as the Jupyter server makes it (server/exports.py, the real thing)."""
    original = clean_environ(home)
    target = dict(original)
    ChildEnvironment([m.providers["iqm"]], original, target).apply()
    return target


def run(kc: Any, code: str) -> str:
    outputs: list[str] = []
    kc.execute_interactive(
        code, timeout=120, output_hook=lambda msg: outputs.append(str(msg["content"].get("text", "")))
    )
    return "".join(outputs)


def test_iqm_client_in_a_kernel_uses_the_api_token_we_wrote_and_a_refusal_is_our_sentence(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    token = str(sandbox.admin("POST", "iqm/tokens", {"user": "bob"})["token"])
    m = manager(home)
    entry = {"token": token, "url": sandbox.info["iqm_url"], "quantum_computer": "emerald"}
    m.materialize(parse_bundle({"version": 1, "iqm": [entry]}), source="bundle")
    env = exported(m, home)
    assert env["IQM_TOKEN"] == token and "IQM_TOKENS_FILE" not in env  # iqm-client refuses both at once
    km, kc = start_new_kernel(cwd=str(home), env=env)
    try:
        assert "health healthy emerald" in run(kc, HEALTH)
        assert sandbox.log("iqm_health")[-1]["user"] == "bob"
        answer = run_probe(probe(m.providers["iqm"]), home, env)
        assert isinstance(answer, dict) and answer["source"] == "IQM_TOKEN" and answer["hint"] == f"…{token[-4:]}"
        entries = [s.to_json() for s in m.statuses()]
        (finding,) = probe(m.providers["iqm"]).compare(answer, Context(entries, home, env, home))
        assert finding.state == "ok" and "the token the panel shows" in finding.message
        sandbox.admin("POST", "iqm/revoke", {"user": "bob"})
        assert "refused AuthenticationError" in run(kc, HEALTH)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    asyncio.run(m.refresh("iqm"))
    (status,) = [s.to_json() for s in m.statuses()]
    assert status["state"] == "needs_reinit"
    assert (
        status["error"].startswith("IQM Resonance: IQM at 127.0.0.1")
        and "does not accept this token" in status["error"]
    )
    assert token not in str(status) + str(finding)


def test_a_login_renewed_in_the_tokens_file_reaches_a_running_kernel(tmp_path: Path, sandbox: Sandbox) -> None:
    """iqm-client reads IQM_TOKENS_FILE again whenever its token has 60 s or less left: a kernel started before the
    renewal sends the renewed token, with nothing restarted."""
    home = tmp_path / "home"
    home.mkdir()
    url = sandbox.info["iqm_url"]

    def login(access_ttl: int) -> dict[str, Any]:
        answer = dict(sandbox.admin("POST", "iqm/logins", {"user": "alice", "access_ttl": access_ttl}))
        answer.pop("user")
        return {**answer, "url": url}

    m = manager(home)
    m.materialize(parse_bundle({"version": 1, "iqm": [login(3600)]}), source="bundle")
    env = exported(m, home)
    path = str(home / ".iqm" / "tokens.json")
    assert env["IQM_TOKENS_FILE"] == path and "IQM_TOKEN" not in env and env["IQM_SERVER_URL"] == url
    km, kc = start_new_kernel(cwd=str(home), env=env)
    try:
        short = login(20)  # inside iqm-client's 60 s margin: it reads the file before every request
        m.materialize(parse_bundle({"version": 1, "iqm": [short]}), source="bundle")
        assert "health healthy garnet" in run(kc, HEALTH)
        not_before = sandbox.admin("POST", "iqm/not-before", {"user": "alice"})["not_before"]
        assert "refused AuthenticationError" in run(kc, HEALTH)  # the kernel's token is no longer accepted
        wait_until(lambda: time.time() >= not_before, timeout=3, what="the next second")
        provider = m.providers["iqm"]
        sandbox.admin("POST", "iqm/settings", {"access_ttl": 3600})
        renewed = provider.token_sync(force=True)
        assert renewed != short["access_token"]
        assert "health healthy garnet" in run(kc, HEALTH)  # the same client, now sending the renewed token
        assert sandbox.log("iqm_health")[-1]["status"] == 200
        answer = run_probe(probe(provider), home, env)
        assert isinstance(answer, dict) and answer["source"] == "IQM_TOKENS_FILE" and answer["file"] == path
        assert answer["hint"] == f"…{renewed[-4:]}"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
