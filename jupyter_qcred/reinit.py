"""Re-initialization: replace credentials that only a new login can fix, from whatever the user has.

The hub (auth_state), the spawn bundle, a pasted token, a downloaded credentials file, or a QCS device login.
Each path writes through the providers' stores and then asks the manager to refresh, so every view sees the result.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .bundle import DEFAULT_IBM_NAMES, IBM_CHANNELS, Bundle, IbmAccountSpec, QcsProfileSpec
from .errors import QCredError

if TYPE_CHECKING:
    from .server import QCredApp


class InputError(QCredError):
    """The user's input cannot be used (answered with 400)."""


class UnavailableError(QCredError):
    """The requested source does not exist here (answered with 409)."""


async def from_source(app: QCredApp, source: str) -> dict[str, Any]:
    """Re-initialize from the hub or the spawn bundle ("auto": the hub under JupyterHub)."""
    if source == "auto":
        source = app.reinitialize_source
    if source == "auto":
        source = "hub" if app.hub.available else "bundle"
    if source == "hub":
        if not app.hub.available:
            raise UnavailableError(
                "This server is not running under JupyterHub; re-initialize with a token, a credentials file or "
                "the QCS login instead."
            )
        await app.reinitialize_from_hub()
    else:
        bundle = app.startup_bundle
        if bundle is None or bundle.empty:
            raise UnavailableError(
                "There is no spawn bundle to re-initialize from; use a token, a credentials file or the QCS login."
            )
        await _write(app, bundle, "bundle")
    return app.manager.snapshot()


async def _write(app: QCredApp, bundle: Bundle, source: str) -> None:
    await asyncio.to_thread(app.manager.materialize, bundle, source=source, reinit=True)
    for key, specs in (("ibm", bundle.ibm), ("qcs", bundle.qcs)):
        for spec in specs:
            name = spec.name if isinstance(spec, IbmAccountSpec) else spec.profile
            await app.manager.refresh(key, name, force=True)


async def from_token(app: QCredApp, provider: str, data: dict[str, Any]) -> dict[str, Any]:
    """An IBM API key/token, or a QCS refresh (and optional access) token typed or pasted by the user."""
    if provider == "ibm":
        token = (data.get("token") or "").strip()
        if not token:
            raise InputError("Paste your IBM Quantum API key (or legacy API token) into the 'token' field.")
        channel = data.get("channel") or "ibm_quantum_platform"
        if channel not in IBM_CHANNELS:
            raise InputError(f"Unknown IBM channel {channel!r}; use one of: {', '.join(IBM_CHANNELS)}.")
        hub = group = project = None
        instance = data.get("instance") or None
        if channel == "ibm_quantum" and instance:
            parts = instance.split("/")
            if len(parts) != 3 or not all(parts):
                raise InputError("For channel ibm_quantum the instance is hub/group/project.")
            hub, group, project = parts
            instance = None
        spec = IbmAccountSpec(
            name=data.get("name") or DEFAULT_IBM_NAMES[channel],
            channel=channel,
            token=token,
            instance=instance,
            hub=hub,
            group=group,
            project=project,
            default=True,
        )
        await _write(app, Bundle(ibm=(spec,)), "user")
    else:
        refresh, access = (data.get("refresh_token") or "").strip(), (data.get("access_token") or "").strip()
        if not refresh and not access:
            raise InputError("Paste your QCS refresh token (and optionally an access token).")
        profile = data.get("profile") or _default_name(app, "qcs") or "default"
        spec_qcs = QcsProfileSpec(profile=profile, refresh_token=refresh or None, access_token=access or None)
        await _write(app, Bundle(qcs=(spec_qcs,)), "user")
    return app.manager.snapshot()


def _default_name(app: QCredApp, provider: str) -> str | None:
    return app.manager.snapshot()["defaults"].get(provider)


async def from_file(app: QCredApp, provider: str, filename: str, content: str) -> dict[str, Any]:
    """A credentials file the user downloaded (QCS secrets/settings TOML, qiskit-ibm.json, qiskitrc)."""
    if not content.strip():
        raise InputError("The credentials file is empty.")
    try:
        names = await asyncio.to_thread(app.manager.providers[provider].import_file, filename, content)
    except QCredError as exc:
        raise InputError(str(exc)) from None
    app.manager.forget((provider, name) for name in names)
    for name in names:
        await app.manager.refresh(provider, name, force=False)
    return app.manager.snapshot()


async def start_device_login(app: QCredApp, profile: str | None) -> dict[str, Any]:
    """Start the QCS device login; the server polls and stores the tokens, views follow it through status."""
    from .logins import start_qcs_device_login

    return await start_qcs_device_login(app.manager, profile)
