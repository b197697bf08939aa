"""The pyquil adapter's reading of settings.toml/secrets.toml (``handoff_plan``), its recognition of our command, the
seed rule, the token command's failures, and ``adapt``'s refusals (``providers/qcs/pyquil_adapter.py``).

What pyquil then does with it is in ``tests/sdk/test_qcs_pyquil_adapter.py``."""

from __future__ import annotations

import dataclasses
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.qcs import make_jwt

from jupyter_qcred.providers.qcs import exitguard, handoff, pyquil_adapter
from jupyter_qcred.providers.qcs.model import ExternallyManaged
from jupyter_qcred.providers.qcs.pyquil_adapter import (
    TokenCommand,
    TokenCommandError,
    adapt,
    adapted_load,
    fresh,
    handoff_plan,
)
from jupyter_qcred.providers.qcs.tokencommand import LAUNCHER_NAME

PYTHON, ARGS = handoff.token_command("lab")

SETTINGS = """\
default_profile_name = "lab"

[profiles.lab]
credentials_name = "lab-creds"
auth_server_name = "lab-auth"

[profiles.other]

[auth_servers.lab-auth]
client_id = "lab-client"
issuer = "https://auth.lab.example"
"""


def secrets(command: str = PYTHON, args: list[str] = ARGS, copy: str | None = "COPY", **extra: Any) -> str:
    quoted = ", ".join(f'"{arg}"' for arg in args)
    table = f'[credentials.lab-creds.externally_managed]\ncommand = "{command}"\nargs = [{quoted}]\n'
    table += "".join(f"{key} = {value}\n" for key, value in extra.items())
    if copy is not None:
        table += f'\n[credentials.lab-creds.token_payload]\naccess_token = "{copy}"\n'
    return table + '\n[credentials.jupyter_qcred-lab-creds.token_payload]\nrefresh_token = "rt-0001"\n'


def home(tmp_path: Path, settings: str | None = SETTINGS, secrets_text: str | None = None) -> dict[str, str]:
    folder = tmp_path / ".qcs"
    folder.mkdir(exist_ok=True)
    if settings is not None:
        (folder / "settings.toml").write_text(settings)
    if secrets_text is not None:
        (folder / "secrets.toml").write_text(secrets_text)
    return {"HOME": str(tmp_path)}


def test_the_default_profile_its_credential_and_auth_server_are_followed(tmp_path: Path) -> None:
    plan = handoff_plan(None, home(tmp_path, secrets_text=secrets(timeout_seconds=7)))
    assert plan is not None
    assert (plan.profile, plan.credential, plan.copy) == ("lab", "lab-creds", "COPY")
    assert plan.auth_server == ("lab-client", "https://auth.lab.example")
    command = plan.command
    assert (command.command, command.args, command.timeout) == (PYTHON, tuple(ARGS), 7.0)
    assert command.secrets_path == tmp_path / ".qcs" / "secrets.toml"


def test_the_profile_name_comes_from_the_argument_then_the_variable_then_the_file(tmp_path: Path) -> None:
    environ = home(tmp_path, secrets_text=secrets())
    assert handoff_plan("other", environ) is None, "profile other: credential 'default', not handed off"
    assert handoff_plan(None, {**environ, "QCS_PROFILE_NAME": "other"}) is None
    assert handoff_plan(None, {**environ, "QCS_PROFILE_NAME": ""}) is None, "an empty variable names profile ''"
    plan = handoff_plan("lab", {**environ, "QCS_PROFILE_NAME": "other"})
    assert plan is not None and plan.profile == "lab"


def test_the_file_variables_are_followed_with_dollar_variables_expanded(tmp_path: Path) -> None:
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    (elsewhere / "s.toml").write_text(SETTINGS)
    (elsewhere / "x.toml").write_text(secrets())
    environ = {
        "HOME": str(tmp_path / "nowhere"),
        "CONF": str(elsewhere),
        "QCS_SETTINGS_FILE_PATH": "$CONF/s.toml",
        "QCS_SECRETS_FILE_PATH": str(elsewhere / "x.toml"),
    }
    plan = handoff_plan(None, environ)
    assert plan is not None and plan.command.secrets_path == elsewhere / "x.toml"
    braces = handoff_plan(None, {**environ, "QCS_SETTINGS_FILE_PATH": "${CONF}/s.toml"})
    assert braces is not None
    assert handoff_plan(None, {**environ, "QCS_SETTINGS_FILE_PATH": "$UNSET/s.toml"}) is None, "the crate refuses"


def test_defaults_without_tables_mean_the_default_profile_credential_and_server(tmp_path: Path) -> None:
    text = secrets().replace("lab-creds", "default")
    plan = handoff_plan(None, home(tmp_path, settings="", secrets_text=text))
    assert plan is not None
    assert (plan.profile, plan.credential, plan.auth_server) == ("default", "default", None)
    assert plan.command.timeout == pyquil_adapter.DEFAULT_TIMEOUT == handoff.TIMEOUT_SECONDS


@pytest.mark.parametrize(
    ("settings", "secrets_text", "why"),
    [
        (SETTINGS, None, "no secrets.toml"),
        (None, secrets(), "no settings.toml"),
        (SETTINGS, secrets() + "\n[broken", "secrets.toml does not parse"),
        ("profiles = 3", secrets(), "profiles is not a table"),
        ('default_profile_name = "gone"', secrets(), "the profile does not exist"),
        (SETTINGS, secrets().replace("externally_managed", "client_credentials"), "client credentials"),
        (SETTINGS, '[credentials.lab-creds.token_payload]\naccess_token = "a"\nrefresh_token = "rt-0002"\n', "plain"),
        (SETTINGS, secrets(command="/usr/bin/vault", args=["read", "qcs"]), "another program's command"),
        (SETTINGS, secrets(args=["token", "qcs"]), "a python that does not run our launcher"),
        (SETTINGS, secrets(timeout_seconds='"soon"'), "timeout is not a number"),
        (SETTINGS, secrets(timeout_seconds=0), "timeout is not positive"),
        (SETTINGS, secrets().replace(f'command = "{PYTHON}"', "command = 3"), "command is not a string"),
        (SETTINGS, secrets().replace("args = [", "args = [1, "), "args are not strings"),
    ],
)
def test_anything_but_our_hand_off_gives_none(
    tmp_path: Path, settings: str | None, secrets_text: str | None, why: str
) -> None:
    assert handoff_plan(None, home(tmp_path, settings, secrets_text)) is None, why


def test_a_missing_copy_still_plans_without_a_seed(tmp_path: Path) -> None:
    plan = handoff_plan(None, home(tmp_path, secrets_text=secrets(copy=None)))
    assert plan is not None and plan.copy is None


@pytest.mark.parametrize(
    ("command", "args", "ours"),
    [
        (PYTHON, ARGS, True),
        ("/venv/bin/jupyter-qcred", ["token", "qcs", "--profile", "lab"], True),
        ("/venv/bin/python", ["-m", "jupyter_qcred.console", "token", "qcs"], True),
        ("/venv/bin/python", ["-I", "-S", "/x/tokenlaunch.py", "token", "qcs"], True),
        ("/venv/bin/python", ["-m", "jupyter_qcred.console", "token", "ibm"], False),
        ("/venv/bin/python", ["-c", "print(1)", "token", "qcs"], False),
        ("/usr/bin/vault", ["read", "qcs"], False),
        ("jupyter-qcred", [], False),
    ],
)
def test_our_command_is_recognized_as_the_hand_off_writes_it(command: str, args: list[str], ours: bool) -> None:
    """The adapter and the hand-off share one rule (:mod:`.tokencommand`, light enough for every pyquil process)."""
    assert handoff.is_token_command(ExternallyManaged(command, tuple(args))) is ours
    assert handoff.LAUNCHER.name == LAUNCHER_NAME


def test_a_copy_seeds_the_session_only_while_the_token_command_would_hand_it_out() -> None:
    now = time.time()
    assert fresh(make_jwt(3600, issued=now - 100), now)
    assert not fresh(make_jwt(3600, issued=now - 3600 + 700), now), "inside the 720 s margin of a 1 h token"
    assert not fresh(make_jwt(-100), now), "expired"
    assert fresh(make_jwt(120, issued=now), now) and not fresh(make_jwt(120, issued=now - 61), now)
    assert not fresh(None) and not fresh("not-a-jwt") and not fresh(make_jwt(3600, exp="soon"))


def command(tmp_path: Path, body: str, timeout: float = 30) -> TokenCommand:
    script = tmp_path / "cmd.py"
    script.write_text(textwrap.dedent(body))
    return TokenCommand(sys.executable, (str(script),), timeout, "lab", tmp_path / "secrets.toml")


def test_the_command_prints_the_token_which_is_trimmed(tmp_path: Path) -> None:
    assert command(tmp_path, "print('  tok-0001  ')")(None) == "tok-0001"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("import sys; sys.stderr.write('Rigetti QCS refused it: re-initialize\\n'); sys.exit(3)", "(exit 3): Rigetti"),
        ("print('')", "(exit 0)"),
        ("print('two words')", "(exit 0)"),
        (
            "import sys; sys.stderr.write('aaaaaaaaaa.bbbbbbbbbbbb.cccccccccccc leaked\\n'); sys.exit(1)",
            "[token] leaked",
        ),
    ],
)
def test_a_failing_command_names_the_file_and_what_to_do(tmp_path: Path, body: str, said: str) -> None:
    with pytest.raises(TokenCommandError) as raised:
        command(tmp_path, body)(None)
    message = str(raised.value)
    assert f"the token command of QCS profile 'lab' (written in {tmp_path / 'secrets.toml'}) failed" in message
    assert said in message and "`jupyter qcred token qcs --profile=lab` tries again" in message
    assert "two words" not in message and "aaaaaaaa.bbbbbbbbbb" not in message


def test_a_command_that_hangs_or_cannot_start(tmp_path: Path) -> None:
    with pytest.raises(TokenCommandError, match=r"gave no token within 0.5 s"):
        command(tmp_path, "import time; time.sleep(30)", timeout=0.5)(None)
    gone = TokenCommand(str(tmp_path / "moved" / "python"), (), 5, "lab", tmp_path / "secrets.toml")
    with pytest.raises(TokenCommandError, match=r"could not be started \(FileNotFoundError.*jupyter qcred init"):
        gone(None)


def test_the_original_client_is_returned_for_anything_not_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    calls: list[str | None] = []
    original_client = object()

    def original(profile_name: str | None = None) -> object:
        calls.append(profile_name)
        return original_client

    load = adapted_load(original)
    assert load.__wrapped__ is original  # type: ignore[attr-defined]
    assert load() is original_client and load("x") is original_client, "no files at all"
    home(tmp_path, secrets_text=secrets())
    assert load() is original_client, "ours, but the original has no oauth_session: the crate went anonymous"
    assert calls == [None, "x", None]


def fake_sdk(name: str, client: dict[str, Any]) -> ModuleType:
    package = ModuleType(name)
    module = ModuleType(f"{name}.client")
    module.__dict__.update(client)
    sys.modules[name], sys.modules[module.__name__] = package, module
    return package


def test_adapt_stays_out_when_an_attribute_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    class QCSClient:
        @staticmethod
        def load(profile_name: str | None = None) -> None:
            return None

    before = QCSClient.load
    package = fake_sdk("fake_qcs_missing", {"QCSClient": QCSClient, "OAuthSession": object, "AuthServer": object})
    try:
        said = adapt(package)
    finally:
        del sys.modules["fake_qcs_missing"], sys.modules["fake_qcs_missing.client"]
    assert said == "stayed out: qcs_sdk.client has no ExternallyManaged (a qcs-sdk-python it was not checked with)"
    assert QCSClient.load is before


def test_adapt_replaces_load_once_waits_at_exit_and_stays_out_of_an_unknown_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class QCSClient:
        @staticmethod
        def load(profile_name: str | None = None) -> None:
            return None

    registered: list[tuple[Any, ...]] = []
    monkeypatch.setattr(exitguard, "_registered", False)
    monkeypatch.setattr(exitguard.atexit, "register", lambda *args: registered.append(args))
    original = QCSClient.load
    names = {"QCSClient": QCSClient, "ExternallyManaged": object, "OAuthSession": object, "AuthServer": object}
    package = fake_sdk("fake_qcs_whole", names)
    try:
        with pytest.MonkeyPatch.context() as newer:
            known = pyquil_adapter.ADAPTER
            newer.setattr(pyquil_adapter, "ADAPTER", dataclasses.replace(known, supported=("9.",)))
            assert "is not a version" in (adapt(package) or "")
        assert QCSClient.load is original and registered == [], "left alone: no change, no wait"
        assert adapt(package) is None
        assert QCSClient.load.__wrapped__ is original  # type: ignore[attr-defined]
        assert registered == [(time.sleep, exitguard.GRACE)]
        adapted = QCSClient.load
        assert adapt(package) is None and QCSClient.load is adapted, "adapted once"
        assert exitguard.adapt(package) is None and len(registered) == 1, "one wait for both adapters"
    finally:
        del sys.modules["fake_qcs_whole"], sys.modules["fake_qcs_whole.client"]
