"""The token hand-off: SDK processes get QCS access tokens from jupyter_qcred's token command, never by refreshing.

A process that refreshes by itself spends the refresh token; pyquil 4's client then keeps the rotated one in its
own memory, and with an issuer that rotates refresh tokens the chain is broken for everyone. So for a credential
jupyter_qcred manages, ``secrets.toml`` holds two entries:

- ``[credentials.NAME.externally_managed]``: what every SDK process reads (the profile's ``credentials_name``
  still says ``NAME``). Its ``command`` is the absolute path of the interpreter jupyter_qcred runs in (so a kernel
  without the venv's ``bin`` on ``PATH`` still finds it) with ``args = ["-I", "-S", ".../tokenlaunch.py",
  "token", "qcs", "--profile=PROFILE"]`` (see :mod:`.tokenlaunch`). qcs_api_client_common 0.27 runs it (no shell,
  this process's environment, ``timeout_seconds``), takes the trimmed stdout as the access token, caches it in
  memory until it expires and never writes it back. pyquil 4 (qcs-sdk-python 0.21.22, bundled client crate 0.12.8)
  does not know this table; its ``QCSClient.load()`` runs the same command only through jupyter_qcred's adapter
  (:mod:`.pyquil_adapter`), and reads the access-token copy below otherwise.
- ``[credentials.jupyter_qcred-NAME.token_payload]``: the real tokens, which only jupyter_qcred reads and
  refreshes (no profile names this credential, so no SDK ever uses it).

:func:`view` shows the pair as one ``token_payload`` credential named ``NAME`` (with ``stored_as`` and ``handoff``
set), so status, refresh and the views keep describing the real credential. ``handoff = "files"`` (a
``c.QCredApp.qcs_handoff`` setting, the bundle's ``handoff`` field, ``jupyter qcred init --handoff files``) puts
the tokens back into ``NAME`` as plain files, the way back if jupyter_qcred is removed.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path

from .fasttoken import MANAGED_PREFIX
from .model import ExternallyManaged, QcsSecrets
from .tokencommand import LAUNCHER_NAME, runs_token_command

__all__ = ["MANAGED_PREFIX", "managed_name", "secrets_read_only", "token_command", "view"]
#: What SDK processes run (see :mod:`.tokenlaunch`).
LAUNCHER = Path(__file__).with_name(LAUNCHER_NAME)
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
    """``command`` and ``args`` for the SDK: this interpreter, by absolute path, running :mod:`.tokenlaunch`.

    The interpreter jupyter_qcred runs in is the one whose files and lock we share, and an absolute path does not
    depend on the kernel's ``PATH``. ``-I -S`` start it without ``site`` (see :mod:`.tokenlaunch`): the token
    command then costs about what the interpreter's own start does, in every SDK process that needs a token.
    """
    # One ``--profile=NAME`` argument: as two, a profile named ``-x`` or ``--help`` reads as an option and the
    # command stops with a usage error the moment a refresh is due, so the SDK gets no token.
    return str(Path(sys.executable).absolute()), ["-I", "-S", str(LAUNCHER), "token", "qcs", f"--profile={profile}"]


def is_token_command(command: ExternallyManaged) -> bool:
    """Whether an ``externally_managed`` table runs our ``token qcs`` (:func:`.tokencommand.runs_token_command`)."""
    return runs_token_command(command.command, command.args)


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
