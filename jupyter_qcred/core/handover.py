"""The operations that move credentials without a person choosing them: the spawn bundle at start-up, ``jupyter
qcred init``, the hub's scheduled pulls, and the token an SDK process asks for. Methods of
:class:`~jupyter_qcred.core.service.CredentialService` (kept here so each module stays readable), so they pass the
same door as everything a person starts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .bundle import Bundle
from .errors import InputError, QCredError, RefusedError

if TYPE_CHECKING:
    from .service import CredentialService

log = logging.getLogger("jupyter_qcred.service")


def write_files(
    service: CredentialService,
    bundle: Bundle | None,
    source: str,
    *,
    reinit: bool = False,
    keep_defaults: bool = False,
    handoff: str | None = None,
    strict: bool = False,
    lay_out: bool = True,
) -> tuple[list[str], dict[str, list[str]]]:
    """Write ``bundle`` into the stores without checking it (blocking: a worker thread at start-up, the CLI), then
    let each provider lay out its credentials for SDK processes (QCS: the token hand-off, ``handoff`` "command" or
    "files"; None: the configured one). Returns the credentials written ("provider:name") and, by provider, those
    laid out anew.

    ``keep_defaults`` (start-up hand-overs, scheduled pulls): a provider that has a default keeps it, whatever the
    bundle marks; ``reinit`` (only ``init --reinit``): a store that does not parse is kept as a backup and replaced.
    ``strict`` (the CLI): a provider that cannot lay out its files raises, instead of leaving them for the status.
    ``lay_out=False``: only write (the start-up writes several sources, then lays out once).
    """
    manager = service.manager
    written = manager.materialize(bundle, source=source, reinit=reinit, keep_defaults=keep_defaults) if bundle else []
    return written, manager.adopt(handoff, strict=strict) if lay_out else {}


async def pull_from_hub(service: CredentialService) -> list[str]:
    """Fetch the user's credentials from JupyterHub (which refreshes them first) and rewrite the stores: the
    manager's pull for credentials only the hub can refresh. Never replaces a file the user edited into something
    we cannot read, never resets the default they chose (only an explicit Re-initialize does)."""
    if service.hub_pull is None:
        raise InputError("This server is not running under JupyterHub; there is no hub to pull credentials from.")
    bundle = await service.hub_pull()
    written, _ = await asyncio.to_thread(write_files, service, bundle, "hub", keep_defaults=True)
    return written


async def token(service: CredentialService, provider: str, name: str | None = None) -> str:
    """A valid access token of credential ``name`` (None: the SDK's default), renewed once for every process if it
    is due: what ``jupyter qcred token PROVIDER`` prints for SDKs that run a command for their token.

    Under JupyterHub, a credential whose refresh the provider refused may belong to the hub's login (a confidential
    client only the hub can refresh): the hub's fresh tokens are pulled once, then asked again.
    """
    store = service.manager.providers[service.provider(provider)]
    try:
        return await asyncio.to_thread(store.command_token, name)
    except RefusedError:
        if service.hub_pull is None:
            raise
        log.info("%s %s: refused; pulling fresh tokens from JupyterHub", provider, name or "(default)")
    try:
        await pull_from_hub(service)
    except QCredError as exc:
        log.warning("jupyter_qcred: could not pull credentials from JupyterHub: %s", exc)
    return await asyncio.to_thread(store.command_token, name)
