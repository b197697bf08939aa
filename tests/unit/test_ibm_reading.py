"""What IbmProvider reads from qiskit-ibm.json and qiskitrc, offline (providers/ibm/reading.py): one status per
account with masked tokens, the absent state, an account only qiskitrc holds, the SDKs' environment variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.ibm import API_KEY, CRN, LEGACY_STATE, LEGACY_TOKEN, provider

from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.core.errors import FieldError
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.core.states import State
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL, IbmProvider


def test_registered_under_its_key(tmp_path: Path) -> None:
    providers = create_providers(Settings.from_environment({"HOME": str(tmp_path)}), ("ibm",))
    assert isinstance(providers["ibm"], IbmProvider)
    assert IbmProvider.key == "ibm"
    assert IbmProvider.title == "IBM Quantum"
    assert providers["ibm"].watched_paths() == [tmp_path / ".qiskit/qiskit-ibm.json", tmp_path / ".qiskit/qiskitrc"]


def test_nothing_on_disk_is_one_absent_status_saying_what_to_do(tmp_path: Path) -> None:
    (status,) = provider(tmp_path).read()
    assert status.state is State.ABSENT
    assert status.name is None
    assert status.provider == "ibm"
    assert "API key" in (status.error or "")
    assert "qiskit-ibm.json" in (status.error or "")


def test_read_lists_both_files_once_each_with_masked_tokens(tmp_path: Path) -> None:
    ibm = provider(tmp_path)
    specs = [
        IbmAccountSpec(name="plat", channel="ibm_quantum_platform", token=API_KEY, instance=CRN, default=True),
        IbmAccountSpec(name="old", channel="ibm_quantum", token=LEGACY_TOKEN, hub="h", group="g", project="p"),
    ]
    assert ibm.materialize(specs, source="bundle") == ["plat", "old"]
    rc = tmp_path / ".qiskit/qiskitrc"
    with rc.open("a") as handle:  # a qiskitrc-only hub section, as an older provider wrote it
        handle.write(
            f"\n[ibmq_x_y_z]\ntoken = other-legacy-token-9999999999\nurl = {QX_AUTH_URL}/Hubs/x/Groups/y/Projects/z\n"
        )
    statuses = {s.name: s for s in ibm.read()}
    assert set(statuses) == {"plat", "old", "qiskitrc:x/y/z"}
    plat, old, only_rc = statuses["plat"], statuses["old"], statuses["qiskitrc:x/y/z"]
    assert plat.default
    assert not old.default
    assert plat.source == "bundle"
    assert plat.token_hint == "…3333"
    assert old.token_hint == "…1111"
    assert plat.account == {
        "channel": "ibm_quantum_platform",
        "url": "https://cloud.ibm.com",
        "instance": CRN,
        "instances": [],
        "default_instance": None,
        "summary": CRN,
    }
    assert old.file == rc
    assert old.account["instance"] == "h/g/p"
    assert old.account["default_instance"] == "h/g/p"
    assert only_rc.file == rc
    assert only_rc.account["channel"] == "ibm_quantum"
    assert only_rc.source == "file"
    for status in statuses.values():
        assert status.state is (LEGACY_STATE if status.account["channel"] == "ibm_quantum" else State.OK)
        text = json.dumps(status.to_json())
        assert API_KEY not in text
        assert LEGACY_TOKEN not in text
        assert "other-legacy-token" not in text


def test_qiskitrc_only_account_is_named_qiskitrc_and_is_default(tmp_path: Path) -> None:
    folder = tmp_path / ".qiskit"
    folder.mkdir()
    (folder / "qiskitrc").write_text(f"[ibmq]\ntoken = {LEGACY_TOKEN}\nurl = {QX_AUTH_URL}\ndefault_provider = a/b/c\n")
    (status,) = provider(tmp_path).read()
    assert status.name == "qiskitrc"
    # The default only while the installed qiskit-ibm-runtime can load legacy accounts (else it is not what the SDK
    # would use).
    assert status.default is (LEGACY_STATE is State.OK)
    assert status.account["default_instance"] == "a/b/c"


def test_environment_specs(tmp_path: Path) -> None:
    env = {
        "QE_TOKEN": LEGACY_TOKEN,
        "QE_URL": QX_AUTH_URL,
        "QE_HUB": "h",
        "QE_GROUP": "g",
        "QE_PROJECT": "p",
        "QISKIT_IBM_TOKEN": API_KEY,
        "QISKIT_IBM_URL": "https://cloud.ibm.com",
        "QISKIT_IBM_INSTANCE": CRN,
        "QISKIT_IBM_CHANNEL": "ibm_cloud",
    }
    qe, runtime = provider(tmp_path, env=env).environment_specs()
    assert (qe.channel, qe.token, qe.url, qe.hub, qe.group, qe.project) == (
        "ibm_quantum",
        LEGACY_TOKEN,
        QX_AUTH_URL,
        "h",
        "g",
        "p",
    )
    assert (runtime.channel, runtime.token, runtime.instance, runtime.url) == (
        "ibm_cloud",
        API_KEY,
        CRN,
        "https://cloud.ibm.com",
    )
    assert API_KEY not in repr(runtime)
    # QE_TOKEN without QE_URL is nothing; a partial hub is dropped; default channel is the platform
    (only,) = provider(tmp_path, QE_TOKEN=LEGACY_TOKEN, QISKIT_IBM_TOKEN=API_KEY).environment_specs()
    assert only.channel == "ibm_quantum_platform"
    assert only.instance is None
    (partial,) = provider(tmp_path, QE_TOKEN=LEGACY_TOKEN, QE_URL=QX_AUTH_URL, QE_HUB="h").environment_specs()
    assert partial.hub is None
    assert provider(tmp_path).environment_specs() == []
    with pytest.raises(FieldError, match="QISKIT_IBM_CHANNEL"):
        provider(tmp_path, QISKIT_IBM_TOKEN=API_KEY, QISKIT_IBM_CHANNEL="nope").environment_specs()
    # the specs go through the same writer as a bundle
    ibm = provider(tmp_path, env=env)
    ibm.materialize(ibm.environment_specs(), source="environment")
    assert {s.name for s in ibm.read()} == {"env-qe", "env-default-ibm-cloud"}
