"""Safe file I/O for credentials: atomic, locked across processes, private, and never lossy.

Every credentials file is written the same way: into a temporary file in the same folder (created exclusively,
mode 0600, never following a symlink), flushed and fsynced, then renamed over the target, and the folder fsynced.
A reader therefore sees either the old or the new file, never a truncated one, even if the writer is killed; the
temp file such a killed writer leaves behind is removed by a later writer of the same file once it is stale.
Symbolic links are never written through: a link in place of a store is replaced, a link planted as a temp or lock
file is refused.
Writers that read-modify-write hold a lock on a sidecar ``.NAME.lock`` file (``flock``), so concurrent writers in
any process (the server, kernels, the CLI) never lose each other's entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import stat
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

import portalocker

from .errors import LockTimeoutError, QCredError

FILE_MODE = 0o600
DIR_MODE = 0o700
#: How long a writer waits for another process's lock before giving up with a clear error.
DEFAULT_LOCK_TIMEOUT = 60.0
_POLL_INTERVAL = 0.02


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700 when we own it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise QCredError(f"{path} is not a folder; move it away so credentials can be stored there.")
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist. Undecodable bytes are a format error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise QCredError(f"{path} is a folder, not a file; move it away.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        from .errors import FileFormatError

        line = data[: exc.start].count(b"\n") + 1
        raise FileFormatError(path, "is not valid UTF-8 text", line) from None


#: A temporary file of a writer that is gone and older than this is a leftover of a killed process (SIGKILL, OOM,
#: a pod evicted mid-write): it holds a stale copy of secrets, so the next writer of the same file removes it.
STALE_TEMP_AGE = 600.0


def atomic_write(path: Path, text: str, *, owner: tuple[int, int] | None = None, private_folder: bool = True) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600, in a 0700 folder.

    ``path`` itself being a symbolic link is replaced by a regular file: we never write through a link. ``owner``
    (uid, gid) hands the file to another user before it appears (the hub writing a user's bundle file);
    ``private_folder=False`` leaves the folder's mode alone (a shared folder its creator set up).
    """
    folder = ensure_private_dir(path.parent) if private_folder else path.parent
    data = text.encode("utf-8")
    for attempt in range(100):
        tmp = folder / f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.{attempt}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
        except FileExistsError:  # also a symbolic link planted under this name: never followed, try another
            continue
        break
    else:  # pragma: no cover - 100 name collisions in one folder
        raise QCredError(f"Could not create a temporary file in {folder}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)  # on the open file: the name could be swapped meanwhile
            if owner is not None:
                os.fchown(handle.fileno(), *owner)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)
    _sweep_stale_temps(folder, path.name)


def _sweep_stale_temps(folder: Path, name: str) -> None:
    """Remove temp files of ``name`` that killed writers left behind (their process is gone, and they are old)."""
    prefix = f".{name}."
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        pid_text = entry.name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_AGE:
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(path: Path) -> Path | None:
    """Keep a private, timestamped copy of ``path`` (before re-initializing over a broken file)."""
    if not path.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "wb") as out, path.open("rb") as src:
        shutil.copyfileobj(src, out)
    return target


#: Flags the lock file is opened with where the platform has them (Windows has neither).
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOSE_ON_EXEC = getattr(os, "O_CLOEXEC", 0)


def lock_path(path: Path) -> Path:
    """The sidecar lock file guarding ``path``."""
    return path.with_name(f".{path.name}.lock")


class FileLock:
    """An exclusive lock on a sidecar lock file, shared by every process and thread.

    portalocker takes it (``flock`` on Linux and macOS, ``LockFileEx`` on Windows). Unlike a thread-bound lock it can
    be acquired in a worker thread (so the event loop never blocks) and released from the loop: the lock belongs to
    the open file, not to the thread.
    """

    def __init__(self, path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.path = lock_path(path)
        self.timeout = timeout
        self._file: BinaryIO | None = None

    def acquire(self) -> None:
        """Wait (polling, up to ``timeout``) until the lock is ours."""
        ensure_private_dir(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NO_FOLLOW | _CLOSE_ON_EXEC, FILE_MODE)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise QCredError(
                f"The lock file {self.path} is a symbolic link, which is never followed; remove it and try again."
            ) from None
        handle = os.fdopen(fd, "r+b", buffering=0)
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                try:
                    portalocker.lock(handle, portalocker.LOCK_EX | portalocker.LOCK_NB)
                    break
                except portalocker.AlreadyLocked:
                    pass
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(self.path)
                time.sleep(_POLL_INTERVAL)
        except BaseException:
            handle.close()
            raise
        self._file = handle

    def release(self) -> None:
        """Give the lock back (closing the file releases it)."""
        if self._file is not None:
            handle, self._file = self._file, None
            handle.close()

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._file is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def locked(path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[FileLock]:
    """Hold the lock that guards ``path`` for the duration of the block."""
    lock = FileLock(path, timeout)
    with lock:
        yield lock


@contextlib.asynccontextmanager
async def alocked(path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> AsyncIterator[FileLock]:
    """:func:`locked` for the event loop: waiting happens in a worker thread."""
    lock = FileLock(path, timeout)
    waiting = asyncio.ensure_future(asyncio.to_thread(lock.acquire))
    try:
        await asyncio.shield(waiting)
    except asyncio.CancelledError:
        # The worker thread cannot be interrupted: release the lock if it still gets it.
        waiting.add_done_callback(lambda _: lock.release())
        raise
    try:
        yield lock
    finally:
        lock.release()
