"""The files of a Braket profile: a section of the AWS config file, the token file botocore reads, and our note of
how to renew that token.

- ``~/.aws/config`` (``$AWS_CONFIG_FILE``): ``[profile NAME]`` (``[default]`` for "default") with ``role_arn``,
  ``web_identity_token_file`` and ``region``; every other section, key and comment is kept (the lossless INI editor
  of :mod:`jupyter_qcred.providers.shared.rcdocument`);
- ``~/.aws/qcred/NAME.token``: the OIDC id_token alone, as botocore's ``FileWebIdentityTokenLoader`` reads it;
- ``~/.aws/qcred/NAME.json``: how to renew it (``refresh``: "provider" with ``issuer``, ``client_id`` and the
  ``refresh_token``, or "hub"). Its lock is the refresh lock: whoever renews the token holds it.

A profile is ours when its ``web_identity_token_file`` is in ``~/.aws/qcred`` and its name is a plain file name
(:func:`~jupyter_qcred.core.validation.file_name`); other profiles are not shown. A section that points into
``~/.aws/qcred`` but whose name is not one (``[profile ../../../victim/data]``) is listed in
:meth:`BraketStore.ignored` with a sentence, and no file is ever read or removed for it: every path this store
touches is built from a checked name, inside ``~/.aws/qcred``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...core import files
from ...core.errors import QCredError
from ...core.settings import Settings
from ...core.validation import NAME_RULE, file_name
from ..shared import editing
from ..shared.idtoken import Held, TokenFiles, json_object
from ..shared.rcdocument import RcDocument
from .spec import BraketProfileSpec


@dataclasses.dataclass(kw_only=True)
class Stored(Held):
    """One of our profiles as the files hold it."""

    profile: str
    role_arn: str | None
    region: str | None


def section_of(profile: str) -> str:
    return "default" if profile == "default" else f"profile {profile}"


def profile_of(section: str) -> str | None:
    if section == "default":
        return "default"
    return section[len("profile ") :].strip() if section.startswith("profile ") else None


class BraketStore(TokenFiles):
    """Reads and writes the files above (atomic, locked, 0600)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.home / ".aws" / "qcred", _checked)

    @property
    def config_path(self) -> Path:
        return Path(self.settings.environ.get("AWS_CONFIG_FILE") or self.settings.home / ".aws" / "config")

    def document(self) -> RcDocument:
        return RcDocument(files.read_text(self.config_path) or "", self.config_path)

    def profiles(self) -> list[Stored]:
        """Our profiles, in the config file's order (see the module docstring for which are ours)."""
        document = self.document()
        return [self.load(profile, values) for profile, values in self._sections(document) if file_name(profile)]

    def ignored(self) -> list[str]:
        """A sentence for each section that points its token file into ``~/.aws/qcred`` but is not ours."""
        return [
            f"{self.config_path}: [{section_of(profile)}] is ignored: its name is not one jupyter_qcred writes "
            f"({NAME_RULE.removeprefix('must be ')}), so no file is read or removed for it; remove that section by "
            "hand if you did not add it."
            for profile, _values in self._sections(self.document())
            if not file_name(profile)
        ]

    def _sections(self, document: RcDocument) -> list[tuple[str, dict[str, str]]]:
        """(profile, values) of each section whose token file is in our folder (ours by name or not)."""
        found = []
        for section in document.sections():
            profile = profile_of(section)
            values = document.values(section)
            token_file = values.get("web_identity_token_file")
            if profile is None or not token_file:
                continue
            if Path(token_file).expanduser().parent != self.folder:
                continue  # not ours at all (the user's own web identity profile): not shown, never touched
            found.append((profile, values))
        return found

    def load(self, profile: str, values: dict[str, str] | None = None) -> Stored:
        if values is None:
            values = self.document().values(section_of(profile))
        token = self.read_token(profile)
        note_text = files.read_text(self.note_path(profile))
        return Stored(
            profile=profile,
            role_arn=values.get("role_arn"),
            region=values.get("region"),
            token_file=self.token_path(profile),
            token=token,
            note=json_object(self.note_path(profile), note_text) if note_text else {},
        )

    def write_profile(self, spec: BraketProfileSpec, *, reinit: bool) -> None:
        """The profile's section, its token (if the spec has one) and how to renew it."""
        path = self.config_path
        with editing.edit(
            self.settings,
            path,
            lambda text: RcDocument(text, path),
            lambda: RcDocument("", path),
            lambda document: document.text,
            reinit=reinit,
        ) as document:
            values = {
                "role_arn": spec.role_arn,
                "web_identity_token_file": str(self.token_path(spec.profile)),
                "region": spec.region,
            }
            document.set_section(section_of(spec.profile), values)
        note = {"refresh": spec.refresh, "issuer": spec.issuer, "client_id": spec.client_id}
        with files.locked(self.note_path(spec.profile), self.settings.lock_timeout):
            self.write_tokens(spec.profile, note, spec.web_identity_token, spec.refresh_token)

    def remove_profile(self, profile: str) -> list[Path]:
        """Remove one of our profiles: its section, then its token file and note; returns the files changed.
        A name that is not ours is refused before anything is touched."""
        _checked(profile)
        changed = []
        with files.locked(self.config_path, self.settings.lock_timeout):
            document = self.document()
            if document.remove_section(section_of(profile)):
                files.atomic_write(self.config_path, document.text)
                changed.append(self.config_path)
        return changed + self.remove_files(profile)


def _checked(profile: str) -> str:
    """``profile`` when it is a plain file name; a QCredError with a sentence otherwise (never a path outside)."""
    if not file_name(profile):
        raise QCredError(
            f"{profile!r} is not an Amazon Braket profile jupyter_qcred manages (a profile name {NAME_RULE}); "
            "nothing was read or changed."
        )
    return profile
