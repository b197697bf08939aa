"""jupyter_qcred.hub.configure(c) composes with what the admin configured (no JupyterHub process needed)."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_qcred import hub
from jupyter_qcred.core.bundle import loads_bundle

AUTH_STATE = {
    "access_token": "eyJ.access-token-of-alice-1234567890",
    "refresh_token": "refresh-token-of-alice-1234567890",
    "qcred": {"version": 1, "ibm": [{"token": "ibm-api-key-of-alice-1234567890", "instance": "crn:v1:x"}]},
}
QCS = {"issuer": "https://id.example/oauth2/x", "api_url": "https://api.example", "client_id": "hub", "refresh": "hub"}


class FakeSpawner:
    """Just what the hooks touch: environment, user, authenticator and log."""

    def __init__(self) -> None:
        self.environment: dict[str, Any] = {"ADMIN_VAR": "kept"}
        self.user = SimpleNamespace(name="alice")
        self.authenticator = SimpleNamespace(refresh_user=lambda user, handler=None: True)
        self.log = SimpleNamespace(info=lambda *a, **k: None)


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


def test_admin_hooks_and_roles_keep_working() -> None:
    c = Config()
    calls: list[str] = []
    admin_pre_spawn = lambda spawner: calls.append("pre_spawn")  # noqa: E731

    def admin_auth_state_hook(spawner: Any, auth_state: Any) -> None:
        calls.append("auth_state_hook")
        spawner.environment["FROM_ADMIN_HOOK"] = "yes"

    c.Spawner.pre_spawn_hook = admin_pre_spawn
    c.Spawner.auth_state_hook = admin_auth_state_hook
    c.JupyterHub.load_roles = [
        {"name": "auditor", "scopes": ["read:users"], "services": ["audit"]},
        {"name": "server", "scopes": ["users:activity!user", "access:servers!server", "read:users:name!user"]},
    ]
    c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server"]

    hub.configure(c, qcs=QCS, handover="environment")  # what "auto" chooses for local process spawners

    assert c.Spawner.pre_spawn_hook is admin_pre_spawn
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles["auditor"] == {"name": "auditor", "scopes": ["read:users"], "services": ["audit"]}
    assert roles["server"]["scopes"] == [
        "users:activity!user",
        "access:servers!server",
        "read:users:name!user",
        "delete:servers!server",
        "admin:auth_state!user",
    ]
    if hub._supports_extra_user_scopes():  # JupyterHub 6
        assert "admin:auth_state!user" in c.JupyterHub.extra_user_scopes
    else:  # JupyterHub 5: the user role carries the scope
        assert "admin:auth_state!user" in roles["user"]["scopes"]
    assert c.Spawner.server_token_scopes[-2:] == ["delete:servers!server", "admin:auth_state!user"]
    assert c.Authenticator.enable_auth_state is True
    assert c.Authenticator.refresh_pre_spawn is True

    spawner = FakeSpawner()
    run(c.Spawner.auth_state_hook(spawner, AUTH_STATE))
    assert calls == ["auth_state_hook"], "the admin's hook ran first, exactly once"
    assert spawner.environment["ADMIN_VAR"] == "kept"
    assert spawner.environment["FROM_ADMIN_HOOK"] == "yes"
    bundle = loads_bundle(spawner.environment["QCRED_BUNDLE"])
    assert bundle.qcs[0].refresh_token == AUTH_STATE["refresh_token"]
    assert bundle.qcs[0].refresh == "hub"
    assert bundle.ibm[0].token == AUTH_STATE["qcred"]["ibm"][0]["token"]
    assert spawner.environment["QCRED_QCS_ISSUER"] == QCS["issuer"]


def test_default_server_role_is_extended_not_replaced() -> None:
    c = Config()
    hub.configure(c)
    (server,) = [role for role in c.JupyterHub.load_roles if role["name"] == "server"]
    assert server["scopes"] == [
        "users:activity!user",
        "access:servers!server",
        "delete:servers!server",
        "admin:auth_state!user",
    ]
    assert "server_token_scopes" not in c.Spawner, "the default token scopes come from the server role"


@pytest.mark.parametrize("handover", ["file", "hub"])
def test_other_handovers_keep_secrets_out_of_the_environment(tmp_path, handover: str) -> None:
    c = Config()
    hub.configure(c, qcs=QCS, handover=handover, bundle_dir=tmp_path / "bundles")
    spawner = FakeSpawner()
    run(c.Spawner.auth_state_hook(spawner, AUTH_STATE))
    text = json.dumps(spawner.environment)
    assert AUTH_STATE["refresh_token"] not in text
    assert "QCRED_BUNDLE" not in spawner.environment
    if handover == "file":
        path = tmp_path / "bundles" / "alice.json"
        assert spawner.environment["QCRED_BUNDLE_FILE"] == str(path)
        assert (path.stat().st_mode & 0o777) == 0o600
        assert loads_bundle(path.read_text()).qcs[0].refresh_token == AUTH_STATE["refresh_token"]
    else:
        assert spawner.environment["QCRED_PULL_FROM_HUB"] == "1"


def test_post_auth_hook_composes_and_stores_the_bundle() -> None:
    c = Config()
    c.Authenticator.post_auth_hook = lambda authenticator, handler, authentication: {**authentication, "admin": 1}
    hub.configure(c, qcs=QCS)
    authenticator = SimpleNamespace(refresh_user=lambda user, handler=None: True)
    result = run(c.Authenticator.post_auth_hook(authenticator, None, {"name": "alice", "auth_state": AUTH_STATE}))
    assert result["admin"] == 1
    stored = result["auth_state"]["qcred_bundle"]
    assert stored["qcs"][0]["refresh_token"] == AUTH_STATE["refresh_token"]


def test_login_client_id_reaches_the_servers_not_the_profile() -> None:
    """issue 23: the public client for the servers' own browser logins is a server setting (QCRED_QCS_LOGIN_CLIENT_ID),
    never a field of the profile the hub's login becomes (which keeps the hub's client)."""
    c = Config()
    hub.configure(c, qcs={**QCS, "login_client_id": "public-notebook-logins"}, handover="environment")
    spawner = FakeSpawner()
    run(c.Spawner.auth_state_hook(spawner, AUTH_STATE))
    assert spawner.environment["QCRED_QCS_LOGIN_CLIENT_ID"] == "public-notebook-logins"
    (profile,) = loads_bundle(spawner.environment["QCRED_BUNDLE"]).qcs
    assert (profile.client_id, profile.refresh) == ("hub", "hub")


def test_an_admins_mapper_built_from_the_same_options_leaves_login_client_id_out() -> None:
    """An admin's own mapper that calls ``default_mapper`` with the options given to ``configure`` (as
    tests/hub/test_hub_attacks.py does) maps the login, instead of failing on a field the profile does not have."""
    mapper = hub.default_mapper({**QCS, "login_client_id": "public-notebook-logins"})
    (profile,) = mapper(AUTH_STATE).qcs
    assert profile.refresh_token == AUTH_STATE["refresh_token"]


def test_unknown_handover_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="handover must be one of"):
        hub.configure(Config(), handover="carrier-pigeon")


def test_configure_refuses_a_provider_key_no_installed_provider_has() -> None:
    """A misspelt cloud in configure(c, azurre={...}) would hand nothing over in silence: the hub must not start."""
    with pytest.raises(ValueError, match="no installed provider is called 'azurre'"):
        hub.configure(Config(), azurre={"tenant_id": "t"})
