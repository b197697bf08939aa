"""Quantinuum Nexus: the bundle's ``nexus`` section, qnexus's token files, the access token renewed once for every
process, and the device login, against the sandbox's stand-in of Nexus (the real qnexus is in
tests/sdk/test_nexus.py)."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from support.gated import race
from support.helpers import wait_until
from support.nexus import bundle, environ, manager, nexus_log

from jupyter_qcred.core.bundle import dump_bundle, loads_bundle, parse_bundle
from jupyter_qcred.core.errors import FieldError
from jupyter_qcred.core.service import CredentialService
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.common import token_due
from jupyter_qcred.sandbox.client import Sandbox


def test_bundles_without_nexus_still_parse_and_entries_are_validated() -> None:
    assert parse_bundle({"version": 1}).nexus == ()
    good = parse_bundle({"version": 1, "nexus": [{"refresh_token": "rt-123456789012"}]})
    assert loads_bundle(dump_bundle(good)) == good and "rt-123456789012" not in repr(good)
    for bad, field in (
        ([{}], "nexus[0].refresh_token"),
        ([{"refresh_token": "a"}, {"refresh_token": "b"}], "nexus[1]"),
        ([{"refresh_token": "a", "url": "nexus.example"}], "nexus[0].url"),
    ):
        with pytest.raises(FieldError) as caught:
            parse_bundle({"version": 1, "nexus": bad})
        assert f"'{field}'" in str(caught.value)


def test_the_files_are_qnexus_own_and_the_url_goes_to_its_config(tmp_path: Path, sandbox: Sandbox) -> None:
    config = tmp_path / ".qnexus" / "config"
    config.parent.mkdir()
    config.write_text("# mine\nNEXUS_STORE_TOKENS=true\n")
    tokens = sandbox.nexus_tokens("alice")
    m = manager(tmp_path)
    assert m.materialize(bundle(sandbox, tokens), source="bundle") == ["nexus:default"]
    token_json = json.loads((tmp_path / ".qnx" / "auth" / "token.json").read_text())
    assert token_json == {"data": {"refresh_token": tokens["refresh_token"], "delete_version_after": None}}
    assert json.loads((tmp_path / ".qnx" / "auth" / "id.json").read_text()) == {
        "data": {"access_token": tokens["access_token"]}
    }
    port = sandbox.nexus_url.rsplit(":", 1)[1]
    assert config.read_text() == (
        f"# mine\nNEXUS_STORE_TOKENS=true\nNEXUS_PROTOCOL=http\nNEXUS_DOMAIN=127.0.0.1\nNEXUS_PORT={port}\n"
        "NEXUS_WEBSOCKETS_PROTOCOL=ws\n"
    )
    for path in (tmp_path / ".qnx" / "auth" / "token.json", tmp_path / ".qnx" / "auth" / "id.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    asyncio.run(m.refresh("nexus"))
    (status,) = [s.to_json() for s in m.statuses()]
    assert status["state"] == "ok", status
    assert status["account"]["display_name"] == "Alice Liddell" and status["account"]["refresh_token_ttl"] > 86400
    assert tokens["refresh_token"] not in json.dumps(m.snapshot()) and tokens["access_token"] not in json.dumps(
        m.snapshot()
    )
    sandbox.revoke_nexus("alice")
    asyncio.run(m.refresh("nexus", force=True))
    (refused,) = [s.to_json() for s in m.statuses()]
    assert refused["state"] == "needs_reinit" and refused["error"].startswith("Quantinuum Nexus: ")


@pytest.mark.slow
def test_twelve_processes_renew_the_access_token_once(tmp_path: Path) -> None:
    with Sandbox(tls=False) as sandbox:
        home = tmp_path / "home"
        sandbox.configure(access_token_lifetime=2)  # a login whose access token is due within a second
        manager(home).materialize(bundle(sandbox, sandbox.nexus_tokens("alice")), source="bundle")
        sandbox.configure(access_token_lifetime=3600)  # the renewed one is not: one renewal serves everyone
        provider = create_providers(Settings.from_environment(environ(home)), ("nexus",))["nexus"]
        wait_until(lambda: token_due(provider.settings, provider.store.access_token()), timeout=5, what="a due token")
        printed = [out for out, _err in race(tmp_path, "nexus", "provider.token_sync()", environ(home), 12)]
        assert len(set(printed)) == 1, "every process got the same token"
        assert len(nexus_log(sandbox, "nexus_refresh")) == 1, "exactly one refresh for twelve processes"


def test_the_nexus_device_login_stores_a_login_through_the_service(tmp_path: Path) -> None:
    with Sandbox(tls=False, device_interval=1) as sandbox:
        home = tmp_path / "home"
        config = home / ".qnexus" / "config"
        config.parent.mkdir(parents=True)
        port = sandbox.nexus_url.rsplit(":", 1)[1]
        config.write_text(f"NEXUS_PROTOCOL=http\nNEXUS_DOMAIN=127.0.0.1\nNEXUS_PORT={port}\n")
        m = manager(home)
        service = CredentialService(m)

        async def login() -> dict[str, Any]:
            started = await service.start_login("nexus", None)
            record = started["login"]
            assert record["provider"] == "nexus" and record["user_code"] and "device_code" not in record
            assert sandbox.approve_nexus_device(record["user_code"], "alice")
            deadline = time.monotonic() + 30
            while True:
                status = m.snapshot()
                (entry,) = status["providers"]
                if entry["state"] == "ok" and entry["account"].get("display_name"):
                    return status
                assert time.monotonic() < deadline, status
                await asyncio.sleep(0.1)

        status = asyncio.run(login())
        assert status["logins"][-1]["state"] == "done"
        assert (home / ".qnx" / "auth" / "token.json").exists()
