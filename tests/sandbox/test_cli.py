"""`jupyter qcred`: every documented exit code from the real CLI, the status JSON, each command's --help, and no
secret in any output but `token`'s stdout.

Each test runs the CLI as a user would (a subprocess with its own HOME) against the sandbox services, and records
everything it printed in the secret scanner, which fails the test if a token it knows (from the bundle, or any
token the files hold afterwards, rotated ones included) shows up in it. ``demo``'s exit codes, which need the
JupyterLab it starts, are in tests/server/test_cli.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support import cli_runs
from support.cli_runs import Run
from support.helpers import SecretScanner

from jupyter_qcred import cli
from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers.ibm.sdk import runtime_channels

# The CLI run in a private HOME, its output scanned for secrets (tests/support/cli_runs.py).
home, cli_run = cli_runs.home, cli_runs.cli_run

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("status", "refresh", "init", "token", "remove", "doctor", "demo", "scan")


def make_env(sandbox: Any, secret_scanner: SecretScanner, bundle: dict[str, Any]) -> dict[str, str]:
    secret_scanner.add_bundle(bundle)
    return {**sandbox_environment(sandbox), "QCRED_BUNDLE": json.dumps(bundle)}


@pytest.fixture
def setup(sandbox: Any, home: Path, secret_scanner: SecretScanner) -> tuple[Path, dict[str, str], dict[str, Any]]:
    bundle = demo_bundle(sandbox, clouds=("ibm", "qcs"), scenarios=("legacy",))
    return home, make_env(sandbox, secret_scanner, bundle), bundle


def qcs_only(bundle: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The bundle's QCS profile alone (IBM has no part in these tests), with ``changes`` to its entry."""
    return {"version": 1, "qcs": [{**bundle["qcs"][0], **changes}]}


def entry(result: subprocess.CompletedProcess[str], provider: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [
        e
        for e in json.loads(result.stdout)["providers"]
        if e["provider"] == provider and (name is None or e["name"] == name)
    ]
    return found


def token_requests(sandbox: Any) -> list[dict[str, Any]]:
    return [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]


# ----- status, refresh, token: the happy path --------------------------------------------------------------------


def test_no_credentials_exits_4(cli_run: Run) -> None:
    result = cli_run("status", "--json")
    assert result.returncode == 4
    status = json.loads(result.stdout)
    assert {entry["state"] for entry in status["providers"]} == {"absent"}


def test_init_then_status_refresh_and_token(setup, sandbox, cli_run: Run) -> None:
    home, env, _ = setup
    init = cli_run("init", "--from", "bundle", env=env)
    assert init.returncode == 0, init.stderr
    assert "Wrote 3 credential(s) from QCRED_BUNDLE" in init.stdout

    # The demo hands over a legacy account too, which current qiskit-ibm-runtime versions cannot load: status and
    # refresh say so (3) while init, for start scripts, does not fail on it.
    legacy_ok = "ibm_quantum" in (runtime_channels() or {"ibm_quantum"})
    status = cli_run("status", "--json", env=env)
    assert status.returncode == (0 if legacy_ok else 3)
    data = json.loads(status.stdout)
    assert {e["state"] for e in data["providers"] if e["name"] not in ("legacy", None)} == {"ok"}
    assert entry(status, "ibm", "legacy")["state"] == ("ok" if legacy_ok else "unsupported")
    assert data["version"] == 1
    assert {(e["provider"], e["name"]) for e in data["providers"] if e["state"] != "absent"} == {
        ("ibm", "default-ibm-quantum-platform"),
        ("ibm", "legacy"),
        ("qcs", "default"),
    }
    assert all(e["token_hint"] is None or e["token_hint"].startswith("…") for e in data["providers"])

    refresh = cli_run("refresh", env=env)
    assert refresh.returncode == (0 if legacy_ok else 3), refresh.stdout + refresh.stderr
    assert "alice@example.org" in refresh.stdout
    assert len(token_requests(sandbox)) == 1

    token = cli_run("token", "qcs", env=env)
    credentials = tomllib.loads((home / ".qcs/secrets.toml").read_text())["credentials"]
    # init handed the credential off: the SDK runs our token command with this Python, by absolute path (no PATH
    # needed); the tokens live apart.
    command = credentials["default"]["externally_managed"]
    assert Path(command["command"]).is_absolute() and Path(command["command"]).name.startswith("python")
    assert command["args"][:2] == ["-I", "-S"] and Path(command["args"][2]).name == "tokenlaunch.py"
    assert command["args"][3:] == ["token", "qcs", "--profile=default"]
    stored = credentials["jupyter_qcred-default"]["token_payload"]
    assert token.returncode == 0
    assert token.stdout.strip() == stored["access_token"]
    assert token.stderr == ""


# ----- init: 0 when renewable, 3 only for what needs a person ----------------------------------------------------


@pytest.mark.slow
def test_init_with_an_expired_but_refreshable_qcs_token_exits_0(sandbox, home, cli_run, secret_scanner) -> None:
    """The start-script case: `jupyter qcred init && ...` must go on; the token renews on first use."""
    bundle = qcs_only(demo_bundle(sandbox, access_token_lifetime=-100))
    env = make_env(sandbox, secret_scanner, bundle)

    init = cli_run("init", "--from", "bundle", env=env)
    assert init.returncode == 0, init.stdout + init.stderr
    assert "EXPIRED" in init.stdout  # shown as it is, with what happens next
    assert "renewed with the refresh token" in init.stdout
    assert token_requests(sandbox) == [], "init stays offline without --check"

    # `status` answers "is everything usable right now?", and an expired access token is not (documented: 3).
    status = cli_run("status", "--json", env=env)
    assert status.returncode == 3
    qcs = entry(status, "qcs")
    assert (qcs["state"], qcs["account"]["refresh_token_state"]) == ("expired", "ok")

    # ... and it is renewable indeed: the next `token` renews it with one request.
    token = cli_run("token", "qcs", env=env)
    assert token.returncode == 0, token.stderr
    assert len(token_requests(sandbox)) == 1
    assert cli_run("status", env=env).returncode == 0


def test_init_check_renews_an_expired_token_and_exits_0(sandbox, home, cli_run, secret_scanner) -> None:
    bundle = qcs_only(demo_bundle(sandbox, access_token_lifetime=-100))
    init = cli_run("init", "--check", env=make_env(sandbox, secret_scanner, bundle))
    assert init.returncode == 0, init.stdout + init.stderr
    assert len(token_requests(sandbox)) == 1
    assert "EXPIRED" not in init.stdout
    assert "alice@example.org" in init.stdout


@pytest.mark.slow
def test_init_with_a_refused_refresh_token(sandbox, home, cli_run, secret_scanner) -> None:
    """Offline, a refresh token that is still there counts as renewable (0); --check asks, and a refusal is 3."""
    bundle = qcs_only(demo_bundle(sandbox, access_token_lifetime=-100))
    env = make_env(sandbox, secret_scanner, bundle)
    sandbox.revoke("alice")

    assert cli_run("init", env=env).returncode == 0
    checked = cli_run("init", "--check", "--quiet", env=env)
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert "re-initialize" in checked.stderr.lower(), "--quiet still says, on stderr, what to do"
    assert "IBM" not in checked.stderr, "only what needs a person is listed"

    shown = cli_run("init", "--check", env=env)
    assert shown.returncode == 3
    assert "NEEDS RE-INIT" in shown.stdout


def test_init_check_with_the_provider_down_keeps_exit_0(sandbox, home, cli_run, secret_scanner) -> None:
    """A check that cannot be made says nothing about the credential: the server retries, the script goes on."""
    bundle = qcs_only(demo_bundle(sandbox, access_token_lifetime=-100))
    sandbox.fault("qcs_token", "status", status=503)
    init = cli_run("init", "--check", env=make_env(sandbox, secret_scanner, bundle))
    assert init.returncode == 0, init.stdout + init.stderr
    assert "503" in init.stdout  # the status shown still says what happened


def test_init_with_an_expired_token_and_no_refresh_token_exits_3(sandbox, home, cli_run, secret_scanner) -> None:
    bundle = qcs_only(demo_bundle(sandbox, access_token_lifetime=-100), refresh_token=None)
    init = cli_run("init", "--quiet", env=make_env(sandbox, secret_scanner, bundle))
    assert init.returncode == 3
    assert "no refresh token" in init.stderr
    assert "re-initialize" in init.stderr


def test_init_into_a_file_that_does_not_parse_exits_3_and_changes_nothing(setup, cli_run) -> None:
    home, env, _ = setup
    secrets = home / ".qcs" / "secrets.toml"
    secrets.parent.mkdir(mode=0o700)
    secrets.write_text("[credentials.default\n")
    init = cli_run("init", env=env)
    assert init.returncode == 3
    assert str(secrets) in init.stderr
    assert "--reinit" in init.stderr
    assert secrets.read_text() == "[credentials.default\n"

    again = cli_run("init", "--reinit", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [p.name for p in secrets.parent.iterdir() if p.name.startswith("secrets.toml.")], "backup kept"


def test_init_with_another_broken_file_exits_3(sandbox, home, cli_run, secret_scanner) -> None:
    """Writing QCS went fine, but IBM's file does not parse: a person must fix it, so init says so."""
    broken = home / ".qiskit" / "qiskit-ibm.json"
    broken.parent.mkdir(mode=0o700)
    broken.write_text("{not json")
    init = cli_run("init", env=make_env(sandbox, secret_scanner, qcs_only(demo_bundle(sandbox))))
    assert init.returncode == 3
    assert "Wrote 1 credential(s)" in init.stdout
    assert "qiskit-ibm.json" in init.stdout


def test_init_from_an_empty_source_exits_4_and_without_a_bundle_1(cli_run) -> None:
    empty = cli_run("init", "--from", "env")
    assert empty.returncode == 4
    assert "Wrote 0 credential(s)" in empty.stdout
    missing = cli_run("init", "--from", "bundle")
    assert missing.returncode == 1
    assert "QCRED_BUNDLE" in missing.stderr


@pytest.mark.parametrize(
    ("bundle", "words"),
    [
        ('{"version": 2}', "bundle version 1"),
        ('{"version": 1, "qcs": [{"profile": "x"}]}', "qcs[0]"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_bundle_exits_1_with_a_sentence_and_writes_nothing(home: Path, cli_run, bundle: str, words: str) -> None:
    result = cli_run("init", "--from", "bundle", env={"QCRED_BUNDLE": bundle})
    assert result.returncode == 1
    assert words in result.stderr
    assert not (home / ".qcs").exists()
    assert not (home / ".qiskit").exists()


# ----- refresh ---------------------------------------------------------------------------------------------------


def test_refused_refresh_token_exits_3_with_what_to_do(setup, sandbox, cli_run) -> None:
    _, env, _ = setup
    assert cli_run("init", env=env).returncode == 0
    sandbox.revoke("alice")
    refresh = cli_run("refresh", "qcs", env=env)
    assert refresh.returncode == 3
    assert "NEEDS RE-INIT" in refresh.stdout
    assert "re-initialize" in refresh.stdout.lower()


def test_provider_down_exits_3_and_changes_nothing(setup, sandbox, cli_run) -> None:
    home, env, _ = setup
    assert cli_run("init", env=env).returncode == 0
    before = (home / ".qcs/secrets.toml").read_bytes()
    sandbox.fault("qcs_token", "status", status=503)
    refresh = cli_run("refresh", "qcs", "--json", env=env)
    assert refresh.returncode == 3
    qcs = entry(refresh, "qcs")
    assert qcs["state"] == "error"
    assert "503" in qcs["error"]
    # The CLI does not retry, so it never says it will (only a running server does).
    assert "retry" not in qcs["error"] and "retrying" not in refresh.stderr
    assert qcs["retrying"] is False and qcs["action_needed"] is True  # nobody retries: not calm
    assert qcs["retry_at"] is None
    assert (home / ".qcs/secrets.toml").read_bytes() == before


@pytest.mark.slow
def test_remove_asks_first_and_keeps_everything_else(setup, cli_run) -> None:
    home, env, _ = setup
    assert cli_run("init", env=env).returncode == 0
    rc, accounts = home / ".qiskit/qiskitrc", home / ".qiskit/qiskit-ibm.json"
    before = {path: path.read_bytes() for path in (rc, accounts)}

    unconfirmed = cli_run("remove", "ibm", "legacy", env=env)  # stdin is not a terminal here
    assert unconfirmed.returncode == 3
    assert "nothing was removed: re-run with --yes" in unconfirmed.stderr
    assert {path: path.read_bytes() for path in before} == before

    missing = cli_run("remove", "ibm", "nope", "--yes", env=env)
    assert missing.returncode == 4 and "no IBM Quantum account 'nope'" in missing.stderr

    removed = cli_run("remove", "ibm", "legacy", "--yes", env=env)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith(f"Removed the IBM Quantum account 'legacy' from {accounts} and {rc}.")
    assert "legacy" not in json.loads(accounts.read_text())
    assert "default-ibm-quantum-platform" in json.loads(accounts.read_text())
    status = cli_run("status", "--json", env=env)
    assert status.returncode == 0, "what is left is usable"
    names = {e["name"] for e in json.loads(status.stdout)["providers"] if e["name"]}
    assert names == {"default-ibm-quantum-platform", "default"}


@pytest.mark.slow
def test_refresh_of_nothing_exits_4(sandbox, home, cli_run, secret_scanner) -> None:
    env = make_env(sandbox, secret_scanner, qcs_only(demo_bundle(sandbox)))
    assert cli_run("init", env=env).returncode == 0
    nosuch = cli_run("refresh", "--name", "nosuch", env=env)
    assert nosuch.returncode == 4
    assert "no credential named 'nosuch'" in nosuch.stderr
    no_ibm = cli_run("refresh", "ibm", env=env)
    assert no_ibm.returncode == 4, no_ibm.stdout + no_ibm.stderr
    assert token_requests(sandbox) == []


def test_unreadable_files_exit_1_with_a_sentence(home: Path, cli_run) -> None:
    """An OS error (here a symlink loop; permissions do not stop root) is a sentence naming the file, not a
    traceback."""
    secrets = home / ".qcs" / "secrets.toml"
    secrets.parent.mkdir(mode=0o700)
    secrets.symlink_to(secrets)
    for command in (["status"], ["refresh"]):
        result = cli_run(*command)
        assert result.returncode == 1, result.stderr
        assert str(secrets) in result.stderr
        assert "Traceback" not in result.stderr


# ----- token -----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_token_exit_codes(setup, sandbox, cli_run, secret_scanner) -> None:
    _, env, _ = setup
    nothing = cli_run("token", "qcs", env=env)
    assert nothing.returncode == 4, nothing.stderr
    assert nothing.stdout == ""

    assert cli_run("init", env=env).returncode == 0
    nosuch = cli_run("token", "qcs", "--profile", "nosuch", env=env)
    assert nosuch.returncode == 4
    assert "no profile 'nosuch'" in nosuch.stderr
    assert nosuch.stdout == ""

    # Expired, and the provider down: no token now, but nothing for a person to do.
    expired = qcs_only(demo_bundle(sandbox, access_token_lifetime=-100))
    env = make_env(sandbox, secret_scanner, expired)
    assert cli_run("init", env=env).returncode == 0
    sandbox.fault("qcs_token", "status", status=503)
    down = cli_run("token", "qcs", env=env)
    assert down.returncode == 1
    assert "503" in down.stderr
    assert down.stdout == ""

    # Expired, and the refresh token refused: only a new sign-in helps.
    sandbox.clear_faults()
    sandbox.revoke("alice")
    refused = cli_run("token", "qcs", env=env)
    assert refused.returncode == 3
    assert "re-initialize" in refused.stderr.lower()
    assert refused.stdout == ""


@pytest.mark.slow
def test_token_of_a_broken_or_externally_managed_credential(setup, cli_run) -> None:
    home, env, _ = setup
    assert cli_run("init", env=env).returncode == 0
    secrets = home / ".qcs" / "secrets.toml"
    secrets.write_text('[credentials.default.externally_managed]\ncommand = "jupyter"\nargs = ["qcred"]\n')
    external = cli_run("token", "qcs", env=env)
    assert external.returncode == 1
    assert "externally managed" in external.stderr

    secrets.write_text("[credentials.default\n")
    broken = cli_run("token", "qcs", env=env)
    assert broken.returncode == 3
    assert str(secrets) in broken.stderr


# ----- usage, Ctrl-C, demo ---------------------------------------------------------------------------------------


def test_doctor_of_a_folder_that_is_not_one_exits_2(home: Path, cli_run) -> None:
    result = cli_run("doctor", str(home / "missing"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"jupyter qcred doctor: {home / 'missing'} is not a folder."


@pytest.mark.slow
def test_doctor_exits_1_when_an_sdk_uses_another_key_and_0_once_fixed(home: Path, cli_run, secret_scanner) -> None:
    """The exit code scripts can trust: 1 while ~/proj/.env shadows the key shown, 0 once removed (the key also
    in the environment, as the server hands it to its children, so scripts agree too)."""
    pytest.importorskip("qiskit_ionq")
    shown, stale = "the-key-the-panel-shows-0001", "a-stale-key-in-the-project-0002"
    secret_scanner.add_secrets(shown, stale)
    (home / ".env").write_text(f"IONQ_API_KEY={shown}\n")
    (home / "proj" / "nb").mkdir(parents=True)
    (home / "proj" / ".env").write_text(f"IONQ_API_KEY={stale}\n")
    environment = {"IONQ_API_KEY": shown, "JUPYTER_QCRED_SDK_ADAPTERS": "off"}
    result = cli_run("doctor", str(home / "proj" / "nb"), env=environment)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "~/proj/.env sets IONQ_API_KEY" in result.stdout
    assert "pyquil 4 adapter off" in result.stdout or "pyquil" not in result.stdout
    (home / "proj" / ".env").unlink()
    result = cli_run("doctor", str(home / "proj" / "nb"), "--json", env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ok"] is True


def test_status_prints_one_line_per_adapter_not_acting(home: Path, cli_run) -> None:
    from jupyter_qcred.core.adapters import adapter

    result = cli_run("status", env={"JUPYTER_QCRED_SDK_ADAPTERS": "off"})
    installed = [
        m
        for m in ("jupyter_qcred.providers.qcs.pyquil_adapter", "jupyter_qcred.providers.nexus.qnexus_adapter")
        if adapter(m).installed_version() is not None
    ]
    lines = [line for line in result.stdout.splitlines() if " adapter off: " in line]
    assert len(lines) >= len(installed)
    assert all("JUPYTER_QCRED_SDK_ADAPTERS" in line for line in lines)
    result = cli_run("status")
    assert " adapter off: " not in result.stdout


def test_usage_errors_exit_2(cli_run) -> None:
    assert cli_run("frobnicate").returncode == 2
    assert cli_run("refresh", "ocean").returncode == 2
    assert cli_run("token").returncode == 2


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(cli.commands, "_manager", interrupted)
    assert cli.main(["status"]) == 130


# ----- help and documentation ------------------------------------------------------------------------------------


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_says_what_it_does_and_its_exit_codes(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jupyter_qcred.cli", command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    shown = words(result.stdout)
    assert words(cli.DESCRIPTIONS[command]) in shown
    assert len(cli.DESCRIPTIONS[command].split()) >= 20
    own = {code for code, _ in cli.EXIT_CODES[command]}
    common = [(code, meaning) for code, meaning in cli.COMMON_EXIT_CODES if code not in own]  # its own wording wins
    for code, meaning in (*cli.EXIT_CODES[command], *common):
        if (command, code) == ("demo", 130):
            assert " 130 " not in shown
            continue
        assert words(f"{code} {meaning}") in shown


def test_help_gives_every_exit_code() -> None:
    table = words(cli.exit_codes_text())
    assert table in words(cli.build_parser().format_help())
    assert set(cli.EXIT_CODES) == set(COMMANDS)


def test_readme_gives_the_same_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text()
    assert cli.readme_section() in readme, "paste cli.readme_section() into the README's 'Command line' section"
