"""The notebook widget's HTML (``jupyter_qcred.notebook.widget``): a provider it does not know is shown by its title,
its noun and its own ``fields``, every value escaped (the panel's side is in tests/browser/test_panel.py)."""

from __future__ import annotations

from support.helpers import status_entry as entry

from jupyter_qcred.notebook.widget import render_credential


def test_the_widget_shows_any_provider_by_its_title_noun_and_fields() -> None:
    html = render_credential(entry())
    assert "<b>Quantinuum Nexus</b> &middot; login <code>default</code>" in html
    assert "<th style='text-align:left;padding-right:1em;font-weight:normal;opacity:.7'>User</th>" in html
    assert "<td>Alice &lt;Liddell&gt;</td>" in html and "Alice <Liddell>" not in html
