"""``POST qcred/redactions``: what a kernel's output filter reports, checked, and shown as a notice in the status."""

from __future__ import annotations

from typing import Any

import pytest
from support.server_fixtures import jp_server_config  # noqa: F401

pytestmark = pytest.mark.timeout(120)

NAME = "default-ibm-quantum-platform"


async def test_a_kernel_report_becomes_a_notice(jp_serverapp, api) -> None:
    body = {"provider": "ibm", "name": NAME, "where": "work/analysis.ipynb"}
    code, reply = await api("redactions", "POST", body)
    assert (code, reply) == (204, None)
    code, reply = await api("redactions", "POST", {**body, "what": "kernel output"})
    assert code == 204
    _, status = await api("status")
    notices = status["redactions"]["ibm"]
    assert len(notices) == 1, "a repeat replaces the older notice"
    notice = notices[0]
    assert notice["notice"] == "1 key kept out of the output of work/analysis.ipynb"
    shown = (notice["name"], notice["where"], notice["what"], notice["count"])
    assert shown == (NAME, "work/analysis.ipynb", "kernel output", 1)
    assert notice["at"].endswith("Z")
    assert set(status["redactions"]) == set(status["defaults"]), "every enabled provider, notices or not"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"provider": "ocean", "name": NAME, "where": "a.ipynb"}, "Unknown provider 'ocean'"),
        ({"provider": "ibm", "where": "a.ipynb"}, "Field 'name' is required"),
        ({"provider": "ibm", "name": NAME}, "Field 'where' is required"),
        ({"provider": "ibm", "name": NAME, "where": "x" * 1025}, "longer than 1024"),
        ({"provider": "ibm", "name": "n" * 201, "where": "a.ipynb"}, "longer than 200"),
        ({"provider": "ibm", "name": NAME, "where": "a\nb"}, "control characters"),
        ({"provider": "ibm", "name": NAME, "where": "a.ipynb", "what": "screen"}, "must be one of"),
        ({"provider": "ibm", "name": NAME, "where": "a.ipynb", "value": "x"}, "value"),
        ({"provider": "ibm", "name": NAME, "where": 3}, "where"),
    ],
)
async def test_bad_reports_get_a_sentence_and_change_nothing(
    jp_serverapp, api, body: dict[str, Any], words: str
) -> None:
    code, reply = await api("redactions", "POST", body)
    assert code == 400, reply
    assert words in reply["message"]
    _, status = await api("status")
    assert status["redactions"]["ibm"] == []


async def test_reports_need_authentication(jp_serverapp, http_server_client, jp_base_url) -> None:
    response = await http_server_client.fetch(
        f"{jp_base_url}qcred/redactions",
        method="POST",
        body='{"provider": "ibm", "name": "x", "where": "a.ipynb"}',
        headers={"Authorization": ""},
        raise_error=False,
        follow_redirects=False,
    )
    assert response.code == 403
