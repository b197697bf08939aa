"""The token hand-off: SDK processes get QCS access tokens from jupyter_qcred's token command, never by refreshing.

A process that refreshes by itself spends the refresh token; pyquil 4's client then keeps the rotated one in its
own memory, and with an issuer that rotates refresh tokens the chain is broken for everyone. So for a credential
jupyter_qcred manages, ``secrets.toml`` holds two entries:

- ``[credentials.NAME.externally_managed]``: what every SDK process reads (the profile's ``credentials_name``
  still says ``NAME``). Its ``command`` is the absolute path of our console script (``jupyter-qcred``, not the
  ``jupyter`` launcher, so a kernel without the venv's ``bin`` on ``PATH`` still finds it) with
  ``args = ["token", "qcs", "--profile=PROFILE"]``. qcs_api_client_common 0.27 runs it (no shell, this process's
  environment, ``timeout_seconds``), takes the trimmed stdout as the access token, caches it in memory until it
  expires and never writes it back; pyquil 4's API calls do the same.
- ``[credentials.jupyter_qcred-NAME.token_payload]``: the real tokens, which only jupyter_qcred reads and
  refreshes (no profile names this credential, so no SDK ever uses it).

:func:`view` shows the pair as one ``token_payload`` credential named ``NAME`` (with ``stored_as`` and ``handoff``
set), so status, refresh and the views keep describing the real credential. ``handoff = "files"`` (a
``c.QCredApp.qcs_handoff`` setting, the bundle's ``handoff`` field, ``jupyter qcred init --handoff files``) puts
the tokens back into ``NAME`` as plain files, the way back if jupyter_qcred is removed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from .fasttoken import MANAGED_PREFIX
from .model import ExternallyManaged, QcsSecrets

__all__ = ["MANAGED_PREFIX", "managed_name", "secrets_read_only", "token_command", "view"]
#: The console script (``[project.scripts]``); its entry point answers ``token qcs`` without heavy imports.
SCRIPT = "jupyter-qcred"
#: Run with ``python -m`` when the console script cannot be found (a source checkout without an install).
CONSOLE_MODULE = "jupyter_qcred.console"
#: How long the SDK lets our command run: enough to wait for another process's refresh (lock) and make our own.
TIMEOUT_SECONDS = 120
HANDOFF_MODES = ("command", "files")
READ_ONLY_VALUES = ("true", "yes", "1")


def managed_name(credential: str) -> str:
    """The credential only jupyter_qcred uses, holding the tokens of the SDK-facing ``credential``."""
    return MANAGED_PREFIX + credential


def secrets_read_only(environ: Mapping[str, str]) -> bool:
    """``QCS_SECRETS_READ_ONLY`` as the SDK reads it ("true", "yes" or "1", any case)."""
    return environ.get("QCS_SECRETS_READ_ONLY", "").strip().lower() in READ_ONLY_VALUES


def token_command(profile: str) -> tuple[str, list[str]]:
    """``command`` and ``args`` for the SDK: our console script by absolute path, next to this interpreter first.

    The script of the environment jupyter_qcred runs in is the one whose files and lock we share; ``PATH`` is
    only a fallback (a ``--user`` install), and the result is always absolute, so the SDK does not depend on the
    kernel's ``PATH``.
    """
    # One ``--profile=NAME`` argument: as two, a profile named ``-x`` or ``--help`` reads as an option and the
    # command stops with a usage error the moment a refresh is due, so the SDK gets no token.
    args = ["token", "qcs", f"--profile={profile}"]
    beside = Path(sys.executable).parent / SCRIPT
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute()), args
    found = shutil.which(SCRIPT)
    if found:
        return os.path.abspath(found), args
    return str(Path(sys.executable).absolute()), ["-m", CONSOLE_MODULE, *args]


def is_token_command(command: ExternallyManaged) -> bool:
    """Whether an ``externally_managed`` table runs our ``token qcs`` (as written by :func:`token_command`)."""
    args = list(command.args)
    return any(args[i : i + 2] == ["token", "qcs"] for i in range(len(args))) and (
        Path(command.command).name == SCRIPT or CONSOLE_MODULE in args
    )


def view(secrets: QcsSecrets) -> QcsSecrets:
    """The credentials as jupyter_qcred describes them: each handed-off pair shown as its real token payload."""
    credentials = dict(secrets.credentials)
    for name, credential in secrets.credentials.items():
        stored = credentials.get(managed_name(name))
        external = credential.externally_managed
        if (
            external is not None
            and is_token_command(external)
            and stored is not None
            and stored.kind == "token_payload"
        ):
            credentials[name] = dataclasses.replace(
                stored, name=name, handoff=external, stored_as=stored.name, externally_managed=None
            )
    return QcsSecrets(credentials)
