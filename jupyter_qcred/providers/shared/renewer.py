"""The one "refresh once for all processes" renewer of a token kept in a file.

SDKs refresh a token only after it expired, in every process on its own, and write back without a lock. Here whoever
finds the stored token due takes the lock of the file that holds it, re-reads it, and asks for a new token only if it
is still due; everyone else then finds the fresh token in the file. A forced renewal is not repeated either when
another process renewed the token since the caller looked.

A provider composes a :class:`Renewer` (its settings and :class:`~.client.Client`) and describes each token with a
:class:`Renewal`: where it is stored, when it is due, and the flow that renews it. The decision is written once, as a
flow (:meth:`Renewer.flow`), and driven by :meth:`Renewer.token_sync` (the CLI, a kernel on its own) or
:meth:`Renewer.token` (the server): the same logic and the same lock either way.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ...core.flows import Flow
from ...core.states import utcnow
from .times import jwt_times

if TYPE_CHECKING:
    from ...core.settings import Settings
    from .client import Client


def token_due(settings: Settings, token: str | None, now: datetime | None = None) -> bool:
    """Whether a stored JWT must be renewed now (no token, or one whose expiry cannot be read, is due)."""
    times = jwt_times(token)
    if times.expires_at is None:
        return True
    return settings.policy.is_due(times.issued_at, times.expires_at, now or utcnow())


class Renewal(Protocol):
    """One stored token a provider keeps fresh."""

    @property
    def lock(self) -> Path:
        """The file whose lock every process renewing this token takes."""
        ...

    def stored(self) -> str | None:
        """The token stored now, read again under the lock (None: there is none yet)."""
        ...

    def due(self, token: str) -> bool:
        """Whether ``token`` must be renewed now (usually :func:`token_due`)."""
        ...

    def renew(self, stored: str | None) -> Flow[str]:
        """Under the lock, the stored token being due (or the renewal forced): ask for a new one, save it, and
        return it (``RefusedError`` when the cloud refuses the credential)."""
        ...


class Renewer:
    """Renews :class:`Renewal` tokens once for every process (see the module docstring)."""

    def __init__(self, settings: Settings, client: Client) -> None:
        self.settings = settings
        self.client = client
        self.log = logging.getLogger(f"jupyter_qcred.{client.provider}")

    def flow(self, renewal: Renewal, seen: str | None, force: bool) -> Flow[str]:
        """What runs under the lock: re-read, and renew only if the token is still due (or forced, and no other
        process renewed it since the caller saw ``seen``)."""
        current = renewal.stored()
        someone_renewed = seen is not None and current != seen
        if current and not renewal.due(current) and (not force or someone_renewed):
            self.log.debug("%s: another process renewed the token already", self.client.provider)
            return current
        return (yield from renewal.renew(current))

    def token_sync(self, renewal: Renewal, seen: str | None, *, force: bool = False) -> str:
        """A valid token: ``seen`` (what the caller found stored, read without the lock) when it is not due and
        nothing is forced, else renewed under the lock once for every process (blocking)."""
        if seen and not force and not renewal.due(seen):
            return seen
        from ...core import files

        with files.locked(renewal.lock, self.settings.lock_timeout):
            return self.client.run(self.flow(renewal, seen, force))

    async def token(self, renewal: Renewal, seen: str | None, *, force: bool = False) -> str:
        """The async twin of :meth:`token_sync` (same flow, same lock; the lock is waited for in a thread)."""
        if seen and not force and not renewal.due(seen):
            return seen
        from ...core import files

        async with files.alocked(renewal.lock, self.settings.lock_timeout):
            return await self.client.arun(self.flow(renewal, seen, force))
