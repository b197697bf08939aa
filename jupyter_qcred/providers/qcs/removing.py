"""Removing a QCS profile: out of ``settings.toml``, and its credential out of ``secrets.toml`` unless another
profile still uses it. Everything else in both files (other people's profiles, comments, unknown keys) stays."""

from __future__ import annotations

from pathlib import Path

from ...core.errors import QCredError
from ..shared import editing
from . import handoff
from .base import Memory, QcsFiles, log
from .model import secrets_from_document, settings_from_document
from .store import set_default_profile
from .writer import QcsWriter


class QcsRemover:
    """Removes profiles, through the writer's locked read-modify-write of both files."""

    def __init__(self, files: QcsFiles, memory: Memory, writer: QcsWriter) -> None:
        self.files = files
        self.memory = memory
        self.settings = files.settings
        self.writer = writer

    def remove(self, name: str) -> list[Path]:
        """Remove profile ``name`` (and its credential when no other profile uses it); returns the files changed.

        When it was the default profile, the first remaining profile with a credential becomes the default (or
        ``default_profile_name`` is dropped when none is left), so the SDK never loads a profile that is gone.
        """
        changed: list[Path] = []
        with editing.locked(self.settings, self.files.settings_path, self.files.secrets_path):
            settings_doc = self.writer.document_for_write(
                self.files.settings_path, settings_from_document, reinit=False
            )
            secrets_doc = self.writer.document_for_write(self.files.secrets_path, secrets_from_document, reinit=False)
            settings = settings_from_document(settings_doc, self.files.settings_path)
            secrets = handoff.view(secrets_from_document(secrets_doc, self.files.secrets_path))
            profile = settings.profiles.get(name)
            if profile is None:
                raise QCredError(f"Rigetti QCS has no profile named {name!r} in {self.files.settings_path}.")
            profiles = settings_doc.get("profiles")
            if profiles is not None and name in profiles:
                del profiles[name]
                changed.append(self.files.settings_path)
            others = {p.credentials_name for key, p in settings.profiles.items() if key != name}
            credential = profile.credentials_name
            table = secrets_doc.get("credentials")
            if credential not in others and table is not None:
                # the SDK's entry and, when handed off, jupyter_qcred's own entry holding its real tokens
                for entry in (credential, handoff.managed_name(credential)):
                    if entry in table:
                        del table[entry]
                        if self.files.secrets_path not in changed:
                            changed.append(self.files.secrets_path)
            if settings.default_profile_name == name:
                usable = [
                    key
                    for key, p in settings.profiles.items()
                    if key != name
                    and (found := secrets.credentials.get(p.credentials_name)) is not None
                    and found.usable
                ]
                if usable:
                    set_default_profile(settings_doc, usable[0])
                elif "default_profile_name" in settings_doc:
                    del settings_doc["default_profile_name"]
                if self.files.settings_path not in changed:
                    changed.append(self.files.settings_path)
            self.writer.write_documents(settings_doc, secrets_doc)
        self.memory.sources.pop(name, None)
        if self.files.secrets_path in changed:
            self.writer.forget(credential)
        log.info("QCS profile %s removed", name)
        return changed
