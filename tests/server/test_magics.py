"""``%qcred`` in a real kernel started by a real Jupyter server with the extension, against the sandbox services.

One server, one kernel and one sandbox for the module (starting them is the slow part); the tests run in file
order and each leaves the credentials usable for the next, except the widget test near the end, which revokes
alice's QCS login on purpose. Every IOPub message of the kernel is scanned for secrets at the end of each test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.kernels import JupyterServer, KernelDriver, credential_file_secrets

from jupyter_qcred.demo.world import demo_bundle, foreign_variables, sandbox_environment
from jupyter_qcred.providers.ibm.sdk import runtime_channels
from jupyter_qcred.sandbox.client import Sandbox

#: The model ids of the widget's QCS details and line (tests watch their updates).
QCS_IDS = "q = w.sections['qcs']\nprint(q.details.model_id, q.line.model_id)"

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """Refresh tokens are not rotated, so re-initializing from the spawn bundle stays possible."""
    with Sandbox(tls=True, state_dir=tmp_path_factory.mktemp("sandbox"), rotate_refresh_tokens=False) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def secrets(sandbox_module: Sandbox) -> dict[str, Any]:
    """The bundle handed to the server (its secrets must never show) and where things live."""
    return {"bundle": demo_bundle(sandbox_module, clouds=("ibm", "qcs"), scenarios=("legacy",)), "extra": []}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sandbox_module: Sandbox, secrets: dict[str, Any]
) -> Iterator[JupyterServer]:
    root = tmp_path_factory.mktemp("server")
    home = root / "home"
    home.mkdir(mode=0o700)
    # A world of IBM Quantum and QCS only: no other cloud's SDK variable from the test process (an earlier test's
    # in-process server may have exported IonQ's or IQM's) reaches this server.
    foreign = set(foreign_variables())
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in foreign and not k.startswith(("QCRED_", "JUPYTERHUB_", "QCS_", "QISKIT_"))
        },
        **sandbox_environment(sandbox_module),
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "QCRED_BUNDLE": json.dumps(secrets["bundle"]),
    }
    jupyter = JupyterServer(env, root, extra_args=["--QCredApp.watch_interval=0.1"])
    jupyter.start()
    jupyter.home = home  # type: ignore[attr-defined]
    try:
        yield jupyter
    finally:
        jupyter.stop()


@pytest.fixture(scope="module")
def kernel(server: JupyterServer) -> KernelDriver:
    return server.start_kernel()


@pytest.fixture(autouse=True)
def no_secret_in_output(
    request: pytest.FixtureRequest, secret_scanner: Any, secrets: dict[str, Any], server: JupyterServer
) -> Iterator[None]:
    """Every message the kernel sent during the test, and the files' current tokens, go to the secret scanner."""
    yield
    secret_scanner.add_bundle(secrets["bundle"])
    secret_scanner.add_secrets(server.token, *secrets["extra"], *credential_file_secrets(server.home))  # type: ignore[attr-defined]
    if "kernel" in request.fixturenames:
        driver: KernelDriver = request.getfixturevalue("kernel")
        secret_scanner.saw("kernel output", driver.all_text())


def entry(status: dict[str, Any], provider: str, name: str | None = None) -> dict[str, Any]:
    found = [e for e in status["providers"] if e["provider"] == provider and (name is None or e["name"] == name)]
    assert found, f"no {provider} {name} in {status['providers']}"
    return found[0]


def magic(kernel: KernelDriver, code: str) -> Any:
    """Run a cell that must succeed; returns its result."""
    result = kernel.run(code)
    assert result.status == "ok", result.text
    assert "Traceback" not in result.text
    return result


# ----- the tests, in order ----------------------------------------------------------------------------------


def test_load_ext_imports_nothing_heavy_and_finds_the_server(kernel: KernelDriver, server: JupyterServer) -> None:
    result = magic(
        kernel,
        "import sys\n"
        "before = set(sys.modules)\n"
        "%load_ext jupyter_qcred\n"
        "heavy = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in "
        "('httpx', 'ipywidgets', 'qiskit', 'qiskit_ibm_runtime', 'qcs_api_client_common', 'websocket') "
        "or m.startswith('jupyter_qcred.providers'))\n"
        "print('heavy:', heavy)\n"
        "import os; print('url:', os.environ['QCRED_SERVER_URL'])",
    )
    assert "heavy: []" in result.stdout
    assert f"url: {server.url}" in result.stdout


def test_status_prints_the_table_once_and_returns_data(kernel: KernelDriver) -> None:
    result = magic(kernel, "%qcred status")
    assert result.stdout == "" and result.stderr == ""
    assert len(result.results) == 1, "the table is shown once, by the display hook"
    table = result.results[0]
    assert "PROVIDER" in table and "Rigetti QCS" in table and "IBM Quantum" in table
    assert "default *" in table and "legacy" in table

    result = magic(
        kernel,
        "s = %qcred status\n"
        "magics = get_ipython().magics_manager.registry['QCredMagics']\n"
        "print(type(s).__name__, s.state('qcs') in ('ok', 'refreshing'), "
        "{k: v for k, v in s['defaults'].items() if v}, magics.session.mode)",
    )
    assert result.results == [], "assigning the result shows nothing"
    defaults = "{'ibm': 'default-ibm-quantum-platform', 'qcs': 'default'}"
    assert result.stdout.strip() == f"Status True {defaults} server", "the world holds IBM and QCS credentials only"


def test_refresh_goes_through_the_server(kernel: KernelDriver, server: JupyterServer, sandbox_module: Sandbox) -> None:
    before = len(sandbox_module.token_requests())
    result = magic(kernel, "%qcred refresh qcs")
    assert "Rigetti QCS" in result.results[0]
    requests = sandbox_module.token_requests()[before:]
    assert [(r["grant_type"], r["status"]) for r in requests] == [("refresh_token", 200)]
    status = server.api("GET", "qcred/status")
    qcs = entry(status, "qcs", "default")
    assert qcs["state"] == "ok" and qcs["account"]["user"]["email"] == "alice@example.org"
    assert "alice@example.org" in result.results[0], "the table shows the user the server learnt"

    result = magic(kernel, "%qcred refresh ibm legacy")
    assert "legacy" in result.results[0]
    assert entry(server.api("GET", "qcred/status"), "ibm", "legacy")["account"]["instances"]


#: Whether the installed qiskit-ibm-runtime still loads legacy (ibm_quantum) accounts; recent versions do not.
LEGACY_SUPPORTED = "ibm_quantum" in (runtime_channels() or {"ibm_quantum"})


def test_use_sets_the_hub_group_project(kernel: KernelDriver, server: JupyterServer) -> None:
    instances = entry(server.api("GET", "qcred/status"), "ibm", "legacy")["account"]["instances"]
    other = next((i for i in instances if not i["default"]), {"hub": "h", "group": "g", "project": "p"})
    hgp = f"{other['hub']}/{other['group']}/{other['project']}"
    before = entry(server.api("GET", "qcred/status"), "ibm", "legacy")["account"]["default_instance"]
    result = magic(kernel, f"%qcred use ibm legacy {hgp}")
    if not LEGACY_SUPPORTED:  # the SDK cannot load it: refused, with what to do, and nothing changed
        assert "is now the default" not in result.stdout + result.stderr
        assert "It was not made the default." in result.stderr
        assert entry(server.api("GET", "qcred/status"), "ibm", "legacy")["account"]["default_instance"] == before
        return
    assert f"IBM Quantum: 'legacy' ({hgp}) is now the default." in result.stdout
    assert hgp in result.results[0]
    assert entry(server.api("GET", "qcred/status"), "ibm", "legacy")["account"]["default_instance"] == hgp


def test_use_changes_the_default_account(kernel: KernelDriver, server: JupyterServer) -> None:
    result = magic(kernel, "%qcred use ibm legacy")
    if not LEGACY_SUPPORTED:
        assert "is now the default" not in result.stdout + result.stderr
        assert "no longer accepts" in result.stderr
        assert server.api("GET", "qcred/status")["defaults"]["ibm"] == "default-ibm-quantum-platform"
        result = magic(kernel, "%qcred use qcs default")
        assert "Rigetti QCS: 'default' is now the default." in result.stdout
        return
    assert "IBM Quantum: 'legacy' is now the default." in result.stdout
    assert server.api("GET", "qcred/status")["defaults"]["ibm"] == "legacy"
    assert "legacy *" in result.results[0]

    magic(kernel, "%qcred use ibm default-ibm-quantum-platform")
    assert server.api("GET", "qcred/status")["defaults"]["ibm"] == "default-ibm-quantum-platform"


def test_failures_are_sentences(kernel: KernelDriver) -> None:
    result = magic(kernel, "%qcred use qcs nobody")
    assert result.stderr.strip() == "%qcred use: There is no Rigetti QCS credential named 'nobody'."
    assert result.results == []

    result = magic(kernel, "%qcred restart")
    assert "not running under JupyterHub" in result.stderr


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("%qcred bogus", "unknown command 'bogus'"),
        ("%qcred refresh ocean", "unknown provider 'ocean'"),
        ("%qcred status now", "unexpected argument 'now'"),
        ("%qcred use ibm", "usage: %qcred use PROVIDER NAME"),
        ("%qcred use qcs default extra", "too many arguments"),
        ("%qcred use ibm legacy not-a-triple", "is not HUB/GROUP/PROJECT"),
        ("%qcred refresh qcs default more", "too many arguments"),
        ('%qcred use "unclosed', "cannot parse"),
    ],
)
def test_bad_input_gets_a_message_not_a_traceback(kernel: KernelDriver, line: str, words: str) -> None:
    result = kernel.run(line)
    assert words in result.stderr, result.text
    assert "Traceback" not in result.text and result.error is None


def test_help_documents_every_command(kernel: KernelDriver) -> None:
    result = magic(kernel, "%qcred help")
    for command in ("status", "refresh [PROVIDER [NAME]]", "reinit", "restart", "use PROVIDER NAME", "HUB/GROUP"):
        assert command in result.stdout
    result = magic(kernel, "print(get_ipython().find_line_magic('qcred').__doc__)")
    assert "%qcred use PROVIDER NAME" in result.stdout


def test_reinit_rewrites_from_the_spawn_bundle(
    kernel: KernelDriver, server: JupyterServer, sandbox_module: Sandbox
) -> None:
    before = len(sandbox_module.log())
    result = magic(kernel, "%qcred reinit")
    assert "Re-initialized" in result.stdout
    assert "Rigetti QCS" in result.results[0]
    status = server.api("GET", "qcred/status")
    assert {entry(status, "qcs", "default")["source"], entry(status, "ibm", "legacy")["source"]} == {"bundle"}
    endpoints = {record["endpoint"] for record in sandbox_module.log()[before:]}
    assert "qcs_token" in endpoints, "re-initializing checks the new credentials with the provider"


def test_widget_shows_the_panel_information(kernel: KernelDriver) -> None:
    magic(kernel, "w = %qcred\nw")
    # IBM needs action (the legacy account) and is open; QCS, all well, is one line: open it as a person would.
    magic(kernel, "w.sections['qcs'].toggle.click()")
    result = magic(kernel, "print(w.sections['qcs'].details.model_id, w.sections['ibm'].details.model_id)")
    body = "".join(kernel.widget_states(model_id)[-1]["value"] for model_id in result.stdout.split())
    for text in ("Rigetti QCS", "profile <code>default</code>", "alice@example.org", "wonderland-lab", "tea-party"):
        assert text in body
    for text in ("IBM Quantum", "ibm_quantum_platform", "crn:", "(default)"):
        assert text in body
    # The legacy account here is unsupported (the SDK cannot load it): no hub/group/project picker is offered on it.
    assert "data-state='unsupported'" in body and "Hub/group/project" not in body
    assert "data-state='ok'" in body
    result = magic(kernel, "print(repr(w).splitlines()[0]); print(w.restart_button.disabled)")
    header, disabled = result.stdout.splitlines()
    assert header.split() == ["PROVIDER", "NAME", "STATE", "EXPIRES", "ACCOUNT"], "the text repr is the table"
    assert disabled == "True", "Restart is off without JupyterHub"
    shown = [
        m["content"]["data"]
        for m in kernel.messages
        if m["msg_type"] == "execute_result" and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
    ]
    assert shown and shown[-1]["text/plain"].startswith("PROVIDER"), "non-widget front ends get the whole table"


def test_widget_buttons_call_the_server(kernel: KernelDriver, sandbox_module: Sandbox) -> None:
    message_id = magic(kernel, "print(w.message.model_id)").stdout.strip()

    def message_shows(text: str) -> Any:
        return lambda m: m["content"].get("comm_id") == message_id and text in json.dumps(m["content"].get("data"))

    before = len(sandbox_module.token_requests())
    magic(kernel, "w.refresh_button.click()")
    kernel.wait_for(message_shows("Refreshed."), what="the Refresh button's result")
    grants = [r["grant_type"] for r in sandbox_module.token_requests()[before:]]
    assert grants == ["refresh_token"], "one refresh by the server, for the click"

    before = len(sandbox_module.log())
    magic(kernel, "w.reinit_button.click()")
    kernel.wait_for(message_shows("Re-initialized: "), what="the Re-initialize button's result")
    assert any(record["endpoint"] == "qcs_token" for record in sandbox_module.log()[before:])


def test_widget_follows_state_pushed_by_the_server(
    kernel: KernelDriver, server: JupyterServer, sandbox_module: Sandbox, secrets: dict[str, Any]
) -> None:
    # QCS's section (issue 25): its details once it needs action (it opens by itself), its line once it is OK.
    details_id, line_id = magic(kernel, QCS_IDS).stdout.split()

    def shows(model_id: str, text: str) -> Any:
        def check(message: dict[str, Any]) -> bool:
            data = message["content"].get("data") or {}
            return (
                message["content"].get("comm_id") == model_id
                and data.get("method") == "update"
                and text in str((data.get("state") or {}).get("value", ""))
            )

        return check

    # Someone else (the panel, another kernel) refreshes; the refresh token is refused: the widget must follow.
    sandbox_module.revoke("alice")
    status = server.api("POST", "qcred/refresh", {"provider": "qcs"})
    assert entry(status, "qcs", "default")["state"] == "needs_reinit"
    kernel.wait_for(shows(details_id, "data-state='needs_reinit'"), what="needs_reinit in the widget")
    result = magic(kernel, "print(w.status.state('qcs'))\nw")
    assert result.stdout.strip() == "needs_reinit"
    assert "NEEDS RE-INIT" in result.results[0]

    fresh = sandbox_module.issue_qcs_tokens("alice")
    secrets["extra"] += [fresh["access_token"], fresh["refresh_token"]]
    server.api(
        "POST",
        "qcred/reinitialize",
        {"source": "token", "provider": "qcs", "refresh_token": fresh["refresh_token"], "replace": True},
    )
    kernel.wait_for(
        lambda m: shows(line_id, "data-health='ok'")(m) and ">OK<" in json.dumps(m["content"]),
        what="ok again in the widget",
    )
    assert magic(kernel, "print(w.status.state('qcs'))").stdout.strip() == "ok"


def test_a_profile_that_preloads_qcred_keeps_load_ext_quiet(server: JupyterServer) -> None:
    """The demo's and Binder's profiles give every kernel %qcred; a notebook's own %load_ext must not then answer
    "already loaded" (what IPython says for an extension its config loaded)."""
    from jupyter_qcred.notebook.magics import PROFILE_LINE

    fresh = server.start_kernel()
    magic(fresh, PROFILE_LINE)
    loaded = magic(fresh, "%load_ext jupyter_qcred")
    assert loaded.stdout == "" and loaded.stderr == ""
    assert "PROVIDER" in magic(fresh, "%qcred status").results[0]
