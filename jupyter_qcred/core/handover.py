"""The operations that move credentials without a person choosing them: the spawn bundle at start-up, ``jupyter
qcred init``, the hub's scheduled pulls, and the token an SDK process asks for. Methods of
:class:`~jupyter_qcred.core.service.CredentialService` (kept here so each module stays readable), so they pass the
same door as everything a person starts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from .bundle import Bundle
from .choices import HandOvers, Kept, keep_choices
from .errors import InputError, QCredError, RefusedError, UnavailableError
from .sources import resolve_source
from .states import State

if TYPE_CHECKING:
    from .manager import CredentialManager
    from .service import CredentialService

log = logging.getLogger("jupyter_qcred.service")


def hand_overs(manager: CredentialManager) -> HandOvers | None:
    """The record of the last hand-over (:mod:`.choices`) in this environment's state folder."""
    provider = next(iter(manager.providers.values()), None)
    if provider is None:
        return None
    return HandOvers.default(provider.settings.environ, provider.settings.home)


def keeping_choices(manager: CredentialManager, bundle: Bundle) -> tuple[Bundle, Kept]:
    """``bundle`` without what would undo the person's choices (blocking: reads the files), see :mod:`.choices`.

    A provider whose files cannot be read now has no names to compare with: nothing of it counts as removed."""
    record = hand_overs(manager)
    if record is None:
        return bundle, Kept()
    manager.reload(publish=False)
    on_disk: dict[str, set[str]] = {}
    unreadable: set[str] = set()
    for status in manager.statuses():
        # A file that does not parse: a status without a credential's name (QCS), or named after the file (IBM).
        if status.state is State.ERROR and (status.name is None or (status.file and status.name == status.file.name)):
            unreadable.add(status.provider)
        elif status.name is not None and status.state is not State.ABSENT:
            on_disk.setdefault(status.provider, set()).add(status.name)
    last = {key: value for key, value in record.load().items() if key not in unreadable}
    return keep_choices(bundle, on_disk, manager.snapshot()["defaults"], last)


def materialize_keeping_choices(
    manager: CredentialManager, bundle: Bundle, source: str, *, reinit: bool = False
) -> tuple[list[str], Kept]:
    """Write a hand-over (the hub's, the spawn bundle's) keeping what the person chose, and record it for the
    next one. Returns the credentials written ("provider:name") and what was kept."""
    kept_bundle, kept = keeping_choices(manager, bundle)
    written = manager.materialize(kept_bundle, source=source, reinit=reinit, keep_defaults=False)
    record = hand_overs(manager)
    if record is not None:
        record.record(bundle)
    if kept.still_removed or kept.defaults:
        log.info("jupyter_qcred: hand-over from %s:%s", source, (" " + kept.sentence()) if kept.sentence() else "")
    return written, kept


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

    ``keep_defaults`` (start-up hand-overs, scheduled pulls): a hand-over that keeps what the person chose
    (:mod:`.choices`: what they removed stays removed unless the entry is new, the default they chose stays) and is
    recorded for the next one; ``reinit`` (only ``init --reinit``): a store that does not parse is kept as a backup
    and replaced.
    ``strict`` (the CLI): a provider that cannot lay out its files raises, instead of leaving them for the status.
    ``lay_out=False``: only write (the start-up writes several sources, then lays out once).
    """
    manager = service.manager
    written: list[str] = []
    if bundle is not None and keep_defaults:  # a hand-over: what the person chose stays (see .choices)
        written = materialize_keeping_choices(manager, bundle, source, reinit=reinit)[0]
    elif bundle is not None:
        written = manager.materialize(bundle, source=source, reinit=reinit, keep_defaults=False)
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


async def reinitialize(service: CredentialService, source: str = "auto", *, explicit: bool = True) -> dict[str, Any]:
    """Fetch the credentials again from the hub or the spawn bundle and write them, keeping what the person chose
    (:mod:`.choices`: what they removed stays removed unless the hub's entry is new, the default they chose stays),
    then check what was written. The answer's sentence says what changed and what was kept.

    Only a person's explicit Re-initialize (``explicit``) replaces files that do not parse (kept as backups); a pull
    the server makes on its own (at start) does not. The panel's Re-initialize, the widget's, ``%qcred reinit`` and
    the CLI all come here.
    """
    source = resolve_source(source, configured=service.reinitialize_source, under_hub=service.hub_pull is not None)
    if source == "hub":
        if service.hub_pull is None:
            raise UnavailableError(
                "This server is not running under JupyterHub; re-initialize with a token, a credentials file "
                "or a browser login instead."
            )
        bundle = await service.hub_pull()
    else:
        found = service.spawn_bundle()
        if found is None or found.empty:
            raise UnavailableError(
                "There is no spawn bundle to re-initialize from; use a token, a credentials file or a browser login."
            )
        bundle = found
    written, kept = await asyncio.to_thread(
        materialize_keeping_choices, service.manager, bundle, source, reinit=explicit
    )
    statuses = []
    for item in written:
        provider, name = item.split(":", 1)
        # The hub has just refreshed what it hands over: check it, but do not spend its refresh token again.
        statuses += await service.manager.refresh_statuses(provider, name, force=source != "hub")
    origin = "JupyterHub" if source == "hub" else "the spawn bundle"
    news = kept.sentence()
    message = f"Re-initialized: written afresh from {origin} and checked." + (f" {news}" if news else "")
    answer = service._answer(statuses, message)
    service._notify("reinitialized", {"source": source, **answer["result"]})
    answer["result"]["kept"] = {
        "added": [{"provider": p, "name": n} for p, n in kept.added],
        "still_removed": [{"provider": p, "name": n} for p, n in kept.still_removed],
        "defaults": dict(kept.defaults),
    }
    return answer


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
