"""``jupyter_qcred.credential(provider, name, kind=...)``: a credential value read from the SDK's files when code runs.

This is what the save guard writes into a notebook cell or a script instead of a pasted token
(docs/leak-guard.md, "Saving"): the code keeps working, for its author now and for anyone who runs it later with
their own credential of that name, and the file never holds the value. It reads the files the same way the leak
guard does (the provider's ``secret_values``), offline, every call: a token refreshed meanwhile is the one returned.
"""

from __future__ import annotations

from .core import registry
from .core.errors import QCredError
from .core.registry import title
from .core.settings import Settings


class CredentialNotFound(LookupError):
    """No such credential value in the SDK's files (the sentence says which, and what to run)."""


def credential(provider: str, name: str | None = None, kind: str | None = None) -> str:
    """The current value of ``provider``'s credential ``name`` (an IBM Quantum account, a QCS profile...), of the
    ``kind`` the provider names it ("key", "access token", "refresh token"...), read from the SDK's files now.

    ``name`` None: the only credential of the provider (else the error lists the names); ``kind`` None: the first
    value the provider lists for that credential. Raises :class:`CredentialNotFound` with a sentence, never holding a
    value.
    """
    try:
        store = registry.create_providers(Settings.from_environment(), (provider,))[provider]
        secrets = store.secret_values()
    except QCredError as exc:
        raise CredentialNotFound(str(exc)) from None
    names = list(dict.fromkeys(secret.name for secret in secrets))
    what = f"{title(provider)} credential"
    if name is None:
        if len(names) != 1:
            listed = ", ".join(repr(n) for n in names) or "none"
            raise CredentialNotFound(f"Name the {what} to read: the files hold {listed}.")
        name = names[0]
    mine = [secret for secret in secrets if secret.name == name]
    if not mine:
        raise CredentialNotFound(
            f"There is no {what} named {name!r} in the SDK's files; `jupyter qcred status` lists those there, and "
            "the jupyter_qcred panel adds one."
        )
    chosen = next((secret for secret in mine if kind is None or secret.kind == kind), None)
    if chosen is None:
        kinds = ", ".join(repr(secret.kind) for secret in mine)
        raise CredentialNotFound(f"The {what} {name!r} has no {kind!r}; it has {kinds}.")
    return chosen.value
