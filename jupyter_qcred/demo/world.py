"""The demo's world: the sandbox user alice and her spawn bundle, the variables that point the SDKs at the sandbox,
the demo's own folder and HOME, and what a running demo publishes so another shell can use the same credentials
(:func:`demo_env_lines`, ``jupyter qcred demo --env``). Shared by the lab demo, the hub demo, the tests and bench.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import sysconfig
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..core.errors import QCredError
from ..sandbox.client import Sandbox

#: What a running demo publishes in its folder for ``jupyter qcred demo --env`` (no secret in it).
RECORD = "demo.json"
#: The same as shell lines, for ``source``.
ENV_SCRIPT = "env.sh"
#: Variables that would make jupyter_qcred or the SDKs look somewhere else than the demo's files and services
#: (REFERENCE.md): a user's shell, or a terminal in a hub's server, may well have them set.
FOREIGN_VARIABLES = (
    "QCS_SETTINGS_FILE_PATH",
    "QCS_SECRETS_FILE_PATH",
    "QCS_PROFILE_NAME",
    "QCS_SECRETS_READ_ONLY",
    "QCS_SETTINGS_APPLICATIONS_API_URL",
    "QCS_SETTINGS_APPLICATIONS_GRPC_URL",
    "QISKIT_IBM_TOKEN",
    "QISKIT_IBM_URL",
    "QISKIT_IBM_INSTANCE",
    "QISKIT_IBM_CHANNEL",
    "QE_TOKEN",
    "QE_URL",
    "QCRED_BUNDLE_FILE",
    "QCRED_PULL_FROM_HUB",
    "JUPYTERHUB_API_URL",
    "JUPYTERHUB_API_TOKEN",
    "JUPYTERHUB_USER",
    "QISKIT_IONQ_API_TOKEN",
    "IONQ_API_KEY",
    "IONQ_API_TOKEN",
    "QISKIT_IONQ_API_URL",
    "IONQ_API_URL",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
    "NEXUS_DOMAIN",
    "NEXUS_HOST",
    "NEXUS_PROTOCOL",
    "NEXUS_PORT",
    "NEXUS_CONFIG_FILE",
    "NEXUS_TOKEN_PATH",
    "NEXUS_MANAGED_TOKENS",
)


def foreign_variables() -> tuple[str, ...]:
    """:data:`FOREIGN_VARIABLES` and those of the clouds whose stand-in lives beside their provider."""
    from ..sandbox.plugins import stand_ins

    return FOREIGN_VARIABLES + tuple(name for stand_in in stand_ins() for name in stand_in.foreign_variables)


def own_environ() -> dict[str, str]:
    """This process's environment without :func:`foreign_variables`: the demo must never read or write real files."""
    foreign = set(foreign_variables())
    return {name: value for name, value in os.environ.items() if name not in foreign}


def demo_root() -> Path:
    """Where the demo keeps its home folder and the sandbox's state."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_qcred" / "demo"


#: The clouds the sandbox itself fakes, as bundle sections; the stand-ins beside their providers add theirs.
ALL_CLOUDS = ("ibm", "qcs", "ionq", "braket", "nexus")


def demo_bundle(
    sandbox: Sandbox,
    user: str = "alice",
    access_token_lifetime: int | None = None,
    clouds: tuple[str, ...] | None = None,
    scenarios: tuple[str, ...] | list[str] = (),
) -> dict[str, Any]:
    """A spawn bundle (schema v1) with ``user``'s sandbox credentials for each of ``clouds`` (default: every cloud
    the sandbox fakes, the stand-ins' beside their providers (:mod:`jupyter_qcred.sandbox.plugins`) included).

    All of it works with the installed SDKs, so the demo starts all green; the ``legacy`` scenario
    (:mod:`jupyter_qcred.sandbox.scenarios`) adds the legacy IBM Quantum account. The QCS profile names every URL of
    the sandbox's deployment, gRPC included: a profile pasted later takes them from it, never Rigetti's defaults.
    Braket gets its own login (another refresh token of the same user): its token file is renewed apart from QCS.
    """
    from ..sandbox.sts import DEMO_ROLE_ARN

    ibm = sandbox.ibm_credentials(user)
    tokens = sandbox.issue_qcs_tokens(user, access_token_lifetime=access_token_lifetime)
    aws = sandbox.issue_qcs_tokens(user, access_token_lifetime=access_token_lifetime)
    bundle: dict[str, Any] = {
        "version": 1,
        "ibm": [
            {
                "name": "default-ibm-quantum-platform",
                "channel": "ibm_quantum_platform",
                "token": ibm["apikey"],
                "instance": ibm["instance"],
                "url": sandbox.runtime_url,
                "default": True,
            },
            *([_legacy(ibm["legacy_token"], sandbox)] if "legacy" in scenarios else []),
        ],
        "qcs": [
            {
                "profile": "default",
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "api_url": sandbox.qcs_api_url,
                "grpc_api_url": sandbox.qcs_grpc_url,
                "issuer": sandbox.qcs_issuer,
                "client_id": sandbox.qcs_client_id,
                "default": True,
            }
        ],
        "ionq": [{"key": sandbox.ionq_key(user), "url": sandbox.ionq_url}],
        "nexus": [{**_nexus_login(sandbox, user), "url": sandbox.nexus_url}],
        "braket": [
            {
                "profile": "default",
                "role_arn": DEMO_ROLE_ARN,
                "web_identity_token": aws["id_token"],
                "refresh_token": aws["refresh_token"],
                "issuer": sandbox.qcs_issuer,
                "client_id": sandbox.qcs_client_id,
                "default": True,
            }
        ],
    }
    from ..sandbox.plugins import stand_ins

    for stand_in in stand_ins():
        if (clouds is None or stand_in.key in clouds) and (entries := stand_in.bundle_entries(sandbox, user)):
            bundle[stand_in.key] = entries
    return {key: value for key, value in bundle.items() if key == "version" or clouds is None or key in clouds}


def _legacy(token: str, sandbox: Sandbox) -> dict[str, str]:
    """The legacy IBM Quantum account of the ``legacy`` scenario."""
    return {"name": "legacy", "channel": "ibm_quantum", "token": token, "url": sandbox.ibm_auth_url}


def _nexus_login(sandbox: Sandbox, user: str) -> dict[str, str]:
    tokens = sandbox.nexus_tokens(user)
    return {"refresh_token": tokens["refresh_token"], "access_token": tokens["access_token"]}


def sandbox_environment(sandbox: Sandbox) -> dict[str, str]:
    """Variables that make the real SDKs (and jupyter_qcred) talk to the sandbox instead of the clouds."""
    env = {
        "IAM_URL": sandbox.iam_url,
        "QISKIT_FUNCTIONS_EXPERIMENTAL": "1",
        # boto3 (and the Braket SDK) assume the role through the sandbox's STS; no instance metadata lookups.
        "AWS_ENDPOINT_URL_STS": sandbox.sts_url,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if sandbox.ca_file:
        env["SSL_CERT_FILE"] = sandbox.ca_file
    from ..sandbox.plugins import stand_ins

    for stand_in in stand_ins():
        env.update(stand_in.environment(sandbox))
    return env


def prepare_home(home: Path) -> Path:
    """A private demo home whose IPython kernels load ``%qcred`` by themselves."""
    config = home / ".ipython" / "profile_default"
    config.mkdir(parents=True, exist_ok=True)
    from ..notebook.magics import PROFILE_LINE

    (config / "ipython_config.py").write_text(
        "# Written by `jupyter qcred demo`: %qcred in every kernel (and %load_ext jupyter_qcred still works).\n"
        f"c.InteractiveShellApp.exec_lines = [{PROFILE_LINE!r}]\n"
    )
    home.chmod(0o700)
    return home


def env_lines(environment: Mapping[str, str], whose: str = "jupyter qcred demo: its credentials") -> list[str]:
    """``export`` lines for a POSIX shell: ``environment``, then this installation's tools first on PATH, then the
    SDKs' other variables unset (the shell's own must not point them at real credentials); the first line, a
    comment, says whose credentials they are."""
    scripts = sysconfig.get_path("scripts") or os.path.dirname(sys.executable)
    return [
        f"# {whose} for `jupyter qcred` and the SDKs in this shell (HOME changes).",
        *(f"export {name}={shlex.quote(value)}" for name, value in environment.items()),
        f'export PATH={shlex.quote(scripts)}:"$PATH"',
        "unset " + " ".join(name for name in foreign_variables() if name not in environment),
    ]


def shell_hint(root: Path, lines: list[str], command: str = "jupyter qcred demo") -> str:
    """What the demo prints about using the CLI from another shell."""
    body = "\n".join("    " + line for line in lines[1:])
    return (
        "To use `jupyter qcred` and the SDKs with these credentials from another shell (a spare one: HOME changes):\n"
        f"{body}\n"
        f'(or: source {shlex.quote(str(root / ENV_SCRIPT))}, or: eval "$({command} --env)")'
    )


@contextlib.contextmanager
def published_environment(
    root: Path,
    environment: Mapping[str, str],
    *,
    homes: Path | None = None,
    user: str = "alice",
    sandbox_admin: str | None = None,
) -> Iterator[list[str]]:
    """Publish, while the demo runs, what :func:`demo_env_lines` and ``demo --credentials`` read; yields the lines
    for ``user``.

    ``environment`` holds the lab demo's ``HOME``; a hub demo gives ``homes`` instead (one home per user).
    Nothing secret goes in: paths and URLs only, the credentials stay in the demo home's files and the sandbox.
    """
    record = {
        "pid": os.getpid(),
        "environment": dict(environment),
        "homes": str(homes) if homes else None,
        "sandbox_admin": sandbox_admin,
    }
    root.mkdir(parents=True, exist_ok=True)
    lines = _lines(record, user)
    (root / RECORD).write_text(json.dumps(record, indent=2) + "\n")
    _write_env_script(root, lines)
    try:
        yield lines
    finally:
        for name in (RECORD, ENV_SCRIPT):
            (root / name).unlink(missing_ok=True)


def refresh_published(root: Path, user: str = "alice") -> None:
    """Rewrite ``env.sh`` when its lines changed: what the server hands its kernels (Azure Quantum's token file...)
    exists only once its start-up wrote the files, after the demo first published. The demo calls this while it
    waits, so ``source env.sh`` and ``eval "$(jupyter qcred demo --env)"`` say the same."""
    record = running_record(root)
    if record is not None:
        _write_env_script(root, _lines(record, user))


def _write_env_script(root: Path, lines: list[str]) -> None:
    """``env.sh`` holding ``lines``, written only when they differ from what it holds."""
    path, text = root / ENV_SCRIPT, "\n".join(lines) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _lines(record: Mapping[str, Any], user: str) -> list[str]:
    """The lines of a published record; a hub's record has one home per user, so HOME is filled in here."""
    environment = dict(record["environment"])
    if record.get("homes"):
        home = Path(record["homes"]) / user
        whose = f"jupyter qcred demo --hub: {user}'s credentials (their home on the demo hub, {home})"
        environment = {"HOME": str(home), **environment}
        return env_lines({**environment, **_exported(environment)}, whose)
    whose = "jupyter qcred demo: alice's credentials (the demo home)"
    return env_lines({**environment, **_exported(environment)}, whose)


def _exported(environment: Mapping[str, str]) -> dict[str, str]:
    """What the demo's server hands its kernels and terminals (``server/exports.py``: Azure Quantum's token file,
    client and tenant...), so the SDKs in the other shell find them too; never a value that is a credential (the
    IonQ key, an IQM token): printed lines end up in shell histories, and the files hold those for the SDKs."""
    from ..core.registry import create_providers
    from ..core.settings import Settings
    from ..server.exports import ChildEnvironment

    try:
        providers = create_providers(Settings.from_environment(dict(environment))).values()
        secrets = {secret.value for provider in providers for secret in provider.secret_values()}
        target: dict[str, str] = {}
        ChildEnvironment(providers, environment, target).apply()
    except Exception:  # the demo's files being rewritten right now: the lines without them
        return {}
    return {name: value for name, value in target.items() if value not in secrets}


def running_record(folder: Path) -> dict[str, Any] | None:
    """What the demo running in ``folder`` published, or None when none runs there (a record left by a demo that
    was killed names a process that is gone)."""
    try:
        record = dict(json.loads((folder / RECORD).read_text()))
        os.kill(int(record["pid"]), 0)
    except PermissionError:
        return record  # it runs, as another user
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record


def find_running(hub: bool | None = None, root: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """The folder and record of the running demo: ``hub`` True or False asks for that kind, None for either (the
    lab demo first). Raises QCredError naming where it looked and how to start one."""
    if root is not None:
        folders = [root]
    else:
        lab, hub_folder = demo_root(), demo_root() / "hub"
        folders = [hub_folder] if hub else [lab] if hub is False else [lab, hub_folder]
    for folder in folders:
        record = running_record(folder)
        if record is not None:
            return folder, record
    what = "jupyter qcred demo" + (" --hub" if hub else "")
    where = " nor ".join(str(f) for f in folders)
    raise QCredError(f"no demo is running (nothing published in {where}): start one with `{what}`.")


def demo_env_lines(hub: bool | None = None, user: str = "alice", root: Path | None = None) -> list[str]:
    """The ``export`` lines of the running demo (``jupyter qcred demo [--hub] --env [--user NAME]``), for ``eval``.

    Without ``hub`` (None) whichever demo runs is found. For a hub demo, ``HOME`` is ``user``'s home on the hub
    (their credentials are there once they logged in); the first line says whose they are.
    Raises QCredError when no demo is running.
    """
    return _lines(find_running(hub, root)[1], user)


def start_afresh(root: Path, parts: tuple[str, ...], keep: bool) -> str:
    """Clear what the last run of the demo in ``root`` left (``parts``: its home, state and sandbox folders) unless
    ``keep``; returns the sentence the demo prints about it.

    The sandbox makes new secrets at every start and keeps them in memory only, so credentials a person added in
    the last run are refused by the new one: a demo that kept them would open with "action needed". Refuses (a
    QCredError) while a demo runs from ``root``, whose files these are.
    """
    import shutil

    running = running_record(root)
    if running is not None:
        raise QCredError(
            f"a demo is already running from {root} (process {running['pid']}); stop it first (Ctrl-C in its "
            "terminal), or use its credentials with `jupyter qcred demo --env`."
        )
    if keep:
        return (
            f"Kept the last run's files in {root} (--keep): credentials added then were issued by a sandbox that is "
            "gone, so they show as refused; Remove them or start without --keep."
        )
    for part in parts:
        shutil.rmtree(root / part, ignore_errors=True)
    return (
        f"A fresh demo in {root} (the last run's files and credentials were cleared, since the new sandbox would "
        "refuse them; --keep keeps them)."
    )
