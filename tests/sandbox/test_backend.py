"""``%qcred`` without a Jupyter server: a plain kernel (jupyter_client) and plain IPython read the files directly.

The credential files are written by the real CLI from a spawn bundle, exactly as on a laptop after
``jupyter qcred init``; the kernel has no ``QCRED_SERVER_URL``, so every command runs the core library inside the
kernel (on its own event loop thread, since the kernel's loop is running) and must give the same states.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager
from support.kernels import KernelDriver, credential_file_secrets, free_port

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers.ibm.sdk import runtime_channels
from jupyter_qcred.sandbox.client import Sandbox

#: The model ids of the widget's QCS details and line (tests watch their updates).
QCS_IDS = "q = w.sections['qcs']\nprint(q.details.model_id, q.line.model_id)"

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("sandbox"), rotate_refresh_tokens=False) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sandbox_module: Sandbox) -> dict[str, Any]:
    """A HOME with the bundle's credentials written by ``jupyter qcred init``, and the environment around it."""
    root = tmp_path_factory.mktemp("fallback")
    home = root / "home"
    home.mkdir(mode=0o700)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("QCRED_", "JUPYTERHUB_", "QCS_", "QISKIT_"))},
        **sandbox_environment(sandbox_module),
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
    }
    bundle = demo_bundle(sandbox_module, clouds=("ibm", "qcs"), scenarios=("legacy",))
    cli(env, "init", "--from", "bundle", "--quiet", bundle=bundle)
    return {"env": env, "home": home, "secrets": [bundle], "root": root}


def cli(env: dict[str, str], *args: str, bundle: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
    extra = {"QCRED_BUNDLE": json.dumps(bundle)} if bundle else {}
    return subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", *args],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def kernel(world: dict[str, Any]) -> Iterator[KernelDriver]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=world["env"], cwd=str(world["root"]))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    driver = KernelDriver(client)
    try:
        yield driver
    finally:
        driver.stop()
        manager.shutdown_kernel(now=True)


@pytest.fixture(autouse=True)
def no_secret_in_output(request: pytest.FixtureRequest, secret_scanner: Any, world: dict[str, Any]) -> Iterator[None]:
    yield
    for secret in world["secrets"]:
        if isinstance(secret, dict) and "version" in secret:
            secret_scanner.add_bundle(secret)
        else:
            secret_scanner.add_secrets(secret)
    secret_scanner.add_secrets(*credential_file_secrets(world["home"]))
    if "kernel" in request.fixturenames:
        secret_scanner.saw("kernel output", request.getfixturevalue("kernel").all_text())


def run(kernel: KernelDriver, code: str) -> Any:
    result = kernel.run(code)
    assert result.status == "ok", result.text
    assert "Traceback" not in result.text
    return result


def states(status: dict[str, Any]) -> dict[tuple[str, str | None], str]:
    return {(e["provider"], e["name"]): e["state"] for e in status["providers"]}


def test_status_gives_the_same_states_as_the_cli(kernel: KernelDriver, world: dict[str, Any]) -> None:
    run(kernel, "%load_ext jupyter_qcred")
    result = run(kernel, "%qcred status")
    assert len(result.results) == 1 and "Rigetti QCS" in result.results[0]
    assert result.stdout == "" and result.stderr == "", "no note: there is no server to miss"
    result = run(kernel, "import json; s = %qcred status\nprint(json.dumps(s))")
    in_kernel = json.loads(result.stdout)
    from_cli = json.loads(cli(world["env"], "status", "--json").stdout)
    assert states(in_kernel) == states(from_cli)
    # The world holds IBM and QCS credentials; the providers it holds nothing for say so ("absent"). Its legacy
    # account is unsupported where the installed qiskit-ibm-runtime no longer loads it.
    legacy_ok = "ibm_quantum" in (runtime_channels() or {"ibm_quantum"})
    usable = {"ok", "expiring"} | (set() if legacy_ok else {"unsupported"})
    assert {v for (provider, _), v in states(in_kernel).items() if provider in ("ibm", "qcs")} <= usable
    assert {v for (provider, _), v in states(in_kernel).items() if provider not in ("ibm", "qcs")} <= {"absent"}
    assert run(kernel, "print(get_ipython().magics_manager.registry['QCredMagics'].session.mode)").stdout == "files\n"


def test_refresh_runs_in_the_kernel(kernel: KernelDriver, sandbox_module: Sandbox) -> None:
    before = len(sandbox_module.token_requests())
    result = run(kernel, "%qcred refresh qcs")
    assert "alice@example.org" in result.results[0], "account details come with the refresh"
    assert [r["grant_type"] for r in sandbox_module.token_requests()[before:]] == ["refresh_token"]
    result = run(kernel, "%qcred refresh ibm")
    assert "ibm-q/" in result.results[0], "the legacy account's hub/group/project"


def test_use_writes_the_files(kernel: KernelDriver, world: dict[str, Any]) -> None:
    instances = run(
        kernel, "s = %qcred status\nprint(json.dumps(s.credential('ibm', 'legacy')['account']['instances']))"
    )
    other = next(
        (i for i in json.loads(instances.stdout) if not i["default"]), {"hub": "h", "group": "g", "project": "p"}
    )
    hgp = f"{other['hub']}/{other['group']}/{other['project']}"
    rc = (world["home"] / ".qiskit" / "qiskitrc").read_text()
    result = run(kernel, f"%qcred use ibm legacy {hgp}")
    if "ibm_quantum" in (runtime_channels() or {"ibm_quantum"}):
        assert f"'legacy' ({hgp}) is now the default" in result.stdout
        assert f"default_provider = {hgp}" in (world["home"] / ".qiskit" / "qiskitrc").read_text()
    else:  # the installed SDK cannot load it: refused on the files too, and nothing written
        assert "It was not made the default." in result.stderr and "is now the default" not in result.stdout
        assert (world["home"] / ".qiskit" / "qiskitrc").read_text() == rc
    result = run(kernel, "%qcred use qcs default")
    assert "Rigetti QCS: 'default' is now the default." in result.stdout
    result = run(kernel, "%qcred use qcs nobody")
    assert result.stderr.strip() == "%qcred use: There is no Rigetti QCS credential named 'nobody'."


def test_restart_and_reinit_say_why_not(kernel: KernelDriver) -> None:
    result = run(kernel, "%qcred restart")
    assert "not connected to a Jupyter server with jupyter_qcred" in result.stderr
    result = run(kernel, "%qcred reinit")
    assert "There is no spawn bundle" in result.stderr


def test_refused_token_needs_reinit_and_the_widget_follows_the_files(
    kernel: KernelDriver, sandbox_module: Sandbox, world: dict[str, Any]
) -> None:
    run(kernel, "w = %qcred")
    # QCS's section (issue 25): its details show once it needs action (it opens by itself); its line says OK after.
    details_id, line_id = run(kernel, QCS_IDS).stdout.split()
    assert "from the credential files" in run(kernel, "print(w.header.value)").stdout

    sandbox_module.revoke("alice")
    before = len(sandbox_module.token_requests())
    run(kernel, "w.refresh_button.click()")

    def shows(model_id: str, text: str) -> Any:
        return lambda m: m["content"].get("comm_id") == model_id and text in json.dumps(m["content"].get("data"))

    kernel.wait_for(shows(details_id, "data-state='needs_reinit'"), what="needs_reinit after the Refresh button")
    assert [r["status"] for r in sandbox_module.token_requests()[before:]] == [400]
    result = run(kernel, "s = %qcred status\nprint(s.state('qcs'))\ns")
    assert result.stdout == "needs_reinit\n"
    assert "NEEDS RE-INIT" in result.results[0]

    # Another process (here the CLI) writes a fresh login into the files: the open widget picks it up.
    fresh = demo_bundle(sandbox_module, access_token_lifetime=7200, clouds=("ibm", "qcs"), scenarios=("legacy",))
    world["secrets"].append(fresh)
    assert cli(world["env"], "init", "--from", "bundle", "--quiet", bundle={**fresh, "ibm": []}).returncode == 0
    kernel.wait_for(
        lambda m: shows(line_id, "data-health='ok'")(m) and ">OK<" in json.dumps(m["content"]),
        what="ok in the widget after the files changed",
    )


def test_plain_ipython_without_a_reachable_server(world: dict[str, Any]) -> None:
    """No kernel at all, and a QCRED_SERVER_URL nobody answers: a note, then the same table from the files."""
    script = (
        "from IPython.terminal.interactiveshell import TerminalInteractiveShell\n"
        "shell = TerminalInteractiveShell.instance()\n"
        "shell.run_cell('%load_ext jupyter_qcred')\n"
        "shell.run_cell('%qcred status')\n"
        "shell.run_cell('%qcred frobnicate')\n"
        "shell.run_cell('w = %qcred')\n"
        "shell.run_cell('print(type(w).__name__, w.status.state(\\'qcs\\'))')\n"
    )
    env = {**world["env"], "QCRED_SERVER_URL": f"http://127.0.0.1:{free_port()}/", "QCRED_SERVER_PID": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "does not answer. Reading the credential files directly instead." in output
    assert "PROVIDER" in output and "Rigetti QCS" in output
    assert "unknown command 'frobnicate'" in output
    assert "CredentialsWidget ok" in output
    assert "Traceback" not in output
    for secret in world["secrets"]:
        for entry in [*secret.get("ibm", []), *secret.get("qcs", [])]:
            for key in ("token", "access_token", "refresh_token"):
                assert not entry.get(key) or entry[key] not in output
