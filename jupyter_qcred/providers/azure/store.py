"""The files of an Azure Quantum workspace, all in ``~/.azure/qcred`` (0700):

- ``NAME.token``: the login's OIDC id_token alone, the file ``AZURE_FEDERATED_TOKEN_FILE`` names; azure-identity's
  ``WorkloadIdentityCredential`` reads it (``TokenFileMixin``, at most every 600 s) and sends it to Entra ID as the
  ``client_assertion`` of a client-credentials grant;
- ``NAME.json``: the workspace (``tenant_id``, ``client_id``, ``resource_id``, ``location``, ``authority_host``,
  ``endpoint``, ``default``) and how to renew the token (``refresh``: "provider" with ``issuer``,
  ``oidc_client_id`` and the ``refresh_token``, or "hub"). Its lock is the refresh lock: whoever renews holds it.

azure-identity has no configuration file: everything else it needs comes from the environment, which the server
hands its kernels and terminals (:meth:`~.provider.AzureProvider.exported_environment`). Every path is built from a
checked name (:func:`~jupyter_qcred.core.validation.file_name`), inside that folder.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ...core import files
from ...core.errors import FileFormatError, QCredError
from ...core.settings import Settings
from ...core.validation import NAME_RULE, file_name
from ..shared import editing
from ..shared.idtoken import Held, TokenFiles, json_object
from .spec import AzureWorkspaceSpec

#: The workspace settings a note must hold to be shown (the others are optional).
REQUIRED = ("tenant_id", "client_id", "resource_id", "location")


@dataclasses.dataclass(kw_only=True)
class Stored(Held):
    """One workspace as the files hold it."""

    workspace: str

    def get(self, key: str) -> str | None:
        value = self.note.get(key)
        return value if isinstance(value, str) and value else None


def parse_note(path: Path, text: str) -> dict[str, Any]:
    """A note's JSON object; FileFormatError naming the file (never its text) otherwise."""
    if not text.strip():
        return {}
    note = json_object(path, text, line=True)
    missing = [key for key in REQUIRED if not isinstance(note.get(key), str) or not note[key]]
    if missing:
        raise FileFormatError(path, f"lacks {', '.join(missing)}; re-initialize Azure Quantum from JupyterHub")
    return note


class AzureStore(TokenFiles):
    """Reads and writes the files above (atomic, locked, 0600)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.home / ".azure" / "qcred", _checked)

    def names(self) -> list[str]:
        """The workspaces the folder holds (notes with a plain name), sorted."""
        try:
            found = [path.stem for path in self.folder.glob("*.json") if path.is_file()]
        except OSError:
            return []
        return sorted(name for name in found if file_name(name))

    def workspaces(self) -> list[Stored]:
        return [self.load(name) for name in self.names()]

    def default_name(self, stored: list[Stored]) -> str | None:
        """The workspace the exported variables describe: the one marked default, else the only or first one."""
        marked = [s.workspace for s in stored if s.note.get("default") is True]
        return next(iter(marked or [s.workspace for s in stored]), None)

    def load(self, workspace: str) -> Stored:
        """One workspace (FileFormatError naming the note when it does not parse, QCredError when absent)."""
        path = self.note_path(workspace)
        text = files.read_text(path)
        if text is None:
            raise QCredError(f"There is no Azure Quantum workspace named {workspace!r}.")
        token = self.read_token(workspace)
        return Stored(self.token_path(workspace), token, parse_note(path, text), workspace=workspace)

    def write_workspace(self, spec: AzureWorkspaceSpec, *, reinit: bool) -> None:
        """The note and (if the spec has one) the token; a note that does not parse stops the write unless
        ``reinit`` (then it is kept as a backup)."""
        path = self.note_path(spec.workspace)
        with editing.edit(
            self.settings,
            path,
            lambda text: _loose(path, text),
            _fresh,
            lambda note: json.dumps(note, indent=2) + "\n",
            reinit=reinit,
        ) as note:
            note.clear()
            note.update(
                {
                    "tenant_id": spec.tenant_id,
                    "client_id": spec.client_id,
                    "resource_id": spec.resource_id,
                    "location": spec.location,
                    "authority_host": spec.authority_host,
                    "endpoint": spec.endpoint,
                    "refresh": spec.refresh,
                    "issuer": spec.issuer,
                    "oidc_client_id": spec.oidc_client_id,
                    "default": spec.default,
                }
            )
            for key in [key for key, value in note.items() if value is None]:
                del note[key]
            if spec.refresh_token:
                note["refresh_token"] = spec.refresh_token
            if spec.federated_token:
                files.atomic_write(self.token_path(spec.workspace), spec.federated_token)


def _loose(path: Path, text: str) -> dict[str, Any]:
    """A note for rewriting: any JSON object will do (it is replaced whole), anything else is a format error."""
    return json_object(path, text) if text.strip() else {}


def _fresh() -> dict[str, Any]:
    return {}


def _checked(workspace: str) -> str:
    if not file_name(workspace):
        raise QCredError(
            f"{workspace!r} is not an Azure Quantum workspace jupyter_qcred manages (a name {NAME_RULE}); "
            "nothing was read or changed."
        )
    return workspace
