"""Importing IBM accounts a person uploads (providers/ibm/importing.py): a qiskit-ibm.json or qiskitrc merged into ours,
and a bad upload refused with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.ibm import API_KEY, CRN, LEGACY_TOKEN, provider, snapshot

from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.core.errors import FileFormatError
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL
from jupyter_qcred.providers.ibm.qiskitrc import parse_qiskitrc


def test_import_json_and_qiskitrc(tmp_path: Path) -> None:
    ibm = provider(tmp_path)
    ibm.materialize([IbmAccountSpec(name="keep", channel="ibm_cloud", token=API_KEY, default=True)], source="bundle")
    upload = {
        "uploaded": {
            "channel": "ibm_quantum_platform",
            "token": API_KEY + "u",
            "instance": CRN,
            "x-new": 1,
            "is_default_account": True,
        },
    }
    assert ibm.import_file("qiskit-ibm.json", json.dumps(upload), make_default=True) == ["uploaded"]
    data = json.loads((tmp_path / ".qiskit/qiskit-ibm.json").read_text())
    assert data["uploaded"]["x-new"] == 1
    assert data["uploaded"]["is_default_account"] is True
    assert "is_default_account" not in data["keep"]
    assert data["keep"]["token"] == API_KEY

    rc_upload = (
        f"# from my laptop\n[ibmq]\ntoken = {LEGACY_TOKEN}\nurl = {QX_AUTH_URL}\nverify = False\n"
        "default_provider = h/g/p\n"
    )
    assert ibm.import_file("qiskitrc", rc_upload) == ["qiskitrc"]
    rc = parse_qiskitrc((tmp_path / ".qiskit/qiskitrc").read_text(), tmp_path / "qiskitrc")
    assert rc.entries[0].credentials.verify is False
    assert rc.entries[0].credentials.token == LEGACY_TOKEN
    assert {s.name for s in ibm.read()} == {"keep", "uploaded", "qiskitrc"}


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("qiskit-ibm.json", '{"a": {"channel": "ibm_cloud", "token": "t",}', "is not valid JSON"),
        ("qiskit-ibm.json", '{"a": {"channel": "moon", "token": "t"}}', "channel 'moon'"),
        ("qiskit-ibm.json", '{"a": {"channel": "ibm_cloud"}}', "has no token"),
        ("qiskit-ibm.json", "{}", "holds no IBM Quantum account"),
        ("mine.json", '{"a": {"channel": "ibm_cloud", "token": "t", "tags": "x"}}', "'tags' must be a list"),
        ("qiskitrc", "[ibmq]\ntoken = t\nurl = u\nproxies = {oops\n", "'proxies' is not a Python literal"),
        ("qiskitrc", "[other]\na = b\n", "holds no [ibmq] section"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_changes(
    tmp_path: Path, filename: str, content: str, fragment: str
) -> None:
    ibm = provider(tmp_path)
    ibm.materialize([IbmAccountSpec(name="keep", channel="ibm_quantum", token=LEGACY_TOKEN)], source="bundle")
    before = snapshot(tmp_path)
    with pytest.raises(FileFormatError) as caught:
        ibm.import_file(filename, content)
    assert fragment in str(caught.value)
    assert filename in str(caught.value)
    assert snapshot(tmp_path) == before
