"""A real ``jupyter lab`` child process with the sandbox's spawn bundle, and Chromium through Playwright.

``LabServer`` starts JupyterLab exactly like ``jupyter qcred demo`` does (HOME set to a private folder, the spawn
bundle in ``QCRED_BUNDLE``, the SDKs pointed at the sandbox), with its own user-settings and workspaces folders so
a test never reads or writes the real ones, and waits with a deadline until both the qcred API and the /lab page
answer. It serves the extension built in this working tree (``jupyter_qcred/labextension``).
``launch_chromium`` starts Debian's Chromium headless as REFERENCE.md section 4 says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from jupyter_qcred.demo.processes import free_port, wait_until_serving

from .sessions import start_session, stop_session

BUILT_LABEXTENSION = Path(__file__).resolve().parents[2] / "jupyter_qcred" / "labextension"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LabError(AssertionError):
    """JupyterLab did not start (the message holds the end of its log)."""


class LabServer:
    """``python -m jupyterlab`` as a child process in a session of its own, on a free loopback port."""

    def __init__(
        self,
        root: Path,
        env: Mapping[str, str],
        *,
        theme: str | None = None,
        extra_args: Sequence[str] = (),
        labextension: Path | None = BUILT_LABEXTENSION,
    ) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)
        self.settings_dir = root / "user-settings"
        self.workspaces_dir = root / "workspaces"
        self.workspaces_dir.mkdir(parents=True, exist_ok=True)
        apputils = self.settings_dir / "@jupyterlab" / "apputils-extension"
        apputils.mkdir(parents=True, exist_ok=True)
        # No "get Jupyter news?" toast over the page: the tests and screenshots see only our notifications.
        (apputils / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        if theme:
            (apputils / "themes.jupyterlab-settings").write_text(json.dumps({"theme": theme}))
        jupyter_path = [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
        if labextension is not None and (labextension / "package.json").exists():
            # Serve the build in this working tree (what `npm run build:prod` and `pip install -e .` write), not
            # whatever copy was last installed into sys.prefix: the first jupyter path holding it wins.
            share = root / "share"
            (share / "labextensions").mkdir(parents=True, exist_ok=True)
            (share / "labextensions" / "jupyter-qcred").symlink_to(labextension.resolve(), target_is_directory=True)
            jupyter_path.insert(0, str(share))
        self.env = {
            **env,
            "JUPYTER_PATH": os.pathsep.join(jupyter_path),
            "HOME": str(self.home),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "JUPYTER_CONFIG_DIR": str(self.home / ".jupyter"),
        }
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = root / "jupyterlab.log"
        self.command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={self.home}",
            f"--LabApp.user_settings_dir={self.settings_dir}",
            f"--LabApp.workspaces_dir={self.workspaces_dir}",
            *(["--allow-root"] if os.getuid() == 0 else []),
            *extra_args,
        ]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def lab_url(self) -> str:
        """The /lab page, logging the browser in with the token (JupyterLab then keeps a cookie)."""
        return f"{self.url}lab?token={self.token}"

    def start(self, timeout: float = 60.0) -> LabServer:
        self.process = start_session(self.command, self.env, self.log_path)

        def answers(path: str) -> bool:
            try:
                return httpx.get(self.url + path, headers=self.headers(), timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        deadline = time.monotonic() + timeout  # one deadline for both waits
        for path in ("qcred/status", "lab"):  # the extension first, then the page the browser will open
            wait_until_serving(
                self.process,
                lambda path=path: answers(path),
                timeout=max(deadline - time.monotonic(), 0.1),
                what=f"jupyter lab ({path})",
                log_tail=self.log_tail,
                error=LabError,
            )
        return self

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def status(self) -> dict[str, Any]:
        """``GET qcred/status`` with the server's token."""
        response = httpx.get(self.url + "qcred/status", headers=self.headers(), timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def entry(self, provider: str, name: str) -> dict[str, Any]:
        return next(e for e in self.status()["providers"] if e["provider"] == provider and e["name"] == name)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        stop_session(process, timeout)


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, with the flags that work on these machines (REFERENCE.md section 4)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def change_theme(page: Any, theme: str) -> None:
    """Settings menu > Theme > THEME, as a person does."""
    from playwright.sync_api import expect

    if page.evaluate("document.body.dataset.jpThemeName") == theme:
        return
    page.get_by_role("menuitem", name="Settings").click()
    menu_item(page, "Theme").click()
    menu_item(page, theme).click()
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme)
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)  # shown, fading, while the theme loads


def menu_item(page: Any, label: str) -> Any:
    """An item of an open Lumino menu, by its exact label (submenu items carry no ARIA role)."""
    return page.locator(".lm-Menu .lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$"))
    )


#: What a person reading the panel would trip over, as a list of sentences (empty: reads cleanly): sideways
#: scrolling, a card or badge leaving its card, a value broken over lines or cut without an ellipsis and tooltip.
READABILITY = """() => {
    const panel = document.getElementById('jupyter-qcred:panel');
    const problems = [];
    if (panel.scrollWidth > panel.clientWidth + 1) problems.push(`panel scrolls sideways (${panel.scrollWidth})`);
    for (const card of panel.querySelectorAll('.jp-qcred-account, .jp-qcred-card, .jp-qcred-message')) {
        if (card.scrollWidth > card.clientWidth + 1) problems.push(`${card.dataset.testid} overflows`);
        const box = card.getBoundingClientRect();
        for (const el of card.querySelectorAll('time, .jp-qcred-countdown-wrap, .jp-qcred-badge')) {
            const r = el.getBoundingClientRect();
            const outside = r.right > box.right + 1 || r.left < box.left - 1;
            if (r.width && outside) problems.push(`${el.textContent} leaves its card`);
        }
    }
    for (const v of panel.querySelectorAll('.jp-qcred-value, .jp-qcred-account-name')) {
        const lines = v.getClientRects().length;
        const lineHeight = parseFloat(getComputedStyle(v).lineHeight) || 18;
        if (lines > 1 || v.getBoundingClientRect().height > lineHeight * 1.5) problems.push(`'${v.textContent}' wraps`);
        if (v.scrollWidth > v.clientWidth + 1) {
            const cut = getComputedStyle(v).textOverflow !== 'ellipsis';
            if (cut) problems.push(`'${v.textContent}' is cut without an ellipsis`);
            if (v.title !== v.textContent) problems.push(`'${v.textContent}' has not its whole value in the tooltip`);
        }
    }
    return problems;
}"""


def escape_dialog(page: Any) -> None:
    """Close the open dialog with Escape, as a person would, once it holds the focus: JupyterLab moves the focus into
    a new dialog a moment after showing it, and an Escape before that goes to the page behind (on a busy machine the
    test could be faster than that)."""
    from playwright.sync_api import expect

    expect(page.locator(".jp-Dialog :focus")).to_have_count(1)
    page.keyboard.press("Escape")


def show_panel(page: Any, timeout: float = 120.0) -> Any:
    """Open the Quantum credentials panel (its tab in the sidebar) and return it.

    JupyterLab restores the saved layout a moment after the page loads, which may open or close the sidebar on its
    own: the tab is clicked only while the panel is not shown, and the check repeats until it stays shown.
    """
    from playwright.sync_api import expect

    from .helpers import wait_until

    panel = page.get_by_test_id("qcred-panel")
    tab = page.get_by_role("tab", name="Quantum credentials")
    expect(tab).to_be_visible(timeout=timeout * 1000)

    def shown() -> bool:
        if panel.is_visible():
            return True
        tab.click()
        return False

    wait_until(shown, timeout=timeout, interval=1.0, what="the Quantum credentials panel")
    return panel


def set_sidebar_width(page: Any, width: int) -> None:
    """Drag the handle between the left sidebar and the main area, as a person would."""
    panel = page.locator('[id="jupyter-qcred:panel"]')
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    for _ in range(3):
        box, hb = panel.bounding_box(), handle.bounding_box()
        page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + width + hb["width"] / 2, hb["y"] + hb["height"] / 2, steps=5)
        page.mouse.up()
        if abs(panel.bounding_box()["width"] - width) < 4:
            return
    raise AssertionError(f"the sidebar is {panel.bounding_box()['width']} px wide, not {width}")


def open_card(page: Any, provider: str) -> Any:
    """Open a provider's card as a person does (its title's button), unless it is open already (an all-well card
    is one line since issue 25); returns the card."""
    from playwright.sync_api import expect

    card = page.get_by_test_id(f"qcred-card-{provider}")
    button = page.get_by_test_id(f"qcred-fold-{provider}")
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    return card
