"""What a person chose among the credentials a hand-over brought, kept by every later hand-over.

JupyterHub (and the spawn bundle) hand the same credentials over again and again: at each start, at each scheduled
pull, at each Re-initialize. A person who removed one of them, or made another credential the default, must not
see the next hand-over undo it. So each hand-over is recorded (``handed_over.json`` in jupyter_qcred's state folder:
per provider, a fingerprint of each entry and the entry the hand-over made the default; never a value), and the
next one is compared with it and with the files:

- an entry the last hand-over brought that is no longer on disk was removed by the person: it stays removed while
  the hand-over brings the same entry (same fingerprint); a new entry (another name, or one that changed since:
  another API key, another instance, another URL) is written;
- the default is the hand-over's only while it is the one the last hand-over set (or there is none): a default
  the person chose stays.

The fingerprint leaves out what changes by itself (access and refresh tokens rotate at every refresh, and an OIDC
id_token at every login) and covers what a person would call "the same account": its name, its long-lived key and
where it points. The record is written like every credentials file (atomic, locked, 0600 in a 0700 folder).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import files
from .bundle import Bundle
from .errors import title
from .rotated import state_dir

log = logging.getLogger("jupyter_qcred.core.choices")
FILENAME = "handed_over.json"
#: Fields that change by themselves (token rotation, a new login's id_token) or say nothing about the account.
VOLATILE = frozenset({"access_token", "refresh_token", "id_token", "web_identity_token", "default"})


def entry_fingerprint(spec: Any) -> str:
    """SHA-256 over the fields that make an entry "the same account" (see the module docstring): a hash, so the
    record never holds a key."""
    fields = {
        field.name: getattr(spec, field.name)
        for field in dataclasses.fields(spec)
        if field.name not in VOLATILE and not field.name.startswith("_")
    }
    text = json.dumps({"kind": type(spec).__name__, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclasses.dataclass
class Kept:
    """What a hand-over changed and what it left as the person had it (for the sentence every view shows)."""

    #: (provider, name) written that were not on disk
    added: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    #: (provider, name) the person removed and the hand-over brought unchanged: not written
    still_removed: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    #: provider -> the default the person chose, kept instead of the hand-over's
    defaults: dict[str, str] = dataclasses.field(default_factory=dict)

    def sentence(self) -> str:
        """Per provider, short enough for a toast: "IBM Quantum: 'team' added; 'legacy' stays removed; 'mine' stays
        the default." (empty when nothing was added or kept)."""
        news: dict[str, list[str]] = {}
        for provider, name in self.added:
            news.setdefault(provider, []).append(f"{name!r} added")
        for provider, name in self.still_removed:
            news.setdefault(provider, []).append(f"{name!r} stays removed")
        for provider, name in self.defaults.items():
            news.setdefault(provider, []).append(f"{name!r} stays the default")
        return " ".join(f"{title(provider)}: {'; '.join(parts)}." for provider, parts in news.items())


class HandOvers:
    """The record of the last hand-over, by provider: ``{"entries": {name: fingerprint}, "default": name}``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None, home: Path | None = None) -> HandOvers:
        return cls(state_dir(environ, home) / FILENAME)

    def load(self) -> dict[str, dict[str, Any]]:
        """The record (empty when there is none or it cannot be read: then nothing counts as removed)."""
        try:
            text = files.read_text(self.path)
            data = json.loads(text) if text else {}
        except Exception:
            return {}
        return {key: value for key, value in data.items() if isinstance(value, dict)} if isinstance(data, dict) else {}

    def record(self, bundle: Bundle) -> None:
        """Remember what ``bundle`` handed over (each provider it names; the others' records are kept)."""
        sections = {key: specs for key, specs in bundle.sections().items() if specs}
        if not sections:
            return
        try:
            with files.locked(self.path):
                data = self.load()
                for key, specs in sections.items():
                    data[key] = {
                        "entries": {spec.name: entry_fingerprint(spec) for spec in specs},
                        "default": next((spec.name for spec in specs if getattr(spec, "default", False)), None),
                    }
                files.atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        except Exception as exc:  # a read-only home: the hand-over itself is done; the next one cannot compare
            log.warning("jupyter_qcred: could not write %s (%s)", self.path, type(exc).__name__)


def keep_choices(
    bundle: Bundle,
    on_disk: Mapping[str, set[str]],
    defaults: Mapping[str, str | None],
    record: Mapping[str, Mapping[str, Any]],
) -> tuple[Bundle, Kept]:
    """``bundle`` without what the person removed and without default marks that would replace the default they
    chose (see the module docstring), and what that kept. ``on_disk``: the names each provider holds now;
    ``defaults``: each provider's default now; ``record``: :meth:`HandOvers.load`."""
    kept = Kept()
    sections: dict[str, tuple[Any, ...]] = {}
    for key, specs in bundle.sections().items():
        last = record.get(key) or {}
        found = last.get("entries")
        entries: Mapping[str, Any] = found if isinstance(found, dict) else {}
        present = on_disk.get(key, set())
        chosen = []
        for spec in specs:
            if spec.name not in present and entries.get(spec.name) == entry_fingerprint(spec):
                kept.still_removed.append((key, spec.name))
                continue
            if spec.name not in present:
                kept.added.append((key, spec.name))
            chosen.append(spec)
        current = defaults.get(key)
        person_chose = current is not None and current in present and current != last.get("default")
        if person_chose and any(getattr(spec, "default", False) and spec.name != current for spec in chosen):
            chosen = [dataclasses.replace(spec, default=False) for spec in chosen]
            kept.defaults[key] = str(current)
        sections[key] = tuple(chosen)
    return Bundle(sections), kept
