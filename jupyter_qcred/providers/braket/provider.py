"""Amazon Braket profiles: the OIDC token file kept fresh (once for every process), checked with STS.

botocore's ``AssumeRoleWithWebIdentityProvider`` (selected by ``role_arn`` + ``web_identity_token_file`` in the
profile) re-reads the token file each time its assumed-role credentials need renewing, which it does by itself ahead
of their expiry. So the kernels never see an AWS secret; all they need is a token file that is valid whenever
botocore looks. The server renews the token ahead of its expiry: with the login's refresh token (``refresh:
provider``, the OIDC refresh grant, under the lock of the profile's note so N processes make one request) or by
pulling the hub's freshest id_token (``refresh: hub``; the manager does the pull, this provider only reads). That
logic is Azure Quantum's too, so it lives in :mod:`..shared.idtoken`; this module adds the profile and the STS check.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...core.errors import FileFormatError, QCredError, RefusedError
from ...core.settings import Settings
from ...core.states import CredentialStatus, State, absent, fingerprint
from ..shared.idtoken import LoginTokens, Wording, login_row
from ..shared.specprovider import SpecProvider
from .spec import BraketProfileSpec, parse_entry
from .store import BraketStore, Stored

if TYPE_CHECKING:
    from ...core.secrets import Secret, TokenFormat
    from ..shared.client import Client

# The protocol modules (OIDC, the renewer, the client, STS) are imported by the first refresh, not at start-up.
PROVIDER = "braket"

log = logging.getLogger("jupyter_qcred.braket")


class BraketProvider(SpecProvider):
    """AWS profiles for the Braket SDK that assume a role with the hub login's OIDC token."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "Amazon Braket"
    noun: ClassVar[str] = "profile"
    methods: ClassVar[tuple[str, ...]] = ()
    order: ClassVar[int] = 40
    parse_entry = staticmethod(parse_entry)
    login_options: ClassVar[tuple[str, ...]] = ("role_arn", "region", "profile")

    @classmethod
    def from_auth_state(cls, auth_state: Mapping[str, Any], options: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """The profile that assumes the admin's AWS role (``options``: ``role_arn``, ``region``, ``profile``) with the
        login's OIDC id_token (what AWS STS trusts for that role), refreshed through the hub; none without a role or
        an id_token."""
        id_token = auth_state.get("id_token")
        if not options or not options.get("role_arn") or not isinstance(id_token, str) or not id_token:
            return []
        return [
            {"profile": "default", **dict(options), "web_identity_token": id_token, "refresh": "hub", "default": True}
        ]

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.store = BraketStore(settings)
        wording = Wording("profile", "Braket profile", no_id_token=" (is 'openid' granted?)")
        self.login = LoginTokens(PROVIDER, self.title, settings, self.checks, self.store, self._load, wording)

    @property
    def client(self) -> Client:
        """How this provider reaches AWS STS (built on first use)."""
        return self.login.client

    def watched_paths(self) -> list[Path]:
        paths = [self.store.config_path]
        try:
            for stored in self.store.profiles():
                paths += [stored.token_file, self.store.note_path(stored.profile)]
        except QCredError:
            pass
        return paths

    # ----- reading -------------------------------------------------------------------------------------------

    def read(self) -> list[CredentialStatus]:
        try:
            profiles, ignored = self.store.profiles(), self.store.ignored()
        except QCredError as exc:
            path = exc.path if isinstance(exc, FileFormatError) else self.store.config_path
            return [CredentialStatus(provider=PROVIDER, name=None, state=State.ERROR, error=str(exc), file=path)]
        if not profiles:
            hint = "No Amazon Braket profile: JupyterHub sets one up from your login when the admin maps a role to it."
            return [absent(PROVIDER, self.store.config_path, " ".join([hint, *ignored]))]
        default = self.settings.environ.get("AWS_PROFILE") or "default"
        statuses = [self._status(stored, stored.profile == default or len(profiles) == 1) for stored in profiles]
        # Sections that look like ours but are not: a warning on our first profile (they stop nothing from working).
        statuses[0].warnings.extend(ignored)
        return statuses

    def _status(self, stored: Stored, default: bool) -> CredentialStatus:
        via = stored.refresh_via
        account: dict[str, Any] = {
            "role_arn": stored.role_arn,
            "region": stored.region,
            "token_file": str(stored.token_file),
            "refresh_via": via,
        }
        status = self.login.status(
            stored.profile, stored, file=self.store.config_path, default=default, account=account
        )
        assumed = status.account.get("assumed_role")
        status.account["summary"] = f"{assumed or stored.role_arn} ({stored.region})"
        status.account["fields"] = [
            ["Role", stored.role_arn or "missing"],
            ["Assumed as", assumed or "not checked yet"],
            ["Region", stored.region or "botocore's default"],
            login_row(via, "AWS keys never stored"),
        ]
        return status

    # ----- refreshing ----------------------------------------------------------------------------------------

    def _load(self, profile: str) -> Stored:
        stored = self.store.load(profile)
        if stored.role_arn is None:
            raise QCredError(f"There is no Amazon Braket profile named {profile!r}.")
        return stored

    def token_sync(self, profile: str, *, force: bool = False) -> str:
        """A valid login token for ``profile``, renewed once for every process (the CLI, a kernel on its own)."""
        return self.login.token_sync(profile, force=force)

    async def token(self, profile: str, *, force: bool = False) -> str:
        """The async twin of :meth:`token_sync` (same flow, same lock)."""
        return await self.login.token(profile, force=force)

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Renew the login token if due (hub profiles: the manager pulled it already), then assume the role once
        with STS to show the identity the kernels get."""
        token = await self.token(name, force=force)
        stored = self.store.load(name)
        if token and stored.role_arn:
            from .sts import assume_role_flow, sts_endpoint

            endpoint = sts_endpoint(self.settings.environ, stored.region)
            try:
                account = await self.client.arun(assume_role_flow(endpoint, stored.role_arn, token, name))
            except RefusedError as exc:
                self.checks.refuse(name, token, str(exc))
                raise
            self.checks.accepted(name, {**account, "fingerprint": fingerprint(token)})
        return next(s for s in self.read() if s.name == name)

    # ----- writing -------------------------------------------------------------------------------------------

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        names = []
        for spec in specs:
            assert isinstance(spec, BraketProfileSpec)
            self.store.write_profile(spec, reinit=reinit)
            self.checks.forget(spec.profile)
            names.append(spec.profile)
            log.info("Braket profile %s: written from %s", spec.profile, source)
        return names

    def can_be_default(self, name: str) -> str | None:
        return (
            "AWS SDKs choose their profile by AWS_PROFILE or boto3.Session(profile_name=...); use "
            f"AwsSession(boto3.Session(profile_name={name!r})) in the notebook."
        )

    def set_default(self, name: str, instance: str | None = None) -> None:
        raise QCredError(self.can_be_default(name) or "")

    def remove(self, name: str) -> list[Path]:
        """The profile's section of the AWS config (other sections and comments kept) and its token files."""
        return self.store.remove_profile(name)

    def upload_specs(self, filename: str, content: str) -> list[Any]:
        raise QCredError(
            "Amazon Braket credentials come from your JupyterHub login (no AWS keys are stored); re-initialize from "
            "JupyterHub instead of uploading a file."
        )

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)
