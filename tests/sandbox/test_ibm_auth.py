"""IbmProvider against the sandbox's IBM services (providers/ibm/auth.py and checking.py): the legacy auth API, IAM
and the runtime. What it reads offline is in tests/unit/test_ibm_reading.py, the real SDK in
tests/sdk/test_ibm_auth.py."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.ibm import CRN, LEGACY_STATE, legacy, platform, provider, snapshot

from jupyter_qcred.core.errors import FileFormatError, QCredError, RefusedError, TransientProviderError
from jupyter_qcred.core.states import State, utcnow
from jupyter_qcred.sandbox.client import Sandbox

if TYPE_CHECKING:
    from support.helpers import SecretScanner


# -- the sandbox: legacy auth API --------------------------------------------------------------------------


async def test_legacy_login_lists_hubs_with_the_default(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    added = sandbox.add_ibm_user(
        "carol",
        hubs=[
            {"hub": "ibm-q", "group": "open", "project": "main", "default": False},
            {"hub": "lab", "group": "team", "project": "qx", "default": True},
        ],
    )
    secret_scanner.add_secrets(added["legacy_token"], added["apikey"])
    ibm = provider(tmp_path)
    ibm.materialize([legacy(sandbox, added["legacy_token"])], source="bundle")
    before = snapshot(tmp_path)
    start = utcnow()
    status = await ibm.refresh("legacy")
    assert status.state is LEGACY_STATE
    assert (status.error is None) is (LEGACY_STATE is State.OK)
    assert status.account["instances"] == [
        {"hub": "ibm-q", "group": "open", "project": "main", "default": False},
        {"hub": "lab", "group": "team", "project": "qx", "default": True},
    ]
    assert status.account["default_instance"] == "lab/team/qx"
    assert status.expires_at is not None
    assert status.refreshed_at is not None
    assert status.next_refresh_at is not None
    assert timedelta(days=13.9) < status.expires_at - start < timedelta(days=14.1)  # ttl 14 days
    assert status.refreshed_at < status.next_refresh_at < status.expires_at
    assert [e["endpoint"] for e in sandbox.log()] == ["ibm_version", "ibm_login", "ibm_me", "ibm_network"]
    assert snapshot(tmp_path) == before  # access tokens are never written
    assert ibm.read()[0].expires_at == status.expires_at  # remembered in memory
    secret_scanner.saw("status", status.to_json())


async def test_legacy_kept_access_token_relogs_in_once_on_401(tmp_path: Path, sandbox: Sandbox) -> None:
    token = sandbox.ibm_credentials("alice")["legacy_token"]
    ibm = provider(tmp_path)
    ibm.materialize([legacy(sandbox, token)], source="bundle")
    await ibm.refresh("legacy")
    sandbox.clear_log()
    await ibm.refresh("legacy")  # not due: reuses the access token, no new login
    assert [e["endpoint"] for e in sandbox.log()] == ["ibm_version", "ibm_me", "ibm_network"]
    sandbox.clear_log()
    sandbox.fault("ibm_me", status=401, count=1)
    status = await ibm.refresh("legacy")
    assert status.state is LEGACY_STATE
    assert [(e["endpoint"], e["status"]) for e in sandbox.log()] == [
        ("ibm_version", 200),
        ("ibm_me", 401),
        ("ibm_login", 200),
        ("ibm_me", 200),
        ("ibm_network", 200),
    ]


async def test_refused_legacy_token_needs_reinit(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    token = sandbox.ibm_credentials("bob")["legacy_token"]
    secret_scanner.add_secrets(token)
    sandbox.revoke_ibm_key(token)
    ibm = provider(tmp_path)
    ibm.materialize([legacy(sandbox, token)], source="bundle")
    with pytest.raises(RefusedError) as caught:
        await ibm.refresh("legacy")
    assert "re-initialize" in str(caught.value)
    assert caught.value.transient is False
    secret_scanner.saw("exception", str(caught.value))
    (status,) = ibm.read()
    assert status.state is (State.NEEDS_REINIT if LEGACY_STATE is State.OK else LEGACY_STATE)
    assert ("refused" if LEGACY_STATE is State.OK else "no longer accepts") in (status.error or "")
    sandbox.clear_log()
    with pytest.raises(RefusedError):
        await ibm.refresh("legacy")  # remembered: the provider is not asked again
    assert sandbox.log() == []
    with pytest.raises(RefusedError):
        await ibm.refresh("legacy", force=True)
    assert [e["endpoint"] for e in sandbox.log()] == ["ibm_version", "ibm_login"]
    # a new token in the file makes the remembered refusal irrelevant
    fresh = sandbox.add_ibm_user("bob2")["legacy_token"]
    secret_scanner.add_secrets(fresh)
    ibm.materialize([legacy(sandbox, fresh)], source="bundle")
    assert ibm.read()[0].state is LEGACY_STATE
    assert (await ibm.refresh("legacy")).state is LEGACY_STATE


# -- the sandbox: IAM --------------------------------------------------------------------------------------


async def test_iam_expiry_and_no_request_until_due(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    creds = sandbox.ibm_credentials("alice")
    secret_scanner.add_secrets(creds["apikey"])
    sandbox.configure(iam_token_lifetime=1800)
    ibm = provider(tmp_path, IAM_URL=sandbox.iam_url)
    ibm.materialize([platform(sandbox, creds["apikey"], creds["instance"])], source="bundle")
    status = await ibm.refresh("default-ibm-quantum-platform")
    assert status.state is State.OK
    assert status.expires_at is not None
    assert status.refreshed_at is not None
    assert abs((status.expires_at - status.refreshed_at).total_seconds() - 1800) < 5
    assert status.next_refresh_at == ibm.settings.policy.due_at(status.refreshed_at, status.expires_at)
    (entry,) = sandbox.log("iam")
    assert entry["status"] == 200
    assert entry["form_keys"] == ["apikey", "grant_type", "response_type"]
    await ibm.refresh("default-ibm-quantum-platform")  # not due yet: no new token
    assert len(sandbox.log("iam")) == 1
    await ibm.refresh("default-ibm-quantum-platform", force=True)
    assert len(sandbox.log("iam")) == 2
    secret_scanner.saw("status", status.to_json())


async def test_refused_api_key_needs_reinit(tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner) -> None:
    wrong = "not-a-real-key-ffffffffffffffffffff"
    secret_scanner.add_secrets(wrong)
    ibm = provider(tmp_path, IAM_URL=sandbox.iam_url)
    ibm.materialize([platform(sandbox, wrong, CRN)], source="bundle")
    with pytest.raises(RefusedError) as caught:
        await ibm.refresh("default-ibm-quantum-platform")
    assert "BXNIM0415E" in str(caught.value)
    secret_scanner.saw("exception", str(caught.value))
    (status,) = ibm.read()
    assert status.state is State.NEEDS_REINIT
    secret_scanner.saw("status", status.to_json())


@pytest.mark.parametrize(
    ("endpoint", "mode", "fragment"),
    [
        ("iam", "status", "HTTP 500"),
        ("iam", "garbage", "not JSON"),
        ("iam", "timeout", "did not answer"),
        ("iam", "reset", "could not reach"),
        ("ibm_login", "status", "HTTP 500"),
        ("ibm_network", "garbage", "not JSON"),
        ("ibm_me", "timeout", "did not answer"),
    ],
)
async def test_provider_trouble_is_transient_and_changes_nothing(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner, endpoint: str, mode: str, fragment: str
) -> None:
    creds = sandbox.ibm_credentials("alice")
    secret_scanner.add_secrets(creds["apikey"], creds["legacy_token"])
    ibm = provider(tmp_path, timeout=0.5, IAM_URL=sandbox.iam_url)
    ibm.materialize(
        [platform(sandbox, creds["apikey"], creds["instance"]), legacy(sandbox, creds["legacy_token"])], source="bundle"
    )
    before = snapshot(tmp_path)
    sandbox.fault(endpoint, mode=mode, status=500)
    name = "default-ibm-quantum-platform" if endpoint == "iam" else "legacy"
    with pytest.raises(TransientProviderError) as caught:
        await ibm.refresh(name)
    assert fragment in str(caught.value)
    assert caught.value.transient
    secret_scanner.saw("exception", str(caught.value))
    assert snapshot(tmp_path) == before
    expected = State.OK if name != "legacy" else LEGACY_STATE
    assert {s.name: s.state for s in ibm.read()}[name] is expected  # not refused: the manager retries
    sandbox.clear_faults()
    assert (await ibm.refresh(name)).state is expected


async def test_proxies_are_honoured(tmp_path: Path, sandbox: Sandbox) -> None:
    creds = sandbox.ibm_credentials("alice")
    ibm = provider(tmp_path, timeout=2.0, IAM_URL=sandbox.iam_url)
    dead_proxy = {"urls": {"http": "http://127.0.0.1:9"}}
    ibm.materialize([platform(sandbox, creds["apikey"], creds["instance"], proxies=dead_proxy)], source="bundle")
    with pytest.raises(TransientProviderError, match="could not reach"):
        await ibm.refresh("default-ibm-quantum-platform")
    assert sandbox.log("iam") == []  # the request went to the (dead) proxy, not straight to IAM


def test_refresh_sync_for_the_cli(tmp_path: Path, sandbox: Sandbox) -> None:
    creds = sandbox.ibm_credentials("alice")
    ibm = provider(tmp_path, IAM_URL=sandbox.iam_url)
    ibm.materialize([platform(sandbox, creds["apikey"], creds["instance"])], source="bundle")
    assert ibm.refresh_sync("default-ibm-quantum-platform").state is State.OK
    with pytest.raises(QCredError, match="no account named"):
        ibm.refresh_sync("missing")


async def test_unknown_and_broken_accounts(tmp_path: Path) -> None:
    ibm = provider(tmp_path)
    with pytest.raises(QCredError, match="no account named 'x'"):
        await ibm.refresh("x")
    folder = tmp_path / ".qiskit"
    folder.mkdir()
    (folder / "qiskit-ibm.json").write_text("{broken")
    with pytest.raises(FileFormatError):
        await ibm.refresh("qiskit-ibm.json")
    with pytest.raises(FileFormatError):
        await ibm.refresh("anything")  # may be in the broken file: say so rather than "no such account"


def test_logs_never_contain_tokens(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture, secret_scanner: SecretScanner
) -> None:
    caplog.set_level(logging.DEBUG, logger="jupyter_qcred")
    creds = sandbox.ibm_credentials("alice")
    secret_scanner.add_secrets(creds["apikey"], creds["legacy_token"])
    ibm = provider(tmp_path, IAM_URL=sandbox.iam_url)
    ibm.materialize(
        [platform(sandbox, creds["apikey"], creds["instance"]), legacy(sandbox, creds["legacy_token"])], source="bundle"
    )
    ibm.refresh_sync("default-ibm-quantum-platform")
    ibm.refresh_sync("legacy")
    sandbox.revoke_ibm_key(creds["legacy_token"])
    with pytest.raises(RefusedError) as caught:
        ibm.refresh_sync("legacy", force=True)
    secret_scanner.saw("exception", str(caught.value))
    secret_scanner.saw("repr", repr(ibm.accounts()))
    secret_scanner.saw("statuses", [s.to_json() for s in ibm.read()])
    assert any(r.name == "jupyter_qcred.ibm" for r in caplog.records)
