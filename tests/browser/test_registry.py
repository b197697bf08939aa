"""A provider is a plugin: Toy Cloud (``tests/plugins/toycloud``), a package outside jupyter_qcred that pip installs
next to it, registers through the entry point group ``jupyter_qcred.providers`` and shows in the status, the CLI,
the panel, the widget, the events and the metrics, with no file of ``jupyter_qcred/`` naming it.

The package is installed with pip into a folder of its own that only the processes of this module see (through
``PYTHONPATH``), so the other tests keep the five built-in clouds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.browser import LabServer, launch_chromium, open_card, show_panel
from support.helpers import wait_until
from support.kernels import DriverError, KernelDriver
from support.no_inprocess_server import jp_asyncio_loop, jp_server_cleanup  # noqa: F401

playwright_api = pytest.importorskip("playwright.sync_api")

TOYCLOUD = Path(__file__).resolve().parents[1] / "plugins" / "toycloud"
TOKEN = "toy-secret-" + os.urandom(12).hex()


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Toy Cloud installed by pip (its wheel built from ``tests/plugins/toycloud``) into a folder of its own."""
    target = tmp_path_factory.mktemp("toy-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(TOYCLOUD)],
        check=True,
        timeout=300,
    )
    assert (next(target.glob("qcred_toycloud-*.dist-info")) / "entry_points.txt").read_text().count("toy =") == 1
    return target


def with_plugin(env: dict[str, str], site: Path) -> dict[str, str]:
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)}


@pytest.fixture(scope="module")
def lab(plugin_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab whose spawn bundle has a ``toy`` section, its events written to ``events.jsonl``."""
    root = tmp_path_factory.mktemp("toy-lab")
    env = with_plugin(dict(os.environ), plugin_site)
    env["QCRED_BUNDLE"] = json.dumps({"version": 1, "toy": [{"name": "lab", "token": TOKEN}]})
    env.pop("QCRED_BUNDLE_FILE", None)
    server = LabServer(root, env, extra_args=["--QCredApp.refresh_min_interval=0"])
    config = server.home / ".jupyter"
    config.mkdir(parents=True, exist_ok=True)
    events = root / "events.jsonl"
    (config / "jupyter_server_config.py").write_text(
        f"import logging\nc.EventLogger.handlers = [logging.FileHandler({str(events)!r})]\n"
    )
    server.start(timeout=120)
    yield server
    server.stop()


def token_file(lab: LabServer) -> Path:
    return lab.home / ".toycloud" / "tokens.json"


def metrics(lab: LabServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(lab.url + "metrics", headers=lab.headers(), timeout=30).text
    assert TOKEN not in text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_server_writes_checks_and_reports_the_plugins_credential(lab: LabServer, plugin_site: Path) -> None:
    status = lab.status()
    assert status["provider_info"]["toy"] == {"title": "Toy Cloud", "noun": "token", "methods": ["token"]}
    assert [e["provider"] for e in status["providers"]][-1] == "toy", "listed after the built-in clouds (order 100)"
    entry = lab.entry("toy", "lab")
    assert entry["state"] == "ok" and entry["token_hint"] == "…" + TOKEN[-4:]
    assert entry["account"]["fields"] == [["Token file", str(token_file(lab))]]
    stored = json.loads(token_file(lab).read_text())
    assert stored["lab"]["token"] == TOKEN, "the bundle's toy section reached the plugin's file"
    assert token_file(lab).stat().st_mode & 0o777 == 0o600

    before = metrics(lab)
    assert before[("jupyter_qcred_credentials", (("provider", "toy"), ("state", "ok")))] == 1
    assert before[("jupyter_qcred_refreshes_total", (("outcome", "ok"), ("provider", "toy")))] == 0
    answer = httpx.post(
        lab.url + "qcred/refresh", json={"provider": "toy", "name": "lab"}, headers=lab.headers(), timeout=60
    )
    assert answer.status_code == 200 and answer.json()["result"]["outcome"] == "ok", answer.text
    after = metrics(lab)
    assert after[("jupyter_qcred_refreshes_total", (("outcome", "ok"), ("provider", "toy")))] == 1

    events_path = lab.root / "events.jsonl"

    def refreshed_event() -> dict[str, Any] | None:
        lines = events_path.read_text().splitlines() if events_path.exists() else []
        records = [json.loads(line) for line in lines if line.strip()]
        mine = [r for r in records if r.get("provider") == "toy" and "credential_refreshed" in r["__schema__"]]
        return mine[0] if mine else None

    event = wait_until(refreshed_event, timeout=30, what="the credential_refreshed event of the toy credential")
    assert event["name"] == "lab"

    # The CLI in a shell that sees the same package: the same credential, the same words.
    cli_env = with_plugin({**os.environ, "HOME": str(lab.home)}, plugin_site)
    cli_env.pop("QCRED_BUNDLE", None)
    shown = subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", "status", "--json"], env=cli_env, capture_output=True, text=True
    )
    cli_entry = next(e for e in json.loads(shown.stdout)["providers"] if e["provider"] == "toy")
    assert (cli_entry["name"], cli_entry["state"]) == ("lab", "ok")
    table = subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", "status"], env=cli_env, capture_output=True, text=True
    )
    row = next(line for line in table.stdout.splitlines() if line.startswith("Toy Cloud"))
    assert "lab *" in row and row.rstrip().endswith(f"token file {token_file(lab)}")

    for text in (json.dumps(status), answer.text, shown.stdout, table.stdout, table.stderr, events_path.read_text()):
        assert TOKEN not in text
    assert TOKEN not in lab.log_tail(10_000_000)


def start_kernel(lab: LabServer, timeout: float = 90.0) -> KernelDriver:
    """A kernel started by the lab's server (it inherits the server's environment, the plugin's folder too)."""
    from jupyter_client.blocking import BlockingKernelClient

    kernel = httpx.post(lab.url + "api/kernels", json={"name": "python3"}, headers=lab.headers(), timeout=60).json()
    client = BlockingKernelClient(connection_file=str(lab.root / "runtime" / f"kernel-{kernel['id']}.json"))
    client.load_connection_file()
    client.start_channels()
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.wait_for_ready(timeout=max(deadline - time.monotonic(), 1.0))
            return KernelDriver(client)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise DriverError(f"kernel did not become ready: {lab.log_tail()}") from None


def test_the_widget_shows_the_plugins_credential(lab: LabServer) -> None:
    kernel = start_kernel(lab)
    try:
        # All well, the Toy Cloud is one line (issue 25): open it as a person would, with its toggle.
        toy = "w.sections['toy']"
        code = f"%load_ext jupyter_qcred\nw = %qcred\n{toy}.toggle.click()\nprint({toy}.details.model_id)"
        result = kernel.run(code)
        body = kernel.widget_states(result.stdout.strip().splitlines()[-1])[-1]["value"]
        assert "<b>Toy Cloud</b> &middot; token <code>lab</code>" in body
        assert f"<td>{token_file(lab)}</td>" in body and "data-state='ok'" in body
        result = kernel.run("%qcred status")
        table = "\n".join([result.stdout, *map(str, result.results)])
        assert any(line.startswith("Toy Cloud") and " lab " in line for line in table.splitlines()), table
        assert TOKEN not in kernel.all_text()
    finally:
        kernel.stop()


def test_the_panel_shows_the_plugins_card(lab: LabServer, tmp_path: Path) -> None:
    expect = playwright_api.expect
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(lab.lab_url)
            show_panel(page)
            card = page.get_by_test_id("qcred-card-toy")
            expect(card.get_by_role("heading", name="Toy Cloud")).to_be_visible(timeout=30_000)
            open_card(page, "toy")
            expect(page.get_by_test_id("qcred-state-toy-lab")).to_have_attribute("data-state", "ok")
            expect(page.get_by_test_id("qcred-field-toy-lab-0")).to_have_text(str(token_file(lab)))
            card.scroll_into_view_if_needed()
            card.screenshot(path=str(tmp_path / "toy-card.png"))
            assert TOKEN not in page.content()
        finally:
            browser.close()
