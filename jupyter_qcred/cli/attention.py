"""The table of docs/api.md ("Action needed: one rule, every view"), generated from the rule the code uses.

Each row is a state (and the calm ``error`` of a refresh retrying with time left); its columns say what each view
shows for it. "Action needed" and the CLI's row and exit code are computed here from the code itself
(:meth:`CredentialStatus.action_needed`, :func:`.report.state_label`, :func:`.commands.exit_code`); the panel's texts
are written here once and checked against the labextension's own by its unit tests (labextension/test/rule.test.ts
reads the committed table), so the table, the Python views and the TypeScript views cannot drift apart.

``python -m jupyter_qcred.cli.attention`` prints the table; tests/unit/test_states.py checks docs/api.md holds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from ..core.report import state_label
from ..core.states import CredentialStatus, State
from .commands import exit_code

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


class PanelView(NamedTuple):
    """What the panel shows for one row: the card's badge, the status bar's label and the notification."""

    badge: str
    statusbar: str
    notification: str


#: The panel's texts per row (labextension/src/model/badges.ts, health.ts, plugins/notifications.ts).
PANEL: dict[str, PanelView] = {
    "ok": PanelView("OK", "Quantum: OK", "-"),
    "expiring": PanelView("Expiring", "Quantum: expiring", "-"),
    "refreshing": PanelView("Refreshing", "Quantum: OK", "-"),
    "error (retrying, token still valid)": PanelView(
        "Retrying", "Quantum: OK", '"keeps failing (N attempts in a row)" after 2 failures, updated with the count'
    ),
    "error": PanelView(
        "Error", "Quantum: action needed", '"keeps failing (N attempts in a row)" after 2 failed refreshes'
    ),
    "expired": PanelView("Expired", "Quantum: action needed", "-"),
    "needs_reinit": PanelView("Action needed", "Quantum: action needed", '"refused …" with Re-initialize'),
    "unsupported": PanelView("Unsupported", "Quantum: action needed", "-"),
    "absent": PanelView("Not set up", "Quantum: not set up (when every provider is)", "-"),
}


def _example(row: str) -> CredentialStatus:
    """A credential in the state of ``row``."""
    if row.startswith("error (retrying"):
        return CredentialStatus(
            provider="ibm",
            name="x",
            state=State.ERROR,
            expires_at=NOW + timedelta(minutes=59),
            error="HTTP 500",
            retry_at=NOW + timedelta(seconds=30),
            last_refresh={"outcome": "failed", "at": "2026-01-01T00:00:00Z", "error": "HTTP 500"},
        )
    state = State(row)
    return CredentialStatus(provider="ibm", name=None if state == State.ABSENT else "x", state=state)


def rows() -> list[tuple[str, ...]]:
    """One row per entry of :data:`PANEL`: state, action needed, badge, status bar, notification, CLI."""
    table: list[tuple[str, ...]] = []
    for row, panel in PANEL.items():
        entry = _example(row).to_json(NOW)
        code = exit_code([entry])
        cli = f"{state_label(entry)}, exit {code}" + (" (when it is the only entry)" if row == "absent" else "")
        needed = "yes" if entry["action_needed"] else "no"
        table.append((f"`{row}`", needed, panel.badge, panel.statusbar, panel.notification, cli))
    return table


def markdown() -> str:
    """The table as docs/api.md shows it."""
    head = ("state", "action needed", "card badge", "status bar", "notification", "CLI table and widget, exit code")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
