"""configure(c) on every common spawner, with the real spawner classes; KubeSpawner builds real pod manifests in its
mock mode (no cluster). The server started from such a pod's environment is in tests/hub/test_spawners.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.spawners import kube_config, kube_manifest, run  # noqa: F401 - kube_config: autouse
from traitlets.config import Config

from jupyter_qcred import hub

AUTH_STATE = {
    "access_token": "eyJ.access-token-of-alice-{braces}-1234567890",
    "refresh_token": "refresh-token-of-alice-1234567890",
    "qcred": {"version": 1, "ibm": [{"token": "ibm-api-key-of-alice-1234567890", "instance": "crn:v1:x"}]},
}
QCS = {"issuer": "https://id.example/oauth2/x", "api_url": "https://api.example", "client_id": "hub", "refresh": "hub"}
SECRETS = ("access-token-of-alice", "refresh-token-of-alice", "ibm-api-key-of-alice")


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """No coroutine tests here; keep pytest-jupyter's loop out of the way."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


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
