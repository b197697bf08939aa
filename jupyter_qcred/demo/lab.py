"""``jupyter qcred demo``: JupyterLab with the extension, against the loopback sandbox services.

The demo never touches your real credentials: it runs JupyterLab with ``HOME`` set to a demo folder, hands the
server a spawn bundle for the sandbox user ``alice`` (exactly what JupyterHub would do), and points the SDKs at the
sandbox (``IAM_URL``, the sandbox's CA in ``SSL_CERT_FILE``).  It prints, and keeps in its folder for
:func:`demo_env_lines`, the few ``export`` lines that show the same credentials to ``jupyter qcred`` and the SDKs
in another shell.  Whatever signal stops it (Ctrl-C, SIGTERM, SIGHUP), everything it started stops too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import sysconfig
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..core.errors import QCredError
from ..sandbox.client import Sandbox
from .processes import ProcessTree, StopRequested, StopSignals, tools_path, wait_until_serving

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
)


def own_environ() -> dict[str, str]:
    """This process's environment without :data:`FOREIGN_VARIABLES`: the demo must never read or write real files."""
    return {name: value for name, value in os.environ.items() if name not in FOREIGN_VARIABLES}


def demo_root() -> Path:
    """Where the demo keeps its home folder and the sandbox's state."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_qcred" / "demo"


def demo_bundle(sandbox: Sandbox, user: str = "alice", access_token_lifetime: int | None = None) -> dict[str, Any]:
    """A spawn bundle (schema v1) with ``user``'s sandbox credentials for both providers."""
    ibm = sandbox.ibm_credentials(user)
    tokens = sandbox.issue_qcs_tokens(user, access_token_lifetime=access_token_lifetime)
    return {
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
            {"name": "legacy", "channel": "ibm_quantum", "token": ibm["legacy_token"], "url": sandbox.ibm_auth_url},
        ],
        "qcs": [
            {
                "profile": "default",
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "api_url": sandbox.qcs_api_url,
                "issuer": sandbox.qcs_issuer,
                "client_id": sandbox.qcs_client_id,
                "default": True,
            }
        ],
    }


def sandbox_environment(sandbox: Sandbox) -> dict[str, str]:
    """Variables that make the real SDKs (and jupyter_qcred) talk to the sandbox instead of the clouds."""
    env = {"IAM_URL": sandbox.iam_url, "QISKIT_FUNCTIONS_EXPERIMENTAL": "1"}
    if sandbox.ca_file:
        env["SSL_CERT_FILE"] = sandbox.ca_file
    return env


def prepare_home(home: Path) -> Path:
    """A private demo home whose IPython kernels load ``%qcred`` by themselves."""
    config = home / ".ipython" / "profile_default"
    config.mkdir(parents=True, exist_ok=True)
    (config / "ipython_config.py").write_text(
        "# Written by `jupyter qcred demo`: load the %qcred magic in every kernel.\n"
        'c.InteractiveShellApp.extensions = ["jupyter_qcred"]\n'
    )
    home.chmod(0o700)
    return home


def lab_command(port: int, home: Path, open_browser: bool) -> list[str]:
    """The JupyterLab command line of the demo."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={home}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
    ]
    if os.getuid() == 0:
        command.append("--allow-root")
    if not open_browser:
        command.append("--no-browser")
    return command


def run_demo(hub: bool = False, port: int = 8888, open_browser: bool = True) -> int:
    """Run the demo until it is stopped (Ctrl-C, SIGTERM, SIGHUP: exit code 0) or JupyterLab / the hub exits.

    Every stop signal becomes an exception in this thread, so each process the demo started is stopped by the
    ``with`` or ``finally`` that started it (Python's default would end the demo alone on SIGTERM and SIGHUP).
    """
    with StopSignals() as signals:
        try:
            if hub:
                from .hub import run_hub_demo

                return run_hub_demo(port=port, open_browser=open_browser, signals=signals)
            return run_lab_demo(port=port, open_browser=open_browser, signals=signals)
        except StopRequested:
            return 0  # stopped as asked, everything it started included


def run_lab_demo(port: int = 8888, open_browser: bool = True, signals: StopSignals | None = None) -> int:
    """``jupyter qcred demo``: the sandbox and JupyterLab until JupyterLab exits or a stop signal arrives."""
    root = demo_root()
    home = prepare_home(root / "home")
    with Sandbox(tls=True, state_dir=root / "sandbox") as sandbox:
        shared = {"HOME": str(home), **sandbox_environment(sandbox)}
        env = {
            **own_environ(),
            **shared,
            "PATH": tools_path(),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "QCRED_BUNDLE": json.dumps(demo_bundle(sandbox)),
        }
        with published_environment(root, shared) as lines:
            print(
                f"jupyter qcred demo: sandbox services at {sandbox.http_url} (user alice); demo home {home}.\n"
                "Open the 'Quantum credentials' panel in the left sidebar, or run %qcred in a notebook. Ctrl-C stops.\n"
                + shell_hint(root, lines),
                flush=True,
            )
            # A session of its own: the terminal's Ctrl-C reaches the demo only, which stops JupyterLab and all
            # it started (kernels run in sessions of their own) exactly once.
            process = subprocess.Popen(
                lab_command(port, home, open_browser=False), env=env, stdin=subprocess.DEVNULL, start_new_session=True
            )
            tree = ProcessTree(process)
            try:
                if open_browser:
                    open_lab_when_serving(process, port, root / "runtime")
                return tree.wait()
            finally:
                if signals is not None:
                    signals.hold()
                tree.stop(timeout=30)


def open_lab_when_serving(process: subprocess.Popen[bytes], port: int, runtime_dir: Path) -> None:
    """Open JupyterLab in a browser from the demo itself, once it serves.

    Not by JupyterLab: a browser it starts would belong to its process tree, which the demo stops at the end.
    The page is the server's own login redirect file, so the server's token never passes through the demo.
    """
    import webbrowser

    url = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        with urllib.request.urlopen(url + "api", timeout=2) as answer:  # noqa: S310 - a loopback http URL
            return bool(answer.status == 200)

    try:
        wait_until_serving(process, answers, timeout=120, what="JupyterLab")
    except RuntimeError:
        return  # it exited (its own output says why) or is very slow: no browser
    page = runtime_dir / f"jpserver-{process.pid}-open.html"
    webbrowser.open(page.as_uri() if page.exists() else url + "lab")


def env_lines(environment: Mapping[str, str]) -> list[str]:
    """``export`` lines for a POSIX shell: ``environment``, then this installation's tools first on PATH."""
    scripts = sysconfig.get_path("scripts") or os.path.dirname(sys.executable)
    return [
        "# jupyter qcred demo: its credentials for `jupyter qcred` and the SDKs in this shell (HOME changes).",
        *(f"export {name}={shlex.quote(value)}" for name, value in environment.items()),
        f'export PATH={shlex.quote(scripts)}:"$PATH"',
        "unset " + " ".join(FOREIGN_VARIABLES),
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
    root: Path, environment: Mapping[str, str], *, homes: Path | None = None, user: str = "alice"
) -> Iterator[list[str]]:
    """Publish, while the demo runs, what :func:`demo_env_lines` reads; yields the lines for ``user``.

    ``environment`` holds the lab demo's ``HOME``; a hub demo gives ``homes`` instead (one home per user).
    Nothing secret goes in: paths and URLs only, the credentials stay in the demo home's files.
    """
    record = {"pid": os.getpid(), "environment": dict(environment), "homes": str(homes) if homes else None}
    root.mkdir(parents=True, exist_ok=True)
    lines = _lines(record, user)
    (root / RECORD).write_text(json.dumps(record, indent=2) + "\n")
    (root / ENV_SCRIPT).write_text("\n".join(lines) + "\n")
    try:
        yield lines
    finally:
        for name in (RECORD, ENV_SCRIPT):
            (root / name).unlink(missing_ok=True)


def _lines(record: Mapping[str, Any], user: str) -> list[str]:
    """The lines of a published record; a hub's record has one home per user, so HOME is filled in here."""
    environment = dict(record["environment"])
    if record.get("homes"):
        environment = {"HOME": str(Path(record["homes"]) / user), **environment}
    return env_lines(environment)


def demo_env_lines(hub: bool = False, user: str = "alice", root: Path | None = None) -> list[str]:
    """The ``export`` lines of the running demo (``jupyter qcred demo [--hub] --env``), for ``eval``.

    With ``hub``, ``HOME`` is ``user``'s home on the demo hub (their credentials are there once they logged in).
    Raises QCredError when no demo is running.
    """
    folder = root or (demo_root() / "hub" if hub else demo_root())
    what = "jupyter qcred demo" + (" --hub" if hub else "")
    try:
        record = json.loads((folder / RECORD).read_text())
        os.kill(int(record["pid"]), 0)
    except PermissionError:
        pass  # it runs, as another user
    except (OSError, ValueError, KeyError, TypeError):
        raise QCredError(f"no demo is running (nothing published in {folder}): start one with `{what}`.") from None
    return _lines(record, user)
