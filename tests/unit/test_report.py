"""The status table (``jupyter_qcred.core.report``) of a provider it does not know: its title and its own ``summary``
(the widget's side is in test_widget.py, the panel's in tests/browser/test_panel.py)."""

from __future__ import annotations

from support.helpers import status_entry as entry

from jupyter_qcred.core.report import format_status


def test_the_table_uses_the_provider_summary() -> None:
    table = format_status({"providers": [entry()], "logins": []})
    row = next(line for line in table.splitlines() if line.startswith("Quantinuum Nexus"))
    assert "default *" in row and row.rstrip().endswith("Alice Liddell at https://nexus.example")
