"""JupyterHub ``auth_state`` -> spawn bundle: the default mapping, used by the hub at spawn and by the server when
it re-initializes from the hub.

Pure functions with no JupyterHub import, so the single-user server can use them too. The order of preference:
1. ``auth_state["qcred_bundle"]``: the bundle the hub computed with the admin's own mapping (kept up to date by
   :func:`jupyter_qcred.hub.configure` at login and after each ``refresh_user``);
2. ``auth_state["qcred"]``: a bundle an authenticator or admin script stored directly (e.g. IBM keys from an
   institutional secret store, added by ``modify_auth_state_hook``);
3. for each provider the bundle of 2. leaves empty, what the login itself gives it (``Provider.from_auth_state``):
   QCS takes oauthenticator's ``access_token``/``refresh_token`` (the hub logged in against the QCS identity
   provider), Amazon Braket the ``id_token`` when the admin named an AWS role.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import registry
from .bundle import Bundle, parse_bundle, parse_section

BUNDLE_KEY = "qcred_bundle"
DIRECT_KEY = "qcred"
#: The admin's options for one provider's entries from the login (``configure(c, qcs={...}, braket={...})``).
Options = Mapping[str, Mapping[str, Any] | None]


def option_variable(key: str, option: str) -> str:
    """The variable the hub sets on a user's server for one of a provider's login options (``QCRED_QCS_ISSUER``),
    so the server maps auth_state as the hub does when it pulls fresh tokens."""
    return f"QCRED_{key.upper()}_{option.upper()}"


def login_options(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Each provider's login options from the variables :func:`option_variable` names."""
    return {
        key: {
            name: environ[option_variable(key, name)]
            for name in cls.login_options
            if environ.get(option_variable(key, name))
        }
        for key, cls in ((key, registry.provider_class(key)) for key in registry.provider_keys())
    }


def from_login(auth_state: Mapping[str, Any], key: str, options: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """Provider ``key``'s entries from the login's own tokens, validated like a bundle's section: the options come
    from the hub's configuration or the server's ``QCRED_<PROVIDER>_*`` variables, and name where tokens are sent."""
    entries = registry.provider_class(key).from_auth_state(auth_state, options)
    return parse_section(key, entries, where=f"jupyter_qcred.hub.configure({key}=...)") if entries else ()


def bundle_from_auth_state(
    auth_state: Mapping[str, Any] | None, options: Options | None = None, where: str = "auth_state"
) -> Bundle:
    """The default mapping (see the module's docstring); an empty bundle when auth_state holds nothing for us.
    ``options``: each provider's options by key (``{"qcs": {"issuer": ...}, "braket": {"role_arn": ...}}``)."""
    if not auth_state:
        return Bundle()
    if auth_state.get(BUNDLE_KEY) is not None:
        return parse_bundle(auth_state[BUNDLE_KEY], f"{where}[{BUNDLE_KEY!r}]")
    direct = Bundle()
    if auth_state.get(DIRECT_KEY) is not None:
        direct = parse_bundle(auth_state[DIRECT_KEY], f"{where}[{DIRECT_KEY!r}]")
    sections = direct.sections()
    for key in registry.provider_keys():
        if not sections.get(key):
            sections[key] = from_login(auth_state, key, (options or {}).get(key))
    return Bundle(sections)
