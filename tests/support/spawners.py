"""KubeSpawner without a cluster: its mock mode builds real pod manifests once a cluster configuration exists.

Import into a test module (``kube_config`` is autouse: every test of the module sees the configuration)::

    from support.spawners import kube_config, kube_manifest  # noqa: F401
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from traitlets.config import Config

kubespawner = pytest.importorskip("kubespawner")


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
