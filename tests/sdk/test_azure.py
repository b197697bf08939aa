"""The real azure-identity and azure-quantum use what jupyter_qcred wrote and what the server exports, against the
stand-in Entra ID and workspace (the rest of the Azure provider is in tests/sandbox/test_azure.py).

Each SDK runs in a subprocess whose environment is the user's plus exactly what
:class:`~jupyter_qcred.server.exports.ChildEnvironment` puts into the server's (what its kernels and terminals
inherit). azure-quantum reaches ARM only at ``https://management.azure.com`` unless ``Workspace(arm_endpoint=...)``
says otherwise (no variable), so the scripts pass the stand-in's ARM URL; everything else (tenant, app, token file,
authority, subscription, resource group, workspace, location) comes from the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.doctor import examine
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.azure.sandbox import STAND_IN
from jupyter_qcred.sandbox.client import Sandbox
from jupyter_qcred.server.exports import ChildEnvironment

pytestmark = pytest.mark.slow

SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from azure.identity import DefaultAzureCredential, WorkloadIdentityCredential
    from azure.quantum import Workspace
    scope = "https://quantum.microsoft.com/.default"
    workload = WorkloadIdentityCredential().get_token(scope)
    default = DefaultAzureCredential().get_token(scope)
    workspace = Workspace(arm_endpoint=sys.argv[1])  # subscription, group, name, location: from the environment
    targets = sorted(t.name for t in workspace.get_targets())
    quotas = workspace.get_quotas()
    print(json.dumps({"workload": workload.expires_on > 0, "default": default.expires_on > 0,
                      "workspace": workspace.name, "location": workspace.location, "targets": targets,
                      "quotas": len(quotas)}))
    """
)


def user_environment(home: Path, sandbox: Sandbox) -> dict[str, str]:
    """The user's environment before the server exports anything: no Azure variable, the sandbox's CA."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AZURE")}
    return {**keep, "HOME": str(home), **STAND_IN.environment(sandbox), "SSL_CERT_FILE": sandbox.ca_file or ""}


def written(home: Path, sandbox: Sandbox, **changes: Any) -> tuple[CredentialManager, dict[str, str], dict[str, Any]]:
    """A workspace written for alice, and the environment a kernel of the server gets (user's + exported)."""
    environ = user_environment(home, sandbox)
    m = CredentialManager(create_providers(Settings.from_environment(environ), ("azure",)))
    (entry,) = STAND_IN.bundle_entries(sandbox, "alice")
    entry.update(changes)
    m.materialize(parse_bundle({"version": 1, "azure": [entry]}), source="bundle")
    kernel_env = dict(environ)
    ChildEnvironment(m.providers.values(), environ, kernel_env).apply()
    return m, kernel_env, entry


def run(script: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_azure_identity_and_workspace_use_only_what_the_server_exports(tmp_path: Path, sandbox: Sandbox) -> None:
    """WorkloadIdentityCredential and DefaultAzureCredential get Entra tokens with the login token file; Workspace()
    finds the workspace through ARM and lists its targets and quotas on the data plane, all as alice's app."""
    _m, env, entry = written(tmp_path / "home", sandbox)
    answer = run(SDK_SCRIPT, env, sandbox.info["azure_arm_url"])
    assert answer == {
        "workload": True,
        "default": True,
        "workspace": "sandbox-workspace",
        "location": "eastus",
        "targets": ["ionq.simulator"],
        "quotas": 1,
    }
    calls = [(e["endpoint"], e["status"]) for e in sandbox.log() if str(e["endpoint"]).startswith("azure")]
    assert ("azure_arm", 200) in calls and ("azure_provider_status", 200) in calls and ("azure_quotas", 200) in calls
    tokens = [e for e in sandbox.log("azure_token")]
    assert tokens and all(e["status"] == 200 and e["user"] == "alice" for e in tokens)
    assert all(e["form_keys"] and "client_assertion" in e["form_keys"] for e in tokens)
    exported = {k: v for k, v in env.items() if k.startswith("AZURE")}
    assert entry["federated_token"] not in json.dumps(exported) and entry["refresh_token"] not in json.dumps(exported)


def test_after_a_renewal_a_new_credential_presents_the_renewed_token(tmp_path: Path, sandbox: Sandbox) -> None:
    """The server renews the token file (the OIDC refresh grant); a credential built afterwards reads the renewed
    file and Entra accepts it."""
    m, env, _entry = written(tmp_path / "home", sandbox)
    provider = m.providers["azure"]
    token_file = Path(env["AZURE_FEDERATED_TOKEN_FILE"])
    asked = len(sandbox.token_requests())
    renewed = provider.token_sync("default", force=True)  # type: ignore[attr-defined]
    (grant,) = sandbox.token_requests()[asked:]  # (a token issued in the same second may read the same)
    assert grant["grant_type"] == "refresh_token" and grant["status"] == 200
    assert token_file.read_text() == renewed
    answer = run(
        "import json\nfrom azure.identity import DefaultAzureCredential\n"
        "t = DefaultAzureCredential().get_token('https://quantum.microsoft.com/.default')\n"
        "print(json.dumps({'ok': t.expires_on > 0}))",
        env,
    )
    assert answer == {"ok": True}


def test_doctor_asks_azure_identity_and_finds_our_token_file(tmp_path: Path, sandbox: Sandbox) -> None:
    """The real probe in the kernel's environment: azure-identity would use workload identity with our file; in an
    environment with a client secret, it says that one wins."""
    home = tmp_path / "home"
    m, env, _entry = written(home, sandbox)
    provider = m.providers["azure"]
    probe = provider.doctor_probe()
    assert probe is not None
    entries = [dict(s.to_json(), provider="azure") for s in provider.read()]
    (ours,) = examine([probe], entries, tmp_path, env, home=home)
    assert ours.state == "ok", ours
    assert ours.where == "~/.azure/qcred/default.token" and ours.fingerprint == entries[0]["token_hint"]
    secret = {**env, "AZURE_CLIENT_SECRET": "not-ours-but-first"}
    (differs,) = examine([probe], entries, tmp_path, secret, home=home)
    assert differs.state == "differs" and "AZURE_CLIENT_SECRET" in (differs.fix or "")
    assert "not-ours-but-first" not in json.dumps(differs.to_json())


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_the_server_renews_the_token_file_before_it_expires(tmp_path: Path) -> None:
    """The manager's loop renews the login token with the OIDC refresh grant ahead of its expiry (8 s tokens: the
    policy's moment, being shorter than azure-identity's re-read); a renewed file is used by azure-identity in
    test_after_a_renewal_a_new_credential_presents_the_renewed_token."""
    import asyncio
    import time

    from jupyter_qcred.providers.shared.times import jwt_times

    with Sandbox(tls=True, state_dir=tmp_path / "sb", access_token_lifetime=8) as sandbox:
        home = tmp_path / "home"
        environ = user_environment(home, sandbox)
        settings = Settings.from_environment(environ)
        m = CredentialManager(create_providers(settings, ("azure",)), watch_interval=0.2, first_check_delay=0.0)
        (entry,) = STAND_IN.bundle_entries(sandbox, "alice")
        m.materialize(parse_bundle({"version": 1, "azure": [entry]}), source="bundle")
        token_file = home / ".azure" / "qcred" / "default.token"
        first_expiry = jwt_times(entry["federated_token"]).expires_at
        assert first_expiry is not None
        m.start()
        try:
            deadline = time.monotonic() + 30
            while token_file.read_text() == entry["federated_token"]:
                assert time.monotonic() < deadline, "the token file was never renewed"
                await asyncio.sleep(0.05)
            renewed_at = time.time()
        finally:
            await m.stop()
        assert renewed_at < first_expiry.timestamp(), "renewed before the old token expired"
        refreshes = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
        assert refreshes and all(e["status"] == 200 for e in refreshes)
