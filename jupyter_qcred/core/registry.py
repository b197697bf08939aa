"""The providers this installation has, found through the entry point group ``jupyter_qcred.providers``.

Each entry point names a :class:`~jupyter_qcred.core.provider.Provider` class; its name is the provider's key. The
built-in clouds register in jupyter_qcred's own ``pyproject.toml`` exactly as another package would
(``[project.entry-points."jupyter_qcred.providers"] mycloud = "mypackage.provider:MyCloudProvider"``), so bundle
sections, titles, sentences, event schemas, metrics and every view come from here and ``core/`` never imports a
provider. The group is scanned once per process, on first use (never by the QCS token command's fast path).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from .errors import QCredError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from .provider import Provider
    from .settings import Settings

log = logging.getLogger("jupyter_qcred.registry")

GROUP = "jupyter_qcred.providers"


@functools.cache
def _points() -> dict[str, EntryPoint]:
    """The group's entry points by name, not loaded (the first on ``sys.path`` wins, as for imports).

    What ``entry_points(group=GROUP)`` gives, at a third of its cost at server start (5 instead of 14 ms over 250
    distributions): only the distributions whose ``entry_points.txt`` names the group are parsed."""
    from importlib.metadata import distributions

    found: dict[str, EntryPoint] = {}
    seen: set[str] = set()
    for dist in distributions():
        text = dist.read_text("entry_points.txt")
        if not text or f"[{GROUP}]" not in text:
            continue
        name = str(getattr(dist, "_normalized_name", None) or dist.metadata["Name"])
        if name in seen:  # an older copy later on sys.path, as importlib.metadata skips it
            continue
        seen.add(name)
        for point in dist.entry_points.select(group=GROUP):
            found.setdefault(point.name, point)
    return found


_loaded: dict[str, type[Provider] | None] = {}


def _load(key: str) -> type[Provider] | None:
    """The class registered as ``key``, imported on first use only (``jupyter qcred token qcs`` loads QCS alone);
    one that cannot be loaded is logged once and left out: a broken plugin must not take the other clouds down."""
    if key not in _loaded:
        from .provider import Provider

        point = _points().get(key)
        cls = None
        if point is not None:
            try:
                cls = point.load()
            except Exception as exc:
                log.error("jupyter_qcred: the provider %r (%s) cannot be loaded: %s", key, point.value, exc)
            else:
                if not (isinstance(cls, type) and issubclass(cls, Provider)) or getattr(cls, "key", None) != key:
                    log.error(
                        "jupyter_qcred: the entry point %r (%s) does not name a Provider class whose key is %r; "
                        "left out",
                        key,
                        point.value,
                        key,
                    )
                    cls = None
        _loaded[key] = cls
    return _loaded[key]


def _classes() -> dict[str, type[Provider]]:
    """Every registered provider class that loads, by key, in the views' order."""
    found = {key: cls for key in _points() if (cls := _load(key)) is not None}
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def registered_names() -> tuple[str, ...]:
    """The names registered in the group, without loading any (what a command line may accept)."""
    return tuple(_points())


def reset() -> None:
    """Scan the entry points again on next use (after installing a provider into a running process: tests)."""
    _points.cache_clear()
    _loaded.clear()


def provider_keys() -> tuple[str, ...]:
    """The registered providers' keys, in the order views list them."""
    return tuple(_classes())


def provider_class(key: str) -> type[Provider]:
    """The class registered as ``key`` (a QCredError naming the known ones otherwise)."""
    cls = _load(key)
    if cls is None:
        known = ", ".join(_classes()) or "none"
        raise QCredError(f"Unknown provider {key!r}; known providers are {known}.")
    return cls


def _attribute(key: str, name: str, fallback: Any) -> Any:
    """The registered class's ``name``; ``fallback`` for a key no installed provider has (an old status entry)."""
    cls = _load(key)
    return getattr(cls, name) if cls is not None else fallback


def title(key: str) -> str:
    """The provider's name for people (the key itself for one not registered)."""
    return str(_attribute(key, "title", key))


def noun(key: str) -> str:
    """What one credential of the provider is called ("credential" for one not registered)."""
    return str(_attribute(key, "noun", "credential"))


def methods(key: str) -> tuple[str, ...]:
    """How the provider's credentials are re-initialized by hand ("token", "upload", "login")."""
    return tuple(_attribute(key, "methods", ()))


def download_hint(key: str) -> str:
    """Where a person gets the provider's credentials file again."""
    return str(_attribute(key, "download_hint", "download it again from the provider"))


def provider_info(key: str) -> dict[str, object]:
    """What views need to show a provider without knowing it (status JSON ``provider_info``)."""
    return {"title": title(key), "noun": noun(key), "methods": list(methods(key))}


def create_providers(settings: Settings, only: tuple[str, ...] | None = None) -> dict[str, Provider]:
    """One instance per enabled provider (``only``: these keys, in this order; None: every registered one)."""
    return {key: provider_class(key)(settings) for key in (provider_keys() if only is None else only)}
