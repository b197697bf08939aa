"""The interface every provider implements: the only thing ``core/`` knows of a quantum cloud.

A provider is one class, registered through the entry point group ``jupyter_qcred.providers`` (see
:mod:`jupyter_qcred.core.registry`), the way jupyter-server-proxy registers servers. Its class attributes say how
views name it and what a person can do with it; its bundle section parser makes the spawn bundle's section; its
methods own its model, its files and its protocol. ``read`` never touches the network; ``refresh`` does. Failures
are raised as the errors of :mod:`jupyter_qcred.core.errors`: ``RefusedError`` (re-initialize),
``TransientProviderError`` (retry with backoff) or ``FileFormatError`` (a file does not parse; left untouched); the
manager turns them into states.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .errors import QCredError
from .settings import Settings
from .states import CredentialStatus

if TYPE_CHECKING:
    from .doctor import Probe
    from .logins import DeviceLogin
    from .secrets import Secret, TokenFormat
    from .validation import Fields


class Spec(Protocol):
    """One entry of a bundle section: a frozen dataclass with a name, a default mark, and a ``repr`` with no
    secret."""

    @property
    def name(self) -> str: ...

    @property
    def default(self) -> bool: ...


class Provider(abc.ABC):
    """One quantum cloud's credentials."""

    #: Short key used in the API, the CLI and the bundle ("ibm", "qcs"); also the entry point's name.
    key: ClassVar[str]
    #: Name shown to people, in every view and sentence ("IBM Quantum").
    title: ClassVar[str]
    #: What one credential is called ("account", "profile", "key", "login").
    noun: ClassVar[str] = "credential"
    #: How a person re-initializes a credential by hand: "token" (paste), "upload" (a file), "login" (device).
    methods: ClassVar[tuple[str, ...]] = ()
    #: Where a person gets a credentials file to upload again (the upload dialog's sentences).
    download_hint: ClassVar[str] = "download it again from the provider"
    #: Where views list the provider (the built-in ones 10-50; others after them, by key).
    order: ClassVar[int] = 100
    #: Modules of this provider's SDK adapters (:mod:`.adapters`: SDKs that cache a token or ignore the files).
    sdk_adapters: ClassVar[tuple[str, ...]] = ()
    #: Where this cloud's loopback stand-in is (``"package.module:STAND_IN"``, a ``jupyter_qcred.sandbox.plugins``
    #: ``StandIn``): the sandbox serves it and the demo uses it, so a cloud brings its own fake. None: no stand-in,
    #: or one built into the sandbox (the first five clouds).
    sandbox: ClassVar[str | None] = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # ----- the bundle section -------------------------------------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def parse_entry(cls, fields: Fields) -> Spec:
        """One entry of the provider's bundle section, validated field by field (``fields.index`` says which);
        every error names the field and never the value."""

    #: The options :meth:`from_auth_state` takes that the hub also hands each server (``QCRED_<KEY>_<OPTION>``).
    login_options: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_auth_state(cls, auth_state: Mapping[str, Any], options: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """Bundle entries (JSON objects, validated by the caller like a bundle's) that JupyterHub's login itself
        gives: oauthenticator's tokens in ``auth_state``, with the admin's ``options`` for this provider
        (``jupyter_qcred.hub.configure(c, qcs={...})``). Default: none."""
        return []

    # ----- reading and refreshing ---------------------------------------------------------------------------------

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
    def watched_paths(self) -> list[Path]:
        """Files whose changes by other processes the manager should pick up."""

    @abc.abstractmethod
    def names(self) -> list[str]:
        """The names of the credentials the stores hold now."""

    # ----- the leak guard (:mod:`.secrets`) ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        """Every credential value the SDK files of this provider hold now (keys, access and refresh tokens...), read
        offline with the provider's own readers, so that kernel output, saved notebooks and ``jupyter qcred scan``
        keep them out. Called whenever one of :meth:`watched_paths` changed: every file read here must be among
        them. A file that does not parse may raise (the caller keeps the values it had). Default: none."""
        return []

    def token_formats(self) -> list[TokenFormat]:
        """The public formats of this cloud's tokens that can be recognised without knowing the value (``jupyter
        qcred scan`` reports them as tokens that may be someone's). Only formats without false positives on
        ordinary text and hashes belong here. Default: none."""
        return []

    # ----- writing ------------------------------------------------------------------------------------------------

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
    def can_be_default(self, name: str) -> str | None:
        """Why ``name`` cannot be the default (a sentence saying what to do), or None."""

    @abc.abstractmethod
    def remove(self, name: str) -> list[Path]:
        """Remove credential ``name`` from the stores, keeping everything else; returns the files changed."""

    def adopt(self, mode: str | None = None) -> list[str]:
        """Lay out the credentials on disk for how SDK processes get their tokens (QCS: the token hand-off);
        returns the credentials changed. Default: nothing to do."""
        return []

    def command_token(self, name: str | None = None) -> str:
        """A valid access token of credential ``name`` (None: the SDK's default), renewed first (once for every
        process) if it is due: ``jupyter qcred token KEY`` for SDKs that run a command for their token. Default: the
        provider's SDKs read their files and need no command."""
        raise QCredError(f"{self.title} has no token command: its SDKs read their credentials from their files.")

    def doctor_probe(self) -> Probe | None:
        """How ``doctor`` asks this provider's SDK which credential it will actually use (:mod:`.doctor`): a small
        program running the SDK's own resolution, and how to compare its answer with our statuses.

        Default: ``probe(self)`` of the module ``doctor`` next to the provider's module (``providers/ionq/doctor.py``)
        when there is one, so the SDK knowledge stays in its provider's package without touching its class; None
        when there is none (the SDK reads exactly the files we write, so it cannot choose differently).
        """
        from importlib import import_module
        from importlib.util import find_spec

        package = type(self).__module__.rpartition(".")[0]
        if not package or find_spec(f"{package}.doctor") is None:
            return None
        found: Probe | None = import_module(f"{package}.doctor").probe(self)
        return found

    def environment_specs(self) -> list[Any]:
        """Credentials the SDKs' environment variables define, as bundle entries (a source; default: none)."""
        return []

    # ----- what a person pastes -----------------------------------------------------------------------------------

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        """The bundle entries for what a person pasted (``{"token": ...}`` and the provider's own fields), validated
        as a bundle's (a QCredError with a sentence otherwise). Writes nothing."""
        raise QCredError(f"{self.title} cannot take a pasted token; upload its credentials file instead.")

    def replacement(self, spec: Any, given: set[str]) -> Any:
        """``spec`` replacing the stored credential of the same name, completed with what that one holds and the
        person did not give (``given`` names the fields they typed). Default: ``spec`` as it is."""
        return spec

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """Ask the cloud about entries before anything is written: ``RefusedError`` for a refusal, a
        ``ProviderError`` when it cannot be asked. Returns the entries to write (a refresh token exchanged while
        checking is written as the fresh pair). Default: nothing to check."""
        return list(specs)

    def save(self, specs: Sequence[Any]) -> list[str]:
        """Write checked entries a person gave (replacing what they name, broken files kept as backups); returns
        the names written."""
        return self.materialize(specs, source="user", reinit=True)

    # ----- uploads ------------------------------------------------------------------------------------------------

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

    # ----- device login (providers whose ``methods`` include "login") ---------------------------------------------

    def login_profile(self, profile: str | None) -> str:
        """The credential a device login for ``profile`` (None: the default) signs in to."""
        raise QCredError(f"{self.title} has no browser login.")

    async def start_device_login(self, profile: str | None = None) -> DeviceLogin:
        """Ask the identity provider for a device code (RFC 8628) for ``profile``."""
        raise QCredError(f"{self.title} has no browser login.")

    async def poll_device_login(self, login: DeviceLogin) -> DeviceLogin:
        """Poll once; stores the tokens when the person has signed in (``login.state`` "done")."""
        raise QCredError(f"{self.title} has no browser login.")
