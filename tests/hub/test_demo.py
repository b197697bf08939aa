"""``jupyter qcred demo --hub`` the way a newcomer meets it: a real local JupyterHub started as a process with a PATH
that does not hold this interpreter's bin folder, alice's server and kernel spawned with the demo's own tools, and
everything gone after SIGTERM (judged with psutil from the outside). The lab demo is in tests/server/test_demo.py."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx
import pytest
from support import demo_runs
from support.demo_runs import (
    OUR_BIN,
    cli_status,
    command_lines,
    demo_cli,
    entry,
    kernel_processes,
    sandbox_ports,
    start_kernel,
    stop_and_check,
)
from support.helpers import wait_until

from jupyter_qcred.demo.world import demo_env_lines

pytestmark = pytest.mark.timeout(420)

# A demo as a process tree, stopped and checked from the outside (tests/support/demo_runs.py).
start_demo = demo_runs.start_demo


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


def sandbox_admin(demo: Any) -> str:
    return str(json.loads((demo.root / "hub" / "sandbox" / "sandbox.json").read_text())["admin_url"])


def environ_path(process: Any) -> list[str]:
    return str(process.environ().get("PATH", "")).split(os.pathsep)


@pytest.mark.slow
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
    status = cli_status(lines, shell_env)  # all green: exit 0
    assert entry(status, "qcs", "default")["state"] == "ok", status
    assert [e["name"] for e in status["providers"] if e["provider"] == "ibm"] == ["default-ibm-quantum-platform"]
    # `demo --env` without --hub finds the hub demo, and says whose lines they are.
    found = demo_cli(demo, "--env")
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines() == lines
    assert found.stdout.startswith("# jupyter qcred demo --hub: alice's credentials")
    bob = demo_cli(demo, "--env", "--user", "bob").stdout.splitlines()
    assert f"export HOME={demo.root / 'hub' / 'hub' / 'home' / 'bob'}" in bob
    said = demo.log_path.read_text()
    assert "Scenarios on: none" in said and "--credentials" in said
    # Keys to paste, from the hub demo's sandbox: bob's by default, alice's for someone logged in as bob.
    store = httpx.get(sandbox_admin(demo) + "/credentials", timeout=30).json()
    for args, user in (((), "bob"), (("--user", "alice"), "alice")):
        printed = demo_cli(demo, "--hub", "--credentials", *args)
        assert printed.returncode == 0, printed.stderr
        assert f"  API key: {store['ibm'][user]['apikey']}\n" in printed.stdout
        assert printed.stdout.startswith(f"# {user}'s sandbox keys")
    assert not [key[-4:] for key in (v["apikey"] for v in store["ibm"].values()) if key in said]

    stop_and_check(demo, signal.SIGTERM, [demo.port, *sandbox_ports(demo.root / "hub")])
    assert not (demo.root / "hub" / "demo.json").exists()
