"""Environment the Jupyter server hands its children: credentials for SDKs that read only the environment there.

qiskit-ionq reads a ``.env`` file before the environment, but python-dotenv finds ``~/.env`` only from a notebook
under the home folder: a script (``python file.py``) searches from qiskit_ionq's install folder, and a notebook
outside the home folder never reaches ``~/.env``. So the server puts the key it keeps into its own ``os.environ``
(which every kernel and terminal it starts from then on inherits), and keeps it current when the key changes.

Never over a choice the user made: a provider names guard variables, and when any of them was set in the server's
environment at start (``IONQ_API_KEY``, ``QISKIT_IONQ_API_TOKEN``, ...) the server sets nothing for that group.
Providers offer this with ``exported_environment()`` returning ``[(guards, name, value or None)]``; nothing is
ever logged but the variable's name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

log = logging.getLogger("jupyter_qcred.exports")


class ChildEnvironment:
    """Keeps the exported variables in ``target`` (the server's ``os.environ``) equal to what the providers say."""

    def __init__(
        self,
        providers: Iterable[Any],
        original: Mapping[str, str],
        target: MutableMapping[str, str] | None = None,
    ) -> None:
        self.providers = list(providers)
        #: The server's environment at start: what the user set on purpose.
        self.original = dict(original)
        self.target = os.environ if target is None else target
        self.exported: dict[str, str] = {}
        #: The keys of the providers that export something: only their entries can change what is exported.
        self._exporting = {
            getattr(provider, "key", None) for provider in self.providers if hasattr(provider, "exported_environment")
        }
        self._seen: list[Any] | None = None
        #: Set by :meth:`withdraw`: a status event that arrives while the server stops (the manager stopping, a
        #: refresh finishing) must not export again what was just taken back.
        self.closed = False

    def on_status(self, event: dict[str, Any]) -> None:
        """The manager's listener. Status events come for every provider (a QCS refresh, a login); only a change in
        the entries of a provider that exports something (its key's fingerprint or state) can change what is
        exported, so the files are read only then."""
        entries = [
            entry for entry in event.get("status", {}).get("providers", []) if entry.get("provider") in self._exporting
        ]
        if entries == self._seen:
            return
        self._seen = entries
        self.apply()

    def apply(self) -> list[str]:
        """Set, change or remove each exported variable; returns the names that changed."""
        changed: list[str] = []
        if self.closed:
            return changed
        for provider in self.providers:
            offer = getattr(provider, "exported_environment", None)
            if offer is None:
                continue
            try:
                items = offer()
            except Exception:  # a file that cannot be read now: keep what was exported
                log.debug("jupyter_qcred: %s: could not read what to export", getattr(provider, "key", "?"))
                continue
            for guards, name, value in items:
                if any(self.original.get(guard) for guard in (*guards, name)):
                    continue  # set on purpose by the user: never touched
                if value and self.exported.get(name) != value:
                    self.target[name] = self.exported[name] = value
                    changed.append(name)
                elif not value and name in self.exported:
                    self.exported.pop(name)
                    self.target.pop(name, None)
                    changed.append(name)
        for name in changed:
            where = "sets" if name in self.exported else "no longer sets"
            log.info("jupyter_qcred: the server %s %s for kernels and terminals started from now on", where, name)
        return changed

    def withdraw(self) -> None:
        """Take back what was exported (the server stops: an embedding process keeps its environment clean);
        a variable someone changed since is left as it is. Nothing is exported after this."""
        self.closed = True
        for name, value in list(self.exported.items()):
            if self.target.get(name) == value:
                self.target.pop(name, None)
            self.exported.pop(name)
