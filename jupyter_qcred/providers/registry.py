"""The names this module had before providers registered through entry points (:mod:`jupyter_qcred.core.registry`),
each computed from the registered providers, so code written against them keeps working."""

from __future__ import annotations

from typing import Any

from ..core.registry import provider_info, provider_keys, title

__all__ = ["provider_info", "title"]


def __getattr__(name: str) -> Any:
    from ..core import registry

    tables = {
        "PROVIDER_KEYS": provider_keys,
        "PROVIDER_TITLES": lambda: {key: registry.title(key) for key in provider_keys()},
        "PROVIDER_NOUNS": lambda: {key: registry.noun(key) for key in provider_keys()},
        "PROVIDER_METHODS": lambda: {key: registry.methods(key) for key in provider_keys()},
        "DOWNLOAD_HINTS": lambda: {key: registry.download_hint(key) for key in provider_keys()},
    }
    if name in tables:
        return tables[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
