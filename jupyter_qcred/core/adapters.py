"""What the views say about the SDK adapters: which SDK each adapts, whether it acts here, and why not.

An adapter (see :mod:`.importhook`) lives in its provider's subpackage as a module that imports no SDK at import time
and defines ``ADAPTER`` (an :class:`SdkAdapter`) and ``adapt(module)``. A provider lists its adapter modules in
``Provider.sdk_adapters``. The state shown here is decided without importing the SDK: whether the package is
installed, whether its version is one the adapter was checked against (an unknown version is left alone, and the
views say so), and the switch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from .importhook import ENV, enabled


@dataclass(frozen=True)
class SdkAdapter:
    #: The name ``JUPYTER_QCRED_SDK_ADAPTERS`` and the ``.pth`` line use ("pyquil").
    name: str
    #: What people install and import, as views name it ("pyquil 4").
    sdk: str
    #: The distribution whose version decides whether the adapter acts ("qcs-sdk-python").
    distribution: str
    #: Version prefixes the adapter was checked against ("0.20.", "0.21."); any other version is left alone.
    supported: tuple[str, ...]
    #: One sentence: what the SDK does differently with the adapter.
    does: str

    def installed_version(self) -> str | None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(self.distribution)
        except PackageNotFoundError:
            return None

    def supports(self, version: str | None) -> bool:
        return version is not None and any(version.startswith(prefix) for prefix in self.supported)

    def refusal(self, version: str | None = None) -> str | None:
        """Why the adapter must stay out of this process (None: it may act)."""
        version = version or self.installed_version()
        if not self.supports(version):
            known = ", ".join(f"{prefix}x" for prefix in self.supported)
            return (
                f"{self.distribution} {version or '(unknown)'} is not a version the adapter was checked with ({known})"
            )
        return None

    def describe(self, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The status JSON's ``adapters`` entry (docs/api.md)."""
        version = self.installed_version()
        if version is None:
            state, message = "absent", f"{self.distribution} is not installed here."
        elif not enabled(self.name, environ):
            state, message = "off", f"Switched off ({ENV}); {self.sdk} reads the files on its own."
        elif (refusal := self.refusal(version)) is not None:
            state, message = "unsupported", f"Left alone: {refusal}; {self.sdk} reads the files on its own."
        else:
            state, message = "active", self.does
        return {
            "name": self.name,
            "sdk": self.sdk,
            "distribution": self.distribution,
            "version": version,
            "state": state,
            "message": message,
        }


def adapter(module_name: str) -> SdkAdapter:
    """The ``ADAPTER`` of an adapter module (imports no SDK)."""
    found = getattr(import_module(module_name), "ADAPTER", None)
    if not isinstance(found, SdkAdapter):
        raise TypeError(f"{module_name} defines no ADAPTER (an SdkAdapter)")
    return found


def describe_all(providers: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Every adapter of ``providers`` (key -> provider), in their order, each entry naming its provider."""
    return [
        {**adapter(module).describe(environ), "provider": key}
        for key, provider in providers.items()
        for module in provider.sdk_adapters
    ]
