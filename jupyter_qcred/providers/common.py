"""What the later providers (IonQ, Amazon Braket, Quantinuum Nexus) share, so that each holds only what is specific
to its cloud.

- :class:`SpecProvider`: uploads, check-before-write and names over bundle entries, so the service's generic rules
  (replace or 409, nothing written before the check, remove) apply to them as to IBM and QCS;
- :class:`Checks`: what this process learnt by checking a credential (account details for the views, a refusal
  remembered by the fingerprint of the refused secret, so a new secret clears it without a check);
- :func:`status_from_checks`: the status of one stored credential from the file and those checks;
- :func:`run_flow` / :func:`arun_flow`: a provider's request flows driven with the same client settings;
- :func:`token_due`, :func:`renew_sync` / :func:`renew`: the refresh-once pattern of a token kept in a file (whoever
  finds it due takes the file's lock and runs a flow that re-reads it and asks only if it is still due);
- :class:`LineFile`: a lossless ``KEY=VALUE`` file (``.env``), edited in place, other lines kept as they were.
"""

from __future__ import annotations

import dataclasses
import re
import ssl
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from ..core import flows
from ..core.errors import FieldError, QCredError
from ..core.flows import Flow
from ..core.settings import Settings
from ..core.states import CredentialStatus, State, fingerprint, isoformat, mask, utcnow
from ..core.validation import line_problem
from .base import Provider

T = TypeVar("T")


@dataclasses.dataclass
class Checks:
    """What this process learnt by checking credentials (never written to disk)."""

    #: name -> account details the views show (``checked_at`` included)
    accounts: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: name -> (fingerprint of the refused secret, the sentence)
    refused: dict[str, tuple[str | None, str]] = dataclasses.field(default_factory=dict)
    refreshed_at: dict[str, datetime] = dataclasses.field(default_factory=dict)

    def accepted(self, name: str, account: Mapping[str, Any]) -> None:
        self.refused.pop(name, None)
        self.accounts[name] = {**account, "checked_at": isoformat(utcnow())}

    def refuse(self, name: str, secret: str | None, sentence: str) -> None:
        self.accounts.pop(name, None)
        self.refused[name] = (fingerprint(secret), sentence)

    def refusal(self, name: str, secret: str | None) -> str | None:
        """The refusal of exactly this secret (a new secret is not refused until checked)."""
        found = self.refused.get(name)
        return found[1] if found and found[0] == fingerprint(secret) else None

    def account(self, name: str, secret: str | None) -> dict[str, Any]:
        """Account details learnt with this secret (forgotten when the secret changes)."""
        details = self.accounts.get(name) or {}
        return dict(details) if details.get("fingerprint") == fingerprint(secret) else {}


class SpecProvider(Provider):
    """A provider whose pasted and uploaded credentials become bundle entries (each with a ``name``).

    :class:`~jupyter_qcred.core.service.CredentialService` validates an upload with :meth:`upload_names`, asks
    :meth:`check_specs` before anything is written, and only then writes with :meth:`import_file`; a subclass
    implements :meth:`upload_specs` (what a file holds) and :meth:`check_specs` (ask the cloud) for that.
    """

    def upload_specs(self, filename: str, content: str) -> list[Any]:
        """The bundle entries a credentials file holds (FileFormatError naming the file otherwise)."""
        raise QCredError(f"{self.title} takes no credentials file; re-initialize it from JupyterHub instead.")

    def upload_names(self, filename: str, content: str) -> list[str]:
        return [spec.name for spec in self.upload_specs(filename, content)]

    async def check_upload(self, filename: str, content: str) -> None:
        await self.check_specs(self.upload_specs(filename, content))

    def import_file(self, filename: str, content: str, *, make_default: bool = False) -> list[str]:
        """Write what the file holds (these providers keep one credential, or let the SDK choose by its own
        setting, so ``make_default`` changes nothing)."""
        return self.materialize(self.upload_specs(filename, content), source="upload")

    def names(self) -> list[str]:
        return [status.name for status in self.read() if status.name and status.source != "env"]

    def can_be_default(self, name: str) -> str | None:
        return None

    def set_default(self, name: str, instance: str | None = None) -> None:
        """One credential, always the one the SDK uses: nothing to choose."""
        if name not in self.names():
            raise QCredError(f"There is no {self.title} credential named {name!r}.")


def status_from_checks(
    provider: str,
    name: str,
    secret: str | None,
    checks: Checks,
    *,
    file: Path | None,
    source: str = "file",
    default: bool = True,
    expires_at: datetime | None = None,
    next_refresh_at: datetime | None = None,
    account: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> CredentialStatus:
    """One credential's status: refused (needs_reinit), expired by its stored expiry, or ok."""
    refusal = checks.refusal(name, secret)
    details = {**(account or {}), **checks.account(name, secret)}
    details.pop("fingerprint", None)
    state = State.OK
    if refusal:
        state = State.NEEDS_REINIT
    elif expires_at is not None and expires_at <= (now or utcnow()):
        state = State.EXPIRED
    return CredentialStatus(
        provider=provider,
        name=name,
        state=state,
        expires_at=expires_at,
        error=refusal,
        default=default,
        source=source,
        token_hint=mask(secret),
        refreshed_at=checks.refreshed_at.get(name),
        next_refresh_at=next_refresh_at,
        file=file,
        account=details,
    )


def _verify(settings: Settings) -> ssl.SSLContext | bool:
    """TLS trust like the SDKs (requests, botocore): ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE`` / ``AWS_CA_BUNDLE``."""
    environ = settings.environ
    cafile = environ.get("SSL_CERT_FILE") or environ.get("REQUESTS_CA_BUNDLE") or environ.get("AWS_CA_BUNDLE")
    return ssl.create_default_context(cafile=cafile) if cafile else True


def run_flow(flow: Flow[T], settings: Settings, provider: str) -> T:
    """Drive ``flow`` with a blocking client (CLI, a kernel without a server, locked refreshes)."""
    options = {**flows.client_options(timeout=settings.timeout), "verify": _verify(settings)}
    return flows.run_sync(flow, lambda: flows.sync_client(**options), provider)


async def arun_flow(flow: Flow[T], settings: Settings, provider: str) -> T:
    """Drive ``flow`` with an async client (the server)."""
    options = {**flows.async_client_options(timeout=settings.timeout), "verify": _verify(settings)}
    return await flows.run_async(flow, lambda: flows.async_client(**options), provider)


def token_due(settings: Settings, token: str | None, now: datetime | None = None) -> bool:
    """Whether a stored JWT must be renewed now (no token, or one whose expiry cannot be read, is due)."""
    from .qcs.times import jwt_times

    times = jwt_times(token)
    if times.expires_at is None:
        return True
    return settings.policy.is_due(times.issued_at, times.expires_at, now or utcnow())


def renew_sync(settings: Settings, provider: str, lock: Path, flow: Flow[T]) -> T:
    """Run a renewal ``flow`` under the lock of ``lock`` (blocking: the CLI, a kernel on its own)."""
    from ..core import files

    with files.locked(lock, settings.lock_timeout):
        return run_flow(flow, settings, provider)


async def renew(settings: Settings, provider: str, lock: Path, flow: Flow[T]) -> T:
    """The async twin of :func:`renew_sync` (the server)."""
    from ..core import files

    async with files.alocked(lock, settings.lock_timeout):
        return await arun_flow(flow, settings, provider)


_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
#: The line ends python-dotenv knows (it reads in text mode: ``\r\n``, ``\r`` and ``\n``); ``str.splitlines``
#: would also break on ``\x0b``, ``\x85``, ``\u2028``..., which python-dotenv keeps inside a value, so a line we
#: kept "as is" could become a new assignment when we write the file back.
_NEWLINE = re.compile(r"\r\n|\r|\n")


class LineFile:
    """A ``KEY=VALUE`` file (python-dotenv's format, as far as we write it): keys we set are replaced in place,
    every other line (comments, other keys, ``export``) is kept byte for byte.

    A value we write is one line python-dotenv reads back as exactly that value: a value that could end the line or
    the quotes early (a line break, a control character, a quote, a backslash) is refused with a
    :class:`FieldError` naming ``where`` and the key, before anything is written.
    """

    def __init__(self, text: str | None, where: str = "the .env file") -> None:
        self.where = where
        self.lines = _NEWLINE.split(text or "")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()

    def get(self, key: str) -> str | None:
        """The value of ``key`` as python-dotenv reads it (the last assignment wins; quotes removed)."""
        value = None
        for line in self.lines:
            match = _LINE.match(line)
            if match and match.group(1) == key:
                value = _unquote(match.group(2))
        return value or None

    def set(self, key: str, value: str | None) -> None:
        """Set (or with None, remove) ``key``: the first assignment is replaced, later ones removed."""
        written = None if value is None else f"{key}={self._quote(key, value)}"
        kept: list[str] = []
        done = False
        for line in self.lines:
            match = _LINE.match(line)
            if match and match.group(1) == key:
                if written is not None and not done:
                    kept.append(written)
                done = True
                continue
            kept.append(line)
        if written is not None and not done:
            kept.append(written)
        self.lines = kept

    def text(self) -> str:
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def _quote(self, key: str, value: str) -> str:
        """The value as python-dotenv reads it back unchanged: bare when it is plain, else in single quotes (no
        ``${VAR}`` expansion, no escapes); what neither can hold is refused (see :func:`line_problem`)."""
        problem = line_problem(value)
        if problem:
            raise FieldError(self.where, key, problem)
        if re.fullmatch(r"[A-Za-z0-9_./:@+=-]*", value):
            return value
        return f"'{value}'"


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw.split(" #", 1)[0].strip()
