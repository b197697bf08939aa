"""Interactive QCS logins (OAuth device authorization, RFC 8628) driven by the server.

The panel or notebook asks for a login and gets a link and a user code to show; the server polls the identity
provider at the interval it asks for and stores the tokens when the person has signed in. Every step is published
through the manager's status (``logins``), so views finish by themselves.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from .errors import QCredError, TransientProviderError
from .states import utcnow

if TYPE_CHECKING:
    from ..providers.qcs.provider import DeviceLogin, QcsProvider
    from .manager import CredentialManager

log = logging.getLogger("jupyter_qcred.core.logins")
#: Finished logins kept in the status so views can show how they ended.
KEEP_FINISHED = 5


async def start_qcs_device_login(manager: CredentialManager, profile: str | None) -> dict[str, Any]:
    """Start a device login for a QCS profile; returns the public login object and keeps polling in the background."""
    provider: QcsProvider = manager.providers["qcs"]  # type: ignore[assignment]
    login = await provider.start_device_login(profile)
    record: dict[str, Any] = login.to_json()
    manager.logins[login.id] = record
    record["_task"] = asyncio.ensure_future(_poll(manager, provider, login))
    _trim(manager)
    manager.publish({"provider": "qcs", "name": login.profile, "state": "login_pending", "previous": None})
    return login.to_json()


async def _poll(manager: CredentialManager, provider: QcsProvider, login: DeviceLogin) -> None:
    record = manager.logins[login.id]
    transient_failures = 0
    while not login.finished:
        if utcnow() >= login.expires_at:
            login.state, login.error = "expired", "The login code expired; start the QCS login again."
            break
        await asyncio.sleep(login.interval)  # the pace RFC 8628 tells clients to poll at
        try:
            login = await provider.poll_device_login(login)
            transient_failures = 0
        except TransientProviderError as exc:
            transient_failures += 1
            if transient_failures >= 5:
                login.state, login.error = "failed", str(exc)
        except QCredError as exc:
            login.state, login.error = "failed", str(exc)
    record.update({k: v for k, v in login.to_json().items()})
    log.info("QCS device login %s for profile %s: %s", login.id, login.profile, login.state)
    if login.state == "done":
        manager.forget([("qcs", login.profile)])
        await manager.refresh("qcs", login.profile, force=False)
    manager.publish({"provider": "qcs", "name": login.profile, "state": f"login_{login.state}", "previous": None})


def _trim(manager: CredentialManager) -> None:
    finished = [key for key, record in manager.logins.items() if record.get("state") != "pending"]
    for key in finished[:-KEEP_FINISHED] if len(finished) > KEEP_FINISHED else []:
        del manager.logins[key]
