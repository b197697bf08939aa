"""Providers: everything specific to one quantum cloud lives in one module behind :class:`base.Provider`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..settings import Settings
    from .base import Provider

PROVIDER_KEYS = ("ibm", "qcs")
#: The names people see, in every view (panel, widget, magic, CLI, messages).
PROVIDER_TITLES = {"ibm": "IBM Quantum", "qcs": "Rigetti QCS"}


def title(key: str) -> str:
    """The provider's name for people (the key itself for one we do not know)."""
    return PROVIDER_TITLES.get(key, key)


def create_providers(settings: Settings, keys: tuple[str, ...] = PROVIDER_KEYS) -> dict[str, Provider]:
    """One instance per enabled provider, in the order given (imports are lazy so kernels stay light)."""
    providers: dict[str, Provider] = {}
    for key in keys:
        if key == "ibm":
            from .ibm import IbmProvider

            providers[key] = IbmProvider(settings)
        elif key == "qcs":
            from .qcs import QcsProvider

            providers[key] = QcsProvider(settings)
        else:
            raise ValueError(f"Unknown provider {key!r}; known providers are {', '.join(PROVIDER_KEYS)}.")
    return providers
