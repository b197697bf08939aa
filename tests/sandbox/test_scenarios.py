"""Scenarios (jupyter_qcred/sandbox/scenarios.py): off by default, so the demo's bundle is all green; on at start
(``--scenario``) or while the sandbox runs (``POST /_sandbox/scenarios``), and then the secret store and the demo's
bundle hand out the legacy IBM account. Real sandbox processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_qcred.demo.world import demo_bundle
from jupyter_qcred.sandbox.client import Sandbox, SandboxError
from jupyter_qcred.sandbox.scenarios import SCENARIOS

pytestmark = pytest.mark.timeout(120)


def ibm_names(bundle: dict) -> list[str]:
    return [entry["name"] for entry in bundle["ibm"]]


def test_no_scenario_by_default_and_switching_one_while_it_runs(sandbox: Sandbox) -> None:
    assert sandbox.scenarios() == []
    assert sandbox.credentials()["scenarios"] == []
    bundle = demo_bundle(sandbox, clouds=("ibm", "qcs"), scenarios=sandbox.scenarios())
    assert ibm_names(bundle) == ["default-ibm-quantum-platform"], "the demo starts without the legacy account"
    assert bundle["qcs"][0]["grpc_api_url"] == sandbox.qcs_grpc_url, "every URL of the deployment is the sandbox's"
    assert sandbox.qcs_grpc_url.startswith(sandbox.https_url or "")

    assert sandbox.set_scenario("legacy") == ["legacy"]
    assert sandbox.credentials()["scenarios"] == ["legacy"]
    assert ibm_names(demo_bundle(sandbox, clouds=("ibm",), scenarios=sandbox.scenarios())) == [
        "default-ibm-quantum-platform",
        "legacy",
    ]
    listing = sandbox.admin("GET", "scenarios")["scenarios"]
    assert [(s["name"], s["on"]) for s in listing] == [("legacy", True)]
    assert listing[0]["description"] == SCENARIOS["legacy"]
    assert sandbox.set_scenario("legacy", on=False) == []

    with pytest.raises(SandboxError, match="unknown scenario 'expired-everything'; known: legacy"):
        sandbox.set_scenario("expired-everything")
    with pytest.raises(SandboxError, match="unknown scenario"):
        sandbox.configure(scenarios=["nope"])
    with pytest.raises(SandboxError, match="'on' must be true or false"):
        sandbox.admin("POST", "scenarios", {"name": "legacy", "on": "yes"})
    assert sandbox.scenarios() == []


def test_a_scenario_switched_on_at_start(tmp_path: Path) -> None:
    with Sandbox(tls=False, state_dir=tmp_path, scenarios=["legacy", "legacy"]) as sandbox:
        assert sandbox.scenarios() == ["legacy"]
        assert sandbox.credentials()["scenarios"] == ["legacy"]
