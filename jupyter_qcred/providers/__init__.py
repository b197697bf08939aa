"""The built-in providers, one subpackage per quantum cloud, each registered through the entry point group
``jupyter_qcred.providers`` (see :mod:`jupyter_qcred.core.registry`) exactly as another package's would be.

This package stays empty at import: the QCS token command's fast path imports it in every SDK process.
"""

from __future__ import annotations

# Not typing's TYPE_CHECKING: the QCS token command's fast path imports this package in every SDK process.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

    from ..core.provider import Provider
    from ..core.settings import Settings

__all__ = ["PROVIDER_KEYS", "PROVIDER_TITLES", "create_providers", "title"]


def create_providers(settings: Settings, keys: tuple[str, ...] | None = None) -> dict[str, Provider]:
    """One instance per enabled provider (:func:`jupyter_qcred.core.registry.create_providers`)."""
    from ..core.registry import create_providers as create

    return create(settings, keys)


def title(key: str) -> str:
    """The provider's name for people (:func:`jupyter_qcred.core.registry.title`)."""
    from ..core.registry import title as name

    return name(key)


def __getattr__(name: str) -> Any:
    if name in ("PROVIDER_KEYS", "PROVIDER_TITLES"):
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
