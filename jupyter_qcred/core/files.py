"""Safe file I/O for credentials: atomic, locked across processes, private, and never lossy.

Every credentials file is written the same way: into a temporary file in the same folder (created exclusively,
mode 0600, never following a symlink), flushed and fsynced, then renamed over the target, and the folder fsynced.
A reader therefore sees either the old or the new file, never a truncated one, even if the writer is killed; the
temp file such a killed writer leaves behind is removed by a later writer of the same file once it is stale.
Symbolic links are never written through: a link in place of a store is replaced, a link planted as a temp or lock
file is refused.
Writers that read-modify-write hold a lock on a sidecar ``.NAME.lock`` file (``flock``), so concurrent writers in
any process (the server, kernels, the CLI) never lose each other's entries.

Hostile neighbours and odd files: a folder is only made private (0700) when we created it or it is one of the SDKs'
own folders (``.qcs``, ``.qiskit``) and ours; any other folder that another user owns or may write to is refused
(whoever can write to the folder can swap the file). A store that is not a regular file (a FIFO, a device node, a
folder) is never read, written through or replaced, and reads stop at :data:`MAX_READ_BYTES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import stat
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from .errors import LockTimeoutError, QCredError

FILE_MODE = 0o600
DIR_MODE = 0o700
#: How long a writer waits for another process's lock before giving up with a clear error.
DEFAULT_LOCK_TIMEOUT = 60.0
_POLL_INTERVAL = 0.02
#: Flags files are opened with where the platform has them (Windows has neither).
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOSE_ON_EXEC = getattr(os, "O_CLOEXEC", 0)


#: Folders that are ours by name: the SDKs' own folders, which we make private (0700) when we find them more open.
PRIVATE_FOLDER_NAMES = frozenset({".qcs", ".qiskit"})
#: The largest credentials file we read (real ones are a few KiB): a bigger one is refused, never parsed.
MAX_READ_BYTES = 1024 * 1024
_NON_BLOCKING = getattr(os, "O_NONBLOCK", 0)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; a folder fit for secrets, or a :class:`QCredError` saying why not.

    Only a folder we create here, or one of the SDKs' own folders (:data:`PRIVATE_FOLDER_NAMES`) that we own, is
    changed to 0700: any other folder (a project folder shared with a group, ``/tmp``) keeps its mode, and is
    refused if another user owns it or may write to it.
    """
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
        created = True
    except FileExistsError:
        created = False
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise QCredError(f"{path} is not a folder; move it away so credentials can be stored there.")
    ours = info.st_uid == os.getuid()
    if created or (ours and path.name in PRIVATE_FOLDER_NAMES):
        if stat.S_IMODE(info.st_mode) != DIR_MODE:
            os.chmod(path, DIR_MODE)
        return path
    check_folder(path, info)
    return path


def check_folder(path: Path, info: os.stat_result | None = None) -> None:
    """Refuse a folder that another user owns or that others may write to: whoever can write to a folder can
    replace or remove the files in it (the sticky bit does not stop them creating the next file's name)."""
    info = info or path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid not in (os.getuid(), 0):
        raise QCredError(
            f"{path} belongs to another user (uid {info.st_uid}); jupyter_qcred keeps credentials only in folders "
            "you or the system own. Choose a folder of your own for the credentials files."
        )
    if mode & 0o022:
        raise QCredError(
            f"{path} is a folder other users can write to (mode {mode:04o}); jupyter_qcred does not keep "
            f"credentials there. Choose a private folder for the credentials files, or run chmod go-w {path}."
        )


def _kind(mode: int) -> str:
    """What a non-regular file is, for the sentence that refuses it."""
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def not_regular(path: Path, mode: int) -> QCredError:
    """The error for a store that exists but is not a regular file (never read, written through or replaced)."""
    return QCredError(
        f"{path} is {_kind(mode)}, not a regular file; jupyter_qcred neither reads nor replaces it. Move it away "
        "(or point the setting at a regular file) and try again."
    )


def read_text(path: Path, limit: int = MAX_READ_BYTES) -> str | None:
    """The file's text, or None when it does not exist.

    Only a regular file of at most ``limit`` bytes is read (a FIFO would block forever, a device or a huge file
    would stall the server); undecodable bytes are a format error.
    """
    from .errors import FileFormatError

    try:
        fd = os.open(path, os.O_RDONLY | _NON_BLOCKING | _CLOSE_ON_EXEC)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise QCredError(f"{path} is a folder, not a file; move it away.") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise not_regular(path, info.st_mode)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1) if info.st_size <= limit else b""
    if info.st_size > limit or len(data) > limit:
        size = max(info.st_size, len(data))
        raise FileFormatError(path, f"is too large ({size} bytes; a credentials file has at most {limit} bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileFormatError(path, "is not valid UTF-8 text", line) from None


def exposure(path: Path) -> str | None:
    """A warning when the credentials file ``path`` can be read by other users (the SDKs write some with the
    default umask, e.g. qiskit-ibm.json after ``save_account``); our next write of it makes it 0600."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode) or not mode & 0o077:
        return None
    return (
        f"{path} can be read by other users (mode {mode:04o}); jupyter_qcred makes it private (0600) the next time "
        f"it writes it. To fix it now, run: chmod 600 {path}"
    )


def _check_target(path: Path) -> None:
    """A store may be absent, a regular file, or a link (which is replaced, never followed)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        raise not_regular(path, info.st_mode)


#: A temporary file of a writer that is gone and older than this is a leftover of a killed process (SIGKILL, OOM,
#: a pod evicted mid-write): it holds a stale copy of secrets, so the next writer of the same file removes it.
STALE_TEMP_AGE = 600.0


def atomic_write(path: Path, text: str, *, owner: tuple[int, int] | None = None, private_folder: bool = True) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600, in a 0700 folder.

    ``path`` itself being a symbolic link is replaced by a regular file: we never write through a link. ``owner``
    (uid, gid) hands the file to another user before it appears (the hub writing a user's bundle file);
    ``private_folder=False`` leaves the folder's mode alone (a shared folder its creator set up), but the folder
    must still belong to us (or root) and be writable by nobody else. Anything but a regular file (or a link) in
    place of ``path`` is refused.
    """
    if private_folder:
        folder = ensure_private_dir(path.parent)
    else:
        folder = path.parent
        check_folder(folder)
    _check_target(path)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # its repr would carry the whole text, secrets included
        line = text.count("\n", 0, exc.start) + 1
        raise QCredError(
            f"{path} was not written: line {line} holds text that is not valid Unicode (a lone surrogate); "
            "the credential that carries it cannot be stored."
        ) from None
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
    try:
        source = os.open(path, os.O_RDONLY | _NON_BLOCKING | _CLOSE_ON_EXEC)
    except FileNotFoundError:
        return None
    info = os.fstat(source)
    if not stat.S_ISREG(info.st_mode):
        os.close(source)
        raise not_regular(path, info.st_mode)
    with os.fdopen(source, "rb") as src:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        target = path.with_name(f"{path.name}.broken-{stamp}")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out)
    return target


def _try_lock(handle: BinaryIO) -> bool:
    """Take the exclusive lock on ``handle`` if nobody holds it; False if somebody does."""
    if sys.platform == "win32":
        import portalocker

        try:
            portalocker.lock(handle, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.AlreadyLocked:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def lock_path(path: Path) -> Path:
    """The sidecar lock file guarding ``path``."""
    return path.with_name(f".{path.name}.lock")


class FileLock:
    """An exclusive lock on a sidecar lock file, shared by every process and thread.

    ``flock`` takes it on Linux and macOS (the call portalocker makes there, without its 8 ms import at server
    start), portalocker's ``LockFileEx`` on Windows. Unlike a thread-bound lock it can
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
                if _try_lock(handle):
                    break
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
