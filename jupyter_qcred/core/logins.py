"""Interactive sign-ins (OAuth device authorization, RFC 8628) that the server drives for a person.

The panel or the notebook asks for a login and gets a link and a user code to show; the server polls the identity
provider at the interval it asks for and stores the tokens once the person has signed in. :class:`Logins` owns the
logins in progress and the tasks that poll them; the status shows their public records, and every step is
published, so views finish by themselves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import BusyError, ProviderError, QCredError, TransientProviderError
from .states import isoformat, utcnow
from .validation import user_code, web_url

if TYPE_CHECKING:
    from .provider import Provider

log = logging.getLogger("jupyter_qcred.core.logins")
#: Finished logins kept in the status so views can show how they ended.
KEEP_FINISHED = 5
#: Transient failures in a row (the identity provider down) after which a login is given up.
MAX_TRANSIENT_FAILURES = 5
#: Logins waiting for a browser at once (each polls the identity provider until it expires).
MAX_PENDING = 3
#: The shortest wait between two polls, whatever the identity provider asks for (``interval: 0`` would poll in a
#: busy loop); ``slow_down`` answers lengthen it, as RFC 8628 says.
MIN_POLL_INTERVAL = 1.0
#: A pending login of the same profile with at least this many seconds left is answered again instead of a new one.
REUSE_MIN_SECONDS_LEFT = 60.0


@dataclasses.dataclass
class DeviceLogin:
    """A pending RFC 8628 device login for one profile.

    The ``device_code`` is what the poller proves itself with, so it stays private: it is in neither ``repr`` nor
    :meth:`to_json`; people only ever see the user code and the verification URL.
    """

    id: str
    profile: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_at: datetime
    interval: int
    state: str = "pending"
    error: str | None = None
    provider: str = ""
    device_code: str = dataclasses.field(default="", repr=False, compare=False)
    token_endpoint: str = dataclasses.field(default="", repr=False, compare=False)
    client_id: str = dataclasses.field(default="", repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """Whether polling can stop (done, failed or expired)."""
        return self.state != "pending"

    def to_json(self) -> dict[str, Any]:
        """The login object of docs/api.md (never the device code)."""
        return {
            "id": self.id,
            "provider": self.provider,
            "profile": self.profile,
            "state": self.state,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": self.verification_uri_complete,
            "user_code": self.user_code,
            "expires_at": isoformat(self.expires_at),
            "interval": self.interval,
            "error": self.error,
        }


class Logins:
    """The logins in progress or recently finished, and the background tasks that poll them."""

    def __init__(self, publish: Callable[[dict[str, Any] | None], None]) -> None:
        self._publish = publish
        self._records: dict[str, dict[str, Any]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: (provider, profile) -> the login being started (the identity provider has not answered yet)
        self._starting: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}

    def records(self) -> list[dict[str, Any]]:
        """The public login objects of the status JSON (link, user code, state; never the device code)."""
        return [dict(record) for record in self._records.values()]

    async def start(
        self, provider: Provider, profile: str | None, on_done: Callable[[str], Awaitable[Any]]
    ) -> dict[str, Any]:
        """Start a device login (a QCS profile, the Nexus login: any provider with ``login_profile``,
        ``start_device_login`` and ``poll_device_login``) and poll it in the background; ``on_done(profile)`` runs
        once the tokens are stored. Returns the public login object.

        Asking again for a login of the same provider and profile that is still waiting answers that login (same
        code, no new request to the identity provider); at most :data:`MAX_PENDING` logins wait at once.
        """
        wanted = provider.login_profile(profile)
        starting = self._starting.get((provider.key, wanted))
        if starting is not None:  # the same login is being started: answer it, never a second request
            return dict(await asyncio.shield(starting))
        for login_id, record in list(self._records.items()):
            running = self._tasks.get(login_id)
            same = record["provider"] == provider.key and record["profile"] == wanted
            if same and record["state"] == "pending" and running is not None:
                left = (_parse_time(record["expires_at"]) - utcnow()).total_seconds()
                if left >= REUSE_MIN_SECONDS_LEFT:
                    return dict(record)
                running.cancel()  # about to expire: a fresh code replaces it
                self._tasks.pop(login_id, None)
                self._records[login_id] = {**record, "state": "expired", "error": "A new login code replaced this one."}
        # Logins being started count too: the check and the slot are taken before the identity provider is asked,
        # so starts that arrive together while it answers slowly cannot all pass the check.
        busy = len(self._tasks) + len(self._starting)
        if busy >= MAX_PENDING:
            raise BusyError(
                f"{busy} logins are already waiting for a browser sign-in; finish one or let it "
                "expire, then start the login again."
            )
        slot: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._starting[(provider.key, wanted)] = slot
        try:
            login = await provider.start_device_login(profile)
            _check_shown(login)
        except BaseException as exc:
            slot.set_exception(exc)
            slot.exception()  # (retrieved: no "never retrieved" warning when nobody else waited)
            raise
        finally:
            del self._starting[(provider.key, wanted)]
        self._records[login.id] = login.to_json()
        slot.set_result(login.to_json())
        task = asyncio.ensure_future(self._poll(provider, login, on_done))
        self._tasks[login.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(login.id, None))
        self._trim()
        self._publish({"provider": login.provider, "name": login.profile, "state": "login_pending", "previous": None})
        return login.to_json()

    async def _poll(self, provider: Provider, login: DeviceLogin, on_done: Callable[[str], Awaitable[Any]]) -> None:
        transient_failures = 0
        while not login.finished:
            if utcnow() >= login.expires_at:
                login.state, login.error = "expired", "The login code expired; start the login again."
                break
            # The pace RFC 8628 tells clients to poll at (it grows on slow_down), never faster than the floor.
            await asyncio.sleep(max(float(login.interval), MIN_POLL_INTERVAL))
            try:
                login = await provider.poll_device_login(login)
                transient_failures = 0
            except TransientProviderError as exc:
                transient_failures += 1
                if transient_failures >= MAX_TRANSIENT_FAILURES:
                    login.state, login.error = "failed", str(exc)
            except QCredError as exc:
                login.state, login.error = "failed", str(exc)
        if login.id in self._records:
            self._records[login.id] = login.to_json()
        log.info("%s device login %s for %s: %s", login.provider, login.id, login.profile, login.state)
        if login.state == "done":
            await on_done(login.profile)
        change = {"provider": login.provider, "name": login.profile, "state": f"login_{login.state}", "previous": None}
        self._publish(change)

    def _trim(self) -> None:
        finished = [key for key, record in self._records.items() if record.get("state") != "pending"]
        for key in finished[:-KEEP_FINISHED] if len(finished) > KEEP_FINISHED else []:
            del self._records[key]

    def cancel_all(self) -> None:
        """Stop polling (the server is stopping)."""
        for task in list(self._tasks.values()):
            task.cancel()


def _check_shown(login: DeviceLogin) -> None:
    """Refuse a login whose link or code a view would show but that is not a web address or a plain code.

    Every view renders the link as something a person clicks and the code as text: a ``javascript:`` link or
    markup in a code must never reach them, whichever provider's identity provider sent it.
    """
    if not web_url(login.verification_uri) or (
        login.verification_uri_complete is not None and not web_url(login.verification_uri_complete)
    ):
        raise ProviderError(
            login.provider,
            "the identity provider answered the device login with a sign-in link that is not an https address, so "
            "the login was not started; ask your administrator to check the identity provider.",
        )
    if not user_code(login.user_code):
        raise ProviderError(
            login.provider,
            "the identity provider answered the device login with a code that is not letters and digits, so the "
            "login was not started; ask your administrator to check the identity provider.",
        )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
