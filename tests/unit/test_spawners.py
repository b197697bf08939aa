"""configure(c) on every common spawner, with the real spawner classes; KubeSpawner builds real pod manifests in its
mock mode (no cluster), and the server started from such a pod's environment gets the user's credentials."""

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
from traitlets.config import Config

from jupyter_qcred import hub
from jupyter_qcred.demo.hub import LocalHub
from jupyter_qcred.demo.world import sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

kubespawner = pytest.importorskip("kubespawner")

AUTH_STATE = {
    "access_token": "eyJ.access-token-of-alice-{braces}-1234567890",
    "refresh_token": "refresh-token-of-alice-1234567890",
    "qcred": {"version": 1, "ibm": [{"token": "ibm-api-key-of-alice-1234567890", "instance": "crn:v1:x"}]},
}
QCS = {"issuer": "https://id.example/oauth2/x", "api_url": "https://api.example", "client_id": "hub", "refresh": "hub"}
SECRETS = ("access-token-of-alice", "refresh-token-of-alice", "ibm-api-key-of-alice")


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: not-a-cluster}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


@pytest.fixture(autouse=True, scope="module")
def kube_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """KubeSpawner loads a cluster configuration when created, even in mock mode (which never calls the cluster)."""
    path = tmp_path_factory.mktemp("kube") / "config"
    path.write_text(KUBECONFIG)
    from kubernetes_asyncio.config import kube_config

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))  # read once, at import: like KUBECONFIG
        yield


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


def spawner_classes() -> dict[str, type]:
    """The spawners JupyterHub ships or commonly uses, those installed here (the test extra installs them all)."""
    from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner

    classes: dict[str, type] = {"local": LocalProcessSpawner, "simple": SimpleLocalProcessSpawner}
    for key, module, name in (
        ("kube", "kubespawner", "KubeSpawner"),
        ("sudo", "sudospawner", "SudoSpawner"),
        ("docker", "dockerspawner", "DockerSpawner"),
        ("batch", "batchspawner", "SlurmSpawner"),
        ("systemd", "systemdspawner", "SystemdSpawner"),
    ):
        try:
            classes[key] = getattr(__import__(module), name)
        except ImportError:
            continue
    return classes


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("local", "environment"),
        ("simple", "environment"),
        ("sudo", "environment"),
        ("kube", "hub"),
        ("docker", "hub"),
        ("batch", "hub"),
        ("systemd", "hub"),
    ],
)
def test_default_handover_suits_each_spawner(key: str, expected: str) -> None:
    klass = spawner_classes().get(key)
    if klass is None:
        pytest.skip(f"{key} spawner not installed")
    assert hub.spawners.check("auto", klass) == expected


@pytest.mark.parametrize(
    ("spawner_class", "handover", "words"),
    [
        ("kubespawner.KubeSpawner", "environment", "pod spec"),
        ("kubespawner.KubeSpawner", "file", "does not see the hub's filesystem"),
        ("docker", "environment", "docker inspect"),
        ("systemd", "environment", "systemctl show"),
    ],
)
def test_a_handover_that_cannot_work_is_refused_when_the_hub_loads_its_config(
    spawner_class: str, handover: str, words: str
) -> None:
    if hub.spawners.resolve_spawner_class(spawner_class) is None:
        pytest.skip(f"{spawner_class} not installed")
    c = Config()
    c.JupyterHub.spawner_class = spawner_class
    with pytest.raises(ValueError, match="jupyter_qcred") as refused:
        hub.configure(c, qcs=QCS, handover=handover)
    assert words in str(refused.value) and 'handover="hub"' in str(refused.value)


def test_local_spawners_accept_every_handover(tmp_path: Path) -> None:
    for handover in ("environment", "file", "hub", "auto"):
        c = Config()
        c.JupyterHub.spawner_class = "simple"
        hub.configure(c, qcs=QCS, handover=handover, bundle_dir=tmp_path)


def kube_manifest(c: Config, auth_state: dict[str, Any], **spawner_args: Any) -> tuple[Any, dict[str, Any]]:
    """The pod manifest KubeSpawner (mock mode: no cluster) builds for alice after the hub ran the auth_state hook."""
    from jupyterhub.objects import Hub
    from kubernetes_asyncio.client import ApiClient

    class User:
        name = "alice"
        id = 7
        url = "/user/alice/"
        escaped_name = "alice"

    async def build() -> tuple[Any, dict[str, Any]]:
        spawner = kubespawner.KubeSpawner(config=c, user=User(), hub=Hub(), _mock=True, **spawner_args)
        spawner.authenticator = type("Authenticator", (), {"refresh_user": lambda self, u, h=None: True})()
        await spawner.run_auth_state_hook(auth_state)
        manifest = await spawner.get_pod_manifest()
        return spawner, ApiClient().sanitize_for_serialization(manifest)

    result: tuple[Any, dict[str, Any]] = run(build())
    return result


def test_kubespawner_with_configure_defaults_spawns_without_secrets_in_the_pod() -> None:
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.KubeSpawner.environment = {"ADMIN_VAR": "{username}-kept"}  # the admin's own templates still expand
    hub.configure(c, qcs=QCS)
    _, pod = kube_manifest(c, AUTH_STATE)
    text = json.dumps(pod)
    assert not [secret for secret in SECRETS if secret in text], "no credential in the pod manifest"
    (container,) = pod["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["QCRED_PULL_FROM_HUB"] == "1"
    assert env["QCRED_QCS_ISSUER"] == QCS["issuer"]
    assert env["ADMIN_VAR"] == "alice-kept"
    assert "QCRED_BUNDLE" not in env and "QCRED_BUNDLE_FILE" not in env


def test_environment_handover_on_kubespawner_is_refused_at_spawn_when_the_class_was_set_later() -> None:
    """configure(c) ran before c.JupyterHub.spawner_class was set: the spawn refuses with the same sentence (the
    old default crashed here with KeyError, KubeSpawner formatting the JSON bundle as a template)."""
    c = Config()
    hub.configure(c, qcs=QCS, handover="environment")  # spawner class unknown here: the check waits for the spawn
    with pytest.raises(ValueError, match="pod spec"):
        kube_manifest(c, AUTH_STATE)


# ---------------------------------------------------------------------------------------------------------------
# The whole way: a real hub holds alice's auth_state; the pod KubeSpawner builds is run here as a process.


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
