"""The provider base of clouds whose pasted and uploaded credentials become bundle entries (each with a ``name``), so
the service's generic rules (replace or 409, nothing written before the check, remove) apply to them as to IBM and
QCS. A base of the interface (:class:`~jupyter_qcred.core.provider.Provider`), not of another provider."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from ...core.errors import QCredError
from ...core.provider import Provider
from ...core.remembered import Remembered
from ...core.settings import Settings
from .checks import Checks

if TYPE_CHECKING:
    from .client import Client


class SpecProvider(Provider):
    """A provider whose pasted and uploaded credentials become bundle entries (each with a ``name``).

    :class:`~jupyter_qcred.core.service.CredentialService` validates an upload with :meth:`upload_names`, asks
    :meth:`check_specs` before anything is written, and only then writes with :meth:`import_file`; a subclass
    implements :meth:`upload_specs` (what a file holds) and :meth:`check_specs` (ask the cloud) for that.

    Each has its checks' outcomes (:class:`~jupyter_qcred.providers.shared.checks.Checks`, remembered on disk so a
    refusal outlives a restart) and a :attr:`client` for its cloud, built by the first check.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.checks = Checks(provider=self.key, remembered=Remembered.default(settings.environ, settings.home))

    @cached_property
    def client(self) -> Client:
        """How this provider reaches its cloud, built by the first check (its module is not imported at start-up)."""
        from .client import Client

        return Client.from_settings(self.settings, self.key)

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
