"""The spawn bundle: schema v1 and its precise errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_qcred.core.bundle import BundleError, bundle_from_environment, dump_bundle, loads_bundle, parse_bundle
from jupyter_qcred.core.errors import FieldError

DESIGN_EXAMPLE = {
    "version": 1,
    "ibm": [
        {
            "name": "default-ibm-quantum-platform",
            "channel": "ibm_quantum_platform",
            "token": "API_KEY_SECRET_1",
            "instance": "crn:v1:bluemix:public:quantum-computing:us-east:a/abc:def::",
            "url": None,
            "verify": True,
            "proxies": None,
            "default": True,
        },
        {
            "name": "legacy",
            "channel": "ibm_quantum",
            "token": "API_TOKEN_SECRET_2",
            "url": "https://auth.quantum-computing.ibm.com/api",
            "hub": "ibm-q",
            "group": "open",
            "project": "main",
        },
    ],
    "qcs": [
        {
            "profile": "default",
            "access_token": "JWT_SECRET_3",
            "refresh_token": "RT_SECRET_4",
            "api_url": None,
            "issuer": None,
            "client_id": None,
            "default": True,
        }
    ],
}
SECRETS = ["API_KEY_SECRET_1", "API_TOKEN_SECRET_2", "JWT_SECRET_3", "RT_SECRET_4"]


def test_design_example_parses() -> None:
    bundle = parse_bundle(DESIGN_EXAMPLE)
    assert [a.name for a in bundle.ibm] == ["default-ibm-quantum-platform", "legacy"]
    assert bundle.ibm[1].hub == "ibm-q" and bundle.ibm[0].default
    assert bundle.qcs[0].profile == "default" and bundle.qcs[0].refresh == "provider"
    assert not any(secret in repr(bundle) for secret in SECRETS)


def test_defaults_for_omitted_fields() -> None:
    bundle = parse_bundle({"version": 1, "ibm": [{"token": "T"}], "qcs": [{"refresh_token": "R"}]})
    assert bundle.ibm[0].channel == "ibm_quantum_platform"
    assert bundle.ibm[0].name == "default-ibm-quantum-platform"
    assert bundle.qcs[0].profile == "default"


def test_round_trip_through_dump() -> None:
    bundle = parse_bundle(DESIGN_EXAMPLE)
    assert loads_bundle(dump_bundle(bundle)) == bundle


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (lambda b: b["ibm"][1].pop("token"), "ibm[1].token", "is required"),
        (lambda b: b["ibm"][0].update(verify="yes"), "ibm[0].verify", "must be true or false, not a string"),
        (lambda b: b["ibm"][0].update(channel="ibm_moon"), "ibm[0].channel", "must be one of"),
        (lambda b: b["ibm"][1].pop("project"), "ibm[1].hub", "must be given together"),
        (lambda b: b["qcs"][0].update(refresh_token=42), "qcs[0].refresh_token", "not a number"),
        (lambda b: b["qcs"][0].update(api_url="ftp://x"), "qcs[0].api_url", "must be an https address"),
        (lambda b: b["qcs"][0].update(colour="blue"), "qcs[0].colour", "is not a known field"),
        (lambda b: b.update(qcs={"profile": "x"}), "qcs", "must be a list, not an object"),
        (lambda b: b["ibm"].append(dict(b["ibm"][0], default=False)), "ibm[2]", "repeats the name"),
        (lambda b: b["ibm"][1].update(default=True), "ibm", "more than one entry as default"),
        (lambda b: b["qcs"][0].update(access_token=None, refresh_token=None), "qcs[0]", "needs an access_token"),
    ],
)
def test_each_bad_field_is_named_without_echoing_values(change, field: str, expected: str) -> None:
    data = json.loads(json.dumps(DESIGN_EXAMPLE))
    change(data)
    with pytest.raises(FieldError) as info:
        parse_bundle(data, "QCRED_BUNDLE")
    message = str(info.value)
    assert info.value.field == field
    assert expected in message and message.startswith("QCRED_BUNDLE:")
    assert not any(secret in message for secret in SECRETS)


@pytest.mark.parametrize("version", [None, 0, 2, "1"])
def test_wrong_version_says_which_versions_are_read(version) -> None:
    with pytest.raises(BundleError, match="bundle version 1"):
        parse_bundle(dict(DESIGN_EXAMPLE, version=version))


def test_invalid_json_names_line_and_source() -> None:
    with pytest.raises(BundleError) as info:
        loads_bundle('{"version": 1,\n "qcs": [}', "QCRED_BUNDLE")
    assert "QCRED_BUNDLE is not valid JSON (line 2)" in str(info.value)


def test_bundle_from_environment_prefers_variable_then_file(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(DESIGN_EXAMPLE))
    bundle, origin = bundle_from_environment({"QCRED_BUNDLE_FILE": str(path)})
    assert origin == str(path) and bundle is not None and len(bundle.ibm) == 2
    assert bundle_from_environment({}) == (None, None)
    with pytest.raises(BundleError, match="cannot be read"):
        bundle_from_environment({"QCRED_BUNDLE_FILE": str(tmp_path / "nope.json")})
