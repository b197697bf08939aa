"""The small interface every provider implements, so a third provider is one new module plus its tests.

A provider owns its model, its files and its protocol. It is used by the manager (server), the CLI and the
notebook fallback. ``read`` never touches the network; ``refresh`` does. Failures are raised as the errors of
:mod:`jupyter_qcred.core.errors`: ``RefusedError`` (re-initialize), ``TransientProviderError`` (retry with backoff)
or ``FileFormatError`` (a file does not parse; left untouched); the manager turns them into states.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.errors import QCredError
from ..core.settings import Settings
from ..core.states import CredentialStatus

if TYPE_CHECKING:
    from ..core.bundle import Bundle


class Provider(abc.ABC):
    """One quantum cloud's credentials."""

    #: Short key used in the API, the CLI and the bundle ("ibm", "qcs").
    key: ClassVar[str]
    #: Name shown to people.
    title: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abc.abstractmethod
    def read(self) -> list[CredentialStatus]:
        """Statuses of every credential in the stores, offline and fast.

        States come from what the files say (expiry of a stored JWT) and from what the last ``refresh`` in this
        process learnt (kept in memory: account details, the last check's expiry, a refusal). An unparseable file
        gives one ``error`` status naming it; no credential at all gives one ``absent`` status. Never raises for bad
        files.
        """

    @abc.abstractmethod
    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Make credential ``name`` fresh and check it with the provider, then return its status.

        Refreshes once for every process: takes the store's lock, re-reads, and only asks for a token if it is still
        due (or ``force``). Also fetches account details for the views (user and groups, hubs/groups/projects).
        """

    @abc.abstractmethod
    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        """Write validated bundle entries into the stores, keeping every entry and comment we do not own.

        Returns the names written. If a store does not parse, raises FileFormatError, unless ``reinit``: then the
        broken file is kept as a timestamped backup and replaced.
        """

    @abc.abstractmethod
    def set_default(self, name: str, instance: str | None = None) -> None:
        """Make ``name`` the default account/profile (IBM: optionally its default hub/group/project)."""

    @abc.abstractmethod
    def import_file(self, filename: str, content: str, *, make_default: bool = False) -> list[str]:
        """Merge a credentials file the user downloaded (or pasted) into the stores; returns the names imported.
        The file's own default marks count only with ``make_default``."""

    @abc.abstractmethod
    def upload_names(self, filename: str, content: str) -> list[str]:
        """The names an upload would import, validated as the SDK reads it; writes nothing."""

    @abc.abstractmethod
    async def check_upload(self, filename: str, content: str) -> None:
        """Check an upload's credentials with the provider before they are written (RefusedError otherwise)."""

    def upload_hosts(self, filename: str, content: str) -> list[str]:
        """The hosts an upload would send tokens to that are not already in use for this provider (its official
        hosts, or hosts the stores already use), so the user confirms them before any token goes there.

        Raises a QCredError with a sentence for what an upload may never do (point an existing credential's tokens
        at another host, add a command to run, name an internal entry). Default: an upload names no host.
        """
        return []

    def upload_replaces(self, filename: str, content: str) -> list[tuple[str, str]]:
        """What an upload would change besides credentials of the names :meth:`upload_names` gives, as (noun, name)
        pairs (QCS: an auth server or profile whose content differs), so the service asks "Replace it?" first.
        Default: nothing else."""
        return []

    @abc.abstractmethod
    def names(self) -> list[str]:
        """The names of the credentials the stores hold now."""

    @abc.abstractmethod
    def remove(self, name: str) -> list[Path]:
        """Remove credential ``name`` from the stores, keeping everything else; returns the files changed."""

    @abc.abstractmethod
    def can_be_default(self, name: str) -> str | None:
        """Why ``name`` cannot be the default (a sentence saying what to do), or None."""

    @abc.abstractmethod
    def watched_paths(self) -> list[Path]:
        """Files whose changes by other processes the manager should pick up."""

    def pasted(self, data: Mapping[str, Any]) -> Bundle:
        """The bundle for what a person pasted (``{"token": ...}`` and the provider's own fields).

        IBM and QCS have their own paths in :mod:`jupyter_qcred.core.service`; a later provider only implements this.
        """
        raise QCredError(f"{self.title} cannot take a pasted token; upload its credentials file instead.")

    def environment_specs(self) -> list[Any]:
        """Credentials the SDKs' environment variables define, as bundle specs (a source; default: none)."""
        return []

    def adopt(self, mode: str | None = None) -> list[str]:
        """Lay out the credentials on disk for how SDK processes get their tokens (QCS: the token hand-off);
        returns the credentials changed. Default: nothing to do."""
        return []
