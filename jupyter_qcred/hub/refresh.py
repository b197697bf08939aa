"""The hub's refreshes: oauthenticator's ``refresh_user_hook`` that renews a login's tokens ahead of expiry, once
for all the requests of a user that arrive together, and the mapping of the renewed tokens into ``qcred_bundle``.

Why once: JupyterHub refreshes a user's auth_state on every request of that user older than ``auth_refresh_age``
(their server's pulls, their browser, their API tokens), and does not wait for a refresh already running. Two
requests at once both found the token due and both presented the same refresh token; an identity provider that
rotates refresh tokens takes the second for a replay of a used token and revokes the whole login (OAuth 2.0 Security
BCP, refresh token rotation), so the user had to log in again and every server lost its renewals. Seen on a busy
machine with a server pulling while its panel and a test read the hub.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from jupyter_core.utils import ensure_async

from ..core.authstate import BUNDLE_KEY
from ..core.bundle import Bundle, dump_bundle, loads_bundle
from ..core.errors import QCredError

log = logging.getLogger("jupyter_qcred.hub")

Mapper = Callable[[Mapping[str, Any] | None], Bundle]


class Rotations:
    """For each user, the refresh in flight or last made, by (a digest of) the refresh token it presented.

    A call with the refresh token the last refresh presented gets that refresh's result (a copy) instead of presenting
    the token again: while the refresh runs, and after it, until JupyterHub saved the renewed auth_state (a request
    that read the old one meanwhile still holds the used token). A refresh that failed is not shared once finished:
    the next call tries again.
    """

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, asyncio.Future[Any]]] = {}

    async def once(self, user: str, refresh_token: str, refresh: Callable[[], Awaitable[Any]]) -> Any:
        """``refresh()``'s result for this refresh token, running it only if no call with this token did."""
        digest = hashlib.sha256(refresh_token.encode()).hexdigest()
        known = self._last.get(user)
        if known is None or known[0] != digest or _failed(known[1]):
            known = (digest, asyncio.ensure_future(refresh()))
            self._last[user] = known
        else:
            log.debug("jupyter_qcred: %s's tokens are refreshed by another request; sharing its result", user)
        return copy.deepcopy(await asyncio.shield(known[1]))


def _failed(refresh: asyncio.Future[Any]) -> bool:
    return refresh.done() and (refresh.cancelled() or refresh.exception() is not None or refresh.result() is None)


def wrap_refresh_user(authenticator: Any, mapper: Mapper) -> None:
    """Keep ``qcred_bundle`` in auth_state current after each refresh (once per authenticator instance)."""
    if getattr(authenticator, "_qcred_refresh_wrapped", False):
        return
    original = authenticator.refresh_user

    async def refresh_user(user: Any, handler: Any = None, **kwargs: Any) -> Any:
        from . import metrics

        result = await ensure_async(original(user, handler, **kwargs))
        if result is False:  # oauthenticator could not refresh: the user must log in again
            metrics.needs_login(user.name, True)
        if isinstance(result, dict) and isinstance(result.get("auth_state"), dict):
            result["auth_state"] = with_bundle(result["auth_state"], mapper, getattr(user, "name", ""))
        return result

    authenticator.refresh_user = refresh_user
    authenticator._qcred_refresh_wrapped = True


def map_bundle(mapper: Mapper, auth_state: Mapping[str, Any] | None, user: str) -> Bundle | None:
    """The mapper's bundle, or None when it failed: a bad mapping must not break the login or the spawn, and the
    log names the failure without its text (an admin's mapper may put auth_state, tokens included, into it).

    Whatever the mapper built (the default one from oauthenticator's fields and ``configure(qcs=...)``, or an
    admin's own, which may construct the dataclasses directly) goes through the bundle's validators before it is
    handed over or kept in auth_state: a URL that is not https (or http on loopback), a region that is not a region,
    a key that would break ``~/.env`` fail here, with the field named, exactly as in a bundle."""
    try:
        bundle = mapper(auth_state)
        return loads_bundle(dump_bundle(bundle), "the jupyter_qcred credentials mapper's bundle")
    except Exception as exc:
        detail = str(exc) if isinstance(exc, QCredError) else f"{type(exc).__name__}; its message is not logged"
        log.error("jupyter_qcred: the credentials mapper failed for %s (%s); no credentials handed over", user, detail)
        return None


def with_bundle(auth_state: dict[str, Any], mapper: Mapper, user: str = "") -> dict[str, Any]:
    """``auth_state`` with ``qcred_bundle`` mapped from it (unchanged if the mapper failed: :func:`map_bundle`)."""
    bundle = map_bundle(mapper, auth_state, user)
    if bundle is None:
        return auth_state
    return {**auth_state, BUNDLE_KEY: json.loads(dump_bundle(bundle))}


def ahead_of_expiry_refresh_hook(
    admin_hook: Callable[..., Any] | None = None, policy: Any = None, mapper: Mapper | None = None
) -> Callable[..., Any]:
    """An oauthenticator ``refresh_user_hook`` that uses the refresh token once the access token is due.

    Returns None (oauthenticator's own behaviour) when the token is not due or cannot be read, so it only ever adds
    an earlier refresh. Rotated refresh tokens are kept like oauthenticator does, and a refresh token is presented
    once (:class:`Rotations`): requests of one user that arrive together share one refresh. With ``mapper``, the
    refreshed
    auth_state carries ``qcred_bundle`` mapped from the new tokens (also on the first refresh after a hub restart,
    before anyone logged in or spawned, when ``refresh_user`` is not wrapped yet), and ``refresh_user`` is wrapped
    from then on.
    """
    from ..core.policy import RefreshPolicy
    from ..core.states import utcnow
    from ..providers.shared.times import jwt_times
    from . import metrics

    due_policy = hub_side_policy(policy or RefreshPolicy())
    rotations = Rotations()

    async def refresh_user_hook(authenticator: Any, user: Any, auth_state: Mapping[str, Any] | None) -> Any:
        if mapper is not None:
            wrap_refresh_user(authenticator, mapper)
        if admin_hook is not None:
            result = await ensure_async(admin_hook(authenticator, user, auth_state))
            if result is not None:
                return result
        if not auth_state or not auth_state.get("refresh_token"):
            return None
        times = jwt_times(auth_state.get("access_token"))
        if times.expires_at is None or not due_policy.is_due(times.issued_at, times.expires_at, utcnow()):
            metrics.count("not_due")
            return None
        refresh_token = auth_state["refresh_token"]
        return await rotations.once(user.name, refresh_token, lambda: refresh(authenticator, user, refresh_token))

    async def refresh(authenticator: Any, user: Any, refresh_token: str) -> Any:
        with metrics.timed() as outcome:
            try:
                token_info = await authenticator.get_token_info(
                    None, authenticator.build_refresh_token_request_params(refresh_token)
                )
            except Exception as exc:  # let oauthenticator's own path decide (it may ask for a new login)
                refused = _refused(exc)
                outcome.append("refused" if refused else "failed")
                if refused:
                    metrics.needs_login(user.name, True)
                authenticator.log.info(
                    "jupyter_qcred: early refresh for %s %s (%s)",
                    user.name,
                    "refused" if refused else "failed",
                    type(exc).__name__,
                )
                return None
            outcome.append("refreshed")
        metrics.needs_login(user.name, False)
        if not token_info.get("refresh_token"):
            token_info["refresh_token"] = refresh_token
        authenticator.log.info("jupyter_qcred: refreshed %s's tokens ahead of expiry", user.name)
        model = await authenticator._token_to_auth_model(token_info)
        if mapper is not None and isinstance(model, dict) and isinstance(model.get("auth_state"), dict):
            model["auth_state"] = with_bundle(model["auth_state"], mapper)
        return model

    return refresh_user_hook


def hub_side_policy(servers: Any) -> Any:
    """When the hub refreshes: the servers' policy with its margin widened by their jitter.

    Why: a server pulls when *its* schedule says the token is due, moved earlier by up to ``jitter`` x margin. A hub
    that used the same margin would find the token not yet due for most of those pulls and hand back the old one,
    and the server would pull again (every 30 s) until the hub's moment came: several pulls, each also costing
    oauthenticator's userinfo request, instead of one. With the widened margin the first pull refreshes.
    """
    from ..core.policy import RefreshPolicy

    widen = 1.0 + max(servers.jitter, 0.0)
    return RefreshPolicy(fraction=servers.fraction * widen, latest=servers.latest * widen, jitter=0.0)


def _refused(exc: BaseException) -> bool:
    """Whether the identity provider answered the refresh with a refusal (tornado's HTTPClientError carries
    ``code``, oauthenticator's HTTPError for an ``error_description`` carries ``status_code``)."""
    code = getattr(exc, "code", None) or getattr(exc, "status_code", None)
    return code in (400, 401, 403)
