"""Drive real kernels under a real Jupyter server, for tests of ``%qcred`` (and anyone checking a deployment).

``JupyterServer`` runs ``jupyter server`` (optionally behind a wrapper such as binder's ``start``) as a child
process with the extension enabled, waits for its runtime file with a deadline, and starts kernels through the
server's own kernel API — so kernels inherit what the server put into its environment, exactly as in JupyterLab.
``KernelDriver`` executes code in such a kernel and keeps every IOPub message, so a test can wait for the widget
messages a background thread sends long after the cell finished. Only the standard library, httpx and
jupyter_client are used; nothing here runs unless a test imports it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jupyter_qcred.demo.processes import free_port, wait_until_serving

from .sessions import start_session, stop_session


class DriverError(AssertionError):
    """A deadline passed or the server died; the message says what was awaited and what was seen."""


@dataclasses.dataclass
class CellResult:
    """What one execution produced (IOPub messages whose parent is the request)."""

    status: str
    stdout: str
    stderr: str
    results: list[str]
    error: dict[str, Any] | None
    messages: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """Everything a person would see, for assertions and secret scans."""
        return "\n".join([self.stdout, self.stderr, *self.results, json.dumps(self.error or {})])


class KernelDriver:
    """Execute code in a running kernel through a blocking client; every IOPub message is kept in ``messages``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.messages: list[dict[str, Any]] = []

    def _next(self, deadline: float) -> dict[str, Any] | None:
        try:
            message: dict[str, Any] = self.client.get_iopub_msg(
                timeout=max(0.01, min(0.5, deadline - time.monotonic()))
            )
        except queue.Empty:
            return None
        self.messages.append(message)
        return message

    def run(self, code: str, timeout: float = 90.0) -> CellResult:
        """Execute ``code`` and collect its output until the kernel is idle again."""
        msg_id = self.client.execute(code, store_history=True)
        deadline = time.monotonic() + timeout
        start = len(self.messages)
        idle = False
        while not idle:
            if time.monotonic() > deadline:
                raise DriverError(f"no idle after {timeout} s running {code!r}; saw {self._texts(start)}")
            message = self._next(deadline)
            idle = bool(
                message
                and message["parent_header"].get("msg_id") == msg_id
                and message["msg_type"] == "status"
                and message["content"]["execution_state"] == "idle"
            )
        while True:  # skip replies to earlier requests (a kernel_info that wait_for_ready sent again under load)
            reply = self.client.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        mine = [m for m in self.messages[start:] if m["parent_header"].get("msg_id") == msg_id]
        streams = {"stdout": "", "stderr": ""}
        results: list[str] = []
        error = None
        for message in mine:
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                streams[content["name"]] += content["text"]
            elif kind in ("execute_result", "display_data"):
                results.append(str(content["data"].get("text/plain", "")))
            elif kind == "error":
                error = {"ename": content["ename"], "evalue": content["evalue"], "traceback": content["traceback"]}
        return CellResult(reply["content"]["status"], streams["stdout"], streams["stderr"], results, error, mine)

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0, what: str = ""
    ) -> dict[str, Any]:
        """The first IOPub message (seen before or arriving within ``timeout``) for which ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for message in self.messages[checked:]:
                if predicate(message):
                    return message
            checked = len(self.messages)
            if time.monotonic() > deadline:
                raise DriverError(f"timed out after {timeout} s waiting for {what or predicate}")
            self._next(deadline)

    def widget_states(self, model_id: str) -> list[dict[str, Any]]:
        """Every state an ipywidgets model sent to the front end: the ``comm_open`` one, then each update."""
        states = []
        for message in self.messages:
            content = message["content"]
            if content.get("comm_id") != model_id:
                continue
            data = content.get("data") or {}
            if message["msg_type"] == "comm_open" or data.get("method") == "update":
                states.append(dict(data.get("state") or {}))
        return states

    def _texts(self, start: int = 0) -> str:
        return json.dumps([m["content"] for m in self.messages[start:]], default=str)[-3000:]

    def all_text(self) -> str:
        """Every IOPub message this driver saw, serialized: what secret scans search."""
        return json.dumps([m["content"] for m in self.messages], default=str)

    def stop(self) -> None:
        self.client.stop_channels()


def credential_file_secrets(home: Path) -> list[str]:
    """The tokens currently in the SDKs' files under ``home`` (they change with every refresh): add them to a
    secret scan at the end of a test, when every refresh has happened."""
    import tomllib

    found: list[str] = []
    secrets_file = home / ".qcs" / "secrets.toml"
    if secrets_file.exists():
        for entry in tomllib.loads(secrets_file.read_text()).get("credentials", {}).values():
            payload = entry.get("token_payload") or {}
            found += [payload.get("access_token") or "", payload.get("refresh_token") or ""]
    accounts = home / ".qiskit" / "qiskit-ibm.json"
    if accounts.exists():
        found += [account.get("token") or "" for account in json.loads(accounts.read_text()).values()]
    rc = home / ".qiskit" / "qiskitrc"
    if rc.exists():
        found += [line.split("=", 1)[1].strip() for line in rc.read_text().splitlines() if line.startswith("token")]
    dotenv = home / ".env"
    if dotenv.exists():
        lines = dotenv.read_text().splitlines()
        found += [line.split("=", 1)[1].strip() for line in lines if "_API_KEY=" in line or "_API_TOKEN=" in line]
    for name in ("auth/token.json", "auth/id.json", "managed_auth/id.json"):
        qnx = home / ".qnx" / name
        if qnx.exists():
            found += [str(value) for value in json.loads(qnx.read_text())["data"].values() if value]
    aws = home / ".aws" / "qcred"
    for token_file in aws.glob("*.token") if aws.exists() else []:
        found.append(token_file.read_text().strip())
    for note in aws.glob("*.json") if aws.exists() else []:
        found.append(json.loads(note.read_text()).get("refresh_token") or "")
    return [token for token in found if len(token) >= 12]


class JupyterServer:
    """A ``jupyter server`` child process with jupyter_qcred enabled, and kernels started through its API.

    ``prefix`` runs the server through a wrapper that ends in ``exec "$@"`` (binder's ``start``), so the process
    started is the server itself; ``enable_extension=False`` relies on the installed configuration instead.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        root_dir: Path,
        *,
        prefix: Sequence[str] = (),
        python: str = sys.executable,
        extra_args: Sequence[str] = (),
        log_path: Path | None = None,
        enable_extension: bool = True,
    ) -> None:
        self.env = dict(env)
        self.runtime_dir = Path(self.env.setdefault("JUPYTER_RUNTIME_DIR", str(root_dir / ".runtime")))
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path or root_dir / "jupyter-server.log"
        self.command = [
            *prefix,
            python,
            "-m",
            "jupyter_server",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.open_browser=False",
            *(["--ServerApp.jpserver_extensions={'jupyter_qcred': True}"] if enable_extension else []),
            *(["--allow-root"] if os.getuid() == 0 else []),
            *extra_args,
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self._kernels: list[KernelDriver] = []

    def start(self, timeout: float = 60.0) -> JupyterServer:
        """Start and wait until the qcred API answers."""
        import httpx

        self.process = start_session(self.command, self.env, self.log_path)

        def answers() -> bool:
            try:
                return httpx.get(self.url + "qcred/status", headers=self.headers(), timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until_serving(
            self.process, answers, timeout=timeout, what="jupyter server", log_tail=self.log_tail, error=DriverError
        )
        return self

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, body: Any = None, timeout: float = 90.0) -> Any:
        """Call the server's REST API (``api/…`` or ``qcred/…``) with its token; returns the JSON answer."""
        import httpx

        response = httpx.request(method, self.url + path, json=body, headers=self.headers(), timeout=timeout)
        response.raise_for_status()
        return response.json() if response.content else None

    def start_kernel(self, timeout: float = 60.0) -> KernelDriver:
        """A kernel started by the server (so it inherits the server's environment), with a blocking client."""
        from jupyter_client.blocking import BlockingKernelClient

        kernel = self.api("POST", "api/kernels", {"name": "python3"})
        client = BlockingKernelClient(connection_file=str(self.runtime_dir / f"kernel-{kernel['id']}.json"))
        client.load_connection_file()
        client.start_channels()
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.wait_for_ready(timeout=max(deadline - time.monotonic(), 1.0))
                break
            except RuntimeError:
                # A standalone client calls a kernel dead when one heartbeat is late (a loaded machine); the
                # server, which owns the process, knows better: retry while it still lists the kernel.
                alive = any(k["id"] == kernel["id"] for k in self.api("GET", "api/kernels"))
                if not alive or time.monotonic() > deadline:
                    raise DriverError(f"kernel did not become ready: {self.log_tail()}") from None
        driver = KernelDriver(client)
        self._kernels.append(driver)
        return driver

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the kernels' clients, then the server (SIGTERM: it shuts its kernels down), then anything left of
        its process group (it was started in a session of its own, so the group is only the server and its kernels)."""
        for driver in self._kernels:
            driver.stop()
        process, self.process = self.process, None
        stop_session(process, timeout)
