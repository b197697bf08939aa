"""Importing a credentials file the user uploaded: the rules every provider's upload follows, written once.

An upload is data from someone else (a colleague, a course, a tutorial): it may add credentials, but it never points
an existing credential's tokens at another host, never adds a command for an SDK to run and never touches internal
entries (the provider refuses those with :class:`~.errors.UploadRefusedError`); names that exist need ``replace``;
and hosts the user's tokens have not gone to before need ``trust_hosts``. All of it is decided before anything is
written or sent (the provider's check of the upload comes after the user's answers).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .errors import ExistsError, HostsError, InputError, ProviderError, QCredError, UploadRefusedError
from .sentences import upload_sentence
from .states import CredentialStatus

if TYPE_CHECKING:
    from .service import CredentialService


async def import_file(
    service: CredentialService,
    provider: str,
    filename: str,
    content: str,
    *,
    replace: bool = False,
    make_default: bool = False,
    trust_hosts: bool = False,
) -> dict[str, Any]:
    """A credentials file the user downloaded (QCS secrets/settings TOML, qiskit-ibm.json, qiskitrc).

    The same rules as a pasted token: names already there need ``replace``; the file's own "default" marks
    count only with ``make_default`` (or for the provider's first credential). An upload is data, never where
    tokens go: what no upload may do is refused (:class:`UploadRefusedError`), and hosts the user's tokens have
    not gone to before need ``trust_hosts`` (else :class:`HostsError`), before anything is written or sent.
    """
    provider = service.provider(provider)
    if not content.strip():
        raise InputError("The credentials file is empty: choose the file you downloaded from the provider.")
    service._takes(provider, "upload", "credentials file")
    store = service.manager.providers[provider]
    try:
        incoming = await asyncio.to_thread(store.upload_names, filename, content)
        replaces = await asyncio.to_thread(store.upload_replaces, filename, content)
        hosts = await asyncio.to_thread(store.upload_hosts, filename, content)
    except UploadRefusedError:
        raise
    except QCredError as exc:
        raise InputError(upload_sentence(provider, filename, exc)) from None
    existing = await asyncio.to_thread(store.names)
    for name in incoming:
        service._new_name(provider, name, replace, existing)
    for noun, name in replaces:
        if not replace:
            raise ExistsError(provider, name, noun)
    if hosts and not trust_hosts:
        raise HostsError(provider, filename, hosts)
    try:
        await store.check_upload(filename, content)
    except ProviderError as exc:
        return service._not_saved(provider, ", ".join(incoming), exc)
    before = service._defaults()
    try:
        names = await asyncio.to_thread(store.import_file, filename, content, make_default=make_default or not existing)
    except UploadRefusedError:
        raise
    except QCredError as exc:
        raise InputError(upload_sentence(provider, filename, exc)) from None
    await service.manager.aforget((provider, name) for name in names)
    known = {status.name for status in service.manager.statuses() if status.provider == provider}
    statuses: list[CredentialStatus] = []
    for name in names:
        if name in known:
            statuses += await service.manager.refresh_statuses(provider, name, force=False)
    imported = ", ".join(repr(name) for name in names)
    answer = service._answer(statuses, f"Imported {imported} and checked." + service._default_news(provider, before))
    waiting = [repr(name) for name in names if name not in known]
    if waiting:  # written, but nothing to check yet (a settings.toml whose profiles have no tokens here)
        result = answer["result"]
        head = result["message"] if statuses else f"Imported {imported}."
        result["message"] = (
            f"{head} {', '.join(waiting)} {'has' if len(waiting) == 1 else 'have'} no credentials yet: upload "
            "the matching secrets.toml, paste a token or use the login."
        )
    return answer
