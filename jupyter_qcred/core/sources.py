"""Sources say where credentials come from: the spawn bundle, the SDKs' environment variables, or the hub.

Each source yields a validated :class:`~jupyter_qcred.core.bundle.Bundle`; the manager writes it into the stores.
"""

from __future__ import annotations

from .bundle import Bundle, BundleError, bundle_from_environment
from .errors import QCredError
from .settings import Settings

SOURCES = ("bundle", "env", "hub")


#: Where "Re-initialize" may take credentials from without the user handing them over.
REINITIALIZE_SOURCES = ("auto", "hub", "bundle")


def resolve_source(source: str, *, configured: str = "auto", under_hub: bool) -> str:
    """The one rule for "auto": the configured source, else the hub under JupyterHub, else the spawn bundle."""
    if source not in REINITIALIZE_SOURCES:
        raise QCredError(f"Unknown source {source!r}; use one of: {', '.join(REINITIALIZE_SOURCES)}.")
    if source == "auto":
        source = configured if configured in ("hub", "bundle") else "auto"
    if source == "auto":
        source = "hub" if under_hub else "bundle"
    return source


def under_hub(settings: Settings) -> bool:
    """Whether this process belongs to a JupyterHub single-user server (the hub's variables are set)."""
    env = settings.environ
    return bool(env.get("JUPYTERHUB_API_URL") and env.get("JUPYTERHUB_API_TOKEN") and env.get("JUPYTERHUB_USER"))


def from_bundle(settings: Settings) -> tuple[Bundle, str]:
    """The spawn bundle from ``QCRED_BUNDLE`` / ``QCRED_BUNDLE_FILE``."""
    bundle, origin = bundle_from_environment(settings.environ)
    if bundle is None or origin is None:
        raise BundleError(
            "There is no spawn bundle: neither QCRED_BUNDLE nor QCRED_BUNDLE_FILE is set. On JupyterHub, call "
            "jupyter_qcred.hub.configure(c) in jupyterhub_config.py; elsewhere use `jupyter qcred init --from env` "
            "or re-initialize from the panel."
        )
    return bundle, origin


def spawn_bundle(settings: Settings) -> Bundle | None:
    """The spawn bundle if this process still has one in its environment (a kernel does not: the server removed it)."""
    bundle, _origin = bundle_from_environment(settings.environ)
    return bundle


def from_environment(settings: Settings) -> tuple[Bundle, str]:
    """Credentials the SDKs' own environment variables define (QE_*, QISKIT_IBM_*, IONQ_API_KEY, ...)."""
    from .registry import create_providers

    providers = create_providers(settings)
    specs = {key: tuple(provider.environment_specs()) for key, provider in providers.items()}
    return Bundle(**specs), "the environment"


def from_hub(settings: Settings) -> tuple[Bundle, str]:
    """Fresh credentials pulled from JupyterHub (the user's auth_state), blocking."""
    import asyncio

    from .hubclient import HubClient

    client = HubClient.from_environment(settings.environ, timeout=settings.timeout)
    return asyncio.run(client.fetch_bundle()), "JupyterHub"


def load(source: str, settings: Settings) -> tuple[Bundle, str]:
    """A bundle from the named source ("auto": see :func:`jupyter_qcred.core.service.resolve_source`)."""
    if source == "auto":
        source = resolve_source(source, under_hub=under_hub(settings))
    loaders = {"bundle": from_bundle, "env": from_environment, "hub": from_hub}
    if source not in loaders:
        raise QCredError(f"Unknown source {source!r}; use one of: {', '.join(SOURCES)}.")
    return loaders[source](settings)
