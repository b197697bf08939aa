"""Credential values that were rotated away, remembered as SHA-256 hashes only.

A token that was replaced (a refresh, a new API key) may still sit in a notebook written last month, and it may still
work (an IBM key is valid until revoked; a QCS refresh token lives for 90 days). ``jupyter qcred scan`` therefore
looks for recently rotated values too, but keeping them would keep secrets no file needs any more: this file holds
``{sha256 hex of the value: {"provider", "name", "kind", "rotated_at"}}`` and never a value. Credentials are
high-entropy strings (tens of random characters), so their hash gives nothing away; an entry is dropped
:data:`KEEP_DAYS` days after the rotation.

:class:`~jupyter_qcred.core.secrets.SecretIndex` records a value when a re-read of the SDK files no longer has a
value it had. The file lives in jupyter_qcred's state folder (:func:`state_dir`) and is written like every
credentials file: atomic, locked, 0600 in a 0700 folder (:mod:`.files`); entries other processes wrote are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import files

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from .secrets import Secret

#: How long a rotated value is remembered.
KEEP_DAYS = 90
FILENAME = "rotated.json"
#: Characters a token is made of (API keys, JWTs, hex, base64): a run of them is a candidate for :meth:`matches`.
_RUN = re.compile(r"[A-Za-z0-9_.~+/=-]{8,}")


def state_dir(environ: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """jupyter_qcred's own state folder: ``$JUPYTER_QCRED_STATE_DIR``, else ``$XDG_STATE_HOME/jupyter_qcred``, else
    ``~/.local/state/jupyter_qcred`` (XDG's place for state that outlives a process and is not configuration)."""
    env = os.environ if environ is None else environ
    if env.get("JUPYTER_QCRED_STATE_DIR"):
        return Path(env["JUPYTER_QCRED_STATE_DIR"]).expanduser()
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]).expanduser() / "jupyter_qcred"
    base = home if home is not None else Path(env.get("HOME") or Path.home())
    return base / ".local" / "state" / "jupyter_qcred"


def digest(value: str) -> str:
    """The SHA-256 hex of a value: what is stored instead of it."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def candidates(text: str) -> Iterator[tuple[str, int, int]]:
    """Token-shaped runs of ``text`` (at least 8 characters of letters, digits and ``_.~+/=-``), with their
    offsets, and each run's variants without trailing ``.``/``=`` or a leading ``key=``-like prefix, so that
    ``token=VALUE.`` and ``"VALUE"`` both yield ``VALUE``."""
    for match in _RUN.finditer(text):
        run, start = match.group(), match.start()
        seen: set[str] = set()
        variants = [(run, start)]
        if "=" in run:
            head, _, tail = run.partition("=")
            variants.append((tail, start + len(head) + 1))
        for variant, offset in list(variants):
            stripped = variant.rstrip(".=")
            if stripped != variant:
                variants.append((stripped, offset))
        for variant, offset in variants:
            if len(variant) >= 8 and variant not in seen:
                seen.add(variant)
                yield variant, offset, offset + len(variant)


class RotatedValues:
    """The hashes of rotated credential values (see the module docstring)."""

    def __init__(self, path: Path, keep_days: int = KEEP_DAYS) -> None:
        self.path = Path(path)
        self.keep = timedelta(days=keep_days)
        self._cache: tuple[tuple[int, int, int] | None, dict[str, dict[str, Any]]] | None = None

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None, home: Path | None = None) -> RotatedValues:
        """The file in the state folder of this environment (:func:`state_dir`)."""
        return cls(state_dir(environ, home) / FILENAME)

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            text = files.read_text(self.path)
        except Exception:  # unreadable or not a regular file: nothing remembered, never a crash in a kernel
            return {}
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {key: entry for key, entry in data.items() if isinstance(entry, dict) and len(key) == 64}

    def _fresh(self, data: dict[str, dict[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
        kept: dict[str, dict[str, Any]] = {}
        for key, entry in data.items():
            try:
                when = datetime.fromisoformat(str(entry.get("rotated_at")))
            except ValueError:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            if now - when <= self.keep:
                kept[key] = entry
        return kept

    def entries(self, now: datetime | None = None) -> dict[str, dict[str, Any]]:
        """Every remembered hash and what it was (entries older than the keeping time left out); the file is
        parsed again only when it changed."""
        try:
            info = os.stat(self.path)
            signature: tuple[int, int, int] | None = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            signature = None
        if self._cache is None or self._cache[0] != signature:
            self._cache = (signature, self._load() if signature is not None else {})
        return self._fresh(self._cache[1], now or datetime.now(timezone.utc))

    def record(self, secrets: Iterable[Secret], now: datetime | None = None) -> None:
        """Remember that ``secrets`` were rotated away (the earliest time is kept when one is already there); drops
        expired entries. Locked read-modify-write: entries other processes wrote are kept."""
        moment = now or datetime.now(timezone.utc)
        added = {
            digest(secret.value): {
                "provider": secret.provider,
                "name": secret.name,
                "kind": secret.kind,
                "rotated_at": moment.isoformat(timespec="seconds"),
            }
            for secret in secrets
        }
        if not added:
            return
        with files.locked(self.path):
            data = self._fresh(self._load(), moment)
            for key, entry in added.items():
                data.setdefault(key, entry)
            files.atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        self._cache = None

    def matches(self, candidate: str) -> dict[str, Any] | None:
        """What ``candidate`` was, if it is a remembered rotated value (``{"provider", "name", "kind",
        "rotated_at"}``), else None."""
        if len(candidate) < 8:
            return None
        entries = self.entries()
        return entries.get(digest(candidate)) if entries else None

    def find(self, text: str) -> list[tuple[dict[str, Any], int, int]]:
        """Every rotated value in ``text`` (by :func:`candidates`): (entry, start, end)."""
        entries = self.entries()
        if not entries:
            return []
        found: list[tuple[dict[str, Any], int, int]] = []
        for candidate, start, end in candidates(text):
            entry = entries.get(digest(candidate))
            if entry is not None:
                found.append((entry, start, end))
        return found
