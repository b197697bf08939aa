"""A newcomer's first command, end to end: build the wheel, install it with the README's extra into a clean venv,
start ``jupyter qcred demo --no-browser`` and look at what JupyterLab serves.

Nothing of the test environment leaks into the new venv (no system site-packages, no PYTHONPATH, a PATH that starts
with the new venv's bin), so a package the demo imports but ``pyproject.toml`` does not declare fails here, as it
would on a fresh machine. SLOW (a wheel build with npm and a pip install: a few minutes); marked ``fresh_install``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.kernels import credential_file_secrets

from jupyter_qcred.demo.processes import free_port, wait_until_serving

pytestmark = [pytest.mark.fresh_install, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]
README_EXTRA = re.compile(r'pip install "\.\[(\w+)\]"')
INSTALL_TIMEOUT = 900


def readme_extra() -> str:
    """The extra the README's first set-up command installs (``demo`` today)."""
    match = README_EXTRA.search((REPO / "README.md").read_text())
    assert match, "the README's first command installs the package with an extra"
    return match.group(1)


def clean_environment(venv: Path, home: Path) -> dict[str, str]:
    """What a fresh shell with only the new venv activated would have: nothing from this test run's Python."""
    dropped = ("PYTHON", "VIRTUAL_ENV", "JUPYTER", "QCRED_", "QCS_", "QISKIT_", "IAM_", "SSL_CERT", "PIP_TARGET")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(sys.prefix)]
    env.update(
        PATH=os.pathsep.join([str(venv / "bin"), *path]),
        VIRTUAL_ENV=str(venv),
        HOME=str(home),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: float = INSTALL_TIMEOUT) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A clean venv holding the wheel built from this checkout, installed with the README's extra."""
    root = tmp_path_factory.mktemp("fresh")
    venv, home, dist = root / "venv", root / "home", root / "dist"
    home.mkdir(mode=0o700)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = clean_environment(venv, home)
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(REPO)], env, root)
    wheels = sorted(dist.glob("jupyter_qcred-*.whl"))
    assert len(wheels) == 1, wheels
    run([python, "-m", "pip", "install", f"{wheels[0]}[{readme_extra()}]"], env, root)
    return {"root": root, "venv": venv, "home": home, "env": env, "python": python}


def get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.read()


@contextlib.contextmanager
def demo(installed: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``jupyter qcred demo --no-browser`` from the venv, on a free port, stopped with its whole process group."""
    port, token = free_port(), secrets.token_hex(16)
    env = {**installed["env"], "JUPYTER_TOKEN": token}
    log = installed["root"] / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(installed["venv"] / "bin" / "jupyter"), "qcred", "demo", "--no-browser", "--port", str(port)],
            cwd=installed["home"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(
            process,
            lambda: get(url + "api/status", token)[0] == 200,
            timeout=180,
            what="jupyter qcred demo",
            log_tail=lambda: log.read_text(errors="replace")[-4000:],
            error=AssertionError,
        )
        yield {"url": url, "token": token, "log": log, "process": process}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def page_config(html: str) -> dict[str, Any]:
    """JupyterLab's page configuration (the JSON in ``<script id="jupyter-config-data">``)."""
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the /lab page has its configuration"
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def test_the_readme_install_runs_the_demo_with_the_extension_and_healthy_credentials(
    installed: dict[str, Any],
) -> None:
    from support.helpers import wait_until

    with demo(installed) as lab:
        status, html = get(lab["url"] + "lab", lab["token"])
        assert status == 200
        federated = {entry["name"]: entry for entry in page_config(html.decode())["federated_extensions"]}
        assert "jupyter-qcred" in federated, sorted(federated)
        entry = federated["jupyter-qcred"]
        status, script = get(f"{lab['url']}lab/extensions/jupyter-qcred/{entry['load']}", lab["token"])
        assert status == 200 and b"jupyter-qcred" in script

        def healthy() -> dict[str, Any] | None:
            answer = json.loads(get(lab["url"] + "qcred/status", lab["token"])[1])
            states = {(e["provider"], e["name"]): e["state"] for e in answer["providers"]}
            defaults = answer.get("defaults", {})
            wanted = [("ibm", defaults.get("ibm")), ("qcs", defaults.get("qcs"))]
            return answer if all(states.get(key) == "ok" for key in wanted) else None

        answer = wait_until(healthy, timeout=60, what="the demo's IBM and QCS credentials to be ok")
        assert answer["defaults"] == {
            "ibm": "default-ibm-quantum-platform",
            "qcs": "default",
            "ionq": "default",
            "braket": "default",
            "nexus": "default",
            "azure": "default",
            "iqm": "default",
            "qbraid": "default",
        }
        raw = get(lab["url"] + "qcred/status", lab["token"])[1].decode()
        leaked = [
            token[-6:] for token in credential_file_secrets(demo_home(installed["home"])) if token in raw
        ]  # the last characters name a token without showing it
        assert not leaked, f"tokens ending in {leaked} are in GET qcred/status"
        assert credential_file_secrets(demo_home(installed["home"])), "the demo wrote its credentials"


def demo_home(home: Path) -> Path:
    """The demo's own HOME (``jupyter qcred demo`` never touches the user's real one)."""
    found = sorted(home.glob(".local/share/jupyter/jupyter_qcred/demo/home"))
    assert found, "the demo keeps its home under the Jupyter data folder"
    return found[0]


def test_the_wheel_installs_the_sdk_adapters_hooks_for_every_python_of_the_venv(installed: dict[str, Any]) -> None:
    """The wheel's ``jupyter_qcred_adapters.pth`` lands in site-packages: a plain ``python`` of the new venv has the
    adapters registered before it imports any SDK (docs/sdk-adapters.md), and the switch turns them off."""
    probe = "import sys; from jupyter_qcred.core import importhook as h; print(sorted(h.report().items()))"
    names = run([installed["python"], "-c", probe], installed["env"], installed["root"])
    assert "('pyquil', 'waiting')" in names and "('qnexus', 'waiting')" in names, names
    off = {**installed["env"], "JUPYTER_QCRED_SDK_ADAPTERS": "off"}
    assert "('pyquil', 'off (JUPYTER_QCRED_SDK_ADAPTERS=off)')" in run(
        [installed["python"], "-c", probe], off, installed["root"]
    )
