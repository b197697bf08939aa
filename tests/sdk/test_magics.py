"""Remove from the notebook (``%qcred remove``, the widget's Remove with its inline confirmation) on the files, plus
the rules the REST tests cannot reach directly: background hand-overs keep the user's default and never replace a
file the user edited, and which IBM channels count as supported comes from the installed SDK itself.

The notebook runs in this process, on the files of a private HOME (no Jupyter server: the same service layer as
``jupyter qcred``), against the sandbox; what the real SDK then uses is asked in a fresh process.
"""

from __future__ import annotations

import ast
import html
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.errors import FileFormatError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.ibm.sdk import channels_in, runtime_channels

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def home(tmp_path: Path, sandbox, monkeypatch: pytest.MonkeyPatch, secret_scanner) -> Path:
    """A HOME holding the demo bundle's credentials, and this process's environment pointing at it and the sandbox
    (the notebook reads ``os.environ``)."""
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    for key in [k for k in os.environ if k.startswith(("QCRED_", "JUPYTERHUB_", "QCS_", "QISKIT_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(path))
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    bundle = demo_bundle(sandbox, clouds=("ibm", "qcs"))
    secret_scanner.add_bundle(bundle)
    manager(path).materialize(parse_bundle(bundle), source="bundle")
    return path


def manager(home: Path) -> CredentialManager:
    settings = Settings.from_environment({**os.environ, "HOME": str(home)})
    return CredentialManager(create_providers(settings))


def runtime_default(home: Path, sandbox) -> str:
    """The sha256 of the key ``QiskitRuntimeService()`` uses with these files (the real SDK, a fresh process)."""
    script = (
        "import hashlib\nfrom qiskit_ibm_runtime import QiskitRuntimeService\n"
        "print(hashlib.sha256(QiskitRuntimeService().active_account()['token'].encode()).hexdigest())\n"
    )
    env = {**os.environ, "HOME": str(home), **sandbox_environment(sandbox)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def qcred(home: Path) -> Iterator[Any]:
    """``%qcred`` in a real IPython shell."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    from jupyter_qcred.notebook.magics import load_ipython_extension

    load_ipython_extension(shell)
    yield lambda line: shell.run_line_magic("qcred", line)
    magics = shell.magics_manager.registry["QCredMagics"]
    if magics._feed is not None:
        magics._feed.stop()
    magics._session = None
    InteractiveShell.clear_instance()


# ----- %qcred remove and %qcred use -------------------------------------------------------------------------------


def test_magic_remove_says_what_it_would_remove_and_removes_with_yes(
    home: Path, qcred, capsys: pytest.CaptureFixture[str], secret_scanner
) -> None:
    accounts = home / ".qiskit/qiskit-ibm.json"
    before = accounts.read_bytes()
    qcred("remove ibm legacy")
    shown = capsys.readouterr()
    assert "This would remove the IBM Quantum account 'legacy' from" in shown.out
    assert "%qcred remove ibm legacy --yes" in shown.out
    assert accounts.read_bytes() == before

    qcred("remove ibm nobody")
    assert "there is no IBM Quantum credential named 'nobody'" in capsys.readouterr().err

    status = qcred("remove ibm legacy --yes")
    shown = capsys.readouterr()
    assert f"Removed the IBM Quantum account 'legacy' from {accounts}" in shown.out
    assert "legacy" not in json.loads(accounts.read_text())
    assert status.state("ibm") == "ok"
    secret_scanner.saw("%qcred remove", shown.out + shown.err)


def test_magic_use_of_an_account_the_sdk_cannot_load_does_not_claim_success(
    home: Path, qcred, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    if "ibm_quantum" in (runtime_channels() or {"ibm_quantum"}):
        pytest.skip("the installed qiskit-ibm-runtime still loads legacy accounts")
    alice = sandbox.ibm_credentials("alice")
    qcred("use ibm legacy")
    shown = capsys.readouterr()
    assert "is now the default" not in shown.out + shown.err
    assert "no longer accepts" in shown.err and "It was not made the default." in shown.err
    assert runtime_default(home, sandbox) == sha(alice["apikey"])


# ----- the widget's Remove ----------------------------------------------------------------------------------------


def wait_for(condition: Any, timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_widget_remove_asks_in_place_then_removes(home: Path, secret_scanner) -> None:
    from jupyter_qcred.notebook.backend import Session
    from jupyter_qcred.notebook.feed import StatusFeed
    from jupyter_qcred.notebook.widget import CredentialsWidget

    session = Session()
    widget = CredentialsWidget(session, StatusFeed(session), session.status())
    try:

        def row(name: str) -> Any:
            (found,) = [r for r in widget.manage.children if name in r.children[0].value]
            return found

        assert [r.children[1].description for r in widget.manage.children] == ["Remove"] * 3
        row("legacy").children[1].click()
        question, confirm, cancel = row("legacy").children
        assert question.value == "Remove the IBM Quantum account legacy?"
        assert (confirm.description, cancel.description) == ("Remove", "Cancel")
        cancel.click()
        assert len(row("legacy").children) == 2, "Cancel withdraws the question"
        assert "legacy" in json.loads((home / ".qiskit/qiskit-ibm.json").read_text())

        row("legacy").children[1].click()
        row("legacy").children[1].click()  # the confirmation's Remove
        wait_for(
            lambda: "Removed the IBM Quantum account 'legacy'" in html.unescape(widget.message.value),
            what=f"the message (shows {widget.message.value!r})",
        )
        assert "legacy" not in json.loads((home / ".qiskit/qiskit-ibm.json").read_text())
        assert "data-state='ok'" in widget.body.value and "healthy" not in widget.body.value
        wait_for(lambda: len(widget.manage.children) == 2, what="the removed row to go")
        secret_scanner.saw("widget", widget.body.value + widget.message.value)
    finally:
        widget.close()


def test_widget_shows_a_failed_refresh_as_a_failure(home: Path, sandbox) -> None:
    from jupyter_qcred.notebook.backend import Session
    from jupyter_qcred.notebook.feed import StatusFeed
    from jupyter_qcred.notebook.widget import CredentialsWidget

    session = Session()
    widget = CredentialsWidget(session, StatusFeed(session), session.status())
    try:
        sandbox.fault("qcs_token", status=503)
        widget.refresh_button.click()
        shown = wait_for(
            lambda: "HTTP 503" in html.unescape(widget.message.value) and html.unescape(widget.message.value),
            what=f"the failure (shows {widget.message.value!r})",
        )
        assert "Refreshed." not in shown and "color:#c62828" in shown
        assert "retry" not in shown, "no server behind the widget: nothing retries, so nothing says it will"
    finally:
        widget.close()


# ----- background work keeps what the user chose -----------------------------------------------------------------


def test_a_background_hand_over_keeps_the_chosen_default_and_a_file_the_user_broke(
    home: Path, sandbox, secret_scanner
) -> None:
    carol = sandbox.add_ibm_user("carol")
    secret_scanner.add_secrets(carol["apikey"], carol["legacy_token"])
    chosen = {"name": "carol", "channel": "ibm_quantum_platform", "token": carol["apikey"]}
    chosen.update(instance=carol["instances"][0], url=sandbox.runtime_url)
    first = manager(home)
    first.materialize(parse_bundle({"version": 1, "ibm": [chosen]}), source="user")
    first.providers["ibm"].set_default("carol")

    # The hub hands the same accounts over again, marking its own default: the user's choice stays.
    handed = parse_bundle(demo_bundle(sandbox))
    again = manager(home)
    again.materialize(handed, source="hub", keep_defaults=True)
    assert again.snapshot()["defaults"]["ibm"] == "carol"
    assert runtime_default(home, sandbox) == sha(carol["apikey"])
    # Only an explicit re-initialization applies the hand-over's default.
    again.materialize(handed, source="hub", reinit=True)
    assert again.snapshot()["defaults"]["ibm"] == "default-ibm-quantum-platform"

    # A file the user edited into something that does not parse is never replaced by background work.
    accounts = home / ".qiskit/qiskit-ibm.json"
    accounts.write_text('{"mine": {"channel": "ibm_cloud", "token": "abc"')
    with pytest.raises(FileFormatError):
        again.materialize(handed, source="hub", keep_defaults=True)
    assert accounts.read_text() == '{"mine": {"channel": "ibm_cloud", "token": "abc"'
    assert not list(accounts.parent.glob("qiskit-ibm.json.*")), "no backup: nothing was replaced"


async def test_the_hubs_scheduled_pull_keeps_the_chosen_default_and_a_file_the_user_broke(
    home: Path, sandbox, secret_scanner
) -> None:
    """The pull the manager makes for credentials only the hub refreshes (``CredentialService.pull_from_hub``, what
    the server wires to its manager) writes like a background hand-over: the user's default stays, and a file they
    broke is neither replaced nor backed up."""
    from jupyter_qcred.core.service import CredentialService

    carol = sandbox.add_ibm_user("carol")
    secret_scanner.add_secrets(carol["apikey"], carol["legacy_token"])
    chosen = {"name": "carol", "channel": "ibm_quantum_platform", "token": carol["apikey"]}
    chosen.update(instance=carol["instances"][0], url=sandbox.runtime_url)
    mine = manager(home)
    mine.materialize(parse_bundle({"version": 1, "ibm": [chosen]}), source="user")
    mine.providers["ibm"].set_default("carol")
    handed = parse_bundle(demo_bundle(sandbox))
    pulls: list[int] = []

    async def hub_pull() -> Any:
        pulls.append(1)
        return handed

    service = CredentialService(mine, hub_pull=hub_pull)
    written = await service.pull_from_hub()
    assert pulls == [1] and "ibm:default-ibm-quantum-platform" in written
    assert mine.snapshot()["defaults"]["ibm"] == "carol"

    accounts = home / ".qiskit/qiskit-ibm.json"
    accounts.write_text('{"mine": {"channel": "ibm_cloud", "token": "abc"')
    with pytest.raises(FileFormatError):
        await service.pull_from_hub()
    assert accounts.read_text() == '{"mine": {"channel": "ibm_cloud", "token": "abc"'
    assert not list(accounts.parent.glob("qiskit-ibm.json.*")), "no backup: nothing was replaced"


# ----- which channels the installed SDK accepts -------------------------------------------------------------------


def test_supported_channels_are_what_the_installed_sdk_validates() -> None:
    from qiskit_ibm_runtime.accounts import Account

    accepted = set()
    for channel in ("ibm_quantum_platform", "ibm_cloud", "ibm_quantum"):
        try:
            Account.create_account(channel=channel, token="t" * 20).validate()
        except Exception:
            continue
        accepted.add(channel)
    assert runtime_channels() == accepted


def test_channels_are_read_from_both_source_layouts() -> None:
    old = 'ChannelType = Optional[\n    Literal[\n        "ibm_quantum_platform",\n        "ibm_cloud",\n'
    old += '        "ibm_quantum",\n        "local",\n    ]\n]\n'
    new = 'ChannelType: TypeAlias = Literal["ibm_quantum_platform", "ibm_cloud", "local"] | None\n'
    assert channels_in(ast.parse(old)) == {"ibm_quantum_platform", "ibm_cloud", "ibm_quantum"}
    assert channels_in(ast.parse(new)) == {"ibm_quantum_platform", "ibm_cloud"}
    assert channels_in(ast.parse("X = 1\n")) is None
