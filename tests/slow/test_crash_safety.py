"""SIGKILL a process in the middle of writing the real stores, hundreds of times: the files always stay whole.

Each iteration forks a child that writes without pause through the providers' own write paths (QCS: materialize
and import a secrets.toml, and set the default profile; IBM: materialize both qiskit-ibm.json and qiskitrc), and
kills it with SIGKILL after a random 0-50 ms, i.e. anywhere inside a lock, a read, a temp-file write, an fsync or
a rename. After every kill the files must be non-empty and parse with our readers, with an independent parser
(tomllib, json, configparser) and with the real SDKs' loaders (qcs_api_client_common, qiskit-ibm-runtime's
AccountManager); the entries we do not own must still be there byte for byte; and the lock a killed writer held
must not stop the next one.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import random
import select
import signal
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.helpers import SecretScanner
from support.reliability import report

from jupyter_qcred.core import files
from jupyter_qcred.core.bundle import IbmAccountSpec, QcsProfileSpec
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.ibm.accounts_json import parse_accounts
from jupyter_qcred.providers.ibm.provider import IbmProvider
from jupyter_qcred.providers.ibm.qiskitrc import parse_qiskitrc
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import load_secrets, load_settings
from jupyter_qcred.providers.qcs.provider import QcsProvider

pytestmark = pytest.mark.timeout(180)

QCS_KILLS = int(os.environ.get("QCRED_QCS_KILLS", "120"))
IBM_KILLS = int(os.environ.get("QCRED_IBM_KILLS", "100"))
SEED = 424242

FOREIGN_SETTINGS = """\
# The lab's settings: this comment and everything below must survive every crash.
default_profile_name = "lab"

[profiles.lab]
api_url = "https://api.lab.example"
credentials_name = "lab"
future_setting = { nested = [1, 2, 3] }
"""
FOREIGN_SECRETS = """\
# Written by the QCS CLI.
[credentials.lab.token_payload]
access_token = "lab-access-token-not-ours-000000000001"
refresh_token = "lab-refresh-token-not-ours-0000000001"
updated_at = "2026-01-01T00:00:00.000000001Z"
"""
FOREIGN_JSON = {
    "colleague": {"channel": "ibm_cloud", "token": "colleague-key-not-ours-0000000000001", "x-extra": [1, None]},
    "default-ibm-quantum": {"channel": "ibm_quantum", "token": "old-legacy-token-not-ours-00000001"},
}
FOREIGN_RC = """\
# The legacy provider's file
[ibmq_other_hub_g_p]
token = other-hub-token-not-ours-000000000001
url = https://auth.quantum-computing.ibm.com/api/Network/other_hub/Groups/g/Projects/p
verify = True

[some.other.section]
kept = yes
"""
FOREIGN_SECRETS_VALUES = ("lab-access-token-not-ours-000000000001", "lab-refresh-token-not-ours-0000000001")


def home_with_foreign_files(root: Path) -> tuple[Settings, Path]:
    """A home whose four credential files already hold entries that belong to someone else."""
    home = root / "home"
    (home / ".qcs").mkdir(parents=True, mode=0o700)
    (home / ".qiskit").mkdir(mode=0o700)
    (home / ".qcs" / "settings.toml").write_text(FOREIGN_SETTINGS)
    (home / ".qcs" / "secrets.toml").write_text(FOREIGN_SECRETS)
    (home / ".qiskit" / "qiskit-ibm.json").write_text(json.dumps(FOREIGN_JSON, indent=4))
    (home / ".qiskit" / "qiskitrc").write_text(FOREIGN_RC)
    # A lock left held by a killed writer would make the next writer fail after this many seconds, not hang.
    return Settings.from_environment({"HOME": str(home)}, lock_timeout=5.0), home


def qcs_writes(settings: Settings) -> Callable[[int], None]:
    """One QCS write per call, cycling through materialize, import of a secrets.toml and set_default."""
    qcs = QcsProvider(settings)

    def write(n: int) -> None:
        kind = n % 3
        if kind == 0:
            spec = QcsProfileSpec(
                profile="alice",
                access_token=f"alice-access-{n:08d}-" + "a" * 40,
                refresh_token=f"alice-refresh-{n:08d}-" + "r" * 30,
                issuer="https://auth.example/oauth2/x",
                client_id="public-client",
                api_url="https://api.example",
            )
            qcs.materialize([spec], source="bundle")
        elif kind == 1:
            uploaded = (
                f'[credentials.upload.token_payload]\naccess_token = "upload-access-{n:08d}-{"u" * 30}"\n'
                f'refresh_token = "upload-refresh-{n:08d}-{"v" * 30}"\n'
            )
            qcs.import_file("secrets.toml", uploaded)
        else:
            qcs.set_default("alice" if n % 2 else "lab")

    return write


def ibm_writes(settings: Settings) -> Callable[[int], None]:
    """One IBM write per call: a platform account and a legacy account (qiskit-ibm.json and qiskitrc)."""
    ibm = IbmProvider(settings)

    def write(n: int) -> None:
        ibm.materialize(
            [
                IbmAccountSpec(
                    name="default-ibm-quantum-platform",
                    channel="ibm_quantum_platform",
                    token=f"platform-key-{n:08d}-" + "k" * 30,
                    instance="crn:v1:bluemix:public:quantum-computing:us-east:a/abc:def::",
                    default=True,
                ),
                IbmAccountSpec(
                    name="legacy",
                    channel="ibm_quantum",
                    token=f"legacy-token-{n:08d}-" + "t" * 30,
                    hub="ibm-q",
                    group="open",
                    project="main",
                ),
            ],
            source="bundle",
        )

    return write


def kill_mid_write(write: Callable[[int], None], start: int, rng: random.Random) -> int:
    """Fork a child that calls ``write`` in a loop, SIGKILL it after a random moment; returns its finished writes."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write until killed, reporting each finished write on the pipe
        try:
            os.close(read_end)
            n = start
            while True:
                write(n)
                os.write(write_end, b".")
                n += 1
        finally:
            os._exit(3)  # only reached if a write raised: the parent sees a non-kill exit
    os.close(write_end)
    time.sleep(rng.uniform(0.0, 0.05))  # a random moment to kill at, not a wait for a condition
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    finished = 0
    while select.select([read_end], [], [], 0)[0]:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        finished += len(chunk)
    os.close(read_end)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "a write failed instead of being killed"
    return finished


def check_qcs(settings: Settings) -> None:
    """Both QCS files are whole: our model, tomllib and the real SDK read them; foreign entries are intact."""
    settings_text = settings.qcs_settings_path.read_text()
    secrets_text = settings.qcs_secrets_path.read_text()
    assert settings_text and secrets_text, "a QCS file is empty"
    load_settings(settings.qcs_settings_path, settings_text)
    _doc, model = load_secrets(settings.qcs_secrets_path, secrets_text)
    assert settings_text.startswith("# The lab's settings"), "the settings' leading comment was lost"
    plain = tomllib.loads(settings_text)
    assert plain["profiles"]["lab"]["future_setting"] == {"nested": [1, 2, 3]}
    lab = model.credentials["lab"].token_payload
    assert lab is not None and (lab.access_token, lab.refresh_token) == FOREIGN_SECRETS_VALUES
    assert handoff.view(model).credentials["alice"].token_payload is not None, "our own credential was lost"
    tomllib.loads(secrets_text)
    from qcs_api_client_common.configuration import ClientConfiguration

    for profile in ("lab", "alice"):
        ClientConfiguration.load_profile(profile)


def check_ibm(settings: Settings, accounts: Any) -> None:
    """Both IBM files are whole: our readers, json/configparser and qiskit-ibm-runtime read them."""
    json_path, rc_path = settings.qiskit_ibm_json_path, settings.qiskitrc_path
    json_text, rc_text = json_path.read_text(), rc_path.read_text()
    assert json_text and rc_text, "an IBM file is empty"
    data = parse_accounts(json_text, json_path)
    for name, entry in FOREIGN_JSON.items():
        assert data[name] == entry, f"the foreign account {name} changed"
    assert data["default-ibm-quantum-platform"]["token"].startswith("platform-key-")
    assert json.loads(json_text) == data
    rc = parse_qiskitrc(rc_text, rc_path)
    assert rc.entry("ibmq_other_hub_g_p") is not None and rc.entry("ibmq") is not None
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(rc_text)
    assert parser["some.other.section"]["kept"] == "yes"
    listed = accounts.list(filename=str(json_path), channel="ibm_quantum_platform")
    assert "default-ibm-quantum-platform" in listed


def leftovers(folder: Path) -> list[Path]:
    """Temp files a killed writer left behind (never read by anyone; swept by a later writer once stale)."""
    return [path for path in folder.iterdir() if path.name.endswith(".tmp")]


def test_sigkill_in_the_middle_of_writes_never_breaks_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_scanner: SecretScanner
) -> None:
    from qiskit_ibm_runtime.accounts import AccountManager

    settings, home = home_with_foreign_files(tmp_path)
    monkeypatch.setenv("QCS_SETTINGS_FILE_PATH", str(settings.qcs_settings_path))
    monkeypatch.setenv("QCS_SECRETS_FILE_PATH", str(settings.qcs_secrets_path))
    rng = random.Random(SEED)
    for n in (0, 10**7, 10**7 + 1):  # what this process writes itself (and could log); the children exit silently
        secret_scanner.add_secrets(
            f"alice-access-{n:08d}-" + "a" * 40,
            f"alice-refresh-{n:08d}-" + "r" * 30,
            f"platform-key-{n:08d}-" + "k" * 30,
            f"legacy-token-{n:08d}-" + "t" * 30,
        )
    secret_scanner.add_secrets(*FOREIGN_SECRETS_VALUES)
    qcs, ibm = qcs_writes(settings), ibm_writes(settings)
    qcs(0)
    ibm(0)
    check_qcs(settings)
    check_ibm(settings, AccountManager)
    started = time.monotonic()
    kills = finished = 0
    for round_ in range(QCS_KILLS):
        finished += kill_mid_write(qcs, 1000 * (round_ + 1), rng)
        kills += 1
        check_qcs(settings)
    for round_ in range(IBM_KILLS):
        finished += kill_mid_write(ibm, 1000 * (round_ + 1), rng)
        kills += 1
        check_ibm(settings, AccountManager)
    elapsed = time.monotonic() - started
    left = leftovers(home / ".qcs") + leftovers(home / ".qiskit")
    for path in left:  # as if the kills happened long ago: the next writers sweep what the dead left behind
        old = time.time() - files.STALE_TEMP_AGE - 60
        os.utime(path, (old, old))
    # After the kills a normal write still works: no lock stayed held, no temp file is in the way.
    qcs(10**7)
    qcs(10**7 + 1)
    ibm(10**7)
    check_qcs(settings)
    check_ibm(settings, AccountManager)
    swept = [path for path in left if not path.exists()]
    for path in (home / ".qcs").iterdir():
        with contextlib.suppress(OSError):
            secret_scanner.saw(f"file name {path.name}", path.name)
    report(
        f"crash safety: {kills} SIGKILLs survived ({QCS_KILLS} QCS writers, {IBM_KILLS} IBM writers) in "
        f"{elapsed:.1f}s; {finished} writes completed between kills; {len(left)} temp files of killed writers, "
        "all swept by the next writers; "
        "every file parsed by our readers, tomllib/json/configparser and the real SDKs after every kill"
    )
    assert left, "some kills landed in the middle of a write (their temp files show it)"
    assert swept == left, "stale temp files of dead writers are removed by the next write of the same file"
    assert kills >= 200
    assert finished > 0, "the writers made progress: no lock stayed held by a killed process"
