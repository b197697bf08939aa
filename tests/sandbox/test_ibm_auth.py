"""IbmProvider against real files and the sandbox's IBM services (legacy auth API, IAM, runtime)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.core.errors import FieldError, FileFormatError, QCredError, RefusedError, TransientProviderError
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.core.states import State, utcnow
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL, IbmProvider
from jupyter_qcred.providers.ibm.qiskitrc import parse_qiskitrc
from jupyter_qcred.providers.ibm.sdk import runtime_channels
from jupyter_qcred.sandbox.client import Sandbox

if TYPE_CHECKING:
    from support.helpers import SecretScanner

#: What a legacy (ibm_quantum) account shows: the installed qiskit-ibm-runtime's own channel list decides.
LEGACY_STATE = State.OK if "ibm_quantum" in (runtime_channels() or {"ibm_quantum"}) else State.UNSUPPORTED


API_KEY = "platform-api-key-cccccccccccccccccccc3333"
LEGACY_TOKEN = "legacy-api-token-aaaaaaaaaaaaaaaaaaaa1111"
CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123:0000-1111::"


def provider(home: Path, *, timeout: float = 20.0, env: dict[str, str] | None = None, **more: str) -> IbmProvider:
    environ = {"HOME": str(home), **(env or {}), **more}
    return IbmProvider(Settings.from_environment(environ, timeout=timeout))


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and inode of every file under ~/.qiskit (lock files aside): proof that nothing was written."""
    folder = home / ".qiskit"
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes(), p.stat().st_ino) for p in folder.iterdir() if not p.name.endswith(".lock")}


def legacy(sb: Sandbox, token: str, name: str = "legacy", **extra: Any) -> IbmAccountSpec:
    return IbmAccountSpec(name=name, channel="ibm_quantum", token=token, url=sb.ibm_auth_url, **extra)


def platform(
    sb: Sandbox, key: str, instance: str, name: str = "default-ibm-quantum-platform", **extra: Any
) -> IbmAccountSpec:
    return IbmAccountSpec(
        name=name, channel="ibm_quantum_platform", token=key, instance=instance, url=sb.runtime_url, **extra
    )


# -- offline: read, defaults, environment, set_default, import ---------------------------------------------


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


def test_set_default(tmp_path: Path) -> None:
    ibm = provider(tmp_path)
    ibm.materialize(
        [
            IbmAccountSpec(name="a", channel="ibm_quantum_platform", token=API_KEY, default=True),
            IbmAccountSpec(name="b", channel="ibm_cloud", token=API_KEY + "b"),
            IbmAccountSpec(name="old", channel="ibm_quantum", token=LEGACY_TOKEN, hub="h", group="g", project="p"),
        ],
        source="bundle",
    )
    ibm.set_default("b", instance="my-instance")
    data = json.loads((tmp_path / ".qiskit/qiskit-ibm.json").read_text())
    assert data["b"]["is_default_account"] is True
    assert "is_default_account" not in data["a"]
    assert data["b"]["instance"] == "my-instance"
    assert [s.name for s in ibm.read() if s.default] == ["b"]

    ibm.set_default("old", instance="h2/g2/p2")
    rc = parse_qiskitrc((tmp_path / ".qiskit/qiskitrc").read_text(), tmp_path / "qiskitrc")
    assert rc.default_provider is not None
    assert rc.default_provider.to_stored_format() == "h2/g2/p2"
    data = json.loads((tmp_path / ".qiskit/qiskit-ibm.json").read_text())
    assert data["old"]["instance"] == "h2/g2/p2"
    assert "is_default_account" not in data["old"]
    assert not any("is_default_account" in entry for entry in data.values()), "the legacy choice must show"
    # ... where the runtime SDK still loads it; else the status shows the account QiskitRuntimeService() picks.
    assert [s.name for s in ibm.read() if s.default] == ["old" if LEGACY_STATE is State.OK else "a"]

    with pytest.raises(FieldError, match="instance"):
        ibm.set_default("old", instance="not-a-triple")
    with pytest.raises(QCredError, match="no account named 'nope'"):
        ibm.set_default("nope")


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


# -- the real SDK reads what we wrote and authenticates through the sandbox --------------------------------


def test_real_sdk_authenticates_with_our_saved_account(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, secret_scanner: SecretScanner
) -> None:
    from qiskit_ibm_runtime import QiskitRuntimeService

    monkeypatch.setenv("IAM_URL", sandbox.iam_url)
    monkeypatch.setenv("QISKIT_FUNCTIONS_EXPERIMENTAL", "1")
    creds = sandbox.ibm_credentials("alice")
    secret_scanner.add_secrets(creds["apikey"], creds["legacy_token"])
    ibm = provider(tmp_path)
    ibm.materialize(
        [
            platform(sandbox, creds["apikey"], creds["instance"], name="sandbox-alice", default=True),
            legacy(sandbox, creds["legacy_token"], name="old-legacy"),
        ],
        source="bundle",
    )
    filename = str(tmp_path / ".qiskit/qiskit-ibm.json")
    service = QiskitRuntimeService(name="sandbox-alice", filename=filename)
    assert sorted(b.name for b in service.backends()) == ["ibm_sandbox_fez", "ibm_sandbox_torino"]
    default_service = QiskitRuntimeService(filename=filename)  # is_default_account picks ours
    assert default_service.active_account()["instance"] == creds["instance"]
    log = sandbox.log()
    assert log[0]["endpoint"] == "iam"
    assert all(e["status"] == 200 and e["user"] == "alice" for e in log)


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
