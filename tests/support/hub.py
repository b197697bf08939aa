"""Driving a real local JupyterHub (:class:`jupyter_qcred.demo.hub.LocalHub`) from a test: log a user in through the
sandbox's login page in Chromium, wait for a server, call a server's qcred API or the hub's API with a token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from jupyter_qcred.demo.hub import LocalHub


def login(browser: Any, hub: LocalHub, user: str) -> Any:
    """Log ``user`` in through the sandbox's login page, like a person would; returns the browser page."""
    page = browser.new_context().new_page()
    page.goto(hub.public_url + "hub/oauth_login")
    page.select_option("#username", user)
    page.click("#login")
    page.wait_for_url(f"**/user/{user}/**", timeout=90_000)
    return page


def server_ready(hub: LocalHub, user: str) -> bool:
    model = hub.api("GET", f"/users/{user}")
    server = model.get("servers", {}).get("")
    return bool(server and server.get("ready"))


def user_api(hub: LocalHub, user: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{hub.public_url}user/{user}/qcred/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {hub.api_token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def server_token(hub: LocalHub, user: str) -> str:
    """The single-user server's own JUPYTERHUB_API_TOKEN, read from its process (we are root on this machine)."""
    pid = hub.api("GET", f"/users/{user}")["servers"][""]["state"]["pid"]
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    values = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
    return values["JUPYTERHUB_API_TOKEN"]


def hub_get(hub: LocalHub, path: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(hub.public_url + "hub/api" + path, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
