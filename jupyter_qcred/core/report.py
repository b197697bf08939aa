"""Plain-text rendering of the status JSON, shared by the CLI and the notebook's text representation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from .registry import title

STATE_LABELS = {
    "ok": "ok",
    "expiring": "expiring",
    "refreshing": "refreshing",
    "expired": "EXPIRED",
    "needs_reinit": "NEEDS RE-INIT",
    "unsupported": "UNSUPPORTED",
    "error": "ERROR",
    "absent": "none",
}


def describe_expiry(expires_at: str | None, now: datetime | None = None) -> str:
    """'in 47 min', 'expired 3 min ago', or '-'."""
    if not expires_at:
        return "-"
    moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    seconds = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    span = _span(abs(seconds))
    return f"in {span}" if seconds >= 0 else f"expired {span} ago"


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours} h {minutes:02d} min"
    return f"{round(seconds / 86400)} days"


def account_summary(entry: dict[str, Any]) -> str:
    """The one-line 'where' of a credential: what its provider says about it (``account.summary``: an IBM
    instance, a QCS user and groups, an IonQ project...)."""
    return str((entry.get("account") or {}).get("summary") or "")


def _who(entry: Mapping[str, Any]) -> str:
    return " ".join(part for part in (title(entry["provider"]), entry.get("name")) if part)


def state_label(entry: Mapping[str, Any]) -> str:
    """The STATE cell: a refresh retrying while the token still has time left is calm ("retrying"), not "ERROR"."""
    if entry.get("retrying"):
        return "retrying"
    return STATE_LABELS.get(entry["state"], entry["state"])


def problem_lines(entries: Iterable[dict[str, Any]], now: datetime | None = None) -> list[str]:
    """One line per entry that has something to say: who, then the entry's sentence of what happened and what to do.

    Shared by the status table and by ``jupyter qcred init --quiet``, which prints only these (on stderr) when a
    credential needs a person, so a start script's log still says why it stopped. A refresh that is retrying with
    time left says so, calmly: "retrying; the token is valid for 59 min".
    """
    problems: list[str] = []
    for entry in entries:
        if entry.get("error"):
            line = f"- {_who(entry)}: {entry['error']}"
            if entry.get("retrying"):
                left = describe_expiry(entry.get("expires_at"), now).removeprefix("in ")
                line += f" (retrying; the token is valid for {left})"
            problems.append(line)
    return problems


def warning_lines(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per status ``warning``: something to fix that does not stop the credential from working (a file
    others can read). The panel's card, the widget and ``%qcred status`` show the same sentences."""
    return [f"note: {_who(entry)}: {warning}" for entry in entries for warning in entry.get("warnings") or []]


def format_status(snapshot: dict[str, Any], now: datetime | None = None) -> str:
    """A readable table, one row per credential, then one line per problem with what to do."""
    rows = [("PROVIDER", "NAME", "STATE", "EXPIRES", "ACCOUNT")]
    for entry in snapshot.get("providers", []):
        name = (entry.get("name") or "-") + (" *" if entry.get("default") else "")
        rows.append(
            (
                title(entry["provider"]),
                name,
                state_label(entry),
                describe_expiry(entry.get("expires_at"), now),
                account_summary(entry),
            )
        )
    problems = problem_lines(snapshot.get("providers", []), now)
    notes = warning_lines(snapshot.get("providers", []))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    for login in snapshot.get("logins", []):
        if login.get("state") == "pending":
            lines.append(
                f"{title(str(login.get('provider')))} login pending: open "
                f"{login.get('verification_uri_complete') or login.get('verification_uri')} "
                f"and confirm the code {login.get('user_code')}."
            )
    if problems or notes:
        lines += ["", *problems, *notes]
    lines.append("(* = default)")
    return "\n".join([*lines, *adapter_lines(snapshot.get("adapters") or [])])


def adapter_lines(adapters: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line for each SDK adapter that is installed but not acting ("off", "unsupported"): the CLI's status
    table, the doctor's text and the panel's note say the same."""
    return [
        f"{adapter.get('sdk')} adapter {adapter.get('state')}: {adapter.get('message')}"
        for adapter in adapters
        if adapter.get("state") not in ("active", "absent")
    ]
