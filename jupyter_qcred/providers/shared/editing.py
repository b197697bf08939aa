"""The one locked read-modify-write of a provider's files.

Every writer of a store takes the lock(s) guarding its file(s) (:func:`locked`, always in the same order), reads
what is there now (:func:`read_for_write`), changes it and writes it atomically (``core.files.atomic_write``), so
writers in any process never lose each other's entries. A file that does not parse is never overwritten silently:
it is an error, except on a re-initialization, which keeps it as a private timestamped backup
(``NAME.broken-STAMP``) and starts a new document. :func:`edit` is the three steps for one file.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ...core import files
from ...core.errors import FileFormatError

if TYPE_CHECKING:
    from ...core.settings import Settings

D = TypeVar("D")
_log = logging.getLogger("jupyter_qcred.files")


@contextlib.contextmanager
def locked(settings: Settings, *paths: Path) -> Iterator[None]:
    """Hold the locks guarding ``paths``, taken in the order given (every writer of the same files names them in
    the same order, so two writers never deadlock)."""
    with contextlib.ExitStack() as stack:
        for path in paths:
            stack.enter_context(files.locked(path, settings.lock_timeout))
        yield


def read_for_write(
    path: Path,
    parse: Callable[[str], D],
    fresh: Callable[[], D],
    *,
    reinit: bool,
    errors: tuple[type[Exception], ...] = (FileFormatError,),
    log: logging.Logger | None = None,
) -> tuple[D, str]:
    """Under the caller's lock: the document ``path`` holds (``parse`` of its text) and that text ("" for no file).

    A file that cannot be read or parsed (``errors``) raises, unless ``reinit``: it is then kept as a backup and
    ``fresh()`` stands for it, with the text "".
    """
    try:
        text = files.read_text(path) or ""
        return parse(text), text
    except errors as exc:
        if not reinit:
            raise
        kept = files.backup(path)
        (log or _log).warning(
            "%s could not be read (%s); kept it as %s and started a new one", path, type(exc).__name__, kept
        )
        return fresh(), ""


@contextlib.contextmanager
def edit(
    settings: Settings,
    path: Path,
    parse: Callable[[str], D],
    fresh: Callable[[], D],
    render: Callable[[D], str],
    *,
    reinit: bool,
    log: logging.Logger | None = None,
) -> Iterator[D]:
    """Lock ``path``, read it (:func:`read_for_write`), let the block change the document, then write
    ``render(document)`` atomically; nothing is written when the block raises."""
    with locked(settings, path):
        document, _text = read_for_write(path, parse, fresh, reinit=reinit, log=log)
        yield document
        files.atomic_write(path, render(document))
