"""One operation, one outcome: a refresh the provider fails (HTTP 503) told the same way by all five views.

The panel (real Chromium), the widget and ``%qcred refresh`` (a real kernel of the same JupyterLab), the CLI and the
REST API each refresh Rigetti QCS while its identity provider answers 503. Every view must report the failure, with
the same sentence, which the service layer writes once; afterwards the status says how many attempts failed and when
the server retries.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.browser import LabServer, launch_chromium, open_card
from support.helpers import wait_until
from support.kernels import KernelDriver
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.sandbox.client import Sandbox

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.timeout(300)
FAST = 20_000
QCS = "qcred-state-qcs-default"


@pytest.fixture(scope="module")
def sandbox_m(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("outcome-sandbox")) as sb:
        yield sb


@pytest.fixture(scope="module")
def lab(sandbox_m: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    bundle = demo_bundle(sandbox_m, "alice", clouds=("ibm", "qcs"))
    env = {**os.environ, **sandbox_environment(sandbox_m), "QCRED_BUNDLE": json.dumps(bundle)}
    env.pop("QCRED_BUNDLE_FILE", None)
    # Retries after a failure wait 60 s or more, so the failures counted below are exactly the views' own.
    server = LabServer(
        tmp_path_factory.mktemp("outcome-lab"),
        env,
        # Each view makes its own refresh: no coalescing of requests made within seconds of each other.
        extra_args=[
            "--QCredApp.watch_interval=0.2",
            "--QCredApp.retry_initial_seconds=120",
            "--QCredApp.refresh_min_interval=0",
        ],
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kernel(lab: LabServer) -> Iterator[KernelDriver]:
    """A kernel the lab started (it inherits the server's address, so %qcred talks to that server)."""
    from jupyter_client.blocking import BlockingKernelClient

    started = httpx.post(lab.url + "api/kernels", json={"name": "python3"}, headers=lab.headers(), timeout=30)
    started.raise_for_status()
    client = BlockingKernelClient(connection_file=str(lab.root / "runtime" / f"kernel-{started.json()['id']}.json"))
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    driver = KernelDriver(client)
    assert driver.run("%load_ext jupyter_qcred").status == "ok"
    yield driver
    driver.stop()


@pytest.fixture(scope="module")
def page(lab: LabServer) -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        chromium = launch_chromium(pw)
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(FAST)
        pg = context.new_page()
        pg.goto(lab.lab_url)
        expect(pg.get_by_role("tab", name="Quantum credentials")).to_be_visible(timeout=60_000)
        yield pg
        chromium.close()


def cli_refresh(lab: LabServer) -> subprocess.CompletedProcess[str]:
    """``jupyter qcred refresh qcs --name default`` in a shell of the same user (same HOME and SDK variables)."""
    env = {k: v for k, v in lab.env.items() if not k.startswith("QCRED_")}
    return subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", "refresh", "qcs", "--name", "default"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plain(markup: str) -> str:
    """The text a person reads in a widget's HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def test_a_failed_refresh_reads_the_same_in_every_view(
    lab: LabServer, sandbox_m: Sandbox, kernel: KernelDriver, page: Any
) -> None:
    sandbox_m.fault("qcs_token", status=503)
    try:
        # REST: the answer carries the outcome and the one sentence.
        answer = httpx.post(
            lab.url + "qcred/refresh", json={"provider": "qcs", "name": "default"}, headers=lab.headers(), timeout=60
        ).json()
        result = answer["result"]
        assert result["outcome"] == "failed"
        message = result["message"]
        assert "503" in message and message.startswith("Rigetti QCS")
        assert result["credentials"] == [
            {"provider": "qcs", "name": "default", "outcome": "failed", "error": message},
        ]

        # The panel: the card's own Refresh button, an error toast with the same sentence, the card in error.
        page.get_by_role("tab", name="Quantum credentials").click()
        open_card(page, "qcs")  # open already when the refresh is retrying (worth reading); else a person opens it
        page.get_by_test_id("qcred-refresh-qcs-default").click()
        toast = page.locator(".Toastify__toast").filter(has_text=message)
        expect(toast).to_be_visible()
        expect(page.get_by_test_id(QCS)).to_have_attribute("data-state", "error")
        expect(page.get_by_test_id("qcred-retry-qcs-default")).to_contain_text("Retrying at")

        # %qcred refresh: the sentence on stderr, the table as the result.
        magic = kernel.run("%qcred refresh qcs default")
        assert magic.stderr.strip() == f"%qcred refresh: {message}"

        # The widget's Refresh button (it refreshes everything; IBM is fine, so only QCS is reported).
        kernel.run("w = %qcred\nw.refresh_button.click()")
        shown = wait_until(
            lambda: (lambda text: text if "Refreshing" not in text and text else None)(
                plain(kernel.run("print(w.message.value)").stdout)
            ),
            what="the widget's result",
        )
        assert shown == message

        # The CLI (no server: the same service on the files) says the same and exits 3.
        done = cli_refresh(lab)
        assert done.returncode == 3
        assert f"jupyter qcred refresh: {message}" in done.stderr.splitlines()

        # The status says what the manager knows: every failed attempt of the server, when it retries, how the last
        # one ended (the CLI refreshed in its own process, so the server counts the other four).
        entry = lab.entry("qcs", "default")
        assert entry["state"] == "error"
        assert entry["error"] == message
        assert entry["failures"] == 4
        assert entry["retry_at"] is not None
        assert entry["last_refresh"]["outcome"] == "failed"
        assert entry["last_refresh"]["error"] == message
    finally:
        sandbox_m.clear_faults()

    recovered = httpx.post(lab.url + "qcred/refresh", json={"provider": "qcs"}, headers=lab.headers(), timeout=60)
    assert recovered.json()["result"] == {
        "outcome": "ok",
        "message": "Refreshed.",
        "credentials": [{"provider": "qcs", "name": "default", "outcome": "ok", "error": None}],
    }
    assert lab.entry("qcs", "default")["failures"] == 0
    expect(page.get_by_test_id(QCS)).to_have_attribute("data-state", "ok")


def test_the_result_never_holds_a_token(lab: LabServer) -> None:
    secrets_file = Path(lab.home) / ".qcs" / "secrets.toml"
    import tomllib

    tokens = [
        value
        for entry in tomllib.loads(secrets_file.read_text())["credentials"].values()
        for value in (entry.get("token_payload") or {}).values()
        if isinstance(value, str) and len(value) > 12
    ]
    answer = httpx.post(lab.url + "qcred/refresh", json={}, headers=lab.headers(), timeout=60).text
    assert tokens and not [token[-4:] for token in tokens if token in answer]
