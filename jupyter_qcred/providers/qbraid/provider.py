"""qBraid API keys in ``~/.qbraid/qbraidrc`` (work in progress: see issue 25)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ...core.states import CredentialStatus, absent
from ...core.validation import Fields
from ..shared.specprovider import SpecProvider

PROVIDER = "qbraid"


class QbraidProvider(SpecProvider):
    """The qBraid API key qbraid-core reads (placeholder while it is built)."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "qBraid"
    noun: ClassVar[str] = "key"
    order: ClassVar[int] = 80

    @classmethod
    def parse_entry(cls, fields: Fields) -> Any:
        fields.unknown({"key", "url", "default"})
        return None

    def read(self) -> list[CredentialStatus]:
        return [absent(PROVIDER, self.settings.home / ".qbraid" / "qbraidrc", "No qBraid API key.")]

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        return self.read()[0]

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        return []

    def remove(self, name: str) -> list[Any]:
        return []
