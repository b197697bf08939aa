"""The admin API under ``{base}/_sandbox/``: how tests and the demo steer the fake clouds.

JSON in, JSON out, loopback only, no authentication (the sandbox binds 127.0.0.1 and refuses other peers).
Admin requests are not logged and not subject to faults, so a test's setup never disturbs what it measures.
"""

from __future__ import annotations

import time
from typing import Any

from tornado import web
from tornado.ioloop import IOLoop

from .config import ConfigError
from .faults import FaultError
from .handlers import BaseHandler
from .oidc import decide_device, issue_tokens
from .scenarios import SCENARIOS, ScenarioError, checked
from .state import JUPYTERHUB_CLIENT_ID, QCS_CLI_CLIENT_ID, OAuthClient
from .tokens import digest, opaque


class AdminHandler(BaseHandler):
    def prepare(self) -> None:
        if self.request.remote_ip not in ("127.0.0.1", "::1"):
            raise web.HTTPError(403, "the sandbox admin API answers loopback clients only")

    def check_xsrf_cookie(self) -> None:
        """A JSON API for local tools."""

    def bad(self, message: str, status: int = 400) -> None:
        self.write_json({"error": message}, status=status)

    def need_str(self, body: dict[str, Any], name: str) -> str:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise web.HTTPError(400, f"'{name}' (a non-empty string) is required")
        return value


class LogHandler(AdminHandler):
    def get(self) -> None:
        since = int(self.get_argument("since", "0"))
        self.write_json({"entries": self.sandbox.log.entries(self.get_argument("endpoint", None), since)})

    def delete(self) -> None:
        self.sandbox.log.clear()
        self.write_json({"cleared": True})


class FaultsHandler(AdminHandler):
    def get(self) -> None:
        self.write_json({"faults": self.sandbox.faults.describe()})

    def post(self) -> None:
        try:
            rule = self.sandbox.faults.add(self.json_body())
        except FaultError as exc:
            self.bad(str(exc))
            return
        self.write_json(
            {
                "fault": {
                    "id": rule.id,
                    "match": rule.match,
                    "mode": rule.mode,
                    "status": rule.status,
                    "delay": rule.delay,
                    "count": rule.count,
                }
            }
        )

    def delete(self) -> None:
        self.write_json({"cleared": self.sandbox.faults.clear()})


class ConfigHandler(AdminHandler):
    def get(self) -> None:
        self.write_json({"config": self.sandbox.config.public()})

    def post(self) -> None:
        try:
            self.sandbox.config.update(self.json_body())
        except ConfigError as exc:
            self.bad(str(exc))
            return
        self.write_json({"config": self.sandbox.config.public()})


class ScenariosHandler(AdminHandler):
    """Which scenarios are on (:mod:`.scenarios`); ``POST {"name": ..., "on": true|false}`` switches one."""

    def listing(self) -> None:
        on = self.sandbox.config.scenarios
        self.write_json(
            {"scenarios": [{"name": n, "on": n in on, "description": text} for n, text in SCENARIOS.items()]}
        )

    def get(self) -> None:
        self.listing()

    def post(self) -> None:
        body = self.json_body()
        name, switch_on = self.need_str(body, "name"), body.get("on", True)
        if not isinstance(switch_on, bool):
            self.bad("'on' must be true or false")
            return
        try:
            checked([name])
        except ScenarioError as exc:
            self.bad(str(exc))
            return
        rest = [n for n in self.sandbox.config.scenarios if n != name]
        self.sandbox.config.scenarios = [*rest, name] if switch_on else rest
        self.listing()


class QcsIssueHandler(AdminHandler):
    """Tokens for a user as if they had just logged in (for seeding secrets.toml or a spawn bundle)."""

    def post(self) -> None:
        body = self.json_body()
        username = self.need_str(body, "user")
        client_id = body.get("client_id") or QCS_CLI_CLIENT_ID
        if self.sandbox.client(client_id) is None:
            self.bad(f"unknown client {client_id!r}")
            return
        user = self.sandbox.ensure_qcs_user(username)
        access_lifetime = body.get("access_token_lifetime")
        refresh_lifetime = body.get("refresh_token_lifetime")
        for name, value in (("access_token_lifetime", access_lifetime), ("refresh_token_lifetime", refresh_lifetime)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                self.bad(f"'{name}' must be an integer number of seconds")
                return
        tokens = issue_tokens(
            self.sandbox,
            user,
            client_id,
            body.get("scope") or "openid profile email offline_access",
            access_lifetime=access_lifetime,
            refresh_lifetime=refresh_lifetime,
        )
        self.write_json(tokens)


class QcsRevokeHandler(AdminHandler):
    def post(self) -> None:
        body = self.json_body()
        username = body.get("user")
        token = body.get("refresh_token")
        revoked = 0
        for key, grant in self.sandbox.refresh_grants.items():
            if grant.revoked:
                continue
            if (username and grant.user == username) or (isinstance(token, str) and key == digest(token)):
                grant.revoked = "revoked"
                revoked += 1
        self.write_json({"revoked": revoked})


class QcsDeviceApproveHandler(AdminHandler):
    def post(self) -> None:
        body = self.json_body()
        code = self.need_str(body, "user_code")
        try:
            result = decide_device(self.sandbox, code, body.get("user"), not body.get("deny", False))
        except LookupError as exc:
            self.bad(str(exc), 404)
            return
        self.write_json({"result": result})


class QcsUsersHandler(AdminHandler):
    def get(self) -> None:
        self.write_json(
            {
                "users": [
                    {
                        "user": u.username,
                        "id": u.id,
                        "idpId": u.idp_id,
                        "email": u.email,
                        "groups": [g.name for g in self.sandbox.qcs_groups.values() if u.username in g.members],
                    }
                    for u in self.sandbox.qcs_users.values()
                ]
            }
        )

    def post(self) -> None:
        body = self.json_body()
        username = self.need_str(body, "user")
        profile = {k: body[k] for k in ("email", "first_name", "last_name", "organization", "balance") if k in body}
        user = self.sandbox.ensure_qcs_user(username, **profile)
        for group in body.get("groups") or []:
            self.sandbox.add_qcs_group(str(group), f"Group {group}", [username], int(body.get("group_balance", 0)))
        self.write_json({"user": user.username, "id": user.id, "idpId": user.idp_id, "email": user.email})


class QcsClientsHandler(AdminHandler):
    """Add a confidential client for the client-credentials grant, acting as ``user``."""

    def post(self) -> None:
        body = self.json_body()
        username = self.need_str(body, "user")
        client_id = body.get("client_id") or f"sandbox-service-{username}-{opaque(nbytes=3)}"
        if client_id in (QCS_CLI_CLIENT_ID, JUPYTERHUB_CLIENT_ID):
            self.bad("that client id is reserved")
            return
        self.sandbox.ensure_qcs_user(username)
        secret = body.get("client_secret") or opaque("sbxcs_", 24)
        self.sandbox.clients[client_id] = OAuthClient(client_id, secret=secret, service_user=username)
        self.write_json({"client_id": client_id, "client_secret": secret, "user": username})


class IbmUsersHandler(AdminHandler):
    def post(self) -> None:
        body = self.json_body()
        username = self.need_str(body, "user")
        hubs = body.get("hubs")
        if hubs is not None and not (
            isinstance(hubs, list)
            and all(
                isinstance(h, dict) and all(isinstance(h.get(k), str) for k in ("hub", "group", "project"))
                for h in hubs
            )
        ):
            self.bad("'hubs' must be a list of {hub, group, project, default}")
            return
        instances = body.get("instances", 1)
        if not isinstance(instances, int) or instances < 0:
            self.bad("'instances' must be a non-negative integer")
            return
        self.write_json(
            self.sandbox.add_ibm_user(
                username,
                instances=instances,
                hubs=hubs,
                apikey=body.get("apikey"),
                legacy_token=body.get("legacy_token"),
            )
        )


class IbmRevokeHandler(AdminHandler):
    def post(self) -> None:
        key = self.need_str(self.json_body(), "key")
        secret = self.sandbox.ibm_secrets.get(digest(key))
        if secret is None:
            self.bad("no such API key or token", 404)
            return
        secret.revoked = True
        self.write_json({"revoked": True, "kind": secret.kind, "user": secret.user})


class StateHandler(AdminHandler):
    def get(self) -> None:
        self.write_json(self.sandbox.summary())


class CredentialsHandler(AdminHandler):
    """The seed secrets, handed out on explicit request only (never in logs or ``state``)."""

    def get(self) -> None:
        state = self.sandbox
        self.write_json(
            {
                "ibm": state.seed_credentials,
                "qcs_clients": {
                    c.client_id: {"client_secret": c.secret, "user": c.service_user}
                    for c in state.clients.values()
                    if c.service_user
                },
                "jupyterhub": {
                    "client_id": JUPYTERHUB_CLIENT_ID,
                    "client_secret": state.config.jupyterhub_client_secret,
                },
                "qcs_client_id": QCS_CLI_CLIENT_ID,
                "scenarios": list(state.config.scenarios),
                **state.seed_keys,
            }
        )


class ShutdownHandler(AdminHandler):
    def post(self) -> None:
        self.write_json({"stopping": True})
        IOLoop.current().call_later(0.05, self.settings["sandbox_stop"])


class HealthHandler(AdminHandler):
    def get(self) -> None:
        self.write_json({"ok": True, "time": time.time()})


def routes() -> list[tuple[str, type[BaseHandler]]]:
    p = "/_sandbox/"
    return [
        (p + "log", LogHandler),
        (p + "faults", FaultsHandler),
        (p + "config", ConfigHandler),
        (p + "scenarios", ScenariosHandler),
        (p + "qcs/issue", QcsIssueHandler),
        (p + "qcs/revoke", QcsRevokeHandler),
        (p + "qcs/device/approve", QcsDeviceApproveHandler),
        (p + "qcs/users", QcsUsersHandler),
        (p + "qcs/clients", QcsClientsHandler),
        (p + "ibm/users", IbmUsersHandler),
        (p + "ibm/revoke", IbmRevokeHandler),
        (p + "state", StateHandler),
        (p + "credentials", CredentialsHandler),
        (p + "shutdown", ShutdownHandler),
        (p + "health", HealthHandler),
    ]
