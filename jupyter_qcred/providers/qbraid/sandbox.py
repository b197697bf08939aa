"""qBraid's API as far as keys go, on loopback: what qbraid-core 0.6 (qbraid 0.13) calls with an API key.

- ``GET /qbraid/api/v1/users/verify``: ``{"success": true, "data": {"userId", "organizationId",
  "organizationUserId", "email", "userName"}}`` for a key sent as ``X-API-Key`` that the stand-in issued and did not
  revoke; 401 ``{"success": false, "error": ...}`` otherwise (qbraid-core: "qBraid credentials missing or expired");
- ``GET /qbraid/api/v1/billing/credits/balance?organizationId=``: ``{"success": true, "data": {"qbraidCredits",
  "awsCredits", "autoRecharge", "organizationId", "userId"}}``, what ``QbraidClient.get_credits_balance()`` parses;
- ``GET /qbraid/api/v1/devices``: one simulator (:data:`DEVICE`, the fields qbraid-core's ``RuntimeDevice``
  requires), so ``QbraidProvider().get_devices()`` runs end to end (it refuses an empty list).

Keys (``qbr_<64 hex>``, qBraid's own shape) never expire; the admin API issues and revokes them and sets a
balance: ``POST /_sandbox/qbraid/keys`` ``{"user"}``, ``/_sandbox/qbraid/revoke`` ``{"user"?}``,
``/_sandbox/qbraid/credits`` ``{"user", "credits"}``. Only digests of keys are kept.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from ...sandbox.handlers import BaseHandler, ServiceHandler
from ...sandbox.plugins import StandIn
from ...sandbox.tokens import digest

if TYPE_CHECKING:
    from ...sandbox.client import Sandbox
    from ...sandbox.config import SandboxUrls
    from ...sandbox.state import SandboxState

KEY = "qbraid"
PREFIX = "/qbraid/api/v1"
DEVICE: dict[str, Any] = {
    "name": "Sandbox Simulator",
    "qrn": "qbraid:qbraid:sim:sandbox",
    "vendor": "qbraid",
    "deviceType": "SIMULATOR",
    "runInputTypes": ["qasm2"],
    "status": "ONLINE",
    "numberQubits": 8,
    "paradigm": "gate_model",
    "directAccess": True,
}


@dataclasses.dataclass
class Account:
    """One qBraid user: their organization and its credit balance."""

    user: str
    user_id: str
    organization_id: str
    organization_user_id: str
    credits: float = 1000.0


@dataclasses.dataclass
class World:
    """The stand-in's state (``state.plugins["qbraid"]``): accounts by user, keys by digest."""

    accounts: dict[str, Account] = dataclasses.field(default_factory=dict)
    #: digest -> (user, revoked)
    keys: dict[str, list[Any]] = dataclasses.field(default_factory=dict)


def world(state: SandboxState) -> World:
    """This cloud's world in the sandbox state, made on first use."""
    plugins = getattr(state, "plugins", None)
    if plugins is None:  # a SandboxState from before plugins existed
        plugins = {}
        setattr(state, "plugins", plugins)  # noqa: B010
    found = plugins.get(KEY)
    if not isinstance(found, World):
        found = plugins[KEY] = World()
    return found


def account(state: SandboxState, user: str) -> Account:
    accounts = world(state).accounts
    if user not in accounts:
        accounts[user] = Account(user, uuid.uuid4().hex[:24], uuid.uuid4().hex[:24], uuid.uuid4().hex[:24])
    return accounts[user]


def issue_key(state: SandboxState, user: str) -> str:
    """A new key for ``user``; returns its text (the stand-in keeps only its digest)."""
    account(state, user)
    key = "qbr_" + secrets.token_hex(32)
    world(state).keys[digest(key)] = [user, False]
    return key


def revoke(state: SandboxState, user: str | None = None) -> int:
    """Revoke every key of ``user`` (every key with None); returns how many."""
    count = 0
    for entry in world(state).keys.values():
        if not entry[1] and (user is None or entry[0] == user):
            entry[1], count = True, count + 1
    return count


class QbraidHandler(ServiceHandler):
    """Checks ``X-API-Key`` as qBraid does: 401 with its ``success: false`` shape for a missing or bad key."""

    def account(self) -> Account | None:
        key = self.request.headers.get("X-API-Key", "").strip()
        entry = world(self.sandbox).keys.get(digest(key)) if key else None
        if entry is None or entry[1]:
            self.log_error = "unauthorized"
            self.write_json({"success": False, "error": "Invalid or expired API key"}, status=401)
            return None
        self.log_user = entry[0]
        return account(self.sandbox, entry[0])


class VerifyHandler(QbraidHandler):
    endpoint = "qbraid_verify"

    def get(self) -> None:
        found = self.account()
        if found is not None:
            data = {
                "userId": found.user_id,
                "organizationId": found.organization_id,
                "organizationUserId": found.organization_user_id,
                "email": f"{found.user}@example.org",
                "userName": found.user,
            }
            self.write_json({"success": True, "data": data})


class CreditsHandler(QbraidHandler):
    endpoint = "qbraid_credits"

    def get(self) -> None:
        found = self.account()
        if found is None:
            return
        if self.get_query_argument("organizationId", "") != found.organization_id:
            self.write_json({"success": False, "error": "Organization not found"}, status=404)
            return
        data = {
            "qbraidCredits": found.credits,
            "awsCredits": 0,
            "autoRecharge": "off",
            "organizationId": found.organization_id,
            "userId": found.user_id,
        }
        self.write_json({"success": True, "data": data})


class DevicesHandler(QbraidHandler):
    endpoint = "qbraid_devices"

    def get(self) -> None:
        if self.account() is not None:
            self.write_json({"success": True, "data": [DEVICE]})


class AdminHandler(BaseHandler):
    def check_xsrf_cookie(self) -> None:
        """An admin API for tests, not a cookie site."""

    def user(self) -> str | None:
        user = str(self.json_body().get("user") or "")
        if not user:
            self.write_json({"error": "user is required"}, status=400)
        return user or None


class IssueKeyHandler(AdminHandler):
    def post(self) -> None:
        user = self.user()
        if user:
            self.write_json({"user": user, "key": issue_key(self.sandbox, user)})


class RevokeHandler(AdminHandler):
    def post(self) -> None:
        user = self.json_body().get("user")
        self.write_json({"revoked": revoke(self.sandbox, str(user) if user else None)})


class CreditsAdminHandler(AdminHandler):
    def post(self) -> None:
        user = self.user()
        if user:
            account(self.sandbox, user).credits = float(self.json_body().get("credits") or 0)
            self.write_json({"user": user, "credits": account(self.sandbox, user).credits})


class QbraidStandIn(StandIn):
    """qBraid's loopback stand-in (see the module docstring)."""

    key: ClassVar[str] = KEY
    foreign_variables: ClassVar[tuple[str, ...]] = (
        "QBRAID_API_KEY",
        "QBRAID_ACCESS_TOKEN",
        "QBRAID_API_URL",
        "QBRAID_CONFIG_FILE",
    )

    def routes(self) -> list[tuple[Any, ...]]:
        return [
            (PREFIX + "/users/verify", VerifyHandler),
            (PREFIX + "/billing/credits/balance", CreditsHandler),
            (PREFIX + "/devices", DevicesHandler),
            ("/_sandbox/qbraid/keys", IssueKeyHandler),
            ("/_sandbox/qbraid/revoke", RevokeHandler),
            ("/_sandbox/qbraid/credits", CreditsAdminHandler),
        ]

    def seed(self, state: SandboxState, user: str) -> None:
        state.seed_keys.setdefault(KEY, {})[user] = issue_key(state, user)

    def info(self, urls: SandboxUrls) -> dict[str, Any]:
        return {"qbraid_url": urls.http_base + PREFIX}

    def summary(self, state: SandboxState) -> dict[str, Any]:
        return {"qbraid_keys": sum(1 for entry in world(state).keys.values() if not entry[1])}

    def bundle_entries(self, sandbox: Sandbox, user: str) -> list[dict[str, Any]]:
        """The person's seeded key (the one ``GET /_sandbox/credentials`` hands out), else a new one."""
        seeded = sandbox.admin("GET", "credentials").get(KEY) or {}
        key = seeded.get(user) or sandbox.admin("POST", "qbraid/keys", {"user": user})["key"]
        return [{"key": key, "url": sandbox.info["qbraid_url"]}]

    def environment(self, sandbox: Sandbox) -> dict[str, str]:
        """Nothing: the ``url`` we write into qbraidrc takes qbraid-core to the stand-in."""
        return {}


STAND_IN = QbraidStandIn()
