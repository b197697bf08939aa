"""Stand-ins that live beside their provider: a cloud added as a plugin brings its own loopback fake.

A provider names its stand-in with ``Provider.sandbox = "package.module:STAND_IN"`` (an instance of a
:class:`StandIn` subclass). The sandbox process serves its routes, seeds the demo people with it and puts its URLs
in the ready line; the demo takes its bundle section, its SDK environment and the keys people can paste from it.
So adding a cloud changes no file of the sandbox or the demo, exactly as it changes no file of ``core/``.

The stand-in keeps its own world in ``state.plugins[key]`` (any object it likes) and the secrets a person would
paste in ``state.seed_keys[key][user]`` (a string, or ``{label: value}``), which the admin API's
``GET /_sandbox/credentials`` hands out with IBM's and IonQ's.
"""

from __future__ import annotations

import functools
import importlib
import logging
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .client import Sandbox
    from .config import SandboxUrls
    from .state import SandboxState

log = logging.getLogger("jupyter_qcred.sandbox")


class StandIn:
    """One cloud's loopback fake and what the demo needs of it. Every method has a harmless default."""

    #: The provider's key (the bundle section).
    key: ClassVar[str] = ""
    #: Variables of this cloud's SDK that the demo never inherits from the person's shell (it must not read or
    #: write their real credentials).
    foreign_variables: ClassVar[tuple[str, ...]] = ()

    # -- in the sandbox process -------------------------------------------------------------------------------

    def routes(self) -> list[tuple[Any, ...]]:
        """Tornado routes (``(pattern, handler[, kwargs])``); handlers derive from ``sandbox.handlers.ServiceHandler``
        (faults, the request log) and find the state as ``self.sandbox``. Admin routes go under
        ``/_sandbox/<key>/``."""
        return []

    def seed(self, state: SandboxState, user: str) -> None:
        """Give a demo person (``alice``, ``bob``) an account: secrets to paste go in ``state.seed_keys[key][user]``."""

    def info(self, urls: SandboxUrls) -> dict[str, Any]:
        """Entries of the ready line (``{"<key>_url": ...}``), read as ``Sandbox.info[...]`` by tests and the demo."""
        return {}

    def summary(self, state: SandboxState) -> dict[str, Any]:
        """Counts for ``GET /_sandbox/summary`` (never a secret)."""
        return {}

    # -- in the demo (and tests), with a running sandbox ------------------------------------------------------

    def bundle_entries(self, sandbox: Sandbox, user: str) -> list[dict[str, Any]]:
        """The demo bundle's section for ``user``: credentials that work, so the demo starts all green."""
        return []

    def environment(self, sandbox: Sandbox) -> dict[str, str]:
        """Variables that make the real SDK talk to the sandbox instead of the cloud."""
        return {}

    def hub_options(self, sandbox: Sandbox) -> dict[str, Any] | None:
        """``jupyter_qcred.hub.configure(c, <key>=...)`` in the demo hub, for a cloud the hub's login itself gives
        (as Amazon Braket's role); None for a cloud whose keys come from the institutional secret store."""
        return None


@functools.cache
def stand_ins() -> tuple[StandIn, ...]:
    """Every registered provider's stand-in, in the providers' order; one that cannot be loaded is logged and left
    out, as a provider that cannot be loaded is."""
    from ..core import registry

    found: list[StandIn] = []
    for key in registry.provider_keys():
        cls = registry.provider_class(key)
        where = getattr(cls, "sandbox", None)
        if not where:
            continue
        module, _, attribute = str(where).partition(":")
        try:
            stand_in = getattr(importlib.import_module(module), attribute or "STAND_IN")
        except Exception as exc:
            log.error("jupyter_qcred sandbox: the stand-in %s of %r cannot be loaded: %s", where, cls.key, exc)
            continue
        if isinstance(stand_in, StandIn):
            found.append(stand_in)
        else:
            log.error("jupyter_qcred sandbox: %s is not a StandIn; left out", where)
    return tuple(found)
