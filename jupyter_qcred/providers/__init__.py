"""Providers: everything specific to one quantum cloud lives in one module behind :class:`base.Provider`."""

from __future__ import annotations

from .registry import PROVIDER_KEYS, PROVIDER_TITLES, title

# Not typing's TYPE_CHECKING: the QCS token command's fast path imports this package in every SDK process.
TYPE_CHECKING = False

__all__ = ["PROVIDER_KEYS", "PROVIDER_TITLES", "create_providers", "title"]

if TYPE_CHECKING:
    from ..core.settings import Settings
    from .base import Provider


def create_providers(settings: Settings, keys: tuple[str, ...] = PROVIDER_KEYS) -> dict[str, Provider]:
    """One instance per enabled provider, in the order given (imports are lazy so kernels stay light)."""
    providers: dict[str, Provider] = {}
    for key in keys:
        if key == "ibm":
            from .ibm.provider import IbmProvider

            providers[key] = IbmProvider(settings)
        elif key == "qcs":
            from .qcs.provider import QcsProvider

            providers[key] = QcsProvider(settings)
        elif key == "ionq":
            from .ionq.provider import IonqProvider

            providers[key] = IonqProvider(settings)
        elif key == "braket":
            from .braket.provider import BraketProvider

            providers[key] = BraketProvider(settings)
        elif key == "nexus":
            from .nexus.provider import NexusProvider

            providers[key] = NexusProvider(settings)
        else:
            raise ValueError(f"Unknown provider {key!r}; known providers are {', '.join(PROVIDER_KEYS)}.")
    return providers
