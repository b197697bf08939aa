"""Assemble the sandbox: one tornado application served on a plain and (optionally) a TLS loopback port.

Both ports serve the same application and state, so a test can reach the admin API over plain http while the
QCS client talks https, and a browser opens the device-activation page over plain http (no certificate warning for
the private CA).  Start-up prints exactly one JSON line (the "ready line") on stdout and writes the same
object to ``{state_dir}/sandbox.json``: whoever started the process waits for it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from . import admin, iam, ibm_legacy, ionq_api, nexus_api, oidc, qcs_api, runtime, sts
from .config import SandboxConfig, SandboxUrls
from .plugins import stand_ins
from .seed import seed_demo
from .state import JUPYTERHUB_CLIENT_ID, QCS_CLI_CLIENT_ID, SandboxState
from .tls import TlsFiles, generate

log = logging.getLogger("jupyter_qcred.sandbox")


@dataclass
class Options:
    """Start-up options (the command line of ``python -m jupyter_qcred.sandbox``)."""

    port: int = 0
    tls_port: int = 0
    tls: bool = False
    state_dir: str | None = None
    seed: str = "demo"
    exit_with_parent: bool = False
    #: Start moto while the ready line is awaited (the demo, the hub); off, the first STS request starts it.
    warm_sts: bool = True
    config: SandboxConfig | None = None


class NotFoundHandler(web.RequestHandler):
    """Unknown paths answer a JSON 404, and get logged, so a client calling an unexpected URL shows up."""

    def prepare(self) -> None:
        state: SandboxState = self.settings["sandbox_state"]
        state.log.append(
            {
                "method": self.request.method,
                "path": self.request.path,
                "endpoint": "not_found",
                "scheme": self.request.protocol,
                "grant_type": None,
                "client_id": None,
                "user": None,
                "status": 404,
                "error": "not_found",
                "fault": None,
                "fault_id": None,
                "form_keys": None,
            }
        )
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps({"error": "not_found", "error_description": f"no sandbox route for {self.request.path}"})
        )


def log_request(handler: web.RequestHandler) -> None:
    """Access log on stderr without query strings (they can hold codes and state)."""
    request = handler.request
    log.info("%d %s %s %.1fms", handler.get_status(), request.method, request.path, 1000.0 * request.request_time())


def make_app(state: SandboxState, stop: Any = None) -> web.Application:
    handlers: list[Any] = []
    for module in (oidc, qcs_api, ibm_legacy, iam, runtime, ionq_api, sts, nexus_api, admin):
        handlers.extend(module.routes())
    for stand_in in stand_ins():  # the clouds whose stand-in lives beside their provider
        handlers.extend(stand_in.routes())
    return web.Application(
        handlers,
        default_handler_class=NotFoundHandler,
        sandbox_state=state,
        sandbox_stop=stop,
        log_function=log_request,
        xsrf_cookies=False,
        compress_response=False,
    )


def ready_info(state: SandboxState, tls: TlsFiles | None, state_dir: Path) -> dict[str, Any]:
    urls = state.urls
    return {
        "http_url": urls.http_base,
        "https_url": urls.https_base,
        "ca_file": str(tls.ca_file) if tls else None,
        "pid": os.getpid(),
        "state_dir": str(state_dir),
        "qcs_issuer": urls.qcs_issuer,
        "qcs_api_url": urls.qcs_api_url,
        "qcs_grpc_url": urls.qcs_grpc_url,
        "qcs_client_id": QCS_CLI_CLIENT_ID,
        "qcs_activate_url": urls.activate_url,
        "jupyterhub_client_id": JUPYTERHUB_CLIENT_ID,
        "ibm_auth_url": urls.ibm_auth_url,
        "iam_url": urls.iam_url,
        "runtime_url": urls.runtime_url,
        "ionq_url": urls.http_base + ionq_api.PREFIX,
        "sts_url": urls.http_base + "/sts",
        "nexus_url": urls.http_base,
        "admin_url": urls.http_base + "/_sandbox",
        **{name: value for stand_in in stand_ins() for name, value in stand_in.info(urls).items()},
    }


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def _bind(port: int) -> list[socket.socket]:
    return bind_sockets(port, "127.0.0.1", family=socket.AF_INET)


async def serve(opts: Options) -> None:
    """Run until SIGTERM/SIGINT, ``POST /_sandbox/shutdown``, or (optionally) the parent's death."""
    state_dir = Path(opts.state_dir) if opts.state_dir else Path(tempfile.mkdtemp(prefix="qcred-sandbox-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    http_socks = _bind(opts.port)
    tls_files: TlsFiles | None = None
    https_socks: list[socket.socket] = []
    if opts.tls:
        tls_files = generate(state_dir)
        https_socks = _bind(opts.tls_port)
    http_base = f"http://127.0.0.1:{http_socks[0].getsockname()[1]}"
    https_base = f"https://127.0.0.1:{https_socks[0].getsockname()[1]}" if https_socks else None
    state = SandboxState(SandboxUrls(http_base, https_base), opts.config or SandboxConfig())
    if opts.seed == "demo":
        seed_demo(state)

    stop_event = asyncio.Event()
    app = make_app(state, stop_event.set)
    # moto takes seconds to import and start: begin now, beside whoever waits for the ready line (STS requests wait
    # for it; a sandbox without moto serves everything else).
    if opts.warm_sts:
        threading.Thread(target=sts.warm_up, name="moto-start", daemon=True).start()
    servers = [HTTPServer(app)]
    servers[0].add_sockets(http_socks)
    if tls_files is not None:
        servers.append(HTTPServer(app, ssl_options=tls_files.server_context()))
        servers[1].add_sockets(https_socks)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_event.set)
    parent = os.getppid()

    async def watch_parent() -> None:
        while not stop_event.is_set():
            if os.getppid() != parent:
                stop_event.set()
            await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch_parent()) if opts.exit_with_parent else None
    info = ready_info(state, tls_files, state_dir)
    _write_json_atomic(state_dir / "sandbox.json", info)
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    await stop_event.wait()
    if watcher is not None:
        watcher.cancel()
    for server in servers:
        server.stop()
    log.info("sandbox stopped")
