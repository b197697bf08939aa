"""Safe files: atomic, private, locked, and crash-proof."""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

import pytest

from jupyter_qcred.core import files
from jupyter_qcred.core.errors import FileFormatError, LockTimeoutError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_creates_private_file_in_private_folder(tmp_path: Path) -> None:
    target = tmp_path / "home" / ".qcs" / "secrets.toml"
    files.atomic_write(target, "a = 1\n")
    assert target.read_text() == "a = 1\n"
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["secrets.toml"], "no temporary file left behind"


def test_atomic_write_tightens_a_world_readable_file_and_folder(tmp_path: Path) -> None:
    folder = tmp_path / ".qiskit"
    folder.mkdir(mode=0o755)
    target = folder / "qiskit-ibm.json"
    target.write_text("{}")
    target.chmod(0o644)
    files.atomic_write(target, "{}\n")
    assert mode(target) == 0o600
    assert mode(folder) == 0o700


def test_atomic_write_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    folder = tmp_path / ".qcs"
    folder.mkdir()
    (folder / "secrets.toml").symlink_to(outside)
    files.atomic_write(folder / "secrets.toml", "x = 1\n")
    assert outside.read_text() == "precious"
    assert not (folder / "secrets.toml").is_symlink()


def test_read_text_reports_undecodable_bytes_with_line(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_bytes(b"a = 1\nb = '\xff'\n")
    with pytest.raises(FileFormatError) as info:
        files.read_text(target)
    assert info.value.line == 2
    assert str(target) in str(info.value)
    assert files.read_text(tmp_path / "missing") is None


def test_backup_keeps_a_private_timestamped_copy(tmp_path: Path) -> None:
    target = tmp_path / "secrets.toml"
    target.write_text("broken = [")
    copy = files.backup(target)
    assert copy is not None and copy.read_text() == "broken = ["
    assert copy.name.startswith("secrets.toml.broken-")
    assert mode(copy) == 0o600


def test_lock_excludes_other_holders_and_times_out_with_a_clear_message(tmp_path: Path) -> None:
    target = tmp_path / "secrets.toml"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from jupyter_qcred.core.files import locked
            with locked(Path({str(target)!r})):
                print("held", flush=True)
                sys.stdin.readline()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeoutError) as info:
            files.FileLock(target, timeout=0.2).acquire()
        assert str(files.lock_path(target)) in str(info.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=10)
    with files.locked(target, timeout=5) as lock:
        assert lock.held


async def test_async_lock_waits_without_blocking_the_event_loop(tmp_path: Path) -> None:
    target = tmp_path / "secrets.toml"
    outer = files.FileLock(target)
    outer.acquire()
    ticks = 0
    released = threading.Timer(0.3, outer.release)
    released.start()
    import asyncio

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.ensure_future(tick())
    async with files.alocked(target, timeout=10) as lock:
        assert lock.held
    ticker.cancel()
    assert ticks > 5, "the event loop kept running while waiting for the lock"


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from jupyter_qcred.core.files import atomic_write
    target = Path(sys.argv[1])
    print("go", flush=True)
    n = 0
    while True:
        n += 1
        body = "".join(f'[credentials.c{i}.token_payload]\\naccess_token = "{n:08d}{i:04d}" \\n' for i in range(400))
        atomic_write(target, f"# round {n}\\nend = true\\n" + body)
""")


@pytest.mark.slow
def test_sigkill_during_writes_never_leaves_a_truncated_file(tmp_path: Path) -> None:
    target = tmp_path / ".qcs" / "secrets.toml"
    rng = random.Random(1234)
    kills = 0
    for _ in range(100):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "go"
        time.sleep(rng.uniform(0, 0.02))  # a random moment inside the write loop, not a wait for a condition
        proc.kill()
        proc.wait(timeout=10)
        kills += 1
        if target.exists():
            parsed = tomllib.loads(target.read_text())
            assert parsed["end"] is True and len(parsed["credentials"]) == 400
            assert mode(target) == 0o600
    assert kills == 100
    assert target.exists(), "at least one write completed"
    leftovers = [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    # A kill between creating and renaming the temporary file can leave one behind; it never replaces the target.
    assert all(mode(p) == 0o600 for p in leftovers)
    os.sync()
