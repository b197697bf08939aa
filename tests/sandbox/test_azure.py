"""Azure Quantum: the bundle's ``azure`` section, the token file and note azure-identity's workload identity reads,
the token renewed once for every process, the check with the stand-in Entra ID and workspace, what the server
exports, the leak guard and the doctor's comparison (the real azure-identity and azure-quantum are in
tests/sdk/test_azure.py)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from support.gated import race

from jupyter_qcred.core.authstate import bundle_from_auth_state
from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.doctor import Context
from jupyter_qcred.core.errors import FieldError, RefusedError, TransientProviderError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.azure import doctor
from jupyter_qcred.providers.azure.provider import AzureProvider, due_at
from jupyter_qcred.providers.azure.sandbox import STAND_IN
from jupyter_qcred.providers.shared.times import jwt_times
from jupyter_qcred.sandbox.client import Sandbox
from jupyter_qcred.server.exports import ChildEnvironment

RESOURCE = (
    "/subscriptions/c0ffee00-1234-4abc-8def-0123456789ab/resourceGroups/rg/providers/Microsoft.Quantum/Workspaces/ws"
)
APP = "8f14e45f-ceea-467f-a0e6-3c2b7d9e1f42"
GOOD = {"tenant_id": "contoso.onmicrosoft.com", "client_id": APP, "resource_id": RESOURCE, "location": "eastus"}


def environ(home: Path, sandbox: Sandbox) -> dict[str, str]:
    """What the user's server has: the home, the sandbox's CA; no Azure variable at all."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AZURE")}
    return {**keep, "HOME": str(home), **STAND_IN.environment(sandbox), "SSL_CERT_FILE": sandbox.ca_file or ""}


def entry(sandbox: Sandbox, user: str = "alice", **changes: Any) -> dict[str, Any]:
    (found,) = STAND_IN.bundle_entries(sandbox, user)
    return {key: value for key, value in {**found, **changes}.items() if value is not None}


def manager(home: Path, sandbox: Sandbox) -> CredentialManager:
    return CredentialManager(create_providers(Settings.from_environment(environ(home, sandbox)), ("azure",)))


def provider_of(m: CredentialManager) -> AzureProvider:
    found = m.providers["azure"]
    assert isinstance(found, AzureProvider)
    return found


def status(m: CredentialManager, name: str = "default") -> dict[str, Any]:
    return next(s.to_json() for s in provider_of(m).read() if s.name == name)


def test_bad_azure_entries_name_the_field_and_never_the_value() -> None:
    good = parse_bundle({"version": 1, "azure": [{**GOOD, "federated_token": "a.b.c"}]})
    (spec,) = good.azure
    assert (spec.workspace, spec.refresh, spec.location) == ("default", "hub", "eastus")
    assert "a.b.c" not in repr(good)
    for bad, field in (
        ({**GOOD, "client_id": "not-a-guid-secretish", "federated_token": "t"}, "azure[0].client_id"),
        ({**GOOD, "resource_id": "/subscriptions/x", "federated_token": "t"}, "azure[0].resource_id"),
        ({**GOOD, "location": "east us/../evil.example#", "federated_token": "t"}, "azure[0].location"),
        ({**GOOD, "tenant_id": "t/../../x", "federated_token": "t"}, "azure[0].tenant_id"),
        ({**GOOD, "authority_host": "http://login.example", "federated_token": "t"}, "azure[0].authority_host"),
        ({**GOOD, "workspace": "../x", "federated_token": "t"}, "azure[0].workspace"),
        ({**GOOD, "client_secret": "s3cr3t-value"}, "azure[0].client_secret"),
        (GOOD, "azure[0]"),
        ({**GOOD, "refresh_token": "r"}, "azure[0]"),
    ):
        with pytest.raises(FieldError) as caught:
            parse_bundle({"version": 1, "azure": [bad]})
        assert f"'{field}'" in str(caught.value)
        assert "s3cr3t-value" not in str(caught.value) and "secretish" not in str(caught.value)


def test_the_hub_login_maps_to_a_workspace() -> None:
    auth = {"access_token": "at", "refresh_token": "rt", "id_token": "h.i.j"}
    (spec,) = bundle_from_auth_state(auth, {"azure": dict(GOOD)}).azure
    assert (spec.federated_token, spec.refresh, spec.refresh_token, spec.default) == ("h.i.j", "hub", None, True)
    options = {**GOOD, "issuer": "https://login.example/oauth2", "oidc_client_id": "public-client"}
    (renewed,) = bundle_from_auth_state(auth, {"azure": options}).azure
    assert (renewed.refresh, renewed.refresh_token) == ("provider", "rt")
    assert bundle_from_auth_state(auth).azure == (), "no workspace configured: none"
    assert bundle_from_auth_state({"access_token": "at"}, {"azure": dict(GOOD)}).azure == (), "no id_token: none"


def test_files_are_written_private_keeping_other_workspaces(tmp_path: Path, sandbox: Sandbox) -> None:
    folder = tmp_path / ".azure" / "qcred"
    m = manager(tmp_path, sandbox)
    first = entry(sandbox)
    m.materialize(parse_bundle({"version": 1, "azure": [first]}), source="bundle")
    m.materialize(
        parse_bundle({"version": 1, "azure": [entry(sandbox, workspace="other", default=False)]}), source="bundle"
    )
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "default.json",
        "default.token",
        "other.json",
        "other.token",
    ]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.glob("[!.]*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (folder / "default.token").read_text() == first["federated_token"]
    note = json.loads((folder / "default.json").read_text())
    assert note["refresh_token"] == first["refresh_token"] and note["client_id"] == first["client_id"]
    ok = status(m)
    assert ok["state"] == "ok" and ok["default"] and not status(m, "other")["default"]
    assert dict(ok["account"]["fields"])["Resource id"] == first["resource_id"]
    assert dict(ok["account"]["fields"])["Location"] == "eastus"
    snapshot = json.dumps(m.snapshot())
    assert first["federated_token"] not in snapshot and first["refresh_token"] not in snapshot
    # A workspace replacing the stored one keeps what the new entry does not say (how its token is renewed).
    (bare,) = parse_bundle({"version": 1, "azure": [{**GOOD, "federated_token": "x.y.z"}]}).azure
    replaced = provider_of(m).replacement(bare, {"federated_token", "tenant_id", "client_id"})
    assert (replaced.refresh, replaced.refresh_token, replaced.issuer) == (
        "provider",
        first["refresh_token"],
        first["issuer"],
    )
    assert replaced.federated_token == "x.y.z" and replaced.tenant_id == GOOD["tenant_id"]
    # Removing one keeps the other.
    provider_of(m).remove("other")
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == ["default.json", "default.token"]


def test_a_broken_note_is_named_and_never_overwritten(tmp_path: Path, sandbox: Sandbox) -> None:
    note = tmp_path / ".azure" / "qcred" / "default.json"
    note.parent.mkdir(parents=True)
    note.write_text('{"tenant_id": "secret-looking-garbage"')
    m = manager(tmp_path, sandbox)
    (broken,) = [s.to_json() for s in m.statuses()]
    assert broken["state"] == "error" and str(note) in broken["error"] and "not valid JSON" in broken["error"]
    assert "secret-looking-garbage" not in broken["error"]
    with pytest.raises(Exception, match="not valid JSON"):
        provider_of(m).materialize(parse_bundle({"version": 1, "azure": [entry(sandbox)]}).azure, source="bundle")
    assert note.read_text() == '{"tenant_id": "secret-looking-garbage"', "left as it was"
    provider_of(m).materialize(parse_bundle({"version": 1, "azure": [entry(sandbox)]}).azure, source="x", reinit=True)
    assert [p.name.startswith("default.json.broken") for p in note.parent.iterdir()].count(True) == 1
    assert status(m)["state"] == "ok"


def test_the_check_asks_entra_then_the_workspace_and_refusals_need_reinit(tmp_path: Path, sandbox: Sandbox) -> None:
    m = manager(tmp_path, sandbox)
    first = entry(sandbox)
    m.materialize(parse_bundle({"version": 1, "azure": [first]}), source="bundle")
    asyncio.run(m.refresh("azure", "default"))
    ok = status(m)
    assert ok["state"] == "ok", ok
    assert dict(ok["account"]["fields"])["Providers"] == "microsoft.estimator, ionq"
    calls = [
        (e["endpoint"], e["status"], e["user"], e["form_keys"])
        for e in sandbox.log()
        if e["endpoint"].startswith("azure")
    ]
    assert calls[0] == (
        "azure_token",
        200,
        "alice",
        ["client_assertion", "client_assertion_type", "client_id", "grant_type", "scope"],
    )
    assert calls[1][:2] == ("azure_provider_status", 200)
    # Entra no longer trusts alice's login (the admin removed her federated credential): a sentence, re-initialize.
    sandbox.admin("POST", "azure/unfederate", {"user": "alice"})
    asyncio.run(m.refresh("azure", "default", force=False))
    refused = status(m)
    assert refused["state"] == "needs_reinit", refused
    assert (
        "no federated credential of the app matches your login" in refused["error"]
        and "AADSTS700213" in refused["error"]
    )
    # The app lost its role on the workspace: Entra answers, the workspace refuses.
    sandbox.admin("POST", "azure/federate", {"user": "alice"})
    sandbox.admin("POST", "azure/role", {"granted": False})
    with pytest.raises(RefusedError, match="needs a role on the workspace"):
        asyncio.run(provider_of(m).refresh("default"))
    blob = json.dumps(m.snapshot()) + json.dumps(sandbox.log())
    assert first["federated_token"] not in blob and first["refresh_token"] not in blob


def test_nothing_is_written_before_entra_accepts_and_a_down_cloud_is_transient(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    m = manager(tmp_path, sandbox)
    provider = provider_of(m)
    sandbox.add_qcs_user("carol")  # a login Entra has no federated credential for
    specs = parse_bundle({"version": 1, "azure": [entry(sandbox, "carol")]}).azure
    with pytest.raises(RefusedError, match="AADSTS700213"):
        asyncio.run(provider.check_specs(specs))
    assert not (tmp_path / ".azure").exists(), "nothing written"
    sandbox.fault("azure_token", "status", status=503)
    with pytest.raises(TransientProviderError):
        asyncio.run(provider.check_specs(parse_bundle({"version": 1, "azure": [entry(sandbox)]}).azure))
    sandbox.clear_faults()
    checked = asyncio.run(provider.check_specs(parse_bundle({"version": 1, "azure": [entry(sandbox)]}).azure))
    assert provider.save(checked) == ["default"]


@pytest.mark.slow
def test_an_expired_assertion_is_refused_as_entra_does(tmp_path: Path) -> None:
    """A login token that expired before it was renewed: AADSTS700024, retried (a renewal fixes it)."""
    with Sandbox(tls=True, state_dir=tmp_path / "sb", access_token_lifetime=1) as sandbox:
        provider = provider_of(manager(tmp_path / "home", sandbox))
        (spec,) = parse_bundle({"version": 1, "azure": [entry(sandbox)]}).azure
        expires = jwt_times(spec.federated_token).expires_at
        assert expires is not None
        deadline = time.monotonic() + 10
        while datetime.now(timezone.utc) <= expires:  # wait for the condition, not a fixed time
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(TransientProviderError, match="AADSTS700024"):
            asyncio.run(provider.check_specs([spec]))
        assert sandbox.log("azure_token")[-1]["error"] == "AADSTS700024"


def test_the_server_exports_the_default_workspace_never_over_the_users_variables(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    m = manager(tmp_path, sandbox)
    first = entry(sandbox)
    m.materialize(parse_bundle({"version": 1, "azure": [first]}), source="bundle")
    target: dict[str, str] = {}
    ChildEnvironment(m.providers.values(), {}, target).apply()
    assert target == {
        "AZURE_FEDERATED_TOKEN_FILE": str(tmp_path / ".azure" / "qcred" / "default.token"),
        "AZURE_CLIENT_ID": first["client_id"],
        "AZURE_TENANT_ID": first["tenant_id"],
        "AZURE_AUTHORITY_HOST": first["authority_host"],
        "AZURE_QUANTUM_SUBSCRIPTION_ID": "c0ffee00-1234-4abc-8def-0123456789ab",
        "AZURE_QUANTUM_WORKSPACE_RG": "wonderland",
        "AZURE_QUANTUM_WORKSPACE_NAME": "sandbox-workspace",
        "AZURE_QUANTUM_WORKSPACE_LOCATION": "eastus",
    }
    mine: dict[str, str] = {}
    ChildEnvironment(m.providers.values(), {"AZURE_CLIENT_SECRET": "x"}, mine).apply()
    assert not any(name in mine for name in ("AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TENANT_ID"))
    assert mine["AZURE_QUANTUM_WORKSPACE_NAME"] == "sandbox-workspace", "the workspace group is still exported"
    provider_of(m).remove("default")
    exports = ChildEnvironment(m.providers.values(), {}, target)
    exports.exported = dict(target)
    exports.apply()
    assert target == {}, "removed: nothing exported any more"


def test_the_leak_guard_knows_the_federated_token_and_refresh_token(tmp_path: Path, sandbox: Sandbox) -> None:
    m = manager(tmp_path, sandbox)
    first = entry(sandbox)
    m.materialize(parse_bundle({"version": 1, "azure": [first]}), source="bundle")
    found = {(s.value, s.kind) for s in provider_of(m).secret_values()}
    assert found == {(first["federated_token"], "federated token"), (first["refresh_token"], "refresh token")}


def test_renewal_comes_before_azure_identity_could_hold_an_expired_copy(tmp_path: Path, sandbox: Sandbox) -> None:
    """azure-identity re-reads the token file at most every 600 s: an hour-long token is due at least 660 s early."""
    provider = provider_of(manager(tmp_path, sandbox))
    token = entry(sandbox)["federated_token"]
    times = jwt_times(token)
    assert times.expires_at is not None
    moment = due_at(provider.settings, token)
    assert moment is not None and (times.expires_at - moment).total_seconds() >= 660


@pytest.mark.slow
def test_twelve_processes_renew_the_login_token_once(tmp_path: Path, sandbox: Sandbox) -> None:
    home = tmp_path / "home"
    spec = {k: v for k, v in entry(sandbox).items() if k != "federated_token"}  # no token yet: due in every process
    manager(home, sandbox).materialize(parse_bundle({"version": 1, "azure": [spec]}), source="bundle")
    before = len(sandbox.token_requests())
    printed = {
        out for out, _err in race(tmp_path, "azure", 'provider.token_sync("default")', environ(home, sandbox), 12)
    }
    assert len(printed) == 1, "every process got the same token"
    assert len(sandbox.token_requests()) - before == 1, "exactly one refresh for twelve processes"
    assert (home / ".azure" / "qcred" / "default.token").read_text() == printed.pop()


def test_doctor_compares_what_azure_identity_picks_with_the_panel(tmp_path: Path) -> None:
    entries = [
        {
            "name": "default",
            "state": "ok",
            "default": True,
            "token_hint": "\u2026abcd",
            "account": {"token_file": str(tmp_path / "t"), "client_id": APP, "tenant_id": "x"},
        }
    ]
    context = Context(entries=entries, path=tmp_path, environ={}, home=tmp_path)
    ours = {"method": "workload-identity", "where": str(tmp_path / "t"), "client_id": APP, "hint": "\u2026abcd"}
    assert doctor.compare(ours, context)[0].state == "ok"
    (secret,) = doctor.compare({"method": "environment (ClientSecretCredential)"}, context)
    assert secret.state == "differs" and "AZURE_CLIENT_SECRET" in (secret.fix or "")
    (unset,) = doctor.compare({"method": None}, context)
    assert unset.state == "differs" and "AZURE_FEDERATED_TOKEN_FILE=~/t" in (unset.fix or "")
    assert doctor.compare({"method": None}, Context([], tmp_path, {}, tmp_path))[0].state == "none"
