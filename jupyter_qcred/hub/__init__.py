"""JupyterHub side: one call in ``jupyterhub_config.py`` hands each user's credentials to their server.

::

    import jupyter_qcred.hub
    jupyter_qcred.hub.configure(c)

What it sets, composing with what the admin already configured (never replacing it):

- ``Authenticator.enable_auth_state`` and ``refresh_pre_spawn``, so tokens are fresh at every spawn;
- ``Spawner.auth_state_hook``: maps the user's auth_state to a spawn bundle and hands it to the spawner. By default
  (``handover="auto"``) the hand-over suits the spawner (:mod:`jupyter_qcred.hub.spawners`): an environment variable
  for local process spawners, and nothing secret at all for every other spawner (KubeSpawner, DockerSpawner,
  BatchSpawner, ...), whose server pulls through the Hub API. A hand-over that cannot work with the configured
  spawner is refused when the hub loads its configuration. The admin's own hook runs first;
- ``qcred_bundle`` kept in auth_state (at login, at each ``refresh_user`` and at spawn), so that a running server
  that re-initializes through the Hub API gets the admin's mapping applied to the freshest tokens;
- ``OAuthenticator.refresh_user_hook``: refreshes the login's tokens *ahead* of expiry (oauthenticator alone does it
  only after the access token stopped working), so a server pulling through the Hub API gets a token with time left.
  Requests of one user that arrive together present the refresh token once (:mod:`jupyter_qcred.hub.refresh`).
  The admin's own hook runs first;
- scopes: ``delete:servers!server`` (restart) and ``admin:auth_state!user`` (re-initialize) for the server's
  token. JupyterHub grants a token only what its owner holds, so the user role also gets
  ``admin:auth_state!user`` — each user can read *their own* auth_state, nobody else's.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async

from ..core import files
from ..core.authstate import BUNDLE_KEY, bundle_from_auth_state, option_variable
from ..core.bundle import Bundle, dump_bundle
from . import spawners
from .refresh import Mapper, ahead_of_expiry_refresh_hook, map_bundle, with_bundle, wrap_refresh_user
from .refresh import hub_side_policy as hub_side_policy  # part of the contract: see configure's policy

HANDOVERS = spawners.HANDOVERS
#: Login options each server reads from its environment but that are no field of the hub login's profile.
SERVER_ONLY_OPTIONS = ("login_client_id",)
SERVER_SCOPES = ("delete:servers!server", "admin:auth_state!user")
USER_SCOPES = ("admin:auth_state!user",)
#: JupyterHub's default ``server`` role (kept when we extend it, since a role in load_roles replaces the default's
#: scopes).
DEFAULT_SERVER_ROLE_SCOPES = ("users:activity!user", "access:servers!server")


def default_mapper(
    qcs: Mapping[str, Any] | None = None, braket: Mapping[str, Any] | None = None, **options: Mapping[str, Any] | None
) -> Mapper:
    """The default auth_state -> bundle mapping (see :mod:`jupyter_qcred.core.authstate`) with each provider's
    options for the login's own tokens: ``qcs`` (the QCS profile of oauthenticator's tokens), ``braket``
    (``role_arn``, ``region``, ``profile``: the login's id_token as an Amazon Braket profile), and those of any
    other registered provider by its key. Options that are for the users' servers only (``login_client_id``) are
    left out of the profile, so a mapper an admin builds from the options given to :func:`configure` works too."""
    chosen = {"qcs": _profile_options(qcs), "braket": braket, **options}

    def mapper(auth_state: Mapping[str, Any] | None) -> Bundle:
        state = {k: v for k, v in (auth_state or {}).items() if k != BUNDLE_KEY}
        return bundle_from_auth_state(state, chosen)

    return mapper


def _profile_options(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The login options that are fields of the profile the hub's login becomes (:data:`SERVER_ONLY_OPTIONS` out)."""
    return None if options is None else {k: v for k, v in options.items() if k not in SERVER_ONLY_OPTIONS}


def _options_environment(options: Mapping[str, Mapping[str, Any] | None]) -> dict[str, str]:
    """The login options each user's server needs to map auth_state as the hub does (``QCRED_QCS_ISSUER``...)."""
    return {
        option_variable(key, name): str(value)
        for key, chosen in options.items()
        for name, value in (chosen or {}).items()
        if value
    }


def _check_option_keys(options: Mapping[str, Any]) -> None:
    """A misspelt provider key must not be ignored silently: the hub would start and hand nothing over."""
    from ..core import registry

    for key in options:
        if key not in registry.provider_keys():
            known = ", ".join(registry.provider_keys())
            raise ValueError(f"jupyter_qcred.hub.configure: no installed provider is called {key!r} (known: {known})")


def _write_bundle_file(directory: Path, username: str, text: str) -> Path:
    """A 0600 bundle file owned by the user when a system user of that name exists (local spawners).

    The folder must belong to the hub's user (or root) and be writable by nobody else: a user who can write to it
    could otherwise take another user's bundle (a planted temporary file) or replace it. The temporary file is
    created exclusively (``O_EXCL``, never following a link) and renamed into place.
    """
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


def _previous(section: Any, name: str) -> Any:
    return section.get(name, None)


def configure(
    c: Any,
    *,
    mapper: Mapper | None = None,
    qcs: Mapping[str, Any] | None = None,
    braket: Mapping[str, Any] | None = None,
    handover: str = spawners.AUTO,
    bundle_dir: str | os.PathLike[str] = "/run/jupyter_qcred/bundles",
    policy: Any = None,
    **options: Mapping[str, Any] | None,
) -> None:
    """Configure JupyterHub to hand credentials to each user's server.

    ``mapper`` turns a user's auth_state into a :class:`~jupyter_qcred.core.bundle.Bundle` (default: a bundle in
    ``auth_state["qcred"]``, or oauthenticator's tokens as the QCS profile described by ``qcs``: ``issuer``,
    ``api_url``, ``grpc_api_url``, ``client_id``, ``profile`` and ``refresh`` — "hub" for a confidential client,
    "provider" for a public one, ``handoff``: "files" for plain token payloads in the users' ``secrets.toml``
    instead of jupyter_qcred's token command, see ``providers/qcs/handoff.py``, and ``login_client_id``: the public
    client (no secret) the servers use for the browser logins they start, since the hub's own client is
    confidential, see ``providers/qcs/loginclient.py``; and with ``braket`` — ``role_arn``,
    ``region``, ``profile`` — the login's OIDC id_token as the Amazon Braket profile that assumes that role).
    Any other registered provider whose credential the login gives takes its options by its key, the same way
    (``azure={...}``: its ``login_options``); a key no installed provider has is refused here.
    ``handover`` is "auto" (the default: what suits each spawner, see :mod:`jupyter_qcred.hub.spawners`),
    "environment", "file" (``bundle_dir/USER.json``) or "hub".

    ``policy`` is the servers' :class:`~jupyter_qcred.core.policy.RefreshPolicy` (``c.QCredApp.refresh_fraction``,
    ``refresh_latest_seconds`` and ``refresh_jitter`` on the user image; default: their defaults); the hub
    refreshes ahead of it (see :func:`hub_side_policy`).

    Raises ValueError with a sentence when the hand-over cannot work with ``c.JupyterHub.spawner_class`` (checked
    here, while the hub loads its configuration, when the spawner class is already set; else at each spawn).
    """
    if handover not in HANDOVERS:
        raise ValueError(f"jupyter_qcred.hub.configure: handover must be one of {', '.join(HANDOVERS)}")
    configured_spawner = spawners.resolve_spawner_class(_previous(c.JupyterHub, "spawner_class"))
    if configured_spawner is not None:
        spawners.check(handover, configured_spawner)
    # ``login_client_id`` is for the servers (the public client of the logins they start, see
    # providers/qcs/loginclient.py), not a field of the profile the hub's login becomes: default_mapper leaves it out.
    _check_option_keys(options)
    mapping = mapper or default_mapper(qcs, braket, **options)
    login_env = _options_environment({"qcs": qcs, "braket": braket, **options})
    directory = Path(bundle_dir)

    c.Authenticator.enable_auth_state = True
    c.Authenticator.refresh_pre_spawn = True

    admin_post_auth = _previous(c.Authenticator, "post_auth_hook")

    async def post_auth_hook(authenticator: Any, handler: Any, authentication: dict[str, Any]) -> dict[str, Any]:
        if admin_post_auth is not None:
            authentication = await ensure_async(admin_post_auth(authenticator, handler, authentication))
        wrap_refresh_user(authenticator, mapping)
        if authentication and authentication.get("name"):
            from . import metrics

            metrics.needs_login(str(authentication["name"]), False)  # just logged in
        if authentication and isinstance(authentication.get("auth_state"), dict):
            authentication["auth_state"] = with_bundle(
                authentication["auth_state"], mapping, str(authentication.get("name") or "")
            )
        return authentication

    c.Authenticator.post_auth_hook = post_auth_hook

    admin_auth_state_hook = _previous(c.Spawner, "auth_state_hook")

    async def auth_state_hook(spawner: Any, auth_state: Mapping[str, Any] | None) -> None:
        if admin_auth_state_hook is not None:
            await ensure_async(admin_auth_state_hook(spawner, auth_state))
        wrap_refresh_user(spawner.authenticator, mapping)
        environment = dict(spawner.environment)
        environment.update(login_env)
        for name in ("QCRED_BUNDLE", "QCRED_BUNDLE_FILE", "QCRED_PULL_FROM_HUB"):
            environment.pop(name, None)
        bundle = map_bundle(mapping, auth_state, spawner.user.name) or Bundle()
        chosen = spawners.check(handover, type(spawner))
        if chosen == "hub":
            environment["QCRED_PULL_FROM_HUB"] = "1"
        elif not bundle.empty:
            text = dump_bundle(bundle)
            if chosen == "environment":
                environment["QCRED_BUNDLE"] = text
            else:
                environment["QCRED_BUNDLE_FILE"] = str(_write_bundle_file(directory, spawner.user.name, text))
        spawner.environment = environment
        spawner.log.info("jupyter_qcred: %s for %s (%s)", bundle.counts(), spawner.user.name, chosen)

    c.Spawner.auth_state_hook = auth_state_hook
    c.OAuthenticator.refresh_user_hook = ahead_of_expiry_refresh_hook(
        _previous(c.OAuthenticator, "refresh_user_hook"), policy=policy, mapper=mapping
    )

    _grant_scopes(c)


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
