"""Which hand-over suits which spawner, and which combinations are refused before any user spawns.

Why per spawner: where a spawner puts ``Spawner.environment`` decides who can read it.

- Local process spawners (``LocalProcessSpawner``, ``SimpleLocalProcessSpawner``, sudospawner's ``SudoSpawner``)
  start a process on the hub's machine; its environment (``/proc/PID/environ``) is readable by that user and root
  only, and a file under ``bundle_dir`` is on the same filesystem. The environment is the fastest hand-over there:
  the credentials are in place before the server answers its first request.
- KubeSpawner writes the environment into the pod spec (readable by anyone who may ``get pods``, kept in etcd and
  audit logs) and runs ``str.format`` over every value of ``Spawner.environment``, which breaks on a JSON bundle.
  DockerSpawner's container environment shows in ``docker inspect``; BatchSpawner's job environment is kept by the
  batch system; SystemdSpawner's ``--setenv`` is shown by ``systemctl show`` to every local user. For all of them
  (and any spawner we do not know) the server pulls from the Hub API instead, and nothing secret is handed over.
- A file under ``bundle_dir`` is on the hub's filesystem, which a pod or container does not see.
"""

from __future__ import annotations

from typing import Any

AUTO = "auto"
HANDOVERS = (AUTO, "environment", "file", "hub")

#: Spawners that start a local process of the user on the hub's machine (class names along the MRO).
LOCAL_PROCESS = ("LocalProcessSpawner",)
#: Spawners whose environment ends up somewhere other people (or other containers) can read it.
EXPOSED_ENVIRONMENT = {
    "KubeSpawner": "the pod spec, which anyone allowed to 'get pods' in the namespace can read",
    "DockerSpawner": "the container's configuration ('docker inspect')",
    "SwarmSpawner": "the service's configuration ('docker service inspect')",
    "BatchSpawnerBase": "the batch system's job record",
    "SystemdSpawner": "the unit's properties ('systemctl show', readable by every local user)",
}
#: Spawners whose servers cannot see a file the hub writes on its own filesystem.
NO_SHARED_FILES = {
    "KubeSpawner": "a pod does not see the hub's filesystem",
    "DockerSpawner": "a container does not see the hub's filesystem unless you mount it",
    "SwarmSpawner": "a container does not see the hub's filesystem unless you mount it",
}


def _lineage(spawner_class: type) -> list[str]:
    return [klass.__name__ for klass in spawner_class.__mro__]


def resolve_spawner_class(value: Any) -> type | None:
    """The class ``c.JupyterHub.spawner_class`` names (a class, an entry-point name or a dotted path); None when it
    is not set or cannot be imported here (then the check waits for the first spawn)."""
    if value is None:
        return None
    if isinstance(value, type):
        return value
    name = str(value)
    try:
        from importlib.metadata import entry_points

        for entry in entry_points(group="jupyterhub.spawners"):
            if entry.name == name:
                loaded: type = entry.load()
                return loaded
        if "." in name:
            from importlib import import_module

            module, _, attribute = name.rpartition(".")
            found: type = getattr(import_module(module), attribute)
            return found
    except Exception:  # an admin's spawner we cannot import here: decided at spawn
        return None
    return None


def handover_for(spawner_class: type) -> str:
    """The default hand-over for this spawner: the environment for local processes, the Hub API for all others."""
    lineage = _lineage(spawner_class)
    if any(name in lineage for name in LOCAL_PROCESS):
        return "environment"
    return "hub"


def refusal(handover: str, spawner_class: type) -> str | None:
    """Why ``handover`` cannot work (or would expose secrets) with this spawner, as a sentence; None when it is fine."""
    lineage = _lineage(spawner_class)
    spawner = spawner_class.__name__
    fix = (
        'Call jupyter_qcred.hub.configure(c) without handover= (or with handover="hub"): the server then pulls the '
        "credentials from the Hub API."
    )
    if handover == "environment":
        for name, where in EXPOSED_ENVIRONMENT.items():
            if name in lineage:
                return (
                    f'jupyter_qcred: handover="environment" would put users\' credentials into {where} with '
                    f"{spawner}. {fix}"
                )
    if handover == "file":
        for name, why in NO_SHARED_FILES.items():
            if name in lineage:
                return f'jupyter_qcred: handover="file" cannot work with {spawner}: {why}. {fix}'
    return None


def check(handover: str, spawner_class: type) -> str:
    """The hand-over to use with this spawner; raises ValueError with a sentence when the combination is refused."""
    if handover == AUTO:
        return handover_for(spawner_class)
    reason = refusal(handover, spawner_class)
    if reason is not None:
        raise ValueError(reason)
    return handover
