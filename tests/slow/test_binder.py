"""The Binder configuration works: build it in a fresh virtual environment, launch it, run the demo notebook.

SLOW (about a minute) and marked ``binder``; deselect with ``-m "not binder"``. What repo2docker would do, minus
conda and the network, so it runs offline and bounded:

1. a fresh venv stands in for the conda environment; every pip requirement of ``binder/environment.yml`` must
   already be satisfied there. Its packages come from the interpreter running the tests, added behind the venv's
   own site-packages by a ``.pth`` file (what ``--system-site-packages`` does for a system Python, but it also
   works when the tests themselves run in a venv, where the "system" would be the base interpreter);
2. ``binder/postBuild`` runs unchanged in a copy of the repository, with pip's and hatch's own switches for an
   offline build (``PIP_NO_INDEX``, no build isolation, ``HATCH_BUILD_NO_HOOKS`` because the JupyterLab extension
   is already built in this checkout; on Binder the build hook runs npm);
3. ``binder/start jupyter server …`` launches the sandbox and the server from the venv, with the installed
   configuration only (no ``--ServerApp.jpserver_extensions``);
4. ``binder/demo.ipynb`` runs headless with nbclient, in the venv's Python, with the environment a kernel started
   by that server gets (read from such a kernel), and must finish without an error and without a secret in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.kernels import JupyterServer, credential_file_secrets

from jupyter_qcred.providers.ibm.sdk import runtime_channels
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = [pytest.mark.binder, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 300
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")

RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

source, target, folder = sys.argv[1:4]
notebook = nbformat.read(source, as_version=4)
try:
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": folder}}).execute()
finally:
    nbformat.write(notebook, target)
"""

CHECK_REQUIREMENTS = """
import json, sys
from importlib.metadata import PackageNotFoundError, version
from packaging.requirements import Requirement

missing = []
for line in json.loads(sys.argv[1]):
    requirement = Requirement(line)
    try:
        found = version(requirement.name)
    except PackageNotFoundError:
        missing.append(f"{line} (not installed)")
        continue
    if not requirement.specifier.contains(found, prereleases=True):
        missing.append(f"{line} (found {found})")
print(json.dumps({"missing": missing, "python": list(sys.version_info[:2])}))
"""


def pip_requirements(environment_yml: Path) -> list[str]:
    """The ``pip:`` list of a conda environment file (a tiny reader, to need no YAML library)."""
    lines = environment_yml.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    found = []
    for line in lines[start + 1 :]:
        if not line.strip() or len(line) - len(line.lstrip()) < indent:
            break
        found.append(line.strip().removeprefix("- ").strip())
    return found


def copy_repository(target: Path) -> None:
    """What a clone holds (tracked and new files), plus the JupyterLab extension this checkout has built."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    built = REPO / "jupyter_qcred" / "labextension"
    if not (built / "package.json").exists():
        pytest.skip("the JupyterLab extension is not built in this checkout (pip install -e . builds it)")
    shutil.copytree(built, target / "jupyter_qcred" / "labextension", dirs_exist_ok=True)


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("binder")
    repo, home, venv = root / "repo", root / "home", root / "venv"
    repo.mkdir()
    home.mkdir(mode=0o700)
    copy_repository(repo)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    inherit_site_packages(venv)
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("QCRED_", "JUPYTER", "JUPYTERHUB_", "QCS_", "QISKIT_", "PYTHON", "PIP_", "VIRTUAL_ENV", "IAM_", "SSL_")
        )
    }
    env = {
        **keep,
        # The outer interpreter's scripts (jupyter-labextension, ...) come with its packages, as in one conda env.
        "PATH": os.pathsep.join([str(venv / "bin"), sysconfig.get_path("scripts"), os.environ["PATH"]]),
        "VIRTUAL_ENV": str(venv),
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(root / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(root / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(root / "jupyter-runtime"),
        "QCRED_BINDER_STATE": str(root / "sandbox"),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling for "do not isolate"
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "HATCH_BUILD_NO_HOOKS": "true",
    }
    world = {"root": root, "repo": repo, "home": home, "python": str(venv / "bin" / "python"), "env": env}
    try:
        yield world
    finally:
        pid_file = root / "sandbox" / "sandbox.pid"
        if pid_file.exists():  # the sandbox binder/start launched (detached, so not in the server's group)
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGTERM)


def inherit_site_packages(venv: Path) -> None:
    """Let ``venv`` see this interpreter's packages after its own, processing their ``.pth`` files too."""
    outer = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    inner = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    lines = "".join(f"import site; site.addsitedir({folder!r})\n" for folder in outer)
    (Path(inner) / "_qcred_test_outer_site.pth").write_text(lines)


def run(world: dict[str, Any], *command: str, cwd: Path | None = None, timeout: float = BUILD_TIMEOUT) -> str:
    done = subprocess.run(
        command,
        cwd=cwd or world["repo"],
        env=world["env"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{output[-4000:]}"
    return output


def test_environment_yml_is_satisfied_in_the_venv(binder: dict[str, Any]) -> None:
    requirements = pip_requirements(binder["repo"] / "binder" / "environment.yml")
    assert {"jupyterlab>=4.2", "ipywidgets>=8.1", "qiskit-ibm-runtime>=0.49"} <= set(requirements)
    text = (binder["repo"] / "binder" / "environment.yml").read_text()
    assert "nodejs" in text and "python=3.11" in text, "node builds the JupyterLab extension on Binder"
    result = json.loads(run(binder, binder["python"], "-c", CHECK_REQUIREMENTS, json.dumps(requirements)))
    assert result["missing"] == []
    assert result["python"] == [3, 11]


def test_postbuild_installs_the_package_the_lab_extension_and_the_kernel_config(binder: dict[str, Any]) -> None:
    output = run(binder, "bash", "binder/postBuild")
    assert "postBuild: %qcred is loaded by" in output
    where = run(
        binder, binder["python"], "-c", "import jupyter_qcred; print(jupyter_qcred.__file__)", cwd=binder["home"]
    )
    assert where.strip().startswith(str(binder["root"] / "venv")), "the venv's own install, not the checkout"
    installed = binder["root"] / "venv" / "share" / "jupyter" / "labextensions" / "jupyter-qcred"
    assert (installed / "package.json").exists() and (installed / "static").is_dir()
    extensions = re.sub(r"\x1b\[[0-9;]*m", "", run(binder, binder["python"], "-m", "jupyter", "labextension", "list"))
    assert re.search(r"jupyter-qcred v\S+ enabled OK", extensions), extensions
    config = binder["home"] / ".ipython" / "profile_default" / "ipython_config.py"
    assert "c.InteractiveShellApp.exec_lines.append('import jupyter_qcred; " in config.read_text()
    run(binder, "bash", "binder/postBuild")  # a rebuild does not add the line twice
    assert config.read_text().count("exec_lines.append") == 1  # written once, however often postBuild runs


def test_start_and_the_demo_notebook(binder: dict[str, Any], secret_scanner: Any) -> None:
    server = JupyterServer(
        binder["env"],
        binder["root"],
        prefix=["bash", str(binder["repo"] / "binder" / "start")],
        python=binder["python"],
        enable_extension=False,
    )
    try:
        server.start(timeout=90)
        status = server.api("GET", "qcred/status")
        # The demo's legacy account is unsupported where the installed qiskit-ibm-runtime no longer loads it.
        legacy_ok = "ibm_quantum" in (runtime_channels() or {"ibm_quantum"})
        usable = {"ok", "refreshing", "expiring"}
        assert {e["state"] for e in status["providers"] if e["name"] != "legacy"} <= usable
        assert {e["state"] for e in status["providers"] if e["name"] == "legacy"} <= (
            usable if legacy_ok else {"unsupported"}
        )
        assert status["defaults"] == {
            "ibm": "default-ibm-quantum-platform",
            "qcs": "default",
            "ionq": "default",
            "braket": "default",
            "nexus": "default",
            "azure": "default",
            "iqm": "default",
            "qbraid": "default",
        }

        probe = server.start_kernel()
        seen = probe.run(
            "import json, os\n"
            "print(json.dumps({'qcred': get_ipython().find_line_magic('qcred') is not None, 'env': dict(os.environ)}))"
        )
        assert seen.status == "ok", seen.text
        report = json.loads(seen.stdout)
        assert report["qcred"], "postBuild's ipython_config.py loads %qcred in every kernel"
        kernel_env = {k: v for k, v in report["env"].items() if not k.startswith(("JPY_", "KERNEL_"))}
        assert "QCRED_BUNDLE" not in kernel_env, "kernels do not inherit the spawn bundle"
        assert kernel_env["QCRED_SERVER_URL"] == server.url

        executed = binder["root"] / "demo-executed.ipynb"
        done = subprocess.run(
            [
                binder["python"],
                "-c",
                RUN_NOTEBOOK,
                str(binder["repo"] / "binder" / "demo.ipynb"),
                str(executed),
                str(binder["repo"] / "binder"),
            ],
            env=kernel_env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        outputs = notebook_outputs(executed) if executed.exists() else ""
        assert done.returncode == 0, f"{done.stderr[-4000:]}\n--- outputs ---\n{outputs[-4000:]}"

        for expected in (
            "PROVIDER",
            "Rigetti QCS",
            "QCS user: alice@example.org",
            f"everything usable: {legacy_ok}",
            "is now the default",
            "NEEDS RE-INIT",
            "Re-initialized",
            "QCS after re-initializing: ok",
            "not running under JupyterHub",
            "the SDK holds a valid access token: True",
            "ibm_sandbox_fez",
            "application/vnd.jupyter.widget-view+json",
        ):
            assert expected in outputs, f"{expected!r} missing from the notebook's outputs"
        assert "Traceback" not in outputs and '"output_type": "error"' not in outputs
        assert "already loaded" not in outputs, "the notebook's %load_ext must load quietly"
        assert not JWT.search(outputs), "a JWT in the notebook's outputs"

        sandbox = Sandbox(state_dir=binder["root"] / "sandbox")
        sandbox.info = {"http_url": kernel_env["QCRED_SANDBOX_URL"]}
        secret_scanner.add_secrets(server.token, *secret_values(sandbox.credentials()))
        secret_scanner.add_secrets(*credential_file_secrets(binder["home"]))
        secret_scanner.saw("the executed demo notebook", outputs)
        secret_scanner.saw("the kernel probe", probe.all_text())
    finally:
        server.stop()


def secret_values(data: Any) -> list[str]:
    """The API keys, tokens and client secrets in the sandbox's seed (not the CRNs and URLs next to them)."""
    if isinstance(data, dict):
        found: list[str] = []
        for key, value in data.items():
            if isinstance(value, str) and any(word in key for word in ("key", "token", "secret")):
                found.append(value)
            else:
                found += secret_values(value)
        return found
    if isinstance(data, list):
        return [item for value in data for item in secret_values(value)]
    return []


def notebook_outputs(path: Path) -> str:
    """Every output of every cell, serialized."""
    notebook = json.loads(path.read_text())
    return "\n".join(json.dumps(cell.get("outputs", [])) for cell in notebook["cells"])
