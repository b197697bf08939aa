"""``jupyter qcred demo``: JupyterLab with the extension, against the loopback sandbox services.

The demo never touches your real credentials: it runs JupyterLab with ``HOME`` set to a demo folder, hands the
server a spawn bundle for the sandbox user ``alice`` (exactly what JupyterHub would do), and points the SDKs at the
sandbox (``IAM_URL``, the sandbox's CA in ``SSL_CERT_FILE``).  It prints, and keeps in its folder for
:func:`demo_env_lines`, the few ``export`` lines that show the same credentials to ``jupyter qcred`` and the SDKs
in another shell.  Whatever signal stops it (Ctrl-C, SIGTERM, SIGHUP), everything it started stops too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from ..sandbox.client import Sandbox, SandboxError
from .credentials import paste_hint
from .processes import ProcessTree, StopSignals, tools_path, wait_until_serving
from .world import (
    demo_bundle,
    demo_root,
    own_environ,
    prepare_home,
    published_environment,
    refresh_published,
    sandbox_environment,
    shell_hint,
    start_afresh,
)

#: What a lab demo's start clears (unless --keep): its home, JupyterLab's runtime files, the sandbox's folder.
LAB_PARTS = ("home", "runtime", "sandbox")


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


def run_lab_demo(
    port: int = 8888,
    open_browser: bool = True,
    signals: StopSignals | None = None,
    scenarios: tuple[str, ...] = (),
    keep: bool = False,
) -> int:
    """``jupyter qcred demo``: the sandbox and JupyterLab until JupyterLab exits or a stop signal arrives.

    Each start is clean (:func:`start_afresh`) unless ``keep``; ``scenarios`` are switched on in the sandbox before
    alice's bundle is made from it.
    """
    root = demo_root()
    fresh = start_afresh(root, LAB_PARTS, keep)
    home = prepare_home(root / "home")
    with Sandbox(tls=True, state_dir=root / "sandbox", scenarios=list(scenarios)) as sandbox:
        shared = {"HOME": str(home), **sandbox_environment(sandbox)}
        env = {
            **own_environ(),
            **shared,
            "PATH": tools_path(),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "QCRED_BUNDLE": json.dumps(demo_bundle(sandbox, scenarios=sandbox.scenarios())),
        }
        with published_environment(root, shared, sandbox_admin=sandbox.admin_url) as lines:
            print(
                f"jupyter qcred demo: sandbox services at {sandbox.http_url} (user alice); demo home {home}.\n"
                f"{fresh}\n"
                "Open the 'Quantum credentials' panel in the left sidebar, or run %qcred in a notebook. Ctrl-C stops.\n"
                + paste_hint(sandbox, "jupyter qcred demo", "alice")
                + "\n"
                + shell_hint(root, lines),
                flush=True,
            )
            # A session of its own: the terminal's Ctrl-C reaches the demo only, which stops JupyterLab and all
            # it started (kernels run in sessions of their own) exactly once.
            process = subprocess.Popen(
                lab_command(port, home, open_browser=False), env=env, stdin=subprocess.DEVNULL, start_new_session=True
            )
            tree = ProcessTree(process)
            follow = ScenarioFollower(sandbox, {**own_environ(), **shared, "PATH": tools_path()})
            try:
                if open_browser:
                    open_lab_when_serving(process, port, root / "runtime")
                return tree.wait(tick=lambda: _tick(follow, root))
            finally:
                if signals is not None:
                    signals.hold()
                tree.stop(timeout=30)


def _tick(follow: ScenarioFollower, root: Path) -> None:
    """What the demo does every two seconds while JupyterLab runs: follow the sandbox's scenarios, and keep
    ``env.sh`` equal to what ``demo --env`` prints."""
    follow()
    refresh_published(root)


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


class ScenarioFollower:
    """While the lab demo runs, a scenario switched on or off in the sandbox (``POST /_sandbox/scenarios``) changes
    alice's files the way a person would: ``legacy`` on adds her legacy IBM account (``jupyter qcred init`` from a
    bundle holding only it), off removes it (``jupyter qcred remove``). The server sees the files change and every
    view follows. (The hub demo needs none of this: its login hook reads the scenarios at each login.)
    """

    def __init__(self, sandbox: Sandbox, environment: dict[str, str]) -> None:
        self.sandbox = sandbox
        self.environment = environment
        self.on = set(sandbox.scenarios())

    def __call__(self) -> None:
        try:
            now = set(self.sandbox.scenarios())
        except SandboxError:
            return  # the sandbox is stopping with the demo
        for name in sorted(now - self.on):
            self._switch(name, on=True)
        for name in sorted(self.on - now):
            self._switch(name, on=False)
        self.on = now

    def _switch(self, name: str, on: bool) -> None:
        if name != "legacy":
            return
        cli = [sys.executable, "-m", "jupyter_qcred.cli"]
        if on:
            bundle = demo_bundle(self.sandbox, clouds=("ibm",), scenarios=("legacy",))
            bundle["ibm"] = [entry for entry in bundle["ibm"] if entry["name"] == "legacy"]
            command, env = [*cli, "init", "--from", "bundle", "--quiet"], {"QCRED_BUNDLE": json.dumps(bundle)}
        else:
            command, env = [*cli, "remove", "ibm", "legacy", "--yes"], {}
        done = subprocess.run(
            command, env={**self.environment, **env}, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        what = "added alice's legacy IBM account" if on else "removed alice's legacy IBM account"
        outcome = what if done.returncode in (0, 3) else f"could not change alice's files: {done.stderr.strip()}"
        print(f"jupyter qcred demo: scenario {name!r} switched {'on' if on else 'off'}: {outcome}.", flush=True)
