"""JupyterHub ``auth_state`` -> spawn bundle: the default mapping, used by the hub at spawn and by the server when
it re-initializes from the hub.

Pure functions with no JupyterHub import, so the single-user server can use them too. The order of preference:
1. ``auth_state["qcred_bundle"]``: the bundle the hub computed with the admin's own mapping (kept up to date by
   :func:`jupyter_qcred.hub.configure` at login and after each ``refresh_user``);
2. ``auth_state["qcred"]``: a bundle an authenticator or admin script stored directly (e.g. IBM keys from an
   institutional secret store, added by ``modify_auth_state_hook``);
3. oauthenticator's fields (``access_token``, ``refresh_token``): the hub logged in against the QCS identity
   provider, so those tokens are the user's QCS credentials (used when the bundle of 2. has no QCS entry);
4. oauthenticator's ``id_token``, when the admin named an AWS role (``braket`` options): the login's OIDC token is
   what AWS STS trusts for that role, so it becomes the user's Amazon Braket profile (refreshed through the hub).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .bundle import Bundle, QcsProfileSpec, parse_bundle

if TYPE_CHECKING:
    from ..providers.braket.spec import BraketProfileSpec

BUNDLE_KEY = "qcred_bundle"
DIRECT_KEY = "qcred"


def oauth_qcs_profile(auth_state: Mapping[str, Any], qcs: Mapping[str, Any] | None = None) -> QcsProfileSpec | None:
    """The QCS profile for oauthenticator's auth_state, or None when it holds no token.

    ``qcs`` gives the profile's settings: ``profile``, ``api_url``, ``grpc_api_url``, ``issuer``, ``client_id`` and
    ``refresh`` ("hub" when the hub's OAuth client is confidential, so only the hub can refresh), and ``handoff``
    ("files" to give kernels plain token payloads instead of jupyter_qcred's token command).
    """
    access, refresh = auth_state.get("access_token"), auth_state.get("refresh_token")
    if not isinstance(access, str) and not isinstance(refresh, str):
        return None
    options = {key: value for key, value in dict(qcs or {}).items() if value is not None}
    entry = {
        "profile": "default",
        **options,
        "access_token": access if isinstance(access, str) else None,
        "refresh_token": refresh if isinstance(refresh, str) else None,
        "default": True,
        "refresh": str(options.get("refresh") or "hub"),
    }
    # Validated like a bundle entry (the URLs through core.validation): the options come from the hub's
    # configuration or the server's QCRED_QCS_* variables, and name where the tokens are sent.
    return parse_bundle({"version": 1, "qcs": [entry]}, where="jupyter_qcred.hub.configure(qcs=...)").qcs[0]


def oauth_braket_profile(auth_state: Mapping[str, Any], braket: Mapping[str, Any] | None) -> BraketProfileSpec | None:
    """The Braket profile for the login's id_token, or None without a role (``braket``: ``role_arn``, ``region``,
    ``profile``) or an id_token; validated like a bundle entry."""
    id_token = auth_state.get("id_token")
    if not braket or not braket.get("role_arn") or not isinstance(id_token, str) or not id_token:
        return None
    entry = {"profile": "default", **dict(braket), "web_identity_token": id_token, "refresh": "hub", "default": True}
    return parse_bundle({"version": 1, "braket": [entry]}, where="jupyter_qcred.hub.configure(braket=...)").braket[0]


def bundle_from_auth_state(
    auth_state: Mapping[str, Any] | None,
    qcs: Mapping[str, Any] | None = None,
    where: str = "auth_state",
    braket: Mapping[str, Any] | None = None,
) -> Bundle:
    """The default mapping (see the module's docstring); an empty bundle when auth_state holds nothing for us."""
    if not auth_state:
        return Bundle()
    if auth_state.get(BUNDLE_KEY) is not None:
        return parse_bundle(auth_state[BUNDLE_KEY], f"{where}[{BUNDLE_KEY!r}]")
    direct = Bundle()
    if auth_state.get(DIRECT_KEY) is not None:
        direct = parse_bundle(auth_state[DIRECT_KEY], f"{where}[{DIRECT_KEY!r}]")
    sections = direct.sections()
    if not direct.qcs:
        profile = oauth_qcs_profile(auth_state, qcs)
        sections["qcs"] = (profile,) if profile else ()
    if not direct.braket:
        aws = oauth_braket_profile(auth_state, braket)
        sections["braket"] = (aws,) if aws else ()
    return Bundle(**sections)
