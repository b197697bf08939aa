"""IQM Resonance: the one token iqm-client 36 reads, written where it reads it and kept fresh once for every process.

What iqm-client 36.0.0 reads (``iqm.station_control.client.authentication.TokenManager``, run by
``IQMServerClient``): ``IQM_TOKEN`` (a token sent as it is, "not necessarily a JWT") or ``IQM_TOKENS_FILE`` (a JSON
file whose ``access_token`` must be a JWT not yet expired, read again whenever the token held has 60 s or less left);
both set at once is a ``ClientConfigurationError``. It never renews a token itself: IQM's Cortex CLI token manager
did that, rewriting the file. It talks to ``IQM_SERVER_URL`` (a base URL without a path; Resonance is
``https://resonance.iqm.tech``) and ``IQM_QUANTUM_COMPUTER``, sending ``Authorization: Bearer TOKEN``; its first
request, ``GET /api/v1/quantum-computers``, is our check.

So (:mod:`.store`): the credential lives in one 0600 tokens file in the Cortex CLI's layout; the Jupyter server
exports ``IQM_TOKENS_FILE`` pointing at it when it holds a JWT (a login's access token, renewed here with its refresh
token ahead of expiry under the file's lock, once for every process: kernels pick the new token up by themselves),
and ``IQM_TOKEN`` for a Resonance API token that is not a JWT (which the tokens file cannot carry); never both, and
nothing over a variable the user set. ``IQM_SERVER_URL``/``IQM_QUANTUM_COMPUTER`` follow the file when it names them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...core import files
from ...core.errors import FieldError, FileFormatError, QCredError, RefusedError
from ...core.states import CredentialStatus, State, absent, fingerprint, utcnow
from ...core.validation import line_problem, url_problem
from ..shared import editing
from ..shared.checks import status_from_checks
from ..shared.specprovider import SpecProvider
from ..shared.times import jwt_times
from .protocol import DEFAULT_URL, PROVIDER
from .renewal import LoginRenewal
from .spec import TOKEN_NAME, IqmTokenSpec, parse_entry
from .store import TokensDocument, TokensStore
from .uploads import digest

if TYPE_CHECKING:
    from ...core.flows import Flow
    from ...core.secrets import Secret, TokenFormat
    from ..shared.renewer import Renewer

log = logging.getLogger("jupyter_qcred.iqm")

AUTH_VARIABLES = ("IQM_TOKEN", "IQM_TOKENS_FILE")


def is_jwt(token: str | None) -> bool:
    """Whether iqm-client's tokens file reader would take ``token``: a JWT with an ``exp``."""
    return jwt_times(token).expires_at is not None


class IqmProvider(SpecProvider):
    """The IQM token iqm-client reads (see the module docstring)."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "IQM Resonance"
    noun: ClassVar[str] = "token"
    methods: ClassVar[tuple[str, ...]] = ("token", "upload")
    download_hint: ClassVar[str] = (
        "upload the tokens file of IQM's Cortex CLI (iqmcortex auth login; the file IQM_TOKENS_FILE names)"
    )
    order: ClassVar[int] = 70
    sandbox: ClassVar[str | None] = "jupyter_qcred.providers.iqm.sandbox:STAND_IN"
    parse_entry = staticmethod(parse_entry)

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.store = TokensStore(settings)
        #: The last upload checked (a digest of its text, the checked entries), for :meth:`import_file`.
        self._checked_upload: tuple[str, list[Any]] | None = None

    @cached_property
    def renewer(self) -> Renewer:
        from ..shared.renewer import Renewer

        return Renewer(self.settings, self.client)

    @property
    def path(self) -> Path:
        return self.store.path

    def watched_paths(self) -> list[Path]:
        return [self.store.path]

    def server_url(self, document: TokensDocument | None = None) -> str:
        """Where iqm-client goes: ``IQM_SERVER_URL`` set on purpose, else the file's, else Resonance (a file that
        does not parse names no server: a paste then re-initializes it)."""
        if document is None:
            try:
                document = self.store.read()
            except QCredError:
                document = TokensDocument({}, str(self.path))
        return self.settings.environ.get("IQM_SERVER_URL") or document.get("server_url") or DEFAULT_URL

    def _checked_url(self, document: TokensDocument | None = None) -> str:
        url = self.server_url(document)
        problem = url_problem(url)
        if problem:
            raise QCredError(f"IQM: the server URL (IQM_SERVER_URL or server_url in {self.path}) {problem}; fix it.")
        return url

    # ----- reading -------------------------------------------------------------------------------------------

    def read(self) -> list[CredentialStatus]:
        try:
            document = self.store.read()
        except QCredError as exc:
            path = exc.path if isinstance(exc, FileFormatError) else self.path
            return [CredentialStatus(provider=PROVIDER, name=None, state=State.ERROR, error=str(exc), file=path)]
        sent = document.sent_token
        if sent is None and not document.renewable:
            hint = "No IQM token: paste a Resonance API token (dashboard: Generate token) or upload a tokens file."
            return [absent(PROVIDER, self.path, hint)]
        identity = document.get("refresh_token") if document.renewable else sent
        times = jwt_times(document.get("access_token") if document.renewable else sent)
        due = self.settings.policy.due_at(times.issued_at, times.expires_at) if times.expires_at else None
        url = self.server_url(document)
        status = status_from_checks(
            PROVIDER,
            TOKEN_NAME,
            identity,
            self.checks,
            file=self.path,
            expires_at=times.expires_at,
            next_refresh_at=(due or utcnow()) if document.renewable else None,
            account={"url": url, "quantum_computer": document.get("quantum_computer")},
        )
        if document.renewable and (status.state is State.EXPIRED or sent is None):
            status.state = State.EXPIRING  # the refresh token still works: renewing is routine
        elif document.renewable and status.state is State.OK and due is not None and due <= utcnow():
            status.state = State.EXPIRING
        account = status.account
        seen = account.get("quantum_computers")
        computers = ", ".join(seen) if isinstance(seen, list) else "not checked yet"
        kind = "login (renewed here with its refresh token)" if document.renewable else "API token"
        account["summary"] = f"{kind} at {url}; quantum computers: {computers}"
        expiry = (
            f"{times.expires_at:%Y-%m-%d %H:%M} UTC" + (", renewed ahead of that" if document.renewable else "")
            if times.expires_at
            else "not stated in the token (Resonance API tokens last until regenerated)"
        )
        account["fields"] = [
            ["Server", url],
            ["Quantum computers", computers],
            ["Token", kind],
            ["Expires", expiry],
        ]
        if document.get("quantum_computer"):
            account["fields"].insert(2, ["Default computer", document.get("quantum_computer")])
        return [status]

    # ----- renewing and checking -----------------------------------------------------------------------------

    def token_sync(self, *, force: bool = False, refused: str | None = None) -> str:
        """A valid access token of the login, renewed once for every process (the CLI, a kernel); ``refused``: the
        token a request was just refused with (N processes refused together renew once)."""
        seen = refused if refused is not None else self.store.read().get("access_token")
        return self.renewer.token_sync(LoginRenewal(self), seen, force=force)

    async def token(self, *, force: bool = False) -> str:
        return await self.renewer.token(LoginRenewal(self), self.store.read().get("access_token"), force=force)

    def command_token(self, name: str | None = None) -> str:
        document = self.store.read()
        if document.renewable:
            return self.token_sync()
        if document.sent_token:
            return document.sent_token
        raise QCredError("There is no IQM token; paste one first.")

    def _renew_flow(self, document: TokensDocument) -> Flow[str]:
        from .protocol import refresh_flow

        refresh = document.get("refresh_token") or ""
        auth = document.get("auth_server_url") or ""
        if url_problem(auth):
            raise QCredError(f"IQM: auth_server_url in {self.path} {url_problem(auth)}; the login was not renewed.")
        try:
            tokens = yield from refresh_flow(
                auth, document.get("realm") or "cortex", document.get("client_id") or "iqm_client", refresh
            )
        except RefusedError as exc:
            self.checks.refuse(TOKEN_NAME, refresh, str(exc))
            raise
        current = self.store.read()  # under the file's lock (the renewer's): what else it holds now is kept
        current.set("access_token", tokens["access_token"])
        current.set("refresh_token", tokens["refresh_token"])
        current.stamp(refreshed=True)
        files.atomic_write(self.path, current.text())
        self.checks.refreshed_at[TOKEN_NAME] = utcnow()
        log.info("IQM: renewed the access token in %s", self.path)
        return tokens["access_token"]

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Renew the login's access token if due (once for every process), then ask IQM which quantum computers the
        token sees (iqm-client's own first request)."""
        from .protocol import quantum_computers_flow

        if name != TOKEN_NAME:
            raise QCredError(f"There is no IQM token named {name!r}.")
        document = self.store.read()
        url = self._checked_url(document)
        if document.renewable:
            token = await self.token(force=force)
            identity = self.store.read().get("refresh_token")
        else:
            token = document.sent_token or ""
            identity = token
            if not token:
                raise QCredError("There is no IQM token to check; paste one first.")
        try:
            computers = await self.client.arun(quantum_computers_flow(url, token))
        except RefusedError as exc:
            self.checks.refuse(name, identity, str(exc))
            raise
        self.checks.accepted(name, {"quantum_computers": computers, "fingerprint": fingerprint(identity)})
        return self.read()[0]

    # ----- writing -------------------------------------------------------------------------------------------

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        """Write the credential into the tokens file, replacing the one there; every other key is kept."""
        if not specs:
            return []
        spec: IqmTokenSpec = specs[0]
        where = str(self.path)
        with editing.edit(
            self.settings,
            self.path,
            lambda text: TokensDocument.parse(text, where),
            lambda: TokensDocument({}, where),
            TokensDocument.text,
            reinit=reinit,
        ) as document:
            for key in ("access_token", "refresh_token", "api_token", "auth_server_url", "realm", "client_id"):
                document.set(key, None)
            if spec.renewable:
                document.set("access_token", spec.token)
                document.set("refresh_token", spec.refresh_token)
                document.set("auth_server_url", spec.auth_server_url)
                document.set("realm", spec.realm)
                document.set("client_id", spec.client_id)
            elif is_jwt(spec.token):
                document.set("access_token", spec.token)  # iqm-client's tokens file reader takes it as it is
            else:
                document.set("api_token", spec.token)  # only IQM_TOKEN can carry it: the server exports it
            if spec.url:
                document.set("server_url", spec.url)
            if spec.quantum_computer:
                document.set("quantum_computer", spec.quantum_computer)
            document.stamp()
        self.checks.forget(TOKEN_NAME)
        log.info("IQM: wrote the token into %s (from %s)", self.path, source)
        return [TOKEN_NAME]

    def remove(self, name: str) -> list[Path]:
        """Take every token out of the tokens file; the server URL and quantum computer stay."""
        if name != TOKEN_NAME:
            raise QCredError(f"IQM has one token ({TOKEN_NAME!r}); there is no {name!r} to remove.")
        with files.locked(self.path, self.settings.lock_timeout):
            document = self.store.read()
            if not document.sent_token and not document.renewable:
                return []
            for key in ("access_token", "refresh_token", "api_token"):
                document.set(key, None)
            files.atomic_write(self.path, document.text())
        self.checks.forget(TOKEN_NAME)
        self.checks.accounts.pop(TOKEN_NAME, None)
        log.info("IQM: removed the token from %s", self.path)
        return [self.path]

    def set_default(self, name: str, instance: str | None = None) -> None:
        if name != TOKEN_NAME:
            raise QCredError(f"IQM has one token ({TOKEN_NAME!r}); there is no {name!r} to make the default.")

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        """A Resonance API token a person pasted (and the server URL and quantum computer, if they typed them)."""
        token = str(data.get("token") or "").strip()
        if not token:
            raise QCredError("Paste your IQM Resonance API token (Resonance dashboard, Generate token) into 'token'.")
        where = "The IQM token you entered"
        problem = line_problem(token)
        if problem:
            raise FieldError(where, "token", problem)
        url = str(data.get("url") or "").strip() or None
        problem = url_problem(url) if url is not None else None
        if problem:
            raise FieldError(where, "url", problem)
        computer = str(data.get("quantum_computer") or "").strip() or None
        return [IqmTokenSpec(token=token, url=url, quantum_computer=computer)]

    def replacement(self, spec: Any, given: set[str]) -> Any:
        """A new token keeps the server URL and quantum computer of the one it replaces unless typed."""
        import dataclasses

        document = self.store.read()
        return dataclasses.replace(
            spec,
            url=spec.url if "url" in given else spec.url or document.get("server_url"),
            quantum_computer=spec.quantum_computer
            if "quantum_computer" in given
            else spec.quantum_computer or document.get("quantum_computer"),
        )

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """Before anything is written: a login is renewed once (the fresh pair is what gets written) and either
        token must list the quantum computers at its server."""
        import dataclasses

        from .protocol import quantum_computers_flow, refresh_flow

        checked = []
        for spec in specs:
            url = spec.url or self._checked_url()
            token = spec.token
            if spec.renewable:
                tokens = await self.client.arun(
                    refresh_flow(spec.auth_server_url, spec.realm, spec.client_id, spec.refresh_token)
                )
                spec = dataclasses.replace(spec, token=tokens["access_token"], refresh_token=tokens["refresh_token"])
                token = spec.token
            await self.client.arun(quantum_computers_flow(url, token or ""))
            checked.append(spec)
        return checked

    def upload_specs(self, filename: str, content: str) -> list[Any]:
        """The Cortex CLI's tokens file (``refresh_token`` + ``auth_server_url``, or an ``access_token``)."""
        from .uploads import upload_specs

        return upload_specs(filename, content)

    async def check_upload(self, filename: str, content: str) -> None:
        """Check as a paste is checked, and keep what the check gave: a login's refresh token is spent by the
        check's renewal when the server rotates refresh tokens, so the fresh pair is what :meth:`import_file` writes."""
        self._checked_upload = (digest(content), await self.check_specs(self.upload_specs(filename, content)))

    def import_file(self, filename: str, content: str, *, make_default: bool = False) -> list[str]:
        checked, self._checked_upload = self._checked_upload, None
        specs = checked[1] if checked and checked[0] == digest(content) else self.upload_specs(filename, content)
        return self.materialize(specs, source="upload")

    def environment_specs(self) -> list[Any]:
        token = self.settings.environ.get("IQM_TOKEN")
        return [IqmTokenSpec(token=token, url=self.settings.environ.get("IQM_SERVER_URL"))] if token else []

    def exported_environment(self) -> list[tuple[tuple[str, ...], str, str | None]]:
        """What the server hands its kernels and terminals: ``IQM_TOKENS_FILE`` when the file holds a JWT iqm-client's
        file reader takes (renewals then reach running kernels), else ``IQM_TOKEN`` for an API token; never both
        (iqm-client refuses both), nothing when the user set either; the server URL and computer of the file."""
        document = self.store.read()
        api = document.get("api_token")
        in_file = document.renewable or is_jwt(document.get("access_token"))
        tokens_file = str(self.path) if in_file and not api else None
        return [
            (AUTH_VARIABLES, "IQM_TOKENS_FILE", tokens_file),
            (AUTH_VARIABLES, "IQM_TOKEN", api),
            ((), "IQM_SERVER_URL", document.get("server_url")),
            ((), "IQM_QUANTUM_COMPUTER", document.get("quantum_computer")),
        ]

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)
