"""The status JSON as a notebook result: a plain ``dict`` for code, the readable table for people.

``%qcred status`` returns one of these instead of printing, so that ``s = %qcred status`` gives data without output
and a bare ``%qcred status`` shows the table exactly once (through IPython's display hook).
"""

from __future__ import annotations

from typing import Any

USABLE_STATES = frozenset({"ok", "expiring", "refreshing"})


class Status(dict[str, Any]):
    """The status JSON of docs/api.md (``status["providers"]`` …) whose repr is the table of ``jupyter qcred status``.

    Helpers answer the usual questions without digging through the JSON: ``status.state("qcs")``,
    ``status.credential("ibm", "legacy")``, ``status.ok``.
    """

    def __repr__(self) -> str:
        """The table of ``jupyter qcred status``, with the same line for each SDK adapter that does not act."""
        from ..core.report import format_status

        return format_status(self)

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's pretty printer would otherwise print the raw dict (its type printer wins over ``__repr__``)."""
        printer.text("Status(...)" if cycle else repr(self))

    @property
    def providers(self) -> list[dict[str, Any]]:
        """One entry per credential (and one ``absent`` entry per provider without any)."""
        return list(self.get("providers") or [])

    def credential(self, provider: str, name: str | None = None) -> dict[str, Any] | None:
        """The entry of credential ``name`` of ``provider`` (its default one when ``name`` is None)."""
        entries = [entry for entry in self.providers if entry.get("provider") == provider]
        if name is not None:
            return next((entry for entry in entries if entry.get("name") == name), None)
        return next((entry for entry in entries if entry.get("default")), entries[0] if entries else None)

    def state(self, provider: str, name: str | None = None) -> str | None:
        """The state (``ok``, ``needs_reinit`` …) of one credential, None when there is no such credential."""
        entry = self.credential(provider, name)
        return None if entry is None else str(entry.get("state"))

    @property
    def ok(self) -> bool:
        """Whether every credential present is usable right now (ok, expiring or refreshing)."""
        present = [entry for entry in self.providers if entry.get("state") != "absent"]
        return bool(present) and all(entry.get("state") in USABLE_STATES for entry in present)
