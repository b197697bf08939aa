"""The kernel output filter (``notebook/outputguard.py``) in real kernels started by a real Jupyter server with the
extension, against the sandbox services: no credential value in any message a kernel sends.

One server, one kernel and one sandbox for the module; the tests run in file order. The cells read the tokens from
the SDK files themselves (this file holds none); at the end of each test, the values the files hold then, and those of
the spawn bundle, are searched for in every message the kernel sent (IOPub and the shell replies).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.kernels import JupyterServer, KernelDriver, credential_file_secrets

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
IBM_NAME = "default-ibm-quantum-platform"
#: Cell code giving the IBM key and the QCS access token the SDK files hold now (read in the kernel).
READ_TOKENS = f"""
import json, os, tomllib
ibm_key = json.load(open(os.path.expanduser("~/.qiskit/qiskit-ibm.json")))["{IBM_NAME}"]["token"]
_qcs = tomllib.load(open(os.path.expanduser("~/.qcs/secrets.toml"), "rb"))["credentials"]
qcs_token = _qcs["jupyter_qcred-default"]["token_payload"]["access_token"]
"""


#: Variables of other tests' worlds (an in-process server of an earlier test may have exported some) left out.
OTHER_WORLDS = ("QCRED_", "JUPYTER_QCRED_", "JUPYTERHUB_", "QCS_", "QISKIT_", "IONQ_")


@pytest.fixture(scope="module")
def sandbox_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("sandbox"), rotate_refresh_tokens=False) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def bundle(sandbox_module: Sandbox) -> dict[str, Any]:
    return demo_bundle(sandbox_module, clouds=("ibm", "qcs"))


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory, sandbox_module: Sandbox) -> dict[str, str]:
    root = tmp_path_factory.mktemp("server")
    home = root / "home"
    home.mkdir(mode=0o700)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(OTHER_WORLDS)},
        **sandbox_environment(sandbox_module),
        "HOME": str(home),
        "ROOT": str(root),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "data"),
    }


@pytest.fixture(scope="module")
def server(environment: dict[str, str], bundle: dict[str, Any]) -> Iterator[JupyterServer]:
    env = {key: value for key, value in environment.items() if key != "ROOT"}
    jupyter = JupyterServer({**env, "QCRED_BUNDLE": json.dumps(bundle)}, Path(environment["ROOT"]))
    jupyter.start()
    try:
        yield jupyter
    finally:
        jupyter.stop()


@pytest.fixture(scope="module")
def kernel(server: JupyterServer) -> KernelDriver:
    return server.start_kernel()


@pytest.fixture(scope="module")
def home(environment: dict[str, str]) -> Path:
    return Path(environment["HOME"])


@pytest.fixture
def replies(kernel: KernelDriver) -> list[dict[str, Any]]:
    """The shell replies of the cells run with :func:`run` in this test."""
    return []


def run(kernel: KernelDriver, code: str, replies: list[dict[str, Any]]) -> dict[str, Any]:
    """Execute ``code``; every output, keeping the shell reply (tracebacks are in it too)."""
    result = kernel.run(code)
    replies.append({"status": result.status, "error": result.error})
    history = kernel.client.history(hist_access_type="tail", n=3, reply=True, timeout=30)
    replies.append(history["content"])
    return {"stdout": result.stdout, "stderr": result.stderr, "results": result.results, "error": result.error}


@pytest.fixture(autouse=True)
def no_value_in_any_message(
    request: pytest.FixtureRequest, bundle: dict[str, Any], home: Path, replies: list[dict[str, Any]]
) -> Iterator[None]:
    yield
    if "kernel" not in request.fixturenames:
        return
    values = [*credential_file_secrets(home), *[entry["token"] for entry in bundle["ibm"]]]
    values += [entry[key] for entry in bundle["qcs"] for key in ("access_token", "refresh_token")]
    driver: KernelDriver = request.getfixturevalue("kernel")
    seen = driver.all_text() + json.dumps(replies)
    leaked = [value[-4:] for value in values if value and value in seen]
    assert not leaked, f"values ending in {leaked} left the kernel"


def test_the_sdk_files_printed_show_labels(kernel: KernelDriver, replies: list[dict[str, Any]]) -> None:
    out = run(kernel, "import os\nprint(open(os.path.expanduser('~/.qcs/secrets.toml')).read())", replies)
    assert 'access_token = "<Rigetti QCS access token ‘default’ …' in out["stdout"]
    assert 'refresh_token = "<Rigetti QCS refresh token ‘default’ …' in out["stdout"]
    out = run(kernel, "print(open(os.path.expanduser('~/.qiskit/qiskit-ibm.json')).read())", replies)
    assert f"<IBM Quantum API key ‘{IBM_NAME}’ …" in out["stdout"]


def test_each_redaction_is_reported_to_the_server_without_the_value(server: JupyterServer) -> None:
    """Once per credential and cell (``POST qcred/redactions``): the panel's card says a value was kept out."""
    from support.helpers import wait_until

    def notices() -> list[dict[str, Any]]:
        return [n for n in server.api("GET", "qcred/status")["redactions"]["qcs"] if n["what"] == "kernel output"]

    [notice] = wait_until(notices, timeout=30, what="the kernel's report in the status")
    assert (notice["name"], notice["where"], notice["action"]) == ("default", "kernel output", "redacted")


def test_the_active_account_of_qiskit_ibm_runtime(kernel: KernelDriver, replies: list[dict[str, Any]]) -> None:
    code = "from qiskit_ibm_runtime import QiskitRuntimeService\nQiskitRuntimeService().active_account()"
    out = run(kernel, code, replies)
    assert out["error"] is None, out
    assert f"'token': '<IBM Quantum API key ‘{IBM_NAME}’ …" in out["results"][0]


def test_an_exception_carrying_a_token(kernel: KernelDriver, replies: list[dict[str, Any]]) -> None:
    out = run(kernel, READ_TOKENS + "raise RuntimeError(f'refused: {ibm_key}')", replies)
    assert out["error"]["ename"] == "RuntimeError"
    assert out["error"]["evalue"].startswith(f"refused: <IBM Quantum API key ‘{IBM_NAME}’ …")


def test_html_and_base64(kernel: KernelDriver, replies: list[dict[str, Any]]) -> None:
    code = READ_TOKENS + (
        "import base64\nfrom IPython.display import HTML, display\n"
        "display(HTML(f'<b>{qcs_token}</b>'))\n"
        "print(base64.b64encode(ibm_key.encode()).decode())\n"
        "print(base64.b64encode(f'user:{qcs_token}'.encode()).decode())\n"
        "print('Authorization: Bearer ' + qcs_token)\n"
    )
    kernel.messages.clear()
    run(kernel, code, replies)
    [html] = [m["content"]["data"]["text/html"] for m in kernel.messages if m["msg_type"] == "display_data"]
    assert html.startswith("<b>&lt;Rigetti QCS access token ‘default’ …") and html.endswith("&gt;</b>")
    stdout = "".join(m["content"]["text"] for m in kernel.messages if m["msg_type"] == "stream")
    assert stdout.startswith(f"<IBM Quantum API key ‘{IBM_NAME}’ …")
    assert "Authorization: Bearer <Rigetti QCS access token ‘default’ …" in stdout


def test_a_shell_command_printing_the_file(kernel: KernelDriver, replies: list[dict[str, Any]]) -> None:
    """``!cat``: IPython reads the command's output and writes it to the same stream."""
    out = run(kernel, "!cat ~/.qiskit/qiskit-ibm.json ~/.qcs/secrets.toml", replies)
    assert f"<IBM Quantum API key ‘{IBM_NAME}’ …" in out["stdout"]
    assert "<Rigetti QCS refresh token ‘default’ …" in out["stdout"]


def test_a_refresh_in_the_middle_of_a_printing_loop(
    kernel: KernelDriver, server: JupyterServer, home: Path, replies: list[dict[str, Any]]
) -> None:
    """The loop re-reads secrets.toml and prints it until the server's refresh changed it and a second more; no new
    token may appear in any message (the filter re-reads the file before each message)."""
    marker = home / "loop-started"
    code = (
        "import os, time, pathlib\n"
        "path = os.path.expanduser('~/.qcs/secrets.toml')\n"
        "first = open(path).read()\n"
        f"pathlib.Path({str(marker)!r}).touch()\n"
        "deadline, changed = time.monotonic() + 60, None\n"
        "while time.monotonic() < deadline:\n"
        "    text = open(path).read()\n"
        "    print(text)\n"
        "    if text != first and changed is None:\n"
        "        changed = time.monotonic()\n"
        "    if changed is not None and time.monotonic() - changed > 1:\n"
        "        break\n"
        "    time.sleep(0.005)\n"
        "print('changed' if changed else 'unchanged')\n"
    )
    before = credential_file_secrets(home)
    refreshed: list[Any] = []

    def refresh_when_the_loop_runs() -> None:
        from support.helpers import wait_until

        wait_until(marker.exists, timeout=60, what="the printing loop")
        refreshed.append(server.api("POST", "qcred/refresh", {"provider": "qcs"}))

    thread = threading.Thread(target=refresh_when_the_loop_runs)
    thread.start()
    out = run(kernel, code, replies)
    thread.join(60)
    assert out["stdout"].rstrip().endswith("changed") and not out["stdout"].rstrip().endswith("unchanged"), refreshed
    new = [value for value in credential_file_secrets(home) if value not in before]
    assert new, "the refresh wrote no new token"
    labels = {line for line in out["stdout"].splitlines() if line.startswith("access_token = ")}
    assert len(labels) >= 2, labels  # the old token's label, then the new one's: the refresh happened mid-loop


def guard_kernel(home: Path, environment: dict[str, str], **env: str) -> tuple[Any, KernelDriver]:
    from jupyter_client.manager import start_new_kernel

    variables = {key: value for key, value in environment.items() if key != "ROOT"}
    manager, client = start_new_kernel(kernel_name="python3", env={**variables, **env}, startup_timeout=60)
    return manager, KernelDriver(client)


def test_switched_off_the_value_shows(home: Path, environment: dict[str, str], server: JupyterServer) -> None:
    """The switch works, and so the tests above could fail: without the filter the same cell shows the key."""
    manager, driver = guard_kernel(home, environment, JUPYTER_QCRED_OUTPUT_GUARD="off")
    try:
        result = driver.run(READ_TOKENS + "print(ibm_key)")
        ibm_key = json.loads((home / ".qiskit" / "qiskit-ibm.json").read_text())[IBM_NAME]["token"]
        assert result.stdout.strip() == ibm_key
    finally:
        driver.stop()
        manager.shutdown_kernel(now=True)


def test_the_sdk_adapters_switched_off_leave_the_guard_on(home: Path, environment: dict[str, str]) -> None:
    """``JUPYTER_QCRED_SDK_ADAPTERS=off`` (for example handed to every kernel by ``c.QCredApp.sdk_adapters = False``)
    switches the SDK adapters only: the output filter is a safeguard with its own switch. ``%load_ext`` on top is
    harmless (installed once)."""
    manager, driver = guard_kernel(home, environment, JUPYTER_QCRED_SDK_ADAPTERS="off")
    try:
        code = READ_TOKENS + "print(ibm_key)"
        assert driver.run(code).stdout.strip().startswith(f"<IBM Quantum API key ‘{IBM_NAME}’ …")
        assert driver.run("%load_ext jupyter_qcred").status == "ok"
        assert driver.run(code).stdout.strip().startswith(f"<IBM Quantum API key ‘{IBM_NAME}’ …")
    finally:
        driver.stop()
        manager.shutdown_kernel(now=True)
