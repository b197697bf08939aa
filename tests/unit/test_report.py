"""What the text and widget views make of a provider they do not know: its title, its noun, its own ``fields`` and
``summary``, every value escaped (the panel's side is in test_browser.py)."""

from __future__ import annotations

from jupyter_qcred.core.report import format_status
from jupyter_qcred.notebook.widget import render_credential


def entry(**extra: object) -> dict[str, object]:
    return {
        "provider": "nexus",
        "name": "default",
        "state": "ok",
        "default": True,
        "expires_at": None,
        "error": None,
        "source": "bundle",
        "token_hint": "…abcd",
        "account": {
            "summary": "Alice Liddell at https://nexus.example",
            "fields": [["User", "Alice <Liddell>"], ["Nexus", "https://nexus.example"]],
        },
        **extra,
    }


def test_the_widget_shows_any_provider_by_its_title_noun_and_fields() -> None:
    html = render_credential(entry())
    assert "<b>Quantinuum Nexus</b> &middot; login <code>default</code>" in html
    assert "<th style='text-align:left;padding-right:1em;font-weight:normal;opacity:.7'>User</th>" in html
    assert "<td>Alice &lt;Liddell&gt;</td>" in html and "Alice <Liddell>" not in html


def test_the_table_uses_the_provider_summary() -> None:
    table = format_status({"providers": [entry()], "logins": []})
    row = next(line for line in table.splitlines() if line.startswith("Quantinuum Nexus"))
    assert "default *" in row and row.rstrip().endswith("Alice Liddell at https://nexus.example")
