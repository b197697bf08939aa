"""configure(c) with KubeSpawner on a real JupyterHub: the server started from the pod KubeSpawner builds (mock mode, no
cluster) gets the user's credentials from the hub, and a hub whose handover cannot work refuses to start. The
spawner classes without a hub are in tests/unit/test_spawners.py."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.helpers import stored_qcs_payload, wait_until
from support.kernels import JupyterServer
from support.spawners import kube_config, kube_manifest  # noqa: F401 - kube_config: autouse
from traitlets.config import Config

from jupyter_qcred import hub
from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.demo.world import sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, LocalHub]]:
    secret = secrets.token_urlsafe(24)
    root = tmp_path_factory.mktemp("kubehub")
    with (
        Sandbox(tls=True, state_dir=root / "sandbox", jupyterhub_client_secret=secret) as sandbox,
        LocalHub(sandbox, root / "hub", client_secret=secret) as local_hub,
    ):
        local_hub.login("alice")
        yield sandbox, local_hub


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """No coroutine tests here; keep pytest-jupyter's loop out of the way."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def server_token(local_hub: LocalHub, user: str) -> str:
    """A token for ``user`` with exactly the scopes configure(c) gives a server's token."""
    scopes = ["users:activity!user", "access:servers!user", *hub.SERVER_SCOPES]
    scopes = [scope.replace("!server", "!user") for scope in scopes]
    return str(local_hub.api("POST", f"/users/{user}/tokens", {"scopes": scopes, "note": "pod"})["token"])


def test_pod_from_kubespawner_starts_with_the_users_credentials(
    hub_env: tuple[Sandbox, LocalHub], tmp_path: Path
) -> None:
    sandbox, local_hub = hub_env
    auth_state = local_hub.api("GET", "/users/alice")["auth_state"]
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    hub.configure(c, qcs={"issuer": sandbox.qcs_issuer, "api_url": sandbox.qcs_api_url, "client_id": "jupyterhub"})
    token = server_token(local_hub, "alice")
    spawner, pod = kube_manifest(c, auth_state, api_token=token)
    secrets_of_alice = [auth_state["access_token"], auth_state["refresh_token"]]
    secrets_of_alice += [entry["token"] for entry in auth_state["qcred"]["ibm"]]
    text = json.dumps(pod)
    assert not [s[-4:] for s in secrets_of_alice if s in text], "no credential of alice's in her pod's manifest"

    (container,) = pod["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"] if "value" in item}
    env["JUPYTERHUB_API_URL"] = local_hub.hub_api_url  # the hub's service address, as the pod would reach it
    home = tmp_path / "home"
    home.mkdir()
    # The user image's process environment: the pod's variables, a home, this Python's tools and the sandbox's CA
    # (an image trusts the real clouds' CAs).
    env.update(sandbox_environment(sandbox), HOME=str(home), PATH=os.environ["PATH"])
    server = JupyterServer(env, home, log_path=tmp_path / "pod.log").start()
    try:
        secrets_toml = home / ".qcs" / "secrets.toml"
        wait_until(secrets_toml.exists, timeout=60, what="the server's pull from the hub")
        stored = stored_qcs_payload(secrets_toml.read_text())
        now = local_hub.api("GET", "/users/alice")["auth_state"]
        assert stored["refresh_token"] == now["refresh_token"]
        ibm = json.loads((home / ".qiskit" / "qiskit-ibm.json").read_text())
        assert [entry["token"] for entry in ibm.values()] == [e["token"] for e in now["qcred"]["ibm"]]
        assert (secrets_toml.stat().st_mode & 0o777) == 0o600
        status = server.api("GET", "qcred/status")
        assert status["hub"]["available"] is True and status["hub"]["user"] == "alice"

        def usable() -> set[str]:
            return {e["provider"] for e in server.api("GET", "qcred/status")["providers"] if e["state"] == "ok"}

        # The checks that follow the pull finish in their own time (IBM's goes through IAM).
        wait_until(lambda: usable() >= {"ibm", "qcs"}, timeout=30, what="alice's IBM and QCS credentials checked")
        assert not [s[-4:] for s in secrets_of_alice if s in server.log_tail()], "no secret in the server's log"
    finally:
        server.stop()
    assert spawner.user.name == "alice"


def test_a_real_jupyterhub_refuses_to_start_with_a_handover_that_cannot_work(tmp_path: Path) -> None:
    """The sentence reaches the admin where they look: the hub does not start, and its output says why."""
    import subprocess
    import sys

    config = tmp_path / "jupyterhub_config.py"
    config.write_text(
        "c.JupyterHub.spawner_class = 'kubespawner.KubeSpawner'\n"
        f"c.JupyterHub.db_url = 'sqlite:///{tmp_path}/jupyterhub.sqlite'\n"
        "import jupyter_qcred.hub\n"
        "jupyter_qcred.hub.configure(c, handover='environment')\n"
    )
    env = {**os.environ, "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32)}
    result = subprocess.run(
        [sys.executable, "-m", "jupyterhub", "-f", str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert 'handover="environment" would put users\' credentials into the pod spec' in output, output[-2000:]
