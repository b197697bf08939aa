"""The sandbox's tunable configuration (lifetimes, rotation, pacing, the jupyterhub client, scenarios) and where each
fake service lives: what the admin API's ``config`` changes and what the ready line reports."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

DAY = 86400


class ConfigError(ValueError):
    """An admin ``config`` request named an unknown key or gave a value of the wrong type."""


@dataclass
class SandboxConfig:
    """Knobs tests turn to provoke expiry, rotation and pacing without waiting in real time."""

    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 90 * DAY
    rotate_refresh_tokens: bool = True
    iam_token_lifetime: int = 3600
    ibm_access_token_ttl: int = 14 * DAY
    device_code_lifetime: int = 600
    device_interval: int = 5
    device_verification_uri: str = ""
    """A hostile identity provider: answer device logins with this ``verification_uri`` (empty: the real page)."""
    device_user_code: str = ""
    """A hostile identity provider: answer device logins with this ``user_code`` (empty: a fresh real one)."""
    auth_code_lifetime: int = 300
    sts_session_lifetime: int = 3600
    """Lifetime of the AWS credentials the STS front hands out when the caller asks for none (AWS: 3600 s)."""
    jupyterhub_client_secret: str = "sandbox-jupyterhub-secret"
    jupyterhub_redirect_uris: list[str] = field(default_factory=list)
    """Allowed redirect URIs of the ``jupyterhub`` client; empty accepts any http(s) URI (demo convenience)."""
    scenarios: list[str] = field(default_factory=list)
    """The scenarios that are on (:mod:`.scenarios`; ``/_sandbox/scenarios`` and ``config`` check the names)."""

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, checking names and types so a typo in a test fails loudly."""
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ConfigError(f"unknown config key {name!r}; known: {sorted(known)}")
            current = getattr(self, name)
            if isinstance(current, bool):
                ok = isinstance(value, bool)
            elif isinstance(current, int):
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif isinstance(current, list):
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            else:
                ok = isinstance(value, str)
            if not ok:
                raise ConfigError(f"config key {name!r} needs a {type(current).__name__}, got {value!r}")
        if "scenarios" in changes:
            from .scenarios import ScenarioError, checked

            try:
                changes = {**changes, "scenarios": checked(changes["scenarios"])}
            except ScenarioError as exc:
                raise ConfigError(str(exc)) from None
        for name, value in changes.items():
            setattr(self, name, value)

    def public(self) -> dict[str, Any]:
        """The configuration without the client secret."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["jupyterhub_client_secret"] = "…set" if self.jupyterhub_client_secret else ""
        return out


@dataclass
class SandboxUrls:
    """Where each fake service lives.

    QCS services use https when TLS is on (the real client insists); pages for a person's browser stay on plain
    http, which browsers trust on loopback (the private CA is only handed to the SDKs).
    """

    http_base: str
    https_base: str | None

    @property
    def qcs_base(self) -> str:
        return self.https_base or self.http_base

    @property
    def qcs_issuer(self) -> str:
        return self.qcs_base + "/oauth2/sandbox"

    @property
    def qcs_api_url(self) -> str:
        return self.qcs_base + "/qcs"

    @property
    def activate_url(self) -> str:
        """The device-activation page a person opens: plain http on loopback, whatever the QCS services use.

        Browsers treat ``http://127.0.0.1`` as a secure context, while the sandbox's private CA (which only the
        SDKs are handed, through ``SSL_CERT_FILE``) would show them a certificate warning.  The token endpoint the
        device polls stays on https.
        """
        return self.http_base + "/activate"

    @property
    def ibm_auth_url(self) -> str:
        return self.http_base + "/ibm/api"

    @property
    def ibm_api_http(self) -> str:
        return self.http_base + "/ibm/runtime-api"

    @property
    def iam_url(self) -> str:
        return self.http_base

    @property
    def runtime_url(self) -> str:
        return self.http_base + "/experimental"

    @property
    def qcs_grpc_url(self) -> str:
        """The gRPC URL of the demo's QCS profile: nothing answers there, but a profile naming it never reaches
        Rigetti's real service (a pasted profile takes the default profile's deployment, this URL included)."""
        return self.qcs_base + "/qcs-grpc"
