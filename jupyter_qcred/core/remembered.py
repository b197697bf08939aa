"""What checking a credential taught, kept on disk so every process and the next start know it too.

Two things, per provider and credential, and never a token:

- a **refusal**: the fingerprint (SHA-256) of the refresh token or secret the provider refused, with the sentence
  that said so. ``jupyter qcred refresh`` and ``jupyter qcred status`` are separate processes, and so are the
  server before and after a restart: remembered only in memory, a refusal made one of them say "needs
  re-initializing" while the next said "ok". A new secret has another fingerprint, so it is never taken for the
  refused one;
- the **account** the provider's API described (user, groups: what the views show), with a fingerprint of who it
  belongs to (the token's subject), so a restart shows it without asking the API again, and a login as someone
  else never shows the previous person's.

The file (``remembered.json`` in jupyter_qcred's state folder, :func:`~jupyter_qcred.core.rotated.state_dir`) is
written like every credentials file: atomic, locked, 0600 in a 0700 folder; entries other processes wrote are kept.
Reading it never fails a status: an unreadable file is an empty memory.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import files
from .rotated import state_dir
from .states import fingerprint

FILENAME = "remembered.json"
log = logging.getLogger("jupyter_qcred.core.remembered")


class Remembered:
    """Refusals and account details by ``provider/credential`` (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._cache: tuple[tuple[int, int, int] | None, dict[str, dict[str, Any]]] | None = None

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None, home: Path | None = None) -> Remembered:
        """The file in the state folder of this environment."""
        return cls(state_dir(environ, home) / FILENAME)

    # ----- reading --------------------------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            text = files.read_text(self.path)
            data = json.loads(text) if text else {}
        except Exception:  # unreadable, not a regular file, not JSON: nothing remembered, never a failed status
            return {}
        return {key: entry for key, entry in data.items() if isinstance(entry, dict)} if isinstance(data, dict) else {}

    def _entries(self) -> dict[str, dict[str, Any]]:
        """Every entry; the file is parsed again only when it changed (a status is read often)."""
        try:
            info = os.stat(self.path)
            signature: tuple[int, int, int] | None = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            signature = None
        if self._cache is None or self._cache[0] != signature:
            self._cache = (signature, self._load() if signature is not None else {})
        return self._cache[1]

    def refusal(self, provider: str, name: str, secret: str | None) -> str | None:
        """The sentence of the refusal of exactly ``secret`` (None: not refused, or another secret now)."""
        found = self._entries().get(_key(provider, name), {}).get("refused")
        if isinstance(found, dict) and secret and found.get("fingerprint") == fingerprint(secret):
            sentence = found.get("sentence")
            return sentence if isinstance(sentence, str) else None
        return None

    def account(self, provider: str, name: str, subject: str | None) -> dict[str, Any] | None:
        """The account details learnt for ``subject`` (who the token belongs to), if that is who they describe."""
        found = self._entries().get(_key(provider, name), {}).get("account")
        if isinstance(found, dict) and subject and found.get("subject") == fingerprint(subject):
            details = found.get("details")
            return dict(details) if isinstance(details, dict) else None
        return None

    # ----- writing --------------------------------------------------------------------------------------------

    def _update(self, provider: str, name: str, field: str, value: dict[str, Any] | None) -> None:
        """Locked read-modify-write of one field of one entry (``None`` removes it); other entries are kept."""
        key = _key(provider, name)
        current = self._entries().get(key, {}).get(field)
        if current == value:
            return  # nothing new: no write (a refresh every few minutes must not rewrite the file each time)
        try:
            with files.locked(self.path):
                data = self._load()
                entry = dict(data.get(key) or {})
                if value is None:
                    entry.pop(field, None)
                else:
                    entry[field] = value
                if entry:
                    data[key] = entry
                else:
                    data.pop(key, None)
                files.atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        except Exception as exc:  # a read-only home: this process still knows; never fail the refresh for it
            log.warning("jupyter_qcred: could not write %s (%s)", self.path, type(exc).__name__)
        self._cache = None

    def refuse(self, provider: str, name: str, secret: str | None, sentence: str) -> None:
        """Remember that ``secret`` was refused (its fingerprint only), with the sentence that says so."""
        value = {"fingerprint": fingerprint(secret), "sentence": sentence, "at": _now()}
        current = self._entries().get(_key(provider, name), {}).get("refused")
        if isinstance(current, dict) and current.get("fingerprint") == value["fingerprint"]:
            return
        self._update(provider, name, "refused", value)

    def accepted(self, provider: str, name: str) -> None:
        """The credential works again: forget its refusal."""
        if self._entries().get(_key(provider, name), {}).get("refused") is not None:
            self._update(provider, name, "refused", None)

    def keep_account(self, provider: str, name: str, subject: str | None, details: Mapping[str, Any]) -> None:
        """Remember the account details of ``subject`` (JSON values only; never a token)."""
        if not subject:
            return
        self._update(provider, name, "account", {"subject": fingerprint(subject), "details": _plain(details)})


def _key(provider: str, name: str) -> str:
    return f"{provider}/{name}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` as JSON can hold them (times as RFC 3339 text)."""

    def text(value: Any) -> str:
        return value.isoformat() if isinstance(value, datetime) else str(value)

    return dict(json.loads(json.dumps(dict(details), default=text)))
