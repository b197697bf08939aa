"""Attacks through the filesystem (issue 13, attacks 2, 3, 7 and 8): each one now fails with a sentence.

- folders: only ours by name (``.qcs``, ``.qiskit``) or created by us are made 0700; a 1777 or 2770 folder, or one
  owned by another user, is refused and keeps its mode;
- special files: a FIFO, a device node or a folder in place of a store is neither read nor replaced;
- reads: a FIFO never blocks, a 20 MB file and a JSON document nested 100,000 deep are refused at once;
- the hub's bundle file: a bundle folder others can write to is refused, and a planted temporary file never
  receives anyone's bundle; a mapper that fails leaves no secret in the hub's log;
- SDK files others can read are reported in the status and made 0600 by our next write (with the SDK that leaves
  them so: tests/sdk/test_files_attacks.py).
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support.helpers import SecretScanner
from traitlets.config import Config

from jupyter_qcred import hub
from jupyter_qcred.core import files
from jupyter_qcred.core.bundle import IbmAccountSpec, QcsProfileSpec
from jupyter_qcred.core.errors import FileFormatError, QCredError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.ibm.provider import IbmProvider
from jupyter_qcred.providers.qcs.provider import QcsProvider

pytestmark = pytest.mark.timeout(60)
IS_ROOT = os.getuid() == 0
TOKEN = "file-attack-refresh-token-0001"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def qcs_spec() -> QcsProfileSpec:
    return QcsProfileSpec(profile="default", access_token="file-attack-access-0001", refresh_token=TOKEN)


def qcs_at(tmp_path: Path, secrets_path: Path) -> QcsProvider:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "QCS_SECRETS_FILE_PATH": str(secrets_path)}
    return QcsProvider(Settings.from_environment(env, lock_timeout=2.0))


# ----- 2. folders ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder_mode", [0o1777, 0o2770, 0o0777, 0o0775])
def test_a_folder_others_can_write_to_is_refused_and_keeps_its_mode(tmp_path: Path, folder_mode: int) -> None:
    """The secrets file in a shared project folder (2770) or a /tmp-like folder (1777): before, the folder became
    0700 (locking the group out) and the secrets went in; now nothing changes and the sentence says why."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, folder_mode)
    (shared / "notes.txt").write_text("the group's notes\n")
    with pytest.raises(QCredError, match=r"other users can write to \(mode") as caught:
        qcs_at(tmp_path, shared / "secrets.toml").materialize([qcs_spec()], source="bundle")
    assert str(shared) in str(caught.value) and TOKEN not in str(caught.value)
    assert mode(shared) == folder_mode
    assert sorted(p.name for p in shared.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(not IS_ROOT, reason="making a folder another user's needs root")
def test_a_folder_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, 65534, 65534)
    with pytest.raises(QCredError, match="belongs to another user"):
        qcs_at(tmp_path, theirs / "secrets.toml").materialize([qcs_spec()], source="bundle")
    assert list(theirs.iterdir()) == [] and mode(theirs) == 0o755


def test_only_our_own_folders_by_name_or_creation_are_made_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".qcs").mkdir(parents=True, mode=0o755)
    os.chmod(home / ".qcs", 0o755)
    project = tmp_path / "project"
    project.mkdir(mode=0o755)
    os.chmod(project, 0o755)
    settings = Settings.from_environment({"HOME": str(home)}, lock_timeout=2.0)
    QcsProvider(settings).materialize([qcs_spec()], source="bundle")
    assert mode(home / ".qcs") == 0o700  # the SDK's own folder, ours: made private
    qcs_at(tmp_path, project / "secrets.toml").materialize([qcs_spec()], source="bundle")
    assert mode(project) == 0o755  # a folder of another name: used (nobody else can write to it), never chmodded
    assert mode(project / "secrets.toml") == 0o600
    created = tmp_path / "new" / "deeper"
    qcs_at(tmp_path, created / "secrets.toml").materialize([qcs_spec()], source="bundle")
    assert mode(created) == 0o700  # created by us


# ----- 2. special files in place of a store -------------------------------------------------------------------


def make_special(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path, 0o600)
    elif kind == "device":
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    else:
        path.mkdir()


SPECIAL = ["fifo", "folder"] + (["device"] if IS_ROOT else [])


@pytest.mark.parametrize("kind", SPECIAL)
def test_a_special_file_in_place_of_a_store_is_neither_read_nor_replaced(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "qcs"
    folder.mkdir(mode=0o700)
    target = folder / "secrets.toml"
    make_special(target, kind)
    before = os.lstat(target)
    provider = qcs_at(tmp_path, target)
    [status] = [s for s in provider.read() if s.provider == "qcs"]
    assert status.error and str(target) in status.error
    with pytest.raises(QCredError, match=r"not a regular file|is a folder"):
        provider.materialize([qcs_spec()], source="bundle")
    after = os.lstat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino


# ----- 3. reads: bounded in type and size -------------------------------------------------------------------


async def test_a_fifo_never_blocks_a_read(tmp_path: Path) -> None:
    fifo = tmp_path / "secrets.toml"
    os.mkfifo(fifo, 0o600)
    # In a thread with a deadline: if the read blocked (as it did), the test fails instead of hanging.
    with pytest.raises(QCredError, match=r"named pipe \(FIFO\), not a regular file"):
        await asyncio.wait_for(asyncio.to_thread(files.read_text, fifo), timeout=10)


def test_a_20_mb_file_is_refused_without_parsing(tmp_path: Path) -> None:
    big = tmp_path / "qcs" / "secrets.toml"
    big.parent.mkdir(mode=0o700)
    with big.open("w") as out:
        out.write("[credentials.default.token_payload]\n")
        for index in range(400_000):
            out.write(f'k{index:06d} = "{"x" * 40}"\n')
    assert big.stat().st_size > 20_000_000
    started = time.monotonic()
    [status] = [s for s in qcs_at(tmp_path, big).read() if s.provider == "qcs"]
    elapsed = time.monotonic() - started
    assert status.error and "is too large" in status.error and str(big) in status.error
    assert elapsed < 10, f"refusing a large file took {elapsed:.1f} s (parsing it took 113 s)"


def test_json_nested_100k_deep_is_a_format_error_not_a_recursion_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".qiskit").mkdir(parents=True, mode=0o700)
    (home / ".qiskit" / "qiskit-ibm.json").write_text("[" * 100_000 + "]" * 100_000)
    manager = CredentialManager({"ibm": IbmProvider(Settings.from_environment({"HOME": str(home)}))})
    [entry] = manager.snapshot()["providers"]
    assert entry["state"] == "error"
    assert "qiskit-ibm.json" in entry["error"] and "nests deeper than 64 levels" in entry["error"]
    with pytest.raises(FileFormatError):
        IbmProvider(Settings.from_environment({"HOME": str(home)})).materialize(
            [IbmAccountSpec(name="a", channel="ibm_cloud", token="ibm-key-of-file-attack-01")], source="bundle"
        )


# ----- 7. the hub's bundle file -----------------------------------------------------------------------------------

AUTH_STATE = {"qcred": {"version": 1, "qcs": [{"profile": "default", "refresh_token": "rt-of-alice-in-the-hub-01"}]}}


class FakeSpawner:
    """What the hooks touch: environment, user, authenticator and log."""

    def __init__(self, user: str = "alice") -> None:
        self.environment: dict[str, Any] = {}
        self.user = SimpleNamespace(name=user)
        self.authenticator = SimpleNamespace(refresh_user=lambda user, handler=None: True)
        self.log = SimpleNamespace(info=lambda *a, **k: None)


def spawn(c: Config, spawner: FakeSpawner, auth_state: Any = AUTH_STATE) -> None:
    asyncio.new_event_loop().run_until_complete(c.Spawner.auth_state_hook(spawner, auth_state))


def test_a_planted_temp_file_in_a_writable_bundle_folder_never_receives_a_bundle(tmp_path: Path) -> None:
    """bob pre-created ``.alice.json.tmp`` in a bundle folder he could write to: before, alice's bundle was written
    into it (O_TRUNC, no O_EXCL); now the folder is refused and his file stays empty."""
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    os.chmod(bundles, 0o1777)
    planted = [bundles / ".alice.json.tmp", bundles / "alice.json"]
    for path in planted:
        path.write_text("")
        os.chmod(path, 0o666)
    c = Config()
    hub.configure(c, handover="file", bundle_dir=bundles)
    with pytest.raises(QCredError, match="other users can write to"):
        spawn(c, FakeSpawner())
    assert all(path.read_text() == "" for path in planted)
    assert sorted(p.name for p in bundles.iterdir()) == sorted(p.name for p in planted)


def test_the_bundle_file_goes_into_a_checked_folder_exclusively(tmp_path: Path) -> None:
    bundles = tmp_path / "bundles"
    c = Config()
    hub.configure(c, handover="file", bundle_dir=bundles)
    spawner = FakeSpawner()
    spawn(c, spawner)
    target = Path(spawner.environment["QCRED_BUNDLE_FILE"])
    assert target == bundles / "alice.json" and mode(target) == 0o600 and mode(bundles) == 0o711
    assert "rt-of-alice-in-the-hub-01" in target.read_text()


def test_a_failing_mapper_leaves_no_secret_in_the_hubs_log(
    secret_scanner: SecretScanner, caplog: pytest.LogCaptureFixture
) -> None:
    """An admin's mapper that puts auth_state into its exception: the spawn goes on without credentials, and the log
    names the failure without its text."""
    secret_scanner.add_secrets("rt-of-alice-in-the-hub-01")

    def mapper(auth_state: Any) -> Any:
        raise ValueError(f"cannot map {auth_state}")

    c = Config()
    hub.configure(c, mapper=mapper)
    spawner = FakeSpawner()
    spawn(c, spawner)
    assert "QCRED_BUNDLE" not in spawner.environment
    authentication = {"name": "alice", "auth_state": dict(AUTH_STATE)}
    authenticator = SimpleNamespace(refresh_user=lambda user, handler=None: True)
    result = asyncio.new_event_loop().run_until_complete(
        c.Authenticator.post_auth_hook(authenticator, None, authentication)
    )
    assert result["auth_state"] == AUTH_STATE
    records = [r.getMessage() for r in caplog.records if "mapper failed" in r.getMessage()]
    assert len(records) == 2 and all("ValueError" in r for r in records)
    # The secret scan (the fixture) then searches every log record for the refresh token.
