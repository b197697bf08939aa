"""The real qiskit-ibm-runtime and the qiskit-ibm.json jupyter_qcred writes: byte for byte what its save_account writes,
and every account listed as we stored it; the files' own rules are in tests/unit/test_ibm_writing.py."""

from __future__ import annotations

import json
from pathlib import Path

from support.ibm import API_KEY, CRN, FOREIGN_JSON, LEGACY_TOKEN, json_path, legacy_spec, platform_spec, provider

from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL


def test_json_written_byte_for_byte_like_the_sdk(tmp_path: Path) -> None:
    from qiskit_ibm_runtime import QiskitRuntimeService

    sdk_file = tmp_path / "sdk.json"
    sdk_file.write_text(json.dumps(FOREIGN_JSON, sort_keys=True, indent=4))
    ours = json_path(tmp_path)
    ours.parent.mkdir()
    ours.write_text(json.dumps(FOREIGN_JSON, sort_keys=True, indent=4))
    proxies = {"urls": {"https": "http://proxy.example:3128"}}
    spec = platform_spec(
        name="mine", proxies=proxies, region="eu-de", plans_preference=["open"], tags=["t1"], default=True
    )
    QiskitRuntimeService.save_account(
        channel="ibm_quantum_platform",
        token=API_KEY,
        instance=CRN,
        filename=str(sdk_file),
        name="mine",
        proxies=proxies,
        verify=True,
        overwrite=True,
        set_as_default=True,
        region="eu-de",
        plans_preference=["open"],
        tags=["t1"],
    )
    provider(tmp_path).materialize([spec], source="bundle")
    assert ours.read_bytes() == sdk_file.read_bytes()


def test_real_sdk_lists_our_accounts_unchanged(tmp_path: Path) -> None:
    from qiskit_ibm_runtime import QiskitRuntimeService

    path = json_path(tmp_path)
    path.parent.mkdir()
    path.write_text(json.dumps(FOREIGN_JSON))
    specs = [
        platform_spec(default=True, verify=False),
        IbmAccountSpec(name="cloud2", channel="ibm_cloud", token=API_KEY + "2", instance="my-instance-name"),
        legacy_spec(),
    ]
    provider(tmp_path).materialize(specs, source="bundle")
    listed = QiskitRuntimeService.saved_accounts(filename=str(path))
    assert set(listed) == {"default-ibm-quantum-platform", "cloud2", "team-cloud"}  # legacy entries skipped, no crash
    ours = json.loads(path.read_text())
    for name in ("default-ibm-quantum-platform", "cloud2"):  # ours: every field exactly as the SDK reads it
        stored = {k: v for k, v in ours[name].items() if k != "is_default_account"}
        assert listed[name] == stored, name
    assert listed["team-cloud"]["token"] == FOREIGN_JSON["team-cloud"]["token"]
    assert ours["team-cloud"]["future_field"] == {"nested": [1, 2, 3]}
    assert listed["default-ibm-quantum-platform"]["verify"] is False
    default = QiskitRuntimeService.saved_accounts(filename=str(path), default=True)
    assert "default-ibm-quantum-platform" in default
    assert ours["legacy"] == {
        "channel": "ibm_quantum",
        "instance": "ibm-q/open/main",
        "private_endpoint": False,
        "token": LEGACY_TOKEN,
        "url": QX_AUTH_URL,
        "verify": True,
    }
