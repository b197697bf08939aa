"""The service layer (core/service.py) with the later clouds: IonQ, Amazon Braket and Quantinuum Nexus follow the
rules of issue 11 through the same service methods as IBM and QCS: checked with the cloud before anything is
written, an existing credential replaced only when asked (else 409 "exists"), Remove keeps everything else, and what
a provider cannot take is refused with a sentence."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.service import CredentialService, ExistsError, InputError, UnavailableError
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.sandbox.client import Sandbox


def service_for(home: Path, *keys: str) -> CredentialService:
    settings = Settings.from_environment({"HOME": str(home)})
    return CredentialService(CredentialManager(create_providers(settings, keys)))


def entry(service: CredentialService, provider: str) -> dict:
    return next(e for e in service.status()["providers"] if e["provider"] == provider)


def test_ionq_key_is_checked_before_it_is_written_and_replaced_only_when_asked(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    service = service_for(tmp_path, "ionq")
    dotenv = tmp_path / ".env"
    refused = asyncio.run(service.add_token("ionq", {"token": "not-a-key-ionq-knows", "url": sandbox.ionq_url}))
    assert refused["result"]["outcome"] == "refused" and "Nothing was saved" in refused["result"]["message"]
    assert not dotenv.exists(), "a refused key never reaches the file"

    dotenv.write_text("# mine\nOTHER=1\n")
    first = sandbox.ionq_key("alice")
    saved = asyncio.run(service.add_token("ionq", {"token": first, "url": sandbox.ionq_url}))
    assert saved["result"]["outcome"] == "ok" and saved["result"]["message"].startswith("Checked and saved.")
    second = sandbox.issue_ionq_key("bob")
    with pytest.raises(ExistsError, match="The IonQ key 'default' already exists"):
        asyncio.run(service.add_token("ionq", {"token": second}))
    with pytest.raises(ExistsError):
        asyncio.run(service.import_file("ionq", ".env", f"IONQ_API_KEY={second}\n"))
    assert first in dotenv.read_text() and second not in dotenv.read_text()
    replaced = asyncio.run(service.import_file("ionq", ".env", f"IONQ_API_KEY={second}\n", replace=True))
    assert replaced["result"]["outcome"] == "ok", replaced["result"]
    assert second in dotenv.read_text() and first not in dotenv.read_text()
    assert entry(service, "ionq")["account"]["key_name"]

    removed = asyncio.run(service.remove("ionq", "default"))
    assert removed["result"]["message"].startswith(f"Removed the IonQ key 'default' from {dotenv}.")
    assert dotenv.read_text().startswith("# mine\nOTHER=1\n") and second not in dotenv.read_text()
    assert entry(service, "ionq")["state"] == "absent"
    for answer in (refused, saved, replaced, removed):
        assert first not in json.dumps(answer) and second not in json.dumps(answer)


def test_nexus_refresh_token_is_checked_before_it_is_written_and_remove_signs_out(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    config = tmp_path / ".qnexus" / "config"
    config.parent.mkdir()
    port = sandbox.nexus_url.rsplit(":", 1)[1]
    config.write_text(f"NEXUS_PROTOCOL=http\nNEXUS_DOMAIN=127.0.0.1\nNEXUS_PORT={port}\n")
    service = service_for(tmp_path, "nexus")
    token_json = tmp_path / ".qnx" / "auth" / "token.json"
    revoked = sandbox.nexus_tokens("alice")["refresh_token"]
    sandbox.revoke_nexus("alice")
    refused = asyncio.run(service.add_token("nexus", {"token": revoked}))
    assert refused["result"]["outcome"] == "refused", refused["result"]
    assert not token_json.exists(), "a refused refresh token never reaches qnexus's file"

    good = sandbox.nexus_tokens("alice")["refresh_token"]
    saved = asyncio.run(service.add_token("nexus", {"token": good}))
    assert saved["result"]["outcome"] == "ok", saved["result"]
    assert json.loads(token_json.read_text())["data"]["refresh_token"] == good
    other = sandbox.nexus_tokens("alice")["refresh_token"]
    with pytest.raises(ExistsError, match="The Quantinuum Nexus login 'default' already exists"):
        asyncio.run(service.add_token("nexus", {"token": other}))
    upload = json.dumps({"data": {"refresh_token": other}})
    replaced = asyncio.run(service.import_file("nexus", "token.json", upload, replace=True))
    assert replaced["result"]["outcome"] == "ok", replaced["result"]
    assert json.loads(token_json.read_text())["data"]["refresh_token"] == other

    removed = asyncio.run(service.remove("nexus", "default"))
    assert removed["result"]["outcome"] == "ok" and "Quantinuum Nexus login 'default'" in removed["result"]["message"]
    assert not token_json.exists() and not (tmp_path / ".qnx" / "auth" / "id.json").exists()
    assert config.read_text().startswith("NEXUS_PROTOCOL=http\n"), "the Nexus URL stays configured"
    assert entry(service, "nexus")["state"] == "absent"


def test_braket_takes_only_the_hub_login_and_remove_keeps_other_profiles(tmp_path: Path) -> None:
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "config").write_text("# mine\n[profile other]\nregion = eu-west-1\n")
    service = service_for(tmp_path, "braket")
    spec = {"profile": "lab", "role_arn": "arn:aws:iam::123456789012:role/braket-users", "web_identity_token": "x.y.z"}
    service.manager.materialize(parse_bundle({"version": 1, "braket": [spec]}), source="bundle")
    assert (aws / "qcred" / "lab.token").exists()
    with pytest.raises(InputError, match="Amazon Braket takes no pasted token"):
        asyncio.run(service.add_token("braket", {"token": "anything"}))
    with pytest.raises(InputError, match="Amazon Braket takes no credentials file"):
        asyncio.run(service.import_file("braket", "config", "[default]\n"))
    with pytest.raises(UnavailableError, match="AWS_PROFILE"):
        asyncio.run(service.set_default("braket", "lab"))

    removed = asyncio.run(service.remove("braket", "lab"))
    assert removed["result"]["outcome"] == "ok" and "Amazon Braket profile 'lab'" in removed["result"]["message"]
    # What we added (the section and the blank line before it) is gone; the rest is as it was.
    assert (aws / "config").read_text().rstrip("\n") == "# mine\n[profile other]\nregion = eu-west-1"
    assert not (aws / "qcred" / "lab.token").exists() and not (aws / "qcred" / "lab.json").exists()
