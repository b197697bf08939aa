"""In-memory world of the sandbox: users, clients, grants and keys (the tunable configuration is in ``config``).

Everything a handler needs lives in one ``SandboxState`` so the admin API can inspect and change it and tests can
reason about it.  Secrets are stored only as SHA-256 digests (see ``tokens.digest``); the plain values exist only
in the HTTP responses that hand them out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .config import SandboxConfig, SandboxUrls
from .faults import FaultSet
from .plugins import stand_ins
from .requestlog import RequestLog
from .tokens import JwtSigner, digest, opaque

QCS_CLI_CLIENT_ID = "0oasandboxqcscli0357"
"""The public client (no secret), like the QCS CLI's ``0oa3ykoirzDKpkfzk357``: refresh needs only client_id."""

JUPYTERHUB_CLIENT_ID = "jupyterhub"
"""The confidential client a JupyterHub GenericOAuthenticator logs in with."""


def iso(ts: float) -> str:
    """RFC 3339 UTC timestamp with a ``Z``, the form both providers use."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class QcsGroup:
    id: str
    name: str
    description: str
    created_time: float
    balance: int
    members: list[str] = field(default_factory=list)
    last_joined_time: float | None = None


@dataclass
class QcsUser:
    username: str
    id: str
    idp_id: str
    email: str
    first_name: str
    last_name: str
    organization: str
    created_time: float
    balance: int = 0


@dataclass
class OAuthClient:
    client_id: str
    secret: str | None = None
    """None for a public client (refresh with client_id only)."""
    service_user: str | None = None
    """For client_credentials: whose QCS identity the client's tokens carry."""


@dataclass
class RefreshGrant:
    """A refresh token's server-side record (the token itself is only known by its digest)."""

    user: str
    client_id: str
    scope: str
    issued_at: float
    expires_at: float
    revoked: str | None = None
    """Why it stopped working (``rotated``, ``revoked``), or None while usable."""


@dataclass
class DeviceGrant:
    """RFC 8628 device authorization in progress."""

    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: int
    status: str = "pending"  # pending | approved | denied | used
    user: str | None = None
    last_poll: float | None = None


@dataclass
class AuthCode:
    user: str
    client_id: str
    redirect_uri: str
    scope: str
    expires_at: float
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None


@dataclass
class IbmInstance:
    crn: str
    name: str
    plan: str
    backends: list[str]


@dataclass
class IbmUser:
    username: str
    user_id: str
    iam_id: str
    account_id: str
    email: str
    first_name: str
    last_name: str
    institution: str
    instances: list[IbmInstance] = field(default_factory=list)
    hubs: list[dict[str, Any]] = field(default_factory=list)
    """Legacy hubs: ``[{"hub", "group", "project", "default"}]``, one entry per project."""


@dataclass
class IbmSecret:
    """A platform API key (``kind="apikey"``) or a legacy API token (``kind="legacy"``)."""

    user: str
    kind: str
    revoked: bool = False


@dataclass
class LegacySession:
    """An access token from ``loginWithToken``; dies with the API token it came from."""

    user: str
    token_digest: str
    created: float
    expires_at: float


@dataclass
class SandboxState:
    """The whole fake world; one instance per sandbox process."""

    urls: SandboxUrls
    config: SandboxConfig
    signer: JwtSigner = field(default_factory=JwtSigner)
    log: RequestLog = field(default_factory=RequestLog)
    faults: FaultSet = field(default_factory=FaultSet)
    qcs_users: dict[str, QcsUser] = field(default_factory=dict)
    qcs_groups: dict[str, QcsGroup] = field(default_factory=dict)
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    refresh_grants: dict[str, RefreshGrant] = field(default_factory=dict)
    device_grants: dict[str, DeviceGrant] = field(default_factory=dict)
    auth_codes: dict[str, AuthCode] = field(default_factory=dict)
    ibm_users: dict[str, IbmUser] = field(default_factory=dict)
    ibm_secrets: dict[str, IbmSecret] = field(default_factory=dict)
    legacy_sessions: dict[str, LegacySession] = field(default_factory=dict)
    #: IonQ API keys by digest (see :mod:`.ionq_api`)
    ionq_keys: dict[str, Any] = field(default_factory=dict)
    #: Quantinuum Nexus refresh tokens and device logins (see :mod:`.nexus_api`)
    nexus: dict[str, Any] = field(default_factory=dict)
    seed_credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The later providers' seed secrets: provider ("ionq") -> user -> secret, handed out like the IBM ones
    seed_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Plain IBM secrets per user, so the admin API can hand them to a test or the demo on request."""
    started: float = field(default_factory=time.time)
    #: The world of each stand-in that lives beside its provider (:mod:`.plugins`), by provider key.
    plugins: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clients.setdefault(QCS_CLI_CLIENT_ID, OAuthClient(QCS_CLI_CLIENT_ID))
        self.clients.setdefault(JUPYTERHUB_CLIENT_ID, OAuthClient(JUPYTERHUB_CLIENT_ID, secret=""))

    # -- QCS identities -------------------------------------------------------------------------------------

    def client(self, client_id: str) -> OAuthClient | None:
        """Look a client up; the jupyterhub client's secret always follows the live config."""
        found = self.clients.get(client_id)
        if found is not None and client_id == JUPYTERHUB_CLIENT_ID:
            found.secret = self.config.jupyterhub_client_secret
        return found

    def ensure_qcs_user(self, username: str, **profile: Any) -> QcsUser:
        """Return the user, creating a plain one (no groups) on first sight, as a first Okta login would."""
        user = self.qcs_users.get(username)
        if user is None:
            n = len(self.qcs_users) + 1
            user = QcsUser(
                username=username,
                id=f"usr{n:04d}{opaque(nbytes=6).lower().replace('-', 'x').replace('_', 'y')}",
                idp_id=f"00u{n:04d}{opaque(nbytes=9).replace('-', 'x').replace('_', 'y')}",
                email=profile.get("email") or f"{username}@example.org",
                first_name=profile.get("first_name") or username.capitalize(),
                last_name=profile.get("last_name") or "Sandbox",
                organization=profile.get("organization") or "Sandbox Org",
                created_time=time.time(),
                balance=int(profile.get("balance", 0)),
            )
            self.qcs_users[username] = user
        return user

    def add_qcs_group(self, name: str, description: str, members: list[str], balance: int) -> QcsGroup:
        group = self.qcs_groups.get(name)
        if group is None:
            group = QcsGroup(
                id=f"grp{len(self.qcs_groups) + 1:04d}",
                name=name,
                description=description,
                created_time=time.time(),
                balance=balance,
            )
            self.qcs_groups[name] = group
        for member in members:
            if member not in group.members:
                group.members.append(member)
                group.last_joined_time = time.time()
        return group

    def user_by_uid(self, uid: str) -> QcsUser | None:
        """Find a QCS user by idp id, QCS id or username (the API paths use different ones)."""
        for user in self.qcs_users.values():
            if uid in (user.idp_id, user.id, user.username):
                return user
        return None

    # -- IBM identities -------------------------------------------------------------------------------------

    def add_ibm_user(
        self,
        username: str,
        *,
        instances: int = 1,
        hubs: list[dict[str, Any]] | None = None,
        apikey: str | None = None,
        legacy_token: str | None = None,
    ) -> dict[str, Any]:
        """Create (or extend) an IBM user with a new platform API key and legacy API token; return the secrets."""
        user = self.ibm_users.get(username)
        if user is None:
            n = len(self.ibm_users) + 1
            account = f"{n:04d}" + digest(username)[:28]
            user = IbmUser(
                username=username,
                user_id=f"{n:04d}" + digest("uid" + username)[:20],
                iam_id=f"IBMid-{n:04d}SBX{digest('iam' + username)[:6].upper()}",
                account_id=account,
                email=f"{username}@example.org",
                first_name=username.capitalize(),
                last_name="Sandbox",
                institution="Sandbox University",
            )
            self.ibm_users[username] = user
        for i in range(instances):
            idx = len(user.instances) + 1
            instance_id = digest(f"{user.account_id}/{idx}")[:32]
            u = instance_id
            uuid_form = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}"
            user.instances.append(
                IbmInstance(
                    crn=f"crn:v1:bluemix:public:quantum-computing:us-east:a/{user.account_id}:{uuid_form}::",
                    name=f"{username}-instance-{idx}",
                    plan="open" if i == 0 else "premium",
                    backends=["ibm_sandbox_fez", "ibm_sandbox_torino"],
                )
            )
        if hubs is not None:
            user.hubs = hubs
        elif not user.hubs:
            user.hubs = [
                {"hub": "ibm-q", "group": "open", "project": "main", "default": True},
                {"hub": f"{username}-hub", "group": "research", "project": "qcred", "default": False},
            ]
        apikey = apikey or opaque("sbxkey_", 30)
        legacy_token = legacy_token or opaque("sbxlegacy_", 48)
        self.ibm_secrets[digest(apikey)] = IbmSecret(username, "apikey")
        self.ibm_secrets[digest(legacy_token)] = IbmSecret(username, "legacy")
        out = {
            "user": username,
            "apikey": apikey,
            "legacy_token": legacy_token,
            "instances": [i.crn for i in user.instances],
            "hubs": user.hubs,
        }
        self.seed_credentials[username] = {
            "apikey": apikey,
            "legacy_token": legacy_token,
            "instance": user.instances[0].crn if user.instances else "",
        }
        return out

    def ibm_secret(self, value: str, kind: str) -> IbmSecret | None:
        """The record of a usable (not revoked) secret of the given kind."""
        found = self.ibm_secrets.get(digest(value))
        if found is None or found.revoked or found.kind != kind:
            return None
        return found

    def summary(self) -> dict[str, Any]:
        """Counts for debugging; never a secret."""
        now = time.time()
        return {
            "uptime": round(now - self.started, 3),
            "urls": {"http": self.urls.http_base, "https": self.urls.https_base},
            "config": self.config.public(),
            "qcs_users": sorted(self.qcs_users),
            "qcs_groups": sorted(self.qcs_groups),
            "clients": sorted(self.clients),
            "refresh_tokens": {
                "usable": sum(1 for g in self.refresh_grants.values() if not g.revoked and g.expires_at > now),
                "rotated": sum(1 for g in self.refresh_grants.values() if g.revoked == "rotated"),
                "revoked": sum(1 for g in self.refresh_grants.values() if g.revoked == "revoked"),
                "expired": sum(1 for g in self.refresh_grants.values() if not g.revoked and g.expires_at <= now),
            },
            "device_grants": {
                s: sum(1 for d in self.device_grants.values() if d.status == s)
                for s in ("pending", "approved", "denied", "used")
            },
            "ibm_users": sorted(self.ibm_users),
            "ibm_secrets": {
                "active": sum(1 for s in self.ibm_secrets.values() if not s.revoked),
                "revoked": sum(1 for s in self.ibm_secrets.values() if s.revoked),
            },
            "legacy_sessions": len(self.legacy_sessions),
            **{stand_in.key: stand_in.summary(self) for stand_in in stand_ins()},
            "faults": self.faults.describe(),
            "log_entries": len(self.log),
        }
