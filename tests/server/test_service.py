"""Issue 11 on a real Jupyter server against the sandbox: nothing refused is saved, adding never silently replaces,
remove, accounts the installed SDK cannot load, broken files, and retries that really happen when announced.

Every check of the SDK files is followed by what the real SDKs then use (``QiskitRuntimeService()`` and
``QCSClient.load()``), and every answer is searched for the token text.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.helpers import async_wait_until

from jupyter_qcred.demo.world import sandbox_environment
from jupyter_qcred.providers.ibm.sdk import runtime_channels

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def jp_server_config(bundle) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}},
        "QCredApp": {"watch_interval": 0.1, "retry_initial_seconds": 2.0},
    }


def entry(status: dict[str, Any], provider: str, name: str | None = None) -> dict[str, Any]:
    found = [e for e in status["providers"] if e["provider"] == provider and (name is None or e["name"] == name)]
    assert found, f"no {provider} {name} in {[(e['provider'], e['name']) for e in status['providers']]}"
    return found[0]


def when(text: str | None) -> float:
    assert text
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# ----- retries --------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("provider", "name", "endpoint"),
    [("qcs", "default", "qcs_token"), ("ibm", "default-ibm-quantum-platform", "iam")],
)
async def test_an_announced_retry_reaches_the_provider_at_the_announced_time(
    jp_serverapp, sandbox, api, provider: str, name: str, endpoint: str
) -> None:
    # Let the start-up check finish first, so the only requests are ours.
    await async_wait_until(lambda: _settled(api, provider, name), timeout=30, what="the first check")
    sandbox.clear_log()
    sandbox.fault(endpoint, status=503, count=1)
    code, status = await api("refresh", "POST", {"provider": provider, "name": name})
    assert code == 200
    assert status["result"]["outcome"] == "failed"
    shown = entry(status, provider, name)
    announced = when(shown["retry_at"])
    assert "HTTP 503" in shown["error"] and "will retry" not in shown["error"]
    (failed,) = sandbox.log(endpoint)
    assert failed["status"] == 503

    async def retried() -> list[dict[str, Any]] | None:
        found = [e for e in sandbox.log(endpoint) if e["status"] == 200]
        return found or None

    (retry,) = await async_wait_until(retried, timeout=30, what="the announced retry at the provider")
    # The retry reaches the provider when the status said, give or take the loop's tick and a slow machine.
    assert announced - 0.5 <= retry["time"] <= announced + 3.0, retry["time"] - announced

    async def recovered() -> dict[str, Any] | None:
        _, status = await api("status")
        shown = entry(status, provider, name)
        return shown if shown["state"] == "ok" else None

    shown = await async_wait_until(recovered, timeout=10, what="ok after the retry")
    assert shown["retry_at"] is None and shown["failures"] == 0 and shown["error"] is None


async def _settled(api, provider: str, name: str) -> bool:
    _, status = await api("status")
    shown = entry(status, provider, name)
    return bool(shown["last_refresh"]) and shown["state"] != "refreshing"


# ----- what the real SDKs then use --------------------------------------------------------------------------------

RUNTIME_SCRIPT = """
import hashlib, json, sys
from qiskit_ibm_runtime import QiskitRuntimeService
name = sys.argv[1] if len(sys.argv) > 1 else None
try:
    service = QiskitRuntimeService(name=name) if name else QiskitRuntimeService()
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__}))
else:
    account = service.active_account()
    print(json.dumps({"sha": hashlib.sha256(account["token"].encode()).hexdigest(), "instance": account["instance"],
                      "url": account["url"]}))
"""

QCS_SCRIPT = """
import json, sys
from qcs_api_client_common.configuration import ClientConfiguration
load = ClientConfiguration.load_profile
configuration = load(sys.argv[1]) if len(sys.argv) > 1 else ClientConfiguration.load_default()
print(json.dumps({"api_url": configuration.api_url}))
"""


def run_sdk(script: str, home: str, sandbox, *args: str) -> dict[str, Any]:
    """The real SDK in a fresh process with the server's HOME (it reads its files and environment once)."""
    env = {**os.environ, "HOME": home, **sandbox_environment(sandbox)}
    for variable in ("QCRED_BUNDLE", "QISKIT_IBM_TOKEN", "QISKIT_IBM_CHANNEL", "QCS_PROFILE_NAME"):
        env.pop(variable, None)
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_ibm_user(sandbox, secret_scanner) -> dict[str, str]:
    """Carol: a second IBM Quantum user with her own API key and instance."""
    carol = sandbox.add_ibm_user("carol")
    secret_scanner.add_secrets(carol["apikey"], carol["legacy_token"])
    return {"apikey": carol["apikey"], "instance": carol["instances"][0]}


def read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


# ----- item 2: nothing refused is saved, adding never silently replaces ------------------------------------------


@pytest.mark.slow
async def test_a_refused_ibm_key_is_not_saved_nor_made_the_default(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    alice = sandbox.ibm_credentials("alice")
    carol = new_ibm_user(sandbox, secret_scanner)
    sandbox.revoke_ibm_key(carol["apikey"])
    accounts = Path(jp_home_dir) / ".qiskit/qiskit-ibm.json"
    before = read(accounts)
    body = {"source": "token", "provider": "ibm", "token": carol["apikey"], "name": "carol", "make_default": True}
    code, status = await api(
        "reinitialize", "POST", {**body, "instance": carol["instance"], "url": sandbox.runtime_url}
    )
    assert code == 200, status
    assert status["result"]["outcome"] == "refused"
    assert "Nothing was saved." in status["result"]["message"]
    assert "carol" not in {e["name"] for e in status["providers"]}
    assert status["defaults"]["ibm"] == "default-ibm-quantum-platform"
    assert read(accounts) == before
    assert carol["apikey"].encode() not in read(accounts)
    used = run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox)
    assert used["sha"] == sha(alice["apikey"]), "QiskitRuntimeService() must keep using the account it had"


async def test_an_unreachable_provider_saves_nothing(jp_serverapp, jp_home_dir, sandbox, api, secret_scanner) -> None:
    carol = new_ibm_user(sandbox, secret_scanner)
    accounts = Path(jp_home_dir) / ".qiskit/qiskit-ibm.json"
    before = read(accounts)
    sandbox.fault("iam", status=503)
    body = {"source": "token", "provider": "ibm", "token": carol["apikey"], "name": "carol"}
    code, status = await api("reinitialize", "POST", body)
    assert code == 200, status
    assert status["result"]["outcome"] == "failed"
    assert "nothing was saved; try again" in status["result"]["message"]
    assert read(accounts) == before


@pytest.mark.slow
async def test_adding_asks_before_replacing_and_a_replacement_keeps_what_was_not_typed(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    alice = sandbox.ibm_credentials("alice")
    carol = new_ibm_user(sandbox, secret_scanner)
    accounts = Path(jp_home_dir) / ".qiskit/qiskit-ibm.json"
    before = read(accounts)

    # No name: the SDK's default name is taken, so the server asks instead of replacing it.
    code, answer = await api("reinitialize", "POST", {"source": "token", "provider": "ibm", "token": carol["apikey"]})
    assert code == 409, answer
    assert answer["reason"] == "exists" and answer["provider"] == "ibm"
    assert answer["name"] == "default-ibm-quantum-platform"
    assert "already exists" in answer["message"] and "choose another name or replace it" in answer["message"]
    assert read(accounts) == before

    # Another name: added, checked, and not the default (nothing becomes the default without a word).
    body = {"source": "token", "provider": "ibm", "token": carol["apikey"], "name": "carol"}
    code, status = await api(
        "reinitialize", "POST", {**body, "instance": carol["instance"], "url": sandbox.runtime_url}
    )
    assert code == 200, status
    assert status["result"]["outcome"] == "ok", status["result"]
    assert "default" not in status["result"]["message"]
    assert status["defaults"]["ibm"] == "default-ibm-quantum-platform"
    saved = json.loads(read(accounts))
    assert saved["carol"]["instance"] == carol["instance"] and "is_default_account" not in saved["carol"]
    assert run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox)["sha"] == sha(alice["apikey"])

    # Replacing the key of an account keeps its instance CRN and url, which the person did not type again.
    old = saved["default-ibm-quantum-platform"]
    code, status = await api(
        "reinitialize",
        "POST",
        {"source": "token", "provider": "ibm", "token": alice["apikey"], "replace": True},
    )
    assert code == 200, status
    again = json.loads(read(accounts))["default-ibm-quantum-platform"]
    assert (again["instance"], again["url"], again.get("is_default_account")) == (old["instance"], old["url"], True)

    # make_default says so, and the SDK then uses it.
    code, status = await api("reinitialize", "POST", {**body, "replace": True, "make_default": True})
    assert code == 200, status
    assert "'carol' is now the default" in status["result"]["message"]
    assert status["defaults"]["ibm"] == "carol"
    used = run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox)
    assert (used["sha"], used["instance"]) == (sha(carol["apikey"]), carol["instance"])


async def test_a_pasted_qcs_token_for_a_new_profile_uses_the_default_profiles_deployment(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    settings = Path(jp_home_dir) / ".qcs/settings.toml"
    fresh = sandbox.issue_qcs_tokens("alice")
    secret_scanner.add_secrets(fresh["access_token"], fresh["refresh_token"])
    sandbox.clear_log()
    body = {"source": "token", "provider": "qcs", "refresh_token": fresh["refresh_token"], "profile": "group"}
    code, status = await api("reinitialize", "POST", body)
    assert code == 200, status
    assert status["result"]["outcome"] == "ok", status["result"]
    assert status["defaults"]["qcs"] == "default", "a new profile does not become the default without a word"
    # The check went to the default profile's (sandbox) identity provider and API, never the public internet: the
    # sandbox saw it, and the profile was written with the default profile's api_url.
    assert [e["status"] for e in sandbox.log("qcs_token")] == [200]
    assert entry(status, "qcs", "group")["account"]["api_url"] == sandbox.qcs_api_url
    assert f'api_url = "{sandbox.qcs_api_url}"' in settings.read_text()
    assert run_sdk(QCS_SCRIPT, jp_home_dir, sandbox, "group")["api_url"] == sandbox.qcs_api_url

    # The same profile again without "replace": asked, not replaced.
    code, answer = await api("reinitialize", "POST", body)
    assert code == 409 and answer["reason"] == "exists" and answer["name"] == "group", answer


async def test_a_refused_qcs_token_is_not_saved(jp_serverapp, jp_home_dir, sandbox, api, secret_scanner) -> None:
    fresh = sandbox.issue_qcs_tokens("alice")
    secret_scanner.add_secrets(fresh["access_token"], fresh["refresh_token"])
    sandbox.revoke(refresh_token=fresh["refresh_token"])
    home = Path(jp_home_dir)
    before = {name: read(home / ".qcs" / name) for name in ("settings.toml", "secrets.toml")}
    body = {"source": "token", "provider": "qcs", "refresh_token": fresh["refresh_token"], "profile": "group"}
    code, status = await api("reinitialize", "POST", body)
    assert code == 200, status
    assert status["result"]["outcome"] == "refused"
    assert "Nothing was saved." in status["result"]["message"]
    assert {name: read(home / ".qcs" / name) for name in before} == before
    # A pasted access token alone is checked with the QCS API before it is written, too.
    body = {"source": "token", "provider": "qcs", "access_token": "not-a-token-" + "x" * 30, "profile": "group"}
    code, status = await api("reinitialize", "POST", body)
    assert code == 200 and status["result"]["outcome"] == "refused", status
    assert {name: read(home / ".qcs" / name) for name in before} == before


# ----- item 3: remove ---------------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_remove_an_ibm_account_says_which_is_the_default_now(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    alice = sandbox.ibm_credentials("alice")
    carol = new_ibm_user(sandbox, secret_scanner)
    accounts = Path(jp_home_dir) / ".qiskit/qiskit-ibm.json"
    body = {"source": "token", "provider": "ibm", "token": carol["apikey"], "name": "carol", "make_default": True}
    body.update(instance=carol["instance"], url=sandbox.runtime_url)
    code, status = await api("reinitialize", "POST", body)
    assert code == 200 and status["defaults"]["ibm"] == "carol", status
    other = {"channel": "ibm_cloud", "token": "someone-elses-" + "k" * 20, "x-kept": 1}
    secret_scanner.add_secrets(other["token"])
    saved = json.loads(read(accounts))
    saved["someone-else"] = other
    accounts.write_text(json.dumps(saved, indent=4, sort_keys=True))

    code, status = await api("remove", "POST", {"provider": "ibm", "name": "carol"})
    assert code == 200, status
    assert status["result"]["outcome"] == "ok"
    message = status["result"]["message"]
    assert message.startswith(f"Removed the IBM Quantum account 'carol' from {accounts}")
    assert "'default-ibm-quantum-platform' is now the default" in message
    assert "carol" not in {e["name"] for e in status["providers"]}
    left = json.loads(read(accounts))
    assert "carol" not in left and left["someone-else"] == other, "other people's entries are kept"
    assert run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox)["sha"] == sha(alice["apikey"])

    code, answer = await api("remove", "POST", {"provider": "ibm", "name": "carol"})
    assert code == 404 and "no IBM Quantum credential named 'carol'" in answer["message"]


async def test_remove_a_qcs_profile_keeps_a_credential_another_profile_uses(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    home = Path(jp_home_dir)
    settings, secrets = home / ".qcs/settings.toml", home / ".qcs/secrets.toml"
    text = settings.read_text()
    # A hand-written profile sharing the default credential, with a comment of its own.
    settings.write_text(
        text + f'\n# my lab\n[profiles.shared]\napi_url = "{sandbox.qcs_api_url}"\ncredentials_name = "default"\n'
    )
    fresh = sandbox.issue_qcs_tokens("alice")
    secret_scanner.add_secrets(fresh["access_token"], fresh["refresh_token"])
    body = {"source": "token", "provider": "qcs", "refresh_token": fresh["refresh_token"], "profile": "group"}
    code, status = await api("reinitialize", "POST", body)
    assert code == 200, status

    code, status = await api("remove", "POST", {"provider": "qcs", "name": "group"})
    assert code == 200, status
    assert "Removed the Rigetti QCS profile 'group'" in status["result"]["message"]
    assert "[profiles.group]" not in settings.read_text() and "[credentials.group" not in secrets.read_text()
    assert "jupyter_qcred-group" not in secrets.read_text(), "the hand-off's entry with the real tokens went too"
    assert "# my lab" in settings.read_text()

    code, status = await api("remove", "POST", {"provider": "qcs", "name": "default"})
    assert code == 200, status
    assert "'shared' is now the default" in status["result"]["message"]
    assert "[credentials.default" in secrets.read_text(), "the credential 'shared' still uses is kept"
    assert status["defaults"]["qcs"] == "shared"
    assert run_sdk(QCS_SCRIPT, jp_home_dir, sandbox)["api_url"] == sandbox.qcs_api_url


# ----- items 5 and 6: failures in sight, accounts the SDK cannot load ------------------------------------------


@pytest.mark.slow
async def test_a_legacy_account_is_unsupported_and_never_becomes_the_default(
    jp_serverapp, jp_home_dir, sandbox, api
) -> None:
    alice = sandbox.ibm_credentials("alice")
    _, status = await api("status")
    legacy = entry(status, "ibm", "legacy")
    assert legacy["state"] == "unsupported"
    assert "Re-initialize it with an IBM Cloud API key" in legacy["error"] and "remove it" in legacy["error"]
    # ... because the installed SDK really refuses it:
    assert run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox, "legacy") == {"error": "InvalidAccountError"}

    accounts = Path(jp_home_dir) / ".qiskit/qiskit-ibm.json"
    before = read(accounts)
    code, answer = await api("default", "PUT", {"provider": "ibm", "name": "legacy"})
    assert code == 409 and "It was not made the default." in answer["message"], answer
    assert read(accounts) == before
    assert run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox)["sha"] == sha(alice["apikey"])


async def test_a_broken_settings_file_is_an_error_with_file_line_and_column(jp_serverapp, jp_home_dir, api) -> None:
    settings = Path(jp_home_dir) / ".qcs/settings.toml"
    settings.write_text('default_profile_name = "default"\n[profiles.default\napi_url = "x"\n')

    async def broken() -> dict[str, Any] | None:
        _, status = await api("status")
        shown = [e for e in status["providers"] if e["provider"] == "qcs"]
        return shown[0] if shown and shown[0]["state"] == "error" else None

    shown = await async_wait_until(broken, timeout=10, what="the broken settings.toml in the status")
    assert shown["file"] == str(settings)
    assert f"{settings}, line 2" in shown["error"] and "column" in shown["error"]
    assert "re-initialize" in shown["error"]
    _, status = await api("status")
    assert all(e["state"] != "absent" for e in status["providers"] if e["provider"] == "qcs")


@pytest.mark.parametrize(
    ("provider", "filename", "content", "kind"),
    [
        ("ibm", "qiskit-ibm.json", '{"hello": "world"}', "an IBM Quantum credentials file"),
        ("qcs", "secrets.toml", "<html>not toml</html>", "a Rigetti QCS credentials file"),
    ],
)
async def test_uploading_a_file_that_is_not_credentials_says_where_to_get_the_right_one(
    jp_serverapp, api, provider: str, filename: str, content: str, kind: str
) -> None:
    body = {"source": "file", "provider": provider, "filename": filename, "content": content}
    code, answer = await api("reinitialize", "POST", body)
    assert code == 400, answer
    assert answer["message"].startswith(f"This file ({filename}) is not {kind}")
    assert "download it again from" in answer["message"]
    assert "fix it by hand" not in answer["message"]


async def test_a_legacy_token_the_sdk_cannot_load_is_not_saved(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    if "ibm_quantum" in (runtime_channels() or {"ibm_quantum"}):
        pytest.skip("the installed qiskit-ibm-runtime still loads legacy accounts")
    carol = sandbox.add_ibm_user("carol")
    secret_scanner.add_secrets(carol["apikey"], carol["legacy_token"])
    home = Path(jp_home_dir) / ".qiskit"
    before = {name: read(home / name) for name in ("qiskit-ibm.json", "qiskitrc")}
    body = {"source": "token", "provider": "ibm", "token": carol["legacy_token"], "channel": "ibm_quantum"}
    code, status = await api("reinitialize", "POST", {**body, "name": "old", "url": sandbox.ibm_auth_url})
    assert code == 200, status
    assert status["result"]["outcome"] == "refused"
    assert "cannot load accounts of the channel 'ibm_quantum'" in status["result"]["message"]
    assert "Nothing was saved." in status["result"]["message"]
    assert {name: read(home / name) for name in before} == before


@pytest.mark.parametrize(
    ("path", "body", "code", "words"),
    [
        (
            "reinitialize",
            {"source": "token", "provider": "ibm", "token": "k" * 20, "replace": "yes"},
            400,
            "true or false",
        ),
        (
            "reinitialize",
            {"source": "token", "provider": "ibm", "token": "k" * 20, "make_default": 1},
            400,
            "true or false",
        ),
        ("remove", {"provider": "ibm"}, 400, "'name' is required"),
        ("remove", {"provider": "ocean", "name": "x"}, 400, "Unknown provider 'ocean'"),
        ("remove", {"provider": "qcs", "name": "nope"}, 404, "no Rigetti QCS credential named 'nope'"),
    ],
)
async def test_bad_requests_get_a_sentence(jp_serverapp, api, path: str, body: Any, code: int, words: str) -> None:
    got, answer = await api(path, "POST", body)
    assert got == code, answer
    assert words in answer["message"]


@pytest.mark.slow
async def test_use_of_a_supported_account_is_what_the_sdk_then_uses(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    carol = new_ibm_user(sandbox, secret_scanner)
    body = {"source": "token", "provider": "ibm", "token": carol["apikey"], "name": "carol"}
    body.update(instance=carol["instance"], url=sandbox.runtime_url)
    code, status = await api("reinitialize", "POST", body)
    assert code == 200 and status["defaults"]["ibm"] == "default-ibm-quantum-platform", status
    code, status = await api("default", "PUT", {"provider": "ibm", "name": "carol"})
    assert code == 200, status
    assert status["result"]["message"] == "IBM Quantum: 'carol' is now the default."
    assert status["defaults"]["ibm"] == "carol"
    assert run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox)["sha"] == sha(carol["apikey"])


@pytest.mark.slow
async def test_an_ibm_cloud_key_replaces_a_legacy_account(
    jp_serverapp, jp_home_dir, sandbox, api, secret_scanner
) -> None:
    """The advice of an unsupported account, followed from its card: paste an IBM Cloud API key over it."""
    if "ibm_quantum" in (runtime_channels() or {"ibm_quantum"}):
        pytest.skip("the installed qiskit-ibm-runtime still loads legacy accounts")
    carol = new_ibm_user(sandbox, secret_scanner)
    body = {"source": "token", "provider": "ibm", "token": carol["apikey"], "name": "legacy", "replace": True}
    code, status = await api(
        "reinitialize", "POST", {**body, "instance": carol["instance"], "url": sandbox.runtime_url}
    )
    assert code == 200, status
    assert status["result"]["outcome"] == "ok", status["result"]
    legacy = entry(status, "ibm", "legacy")
    assert legacy["state"] == "ok" and legacy["account"]["channel"] == "ibm_quantum_platform"
    assert (
        json.loads(read(Path(jp_home_dir) / ".qiskit/qiskit-ibm.json"))["legacy"]["channel"] == "ibm_quantum_platform"
    )
    used = run_sdk(RUNTIME_SCRIPT, jp_home_dir, sandbox, "legacy")
    assert used["sha"] == sha(carol["apikey"])
    # Its old qiskitrc section went with it: no stray legacy entry appears in its place.
    assert [e["name"] for e in status["providers"] if e["provider"] == "ibm"].count("qiskitrc") == 0
    assert "[ibmq]" not in (Path(jp_home_dir) / ".qiskit/qiskitrc").read_text()
