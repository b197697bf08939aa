"""The demos the way a newcomer meets them: ``jupyter qcred demo [--hub]`` as real processes, stopped by signals.

Each demo runs as ``python -m jupyter_qcred.cli demo ... --no-browser --port FREE`` in a session of its own, with a
``PATH`` that does not hold this interpreter's bin folder (``venv/bin/jupyter qcred demo`` from a shell where the
venv is not activated) and Jupyter's data folder in a temp dir (the demo keeps its root there; the proxy that
``run_all.sh`` installed is reached through ``PATH``). Whether everything stopped is judged with psutil from the
outside, not with the demo's own bookkeeping. Slow (a JupyterLab, a JupyterHub): about a minute in all.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx
import pytest
from support.helpers import wait_until

from jupyter_qcred.core.errors import QCredError
from jupyter_qcred.demo.processes import free_port, wait_until_serving
from jupyter_qcred.demo.world import demo_env_lines
from jupyter_qcred.sandbox.client import Sandbox

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.timeout(420)

REPO = Path(__file__).resolve().parents[2]
OUR_BIN = {os.path.realpath(p) for p in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)) if p}
STOP_DEADLINE = 60.0  # seconds for the demo and everything it started to be gone after the signal


def path_without_our_bin() -> str:
    return os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if os.path.realpath(p) not in OUR_BIN
    )


class DemoRun:
    """``python -m jupyter_qcred.cli demo ARGS --no-browser --port FREE`` and what it started, seen from outside."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.port = free_port()
        self.root = tmp_path / "data" / "jupyter_qcred" / "demo"
        self.log_path = tmp_path / "demo.log"
        self.token = os.urandom(12).hex()
        path = path_without_our_bin()
        if "--hub" in args:
            path = self.proxy_dir(tmp_path) + os.pathsep + path
        self.env = {
            **os.environ,
            "PATH": path,
            "JUPYTER_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
            "JUPYTER_TOKEN": self.token,  # JupyterLab's login token, so the test can start a kernel
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyter_qcred.cli", "demo", *args, "--no-browser", "--port", str(self.port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.seen: dict[int, float] = {}

    @staticmethod
    def proxy_dir(tmp_path: Path) -> str:
        """A folder holding only configurable-http-proxy (installed by run_all.sh), for the demo's PATH."""
        from jupyter_qcred.demo.proxy import ensure_proxy

        try:
            proxy = ensure_proxy()
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"configurable-http-proxy is not available: {exc}")
        folder = tmp_path / "proxy-bin"
        folder.mkdir()
        (folder / "configurable-http-proxy").symlink_to(proxy)
        return str(folder)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_serving(self, path: str, timeout: float = 90.0) -> None:
        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{self.port}/{path}", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until_serving(self.process, answers, timeout=timeout, what="the demo", log_tail=self.log_tail)

    def tree(self) -> list[Any]:
        """The demo and every process below it now (remembered for :meth:`running` and the cleanup)."""
        top = psutil.Process(self.process.pid)
        processes = []
        for process in [top, *top.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):  # one that ended meanwhile (a zombie too) is gone
                self.seen[process.pid] = process.create_time()
                processes.append(process)
        return processes

    def running(self) -> list[str]:
        """What is still running of all it ever started (a zombie counts as gone)."""
        alive = []
        for pid, created in self.seen.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                process = psutil.Process(pid)
                if process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{pid} {' '.join(process.cmdline())[:100]}")
        return alive

    def kill_all(self) -> None:
        """Test cleanup, whatever happened: stop the demo, then SIGKILL its session and all it was seen to start."""
        with contextlib.suppress(psutil.Error):
            self.tree()  # first, while the demo still runs: what runs in other sessions is found through it
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_DEADLINE)
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid, created in self.seen.items():
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                if process.create_time() == created:
                    process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


@pytest.fixture
def start_demo(tmp_path: Path) -> Iterator[Any]:
    runs: list[DemoRun] = []

    def start(*args: str) -> DemoRun:
        runs.append(DemoRun(tmp_path, *args))
        return runs[-1]

    yield start
    for run in runs:
        run.kill_all()


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port (connections left in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def command_lines(processes: list[Any]) -> list[str]:
    lines = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            lines.append(" ".join(process.cmdline()))
    return lines


def stop_and_check(demo: DemoRun, signum: int, ports: list[int]) -> None:
    """Send ``signum`` to the demo alone; it exits 0, and nothing it started runs or listens any more."""
    demo.tree()
    demo.process.send_signal(signum)
    try:
        code = demo.process.wait(timeout=STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo did not exit within {STOP_DEADLINE} s of {signal.Signals(signum).name}")
    wait_until(lambda: not demo.running(), timeout=STOP_DEADLINE, what="every process the demo started to end")
    for port in ports:
        wait_until(lambda port=port: port_free(port), timeout=10, what=f"port {port} to be free")
    assert code == 0, demo.log_tail()


def sandbox_ports(root: Path) -> list[int]:
    info = json.loads((root / "sandbox" / "sandbox.json").read_text())
    return [int(urlparse(info[key]).port or 0) for key in ("http_url", "https_url")]


def start_kernel(client: httpx.Client, server_url: str, headers: dict[str, str]) -> None:
    answer = client.post(server_url + "api/kernels", json={"name": "python3"}, headers=headers)
    assert answer.status_code == 201, answer.text


def kernel_processes(demo: DemoRun) -> list[Any]:
    return [p for p in demo.tree() if any("ipykernel" in line for line in command_lines([p]))]


def cli_status(lines: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``jupyter qcred status --json`` in a fresh POSIX shell that ran ``lines`` (exports change HOME and PATH)."""
    script = "\n".join([*lines, "exec jupyter qcred status --json"])
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    status = dict(json.loads(result.stdout))
    # Exit 3 only for the demo's legacy account, where the installed qiskit-ibm-runtime cannot load it.
    unusable = [e for e in status["providers"] if e["state"] not in ("ok", "expiring", "refreshing", "absent")]
    assert all((e["name"], e["state"]) == ("legacy", "unsupported") for e in unusable), result.stdout
    assert result.returncode == (3 if unusable else 0), result.stderr + result.stdout
    return status


def entry(status: dict[str, Any], provider: str, name: str) -> dict[str, Any]:
    return next(e for e in status["providers"] if e["provider"] == provider and e["name"] == name)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_lab_demo_stops_everything_on_a_signal(start_demo: Any, signum: signal.Signals) -> None:
    demo = start_demo()
    demo.wait_serving("api")
    server = f"http://127.0.0.1:{demo.port}/"
    with httpx.Client(timeout=30) as client:
        start_kernel(client, server, {"Authorization": f"token {demo.token}"})
    wait_until(lambda: kernel_processes(demo), timeout=60, what="the kernel process")
    started = command_lines(demo.tree())
    assert any("jupyter_qcred.sandbox" in line for line in started), started
    assert any("-m jupyterlab" in line for line in started), started
    assert (demo.root / "demo.json").exists()

    stop_and_check(demo, signum, [demo.port, *sandbox_ports(demo.root)])
    assert not (demo.root / "demo.json").exists(), "a stopped demo publishes no environment"
    with pytest.raises(QCredError, match="no demo is running"):
        demo_env_lines(root=demo.root)


def test_lab_demo_env_lines_show_alices_credentials_to_the_cli(start_demo: Any) -> None:
    demo = start_demo()
    demo.wait_serving("api")
    # The server answers before its start-up has written the bundle (kernels and terminals wait for it): the qcred
    # API answers once the files are there.
    status_url, token = f"http://127.0.0.1:{demo.port}/qcred/status", {"Authorization": f"token {demo.token}"}
    wait_until(lambda: httpx.get(status_url, headers=token, timeout=30).status_code == 200, timeout=60)
    lines = demo_env_lines(root=demo.root)
    assert (demo.root / "env.sh").read_text().splitlines() == lines, "`source env.sh` does the same"
    text = "\n".join(lines)
    for name in ("HOME", "IAM_URL", "SSL_CERT_FILE", "PATH"):
        assert f"export {name}=" in text
    assert f"export HOME={demo.root / 'home'}" in lines
    home = demo.root / "home"
    handed_out = [
        *(
            value
            for entry in tomllib.loads((home / ".qcs" / "secrets.toml").read_text())["credentials"].values()
            for value in (entry.get("token_payload") or {}).values()
        ),
        *(account["token"] for account in json.loads((home / ".qiskit" / "qiskit-ibm.json").read_text()).values()),
    ]
    assert not [str(secret)[-4:] for secret in handed_out if len(str(secret)) >= 12 and str(secret) in text]

    # A separate shell: the real HOME, no PYTHON* tricks beyond the checkout, the venv's bin not on PATH.
    shell_env = {key: value for key, value in demo.env.items() if key not in ("JUPYTER_DATA_DIR", "JUPYTER_TOKEN")}
    shell_env["QCS_SETTINGS_FILE_PATH"] = "/nonexistent/settings.toml"  # the lines unset what points elsewhere
    status = cli_status(lines, shell_env)
    assert entry(status, "qcs", "default")["state"] == "ok", status
    assert entry(status, "ibm", "default-ibm-quantum-platform")["state"] == "ok", status
    assert entry(status, "qcs", "default")["file"].startswith(str(demo.root / "home"))


def test_device_login_page_is_plain_http_on_loopback(sandbox: Sandbox) -> None:
    assert sandbox.ca_file
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox.ca_file), timeout=30) as https:
        discovery = https.get(sandbox.qcs_issuer + "/.well-known/openid-configuration").json()
        assert discovery["token_endpoint"].startswith("https://127.0.0.1:"), "the SDKs still get https"
        start = https.post(
            discovery["device_authorization_endpoint"],
            data={"client_id": sandbox.qcs_client_id, "scope": "openid offline_access"},
        ).json()
        for key in ("verification_uri", "verification_uri_complete"):
            url = urlparse(start[key])
            assert (url.scheme, url.hostname) == ("http", "127.0.0.1"), start[key]
            assert url.path == "/activate"

        # A browser's view: plain HTTP (no TLS at all), the page with the code filled in.
        with httpx.Client(timeout=30) as browser:
            page = browser.get(start["verification_uri_complete"])
            assert page.status_code == 200
            assert page.url.scheme == "http"
            assert 'id="approve"' in page.text and start["user_code"] in page.text
            form = {"user_code": start["user_code"], "username": "alice", "action": "approve"}
            approved = browser.post(start["verification_uri"], data=form)
            assert approved.status_code == 200 and 'id="result"' in approved.text

        # The device (the SDK) then gets its tokens over https.
        tokens = https.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "client_id": sandbox.qcs_client_id,
                "device_code": start["device_code"],
            },
        )
        assert tokens.status_code == 200, tokens.text
        assert tokens.json()["refresh_token"]
    activations = [e for e in sandbox.log("qcs_activate") if e["method"] == "POST"]
    assert activations and activations[-1]["scheme"] == "http"


def login(client: httpx.Client, hub_url: str, user: str) -> None:
    """The hub's OAuth login through the sandbox's sign-in form, as a browser would; the spawn follows."""
    answer = client.get(hub_url + "hub/oauth_login")
    assert answer.status_code == 302, answer.text
    authorize = answer.headers["location"]
    assert urlparse(authorize).scheme == "http", "the sign-in page is for a browser: plain http on loopback"
    assert client.get(authorize).status_code == 200
    signed_in = client.post(authorize, data={"username": user})
    assert signed_in.status_code == 302, signed_in.text
    client.get(urljoin(authorize, signed_in.headers["location"]), follow_redirects=True)


def server_ready(client: httpx.Client, hub_url: str, user: str) -> bool:
    """The user's JupyterLab page answers (the spawn-pending page redirects there once the server is up)."""
    answer = client.get(f"{hub_url}user/{user}/lab", follow_redirects=True)
    return answer.status_code == 200 and answer.url.path.startswith(f"/user/{user}/lab")


def environ_path(process: Any) -> list[str]:
    return str(process.environ().get("PATH", "")).split(os.pathsep)


@pytest.mark.skipif(shutil.which("node") is None, reason="configurable-http-proxy needs Node.js")
def test_hub_demo_spawns_without_the_venv_on_path_and_stops_everything_on_sigterm(start_demo: Any) -> None:
    demo = start_demo("--hub")
    demo.wait_serving("hub/api/", timeout=120)
    hub_url = f"http://127.0.0.1:{demo.port}/"
    with httpx.Client(timeout=60) as client:
        login(client, hub_url, "alice")
        wait_until(lambda: server_ready(client, hub_url, "alice"), timeout=120, what="alice's server")
        xsrf = next(c.value for c in client.cookies.jar if c.name == "_xsrf" and c.path.startswith("/user/alice"))
        start_kernel(client, f"{hub_url}user/alice/", {"X-XSRFToken": xsrf})
    kernels = wait_until(lambda: kernel_processes(demo), timeout=60, what="alice's kernel process")

    processes = demo.tree()
    (single_user,) = [p for p in processes if "jupyterhub.singleuser" in " ".join(p.cmdline())]
    assert single_user.cmdline()[0] == sys.executable, "the demo's own interpreter, whatever PATH says"
    assert os.path.realpath(environ_path(single_user)[0]) in OUR_BIN, "its tools first for the server ..."
    assert os.path.realpath(environ_path(kernels[0])[0]) in OUR_BIN, "... and for the kernels"
    assert any("configurable-http-proxy" in line for line in command_lines(processes))

    # The CLI in another shell sees alice's credentials on the hub.
    lines = demo_env_lines(hub=True, root=demo.root / "hub")
    assert f"export HOME={demo.root / 'hub' / 'hub' / 'home' / 'alice'}" in lines
    shell_env = {key: value for key, value in demo.env.items() if key not in ("JUPYTER_DATA_DIR", "JUPYTER_TOKEN")}
    status = cli_status(lines, shell_env)
    assert entry(status, "qcs", "default")["state"] == "ok", status

    stop_and_check(demo, signal.SIGTERM, [demo.port, *sandbox_ports(demo.root / "hub")])
    assert not (demo.root / "hub" / "demo.json").exists()
