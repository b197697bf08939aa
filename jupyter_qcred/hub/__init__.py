"""JupyterHub side: one call in ``jupyterhub_config.py`` hands each user's credentials to their server.

::

    import jupyter_qcred.hub
    jupyter_qcred.hub.configure(c)

What it sets, composing with what the admin already configured (never replacing it):

- ``Authenticator.enable_auth_state`` and ``refresh_pre_spawn``, so tokens are fresh at every spawn;
- ``Spawner.auth_state_hook``: maps the user's auth_state to a spawn bundle and hands it to the spawner (an
  environment variable by default; a 0600 file; or nothing at all, the server pulling it through the Hub API —
  the right choice on Kubernetes, where environment values are readable from the pod spec). The admin's own hook
  runs first;
- ``qcred_bundle`` kept in auth_state (at login, at each ``refresh_user`` and at spawn), so that a running server
  that re-initializes through the Hub API gets the admin's mapping applied to the freshest tokens;
- ``OAuthenticator.refresh_user_hook``: refreshes the login's tokens *ahead* of expiry (oauthenticator alone does it
  only after the access token stopped working), so a server pulling through the Hub API gets a token with time left.
  The admin's own hook runs first;
- scopes: ``delete:servers!server`` (restart) and ``admin:auth_state!user`` (re-initialize) for the server's
  token. JupyterHub grants a token only what its owner holds, so the user role also gets
  ``admin:auth_state!user`` — each user can read *their own* auth_state, nobody else's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async

from ..core import files
from ..core.authstate import BUNDLE_KEY, bundle_from_auth_state
from ..core.bundle import Bundle, dump_bundle

log = logging.getLogger("jupyter_qcred.hub")

HANDOVERS = ("environment", "file", "hub")
SERVER_SCOPES = ("delete:servers!server", "admin:auth_state!user")
USER_SCOPES = ("admin:auth_state!user",)
#: JupyterHub's default ``server`` role (kept when we extend it, since a role in load_roles replaces the default's
#: scopes).
DEFAULT_SERVER_ROLE_SCOPES = ("users:activity!user", "access:servers!server")

Mapper = Callable[[Mapping[str, Any] | None], Bundle]


def default_mapper(qcs: Mapping[str, Any] | None = None, braket: Mapping[str, Any] | None = None) -> Mapper:
    """The default auth_state -> bundle mapping (see :mod:`jupyter_qcred.core.authstate`) with these QCS settings
    and, with ``braket`` (``role_arn``, ``region``, ``profile``), the login's id_token as an Amazon Braket profile."""

    def mapper(auth_state: Mapping[str, Any] | None) -> Bundle:
        state = {k: v for k, v in (auth_state or {}).items() if k != BUNDLE_KEY}
        return bundle_from_auth_state(state, qcs, braket=braket)

    return mapper


def _qcs_environment(qcs: Mapping[str, Any] | None) -> dict[str, str]:
    return {f"QCRED_QCS_{key.upper()}": str(value) for key, value in (qcs or {}).items() if value}


def _write_bundle_file(directory: Path, username: str, text: str) -> Path:
    """A 0600 bundle file owned by the user when a system user of that name exists (local spawners)."""
    if not username or "/" in username or "\0" in username or username.startswith("."):
        raise ValueError(f"jupyter_qcred: will not write a bundle file for the user name {username!r}")
    directory.mkdir(mode=0o711, parents=True, exist_ok=True)
    target = directory / f"{username}.json"
    owner = None
    if os.getuid() == 0:
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(username)
            owner = (entry.pw_uid, entry.pw_gid)
    # The same atomic write as the stores (an exclusive temporary file, fsync, rename), in the shared folder.
    files.atomic_write(target, text, owner=owner, private_folder=False)
    return target


def _wrap_refresh_user(authenticator: Any, mapper: Mapper) -> None:
    """Keep ``qcred_bundle`` in auth_state current after each refresh (once per authenticator instance)."""
    if getattr(authenticator, "_qcred_refresh_wrapped", False):
        return
    original = authenticator.refresh_user

    async def refresh_user(user: Any, handler: Any = None, **kwargs: Any) -> Any:
        result = await ensure_async(original(user, handler, **kwargs))
        if isinstance(result, dict) and isinstance(result.get("auth_state"), dict):
            result["auth_state"] = _with_bundle(result["auth_state"], mapper)
        return result

    authenticator.refresh_user = refresh_user
    authenticator._qcred_refresh_wrapped = True


def _with_bundle(auth_state: dict[str, Any], mapper: Mapper) -> dict[str, Any]:
    try:
        bundle = mapper(auth_state)
    except Exception as exc:  # a bad mapping must not break the login
        log.error("jupyter_qcred: could not map auth_state to a credentials bundle: %s", exc)
        return auth_state
    return {**auth_state, BUNDLE_KEY: json.loads(dump_bundle(bundle))}


def _previous(section: Any, name: str) -> Any:
    return section.get(name, None)


def configure(
    c: Any,
    *,
    mapper: Mapper | None = None,
    qcs: Mapping[str, Any] | None = None,
    braket: Mapping[str, Any] | None = None,
    handover: str = "environment",
    bundle_dir: str | os.PathLike[str] = "/run/jupyter_qcred/bundles",
) -> None:
    """Configure JupyterHub to hand credentials to each user's server.

    ``mapper`` turns a user's auth_state into a :class:`~jupyter_qcred.core.bundle.Bundle` (default: a bundle in
    ``auth_state["qcred"]``, or oauthenticator's tokens as the QCS profile described by ``qcs``: ``issuer``,
    ``api_url``, ``grpc_api_url``, ``client_id``, ``profile`` and ``refresh`` — "hub" for a confidential client,
    "provider" for a public one; and with ``braket`` — ``role_arn``, ``region``, ``profile`` — the login's OIDC
    id_token as the Amazon Braket profile that assumes that role). ``handover`` is "environment", "file"
    (``bundle_dir/USER.json``) or "hub".
    """
    if handover not in HANDOVERS:
        raise ValueError(f"jupyter_qcred.hub.configure: handover must be one of {', '.join(HANDOVERS)}")
    mapping = mapper or default_mapper(qcs, braket)
    qcs_env = _qcs_environment(qcs)
    directory = Path(bundle_dir)

    c.Authenticator.enable_auth_state = True
    c.Authenticator.refresh_pre_spawn = True

    admin_post_auth = _previous(c.Authenticator, "post_auth_hook")

    async def post_auth_hook(authenticator: Any, handler: Any, authentication: dict[str, Any]) -> dict[str, Any]:
        if admin_post_auth is not None:
            authentication = await ensure_async(admin_post_auth(authenticator, handler, authentication))
        _wrap_refresh_user(authenticator, mapping)
        if authentication and isinstance(authentication.get("auth_state"), dict):
            authentication["auth_state"] = _with_bundle(authentication["auth_state"], mapping)
        return authentication

    c.Authenticator.post_auth_hook = post_auth_hook

    admin_auth_state_hook = _previous(c.Spawner, "auth_state_hook")

    async def auth_state_hook(spawner: Any, auth_state: Mapping[str, Any] | None) -> None:
        if admin_auth_state_hook is not None:
            await ensure_async(admin_auth_state_hook(spawner, auth_state))
        _wrap_refresh_user(spawner.authenticator, mapping)
        environment = dict(spawner.environment)
        environment.update(qcs_env)
        for name in ("QCRED_BUNDLE", "QCRED_BUNDLE_FILE", "QCRED_PULL_FROM_HUB"):
            environment.pop(name, None)
        bundle = mapping(auth_state)
        if handover == "hub":
            environment["QCRED_PULL_FROM_HUB"] = "1"
        elif not bundle.empty:
            text = dump_bundle(bundle)
            if handover == "environment":
                environment["QCRED_BUNDLE"] = text
            else:
                environment["QCRED_BUNDLE_FILE"] = str(_write_bundle_file(directory, spawner.user.name, text))
        spawner.environment = environment
        spawner.log.info("jupyter_qcred: %s for %s (%s)", bundle.counts(), spawner.user.name, handover)

    c.Spawner.auth_state_hook = auth_state_hook
    c.OAuthenticator.refresh_user_hook = ahead_of_expiry_refresh_hook(_previous(c.OAuthenticator, "refresh_user_hook"))

    _grant_scopes(c)


def ahead_of_expiry_refresh_hook(
    admin_hook: Callable[..., Any] | None = None, policy: Any = None
) -> Callable[..., Any]:
    """An oauthenticator ``refresh_user_hook`` that uses the refresh token once the access token is due.

    Returns None (oauthenticator's own behaviour) when the token is not due or cannot be read, so it only ever adds
    an earlier refresh. Rotated refresh tokens are kept like oauthenticator does.
    """
    from ..core.policy import RefreshPolicy
    from ..core.states import utcnow
    from ..providers.qcs.model import jwt_times

    due_policy = policy or RefreshPolicy()

    async def refresh_user_hook(authenticator: Any, user: Any, auth_state: Mapping[str, Any] | None) -> Any:
        if admin_hook is not None:
            result = await ensure_async(admin_hook(authenticator, user, auth_state))
            if result is not None:
                return result
        if not auth_state or not auth_state.get("refresh_token"):
            return None
        times = jwt_times(auth_state.get("access_token"))
        if times.expires_at is None or not due_policy.is_due(times.issued_at, times.expires_at, utcnow()):
            return None
        refresh_token = auth_state["refresh_token"]
        try:
            token_info = await authenticator.get_token_info(
                None, authenticator.build_refresh_token_request_params(refresh_token)
            )
        except Exception as exc:  # let oauthenticator's own path decide (it may ask for a new login)
            authenticator.log.info("jupyter_qcred: early refresh for %s failed (%s)", user.name, type(exc).__name__)
            return None
        if not token_info.get("refresh_token"):
            token_info["refresh_token"] = refresh_token
        authenticator.log.info("jupyter_qcred: refreshed %s's tokens ahead of expiry", user.name)
        return await authenticator._token_to_auth_model(token_info)

    return refresh_user_hook


def _grant_scopes(c: Any) -> None:
    """Add our scopes to the server role and the user role, merging with roles the admin defined."""
    roles = list(_previous(c.JupyterHub, "load_roles") or [])
    _extend_role(roles, "server", DEFAULT_SERVER_ROLE_SCOPES, SERVER_SCOPES)
    if _supports_extra_user_scopes():
        current = set(_previous(c.JupyterHub, "extra_user_scopes") or ())
        c.JupyterHub.extra_user_scopes = current | set(USER_SCOPES)
    else:
        _extend_role(roles, "user", ("self",), USER_SCOPES)
    c.JupyterHub.load_roles = roles
    token_scopes = _previous(c.Spawner, "server_token_scopes")
    if isinstance(token_scopes, list | tuple):
        c.Spawner.server_token_scopes = list(dict.fromkeys([*token_scopes, *SERVER_SCOPES]))
    elif callable(token_scopes):

        def server_token_scopes(spawner: Any) -> list[str]:
            return list(dict.fromkeys([*token_scopes(spawner), *SERVER_SCOPES]))

        c.Spawner.server_token_scopes = server_token_scopes


def _extend_role(roles: list[dict[str, Any]], name: str, defaults: tuple[str, ...], extra: tuple[str, ...]) -> None:
    for index, role in enumerate(roles):
        if role.get("name") == name:
            scopes = list(role.get("scopes") or defaults)
            roles[index] = {**role, "scopes": list(dict.fromkeys([*scopes, *extra]))}
            return
    roles.append({"name": name, "scopes": [*defaults, *extra]})


def _supports_extra_user_scopes() -> bool:
    try:
        from jupyterhub.app import JupyterHub
    except ImportError:  # pragma: no cover - configure() is only called inside a hub
        return False
    return "extra_user_scopes" in JupyterHub.class_trait_names()
