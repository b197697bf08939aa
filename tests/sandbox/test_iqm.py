"""IQM Resonance: the bundle's ``iqm`` section, the tokens file iqm-client reads, the check before anything is written,
the login renewed once for every process, against the sandbox's stand-in of Resonance (the real iqm-client is in
tests/sdk/test_iqm.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from pathlib import Path
from typing import Any

import pytest
from support.gated import race
from support.helpers import wait_until

from jupyter_qcred.core.bundle import dump_bundle, loads_bundle, parse_bundle
from jupyter_qcred.core.errors import FieldError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.service import CredentialService, ExistsError, InputError
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.shared.renewer import token_due
from jupyter_qcred.sandbox.client import Sandbox


def environ(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), **extra}


def manager(home: Path, **extra: str) -> CredentialManager:
    return CredentialManager(create_providers(Settings.from_environment(environ(home, **extra)), ("iqm",)))


def iqm_status(m: CredentialManager) -> dict[str, Any]:
    return next(s.to_json() for s in m.statuses() if s.provider == "iqm")


def tokens_file(home: Path) -> Path:
    return home / ".iqm" / "tokens.json"


def api_token(sandbox: Sandbox, user: str = "alice") -> str:
    return str(sandbox.admin("POST", "iqm/tokens", {"user": user})["token"])


def login(sandbox: Sandbox, user: str = "alice", **options: Any) -> dict[str, str]:
    answer = dict(sandbox.admin("POST", "iqm/logins", {"user": user, **options}))
    answer.pop("user")
    return answer


def test_the_iqm_section_round_trips_and_never_shows_a_token() -> None:
    bundle = parse_bundle({"version": 1, "iqm": [{"token": "tok-1234567890abc", "quantum_computer": "garnet"}]})
    assert loads_bundle(dump_bundle(bundle)) == bundle and "tok-1234567890abc" not in repr(bundle)
    assert parse_bundle({"version": 1}).iqm == ()


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([{"token": "a"}, {"token": "b"}], "iqm[1]"),
        ([{}], "iqm[0].token"),
        ([{"refresh_token": "secret-rt-999"}], "iqm[0].auth_server_url"),
        ([{"token": "a", "url": "ftp://secret-host"}], "iqm[0].url"),
        ([{"token": "a", "colour": "x"}], "iqm[0].colour"),
        ([{"token": 5}], "iqm[0].token"),
    ],
)
def test_bad_iqm_entries_name_the_field_and_never_the_value(entries: list[Any], field: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_bundle({"version": 1, "iqm": entries}, where="QCRED_BUNDLE")
    assert f"'{field}'" in str(caught.value) and "QCRED_BUNDLE" in str(caught.value)
    assert "secret-rt-999" not in str(caught.value) and "secret-host" not in str(caught.value)


def test_an_api_token_is_written_keeping_other_keys_and_exported_as_iqm_token(tmp_path: Path) -> None:
    path = tokens_file(tmp_path)
    path.parent.mkdir(mode=0o700)
    path.write_text(json.dumps({"pid": 1, "mine": "kept", "access_token": "old.token.here"}))
    m = manager(tmp_path)
    token = "opaque-api-" + "token-0001"  # built here: this file holds no token ``jupyter qcred scan`` would find
    entry = {"token": token, "url": "https://resonance.example", "quantum_computer": "garnet"}
    assert m.materialize(parse_bundle({"version": 1, "iqm": [entry]}), source="bundle") == ["iqm:default"]
    data = json.loads(path.read_text())
    assert data["mine"] == "kept" and data["api_token"] == token and "access_token" not in data
    assert data["server_url"] == "https://resonance.example" and data["quantum_computer"] == "garnet"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    exported = {name: value for _guards, name, value in m.providers["iqm"].exported_environment()}
    assert exported == {
        "IQM_TOKENS_FILE": None,  # iqm-client's file reader takes only a JWT; IQM_TOKEN carries an opaque token
        "IQM_TOKEN": token,
        "IQM_SERVER_URL": "https://resonance.example",
        "IQM_QUANTUM_COMPUTER": "garnet",
    }
    status = iqm_status(m)
    assert status["state"] == "ok" and status["token_hint"] == "…0001" and status["file"] == str(path)
    assert ["Server", "https://resonance.example"] in status["account"]["fields"]


def test_a_broken_tokens_file_is_named_and_never_overwritten_by_a_bundle(tmp_path: Path) -> None:
    path = tokens_file(tmp_path)
    path.parent.mkdir(mode=0o700)
    path.write_text('{"access_token": 42, "refresh_token": "secret-never-shown-77"')
    m = manager(tmp_path)
    status = iqm_status(m)
    assert status["state"] == "error" and str(path) in status["error"] and "not JSON" in status["error"]
    with pytest.raises(Exception) as caught:
        m.materialize(parse_bundle({"version": 1, "iqm": [{"token": "tok-new-0002"}]}), source="bundle")
    assert str(path) in str(caught.value) and "secret-never-shown-77" not in str(caught.value)
    assert path.read_text().endswith('"secret-never-shown-77"')
    path.write_text('{"access_token": 42}')
    assert "has a access_token value that is not a string" in iqm_status(manager(tmp_path))["error"]


@pytest.mark.slow
def test_paste_is_checked_before_it_is_written_asks_before_replacing_and_is_removed(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    m = manager(tmp_path)
    service = CredentialService(m)
    url = sandbox.info["iqm_url"]
    with pytest.raises(InputError, match="Paste your IQM Resonance API token"):
        asyncio.run(service.add_token("iqm", {"token": " "}))
    refused = asyncio.run(service.add_token("iqm", {"token": "not-a-token-of-theirs-1", "url": url}))
    assert refused["result"]["outcome"] == "refused" and not tokens_file(tmp_path).exists()
    assert "does not accept this token (HTTP 401)" in refused["result"]["message"]
    first = api_token(sandbox, "bob")
    pasted = asyncio.run(service.add_token("iqm", {"token": first, "url": url}))
    assert pasted["result"]["outcome"] == "ok", pasted["result"]
    ok = iqm_status(m)
    assert ok["state"] == "ok" and ["Quantum computers", "emerald, garnet"] in ok["account"]["fields"]
    assert sandbox.log("iqm_quantum_computers")[-1]["user"] == "bob"
    second = api_token(sandbox, "alice")
    with pytest.raises(ExistsError):
        asyncio.run(service.add_token("iqm", {"token": second}))
    replaced = asyncio.run(service.add_token("iqm", {"token": second}, replace=True))  # the URL stays
    assert replaced["result"]["outcome"] == "ok" and iqm_status(m)["token_hint"] == f"…{second[-4:]}"
    assert ["Quantum computers", "garnet"] in iqm_status(m)["account"]["fields"]
    sandbox.admin("POST", "iqm/revoke", {"user": "alice"})
    asyncio.run(m.refresh("iqm"))
    gone = iqm_status(m)
    assert gone["state"] == "needs_reinit" and gone["error"].startswith("IQM Resonance: IQM at 127.0.0.1")
    assert "does not accept this token (HTTP 401); generate a new token in the IQM Resonance dashboard" in gone["error"]
    removed = asyncio.run(service.remove("iqm", "default"))
    assert "default" in json.dumps(removed["result"]) and "api_token" not in tokens_file(tmp_path).read_text()
    assert iqm_status(m)["state"] == "absent" and json.loads(tokens_file(tmp_path).read_text())["server_url"] == url
    seen = json.dumps([pasted, replaced, refused, m.snapshot()]) + "".join(r.getMessage() for r in caplog.records)
    assert first not in seen and second not in seen


def test_iqm_down_is_transient_and_nothing_is_written(tmp_path: Path, sandbox: Sandbox) -> None:
    sandbox.fault("iqm_quantum_computers", status=503)
    answer = asyncio.run(
        CredentialService(manager(tmp_path)).add_token(
            "iqm", {"token": api_token(sandbox), "url": sandbox.info["iqm_url"]}
        )
    )
    assert answer["result"]["outcome"] == "failed" and "503" in answer["result"]["message"]
    assert not tokens_file(tmp_path).exists()


def test_a_login_is_renewed_ahead_of_expiry_and_a_refused_login_needs_reinit(tmp_path: Path, sandbox: Sandbox) -> None:
    tokens = login(sandbox, "alice", access_ttl=2)  # due within a second
    entry = {**tokens, "url": sandbox.info["iqm_url"]}
    m = manager(tmp_path)
    m.materialize(parse_bundle({"version": 1, "iqm": [entry]}), source="bundle")
    provider = m.providers["iqm"]
    exported = {name: value for _guards, name, value in provider.exported_environment()}
    assert exported["IQM_TOKENS_FILE"] == str(tokens_file(tmp_path)) and exported["IQM_TOKEN"] is None
    wait_until(lambda: token_due(provider.settings, tokens["access_token"]), timeout=5, what="a due token")
    assert provider.read()[0].to_json()["state"] == "expiring"  # routine: the refresh token still works
    asyncio.run(m.refresh("iqm", force=False))
    data = json.loads(tokens_file(tmp_path).read_text())
    assert data["access_token"] != tokens["access_token"] and data["refresh_token"] != tokens["refresh_token"]
    assert data["refresh_status"] == "SUCCESS" and data["auth_server_url"] == tokens["auth_server_url"]
    (renewal,) = sandbox.log("iqm_token")
    assert renewal["grant_type"] == "refresh_token" and renewal["client_id"] == "iqm_client"
    status = iqm_status(m)
    assert status["state"] == "ok" and status["expires_at"] and status["next_refresh_at"]
    sandbox.admin("POST", "iqm/revoke", {"user": "alice"})
    asyncio.run(m.refresh("iqm", force=True))
    refused = iqm_status(m)
    assert refused["state"] == "needs_reinit" and "refused to renew the login (HTTP 400)" in refused["error"]


@pytest.mark.slow
def test_twelve_processes_renew_the_access_token_once(tmp_path: Path) -> None:
    with Sandbox(tls=False) as sandbox:
        home = tmp_path / "home"
        sandbox.admin("POST", "iqm/settings", {"access_ttl": 3600})  # the renewed token is not due: one serves all
        entry = {**login(sandbox, "alice", access_ttl=2), "url": sandbox.info["iqm_url"]}
        manager(home).materialize(parse_bundle({"version": 1, "iqm": [entry]}), source="bundle")
        provider = create_providers(Settings.from_environment(environ(home)), ("iqm",))["iqm"]
        wait_until(
            lambda: token_due(provider.settings, provider.store.read().get("access_token")),
            timeout=5,
            what="a due token",
        )
        printed = [out for out, _err in race(tmp_path, "iqm", "provider.token_sync()", environ(home), 12)]
        assert len(set(printed)) == 1, "every process got the same token"
        assert len(sandbox.log("iqm_token")) == 1, "exactly one renewal for twelve processes"
        assert json.loads(tokens_file(home).read_text())["access_token"] == printed[0]


def test_a_cortex_tokens_file_upload_and_a_paste_over_a_broken_file(tmp_path: Path, sandbox: Sandbox) -> None:
    m = manager(tmp_path)
    service = CredentialService(m)
    tokens = {"pid": 7, "timestamp": "x", "refresh_status": "SUCCESS", **login(sandbox, "bob")}
    tokens["server_url"] = sandbox.info["iqm_url"]
    answer = asyncio.run(service.import_file("iqm", "tokens.json", json.dumps(tokens)))
    assert answer["result"]["outcome"] == "ok", answer["result"]
    data = json.loads(tokens_file(tmp_path).read_text())
    assert sandbox.log("iqm_token")[-1]["user"] == "bob"  # checked by one renewal before it was written ...
    assert data["refresh_token"] != tokens["refresh_token"]  # ... whose fresh pair is what was written
    assert data["access_token"] != tokens["access_token"] and data["auth_server_url"] == tokens["auth_server_url"]
    with pytest.raises(InputError, match=r"tokens\.json.*has a refresh_token but no auth_server_url"):
        asyncio.run(service.import_file("iqm", "tokens.json", json.dumps({"refresh_token": "secret-rt-0000000001"})))
    tokens_file(tmp_path).write_text("{broken")
    pasted = asyncio.run(service.add_token("iqm", {"token": api_token(sandbox), "url": sandbox.info["iqm_url"]}))
    assert pasted["result"]["outcome"] == "ok", pasted["result"]
    assert [p.name for p in tokens_file(tmp_path).parent.iterdir() if ".broken-" in p.name]  # kept as a backup


def test_the_demo_people_get_a_working_login_and_a_token_to_paste(tmp_path: Path, sandbox: Sandbox) -> None:
    from jupyter_qcred.providers.iqm.sandbox import STAND_IN

    assert STAND_IN.environment(sandbox) == {"IQM_SERVER_URL": sandbox.info["iqm_url"]}
    m = manager(tmp_path)
    m.materialize(parse_bundle({"version": 1, "iqm": STAND_IN.bundle_entries(sandbox, "bob")}), source="bundle")
    asyncio.run(m.refresh("iqm"))
    status = iqm_status(m)
    assert status["state"] == "ok" and ["Default computer", "emerald"] in status["account"]["fields"]
    seeded = sandbox.credentials()["iqm"]["alice"]
    other = manager(tmp_path / "alice")
    pasted = asyncio.run(CredentialService(other).add_token("iqm", {"token": seeded, "url": sandbox.info["iqm_url"]}))
    assert pasted["result"]["outcome"] == "ok"
    assert ["Quantum computers", "garnet"] in iqm_status(other)["account"]["fields"]
    summary = sandbox.state()
    assert summary["iqm"]["api_tokens"] >= 2 and seeded not in json.dumps(summary)
