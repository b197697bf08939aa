"""Writing QCS profiles into ``settings.toml`` and ``secrets.toml``: bundle entries, uploads, the default profile.

Every write is a locked read-modify-write of both files that keeps what this project does not own, validates the
result as the SDK will read it, and writes secrets first, so a profile never points at a credential that is not on
disk yet. A file the SDK cannot read is an error, except on re-initialization, which keeps it as a backup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit

from ...core import files
from ...core.errors import FieldError, FileFormatError, QCredError
from ...core.states import utcnow
from ..shared import editing
from ..shared.times import format_rfc3339, jwt_times
from . import handoff, store
from .base import Memory, QcsFiles, log
from .model import (
    DEFAULT_PROFILE_NAME,
    AuthServer,
    QcsSecrets,
    QcsSettings,
    load_settings,
    parse_toml,
    secrets_from_document,
    settings_from_document,
)
from .spec import QcsProfileSpec

if TYPE_CHECKING:
    from . import uploads


class QcsWriter:
    """Materialize, import, hand off and choose the default (the writing half of the provider interface); every
    write is a locked read-modify-write of the files (:mod:`jupyter_qcred.providers.shared.editing`)."""

    def __init__(self, files: QcsFiles, memory: Memory) -> None:
        self.files = files
        self.memory = memory
        self.settings = files.settings

    def document_for_write(
        self, path: Path, validate: Callable[[tomlkit.TOMLDocument, Path], object], reinit: bool
    ) -> tomlkit.TOMLDocument:
        """The current document of ``path`` for a read-modify-write (we hold its lock).

        A file the SDK could not read either is an error, unless ``reinit``: it is then kept as a timestamped
        backup and replaced.
        """

        def parse(text: str) -> tomlkit.TOMLDocument:
            document = parse_toml(text, path)
            validate(document, path)
            return document

        errors = (FileFormatError, FieldError)
        return editing.read_for_write(path, parse, tomlkit.document, reinit=reinit, errors=errors, log=log)[0]

    def write_documents(self, settings_doc: tomlkit.TOMLDocument, secrets_doc: tomlkit.TOMLDocument) -> None:
        """Validate both results as the SDK will read them, then write secrets first (a profile never points at a
        credential that is not on disk yet). With ``QCS_SECRETS_READ_ONLY`` nothing is written."""
        self._refuse_if_read_only()
        settings_from_document(settings_doc, self.files.settings_path)
        secrets_from_document(secrets_doc, self.files.secrets_path)
        files.atomic_write(self.files.secrets_path, tomlkit.dumps(secrets_doc))
        files.atomic_write(self.files.settings_path, tomlkit.dumps(settings_doc))

    def _refuse_if_read_only(self) -> None:
        if self.files.read_only:
            raise QCredError(
                "Rigetti QCS: QCS_SECRETS_READ_ONLY is set, so jupyter_qcred does not write "
                f"{self.files.secrets_path}; nothing was written. Unset QCS_SECRETS_READ_ONLY to let jupyter_qcred "
                "store QCS credentials."
            )

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        """Write bundle profiles (``bundle.QcsProfileSpec``) into both files; returns the profile names written.

        Settings get api/grpc URLs, the auth server (issuer, client_id) and ``credentials_name`` (the profile's own
        name unless the spec says otherwise); secrets get one credential per profile. A token already on disk that
        is newer than the bundle's (a later ``iat``) is kept: the bundle was made at spawn time, we may have
        refreshed since. ``spec.refresh == "hub"`` is remembered: such credentials are renewed by pulling from
        the hub, not by us.
        """
        return self.write_profiles(list(specs), source=source, reinit=reinit, keep_newer=True)

    def write_profiles(self, specs: list[QcsProfileSpec], *, source: str, reinit: bool, keep_newer: bool) -> list[str]:
        if not specs:
            return []
        for spec in specs:
            if not isinstance(spec, QcsProfileSpec):
                raise TypeError(f"QcsProvider.materialize takes QcsProfileSpec entries, not {type(spec).__name__}")
        with editing.locked(self.settings, self.files.settings_path, self.files.secrets_path):
            settings_doc = self.document_for_write(self.files.settings_path, settings_from_document, reinit)
            secrets_doc = self.document_for_write(self.files.secrets_path, secrets_from_document, reinit)
            before = settings_from_document(settings_doc, self.files.settings_path)
            existing = handoff.view(secrets_from_document(secrets_doc, self.files.secrets_path))
            now = utcnow()
            written: list[str] = []
            wanted: dict[str, tuple[str, str]] = {}
            for spec in specs:
                credential = self._apply_spec(settings_doc, secrets_doc, before, existing, spec, now, keep_newer)
                self.memory.sources[spec.profile] = source
                self.memory.refresh_via[credential] = spec.refresh
                wanted[credential] = (spec.profile, spec.handoff or self.settings.qcs_handoff)
                written.append(spec.profile)
            self._arrange(secrets_doc, wanted)
            if not any(spec.default for spec in specs):
                self._choose_default(settings_doc, secrets_doc, specs[0].profile)
            self.write_documents(settings_doc, secrets_doc)
        log.info("QCS: wrote profiles %s from %s", ", ".join(written), source)
        return written

    def _apply_spec(
        self,
        settings_doc: tomlkit.TOMLDocument,
        secrets_doc: tomlkit.TOMLDocument,
        before: QcsSettings,
        existing: QcsSecrets,
        spec: QcsProfileSpec,
        now: datetime,
        keep_newer: bool,
    ) -> str:
        """Edit both documents for one spec; returns the credential name it wrote."""
        old = before.profiles.get(spec.profile) if "profiles" in settings_doc else None
        credential = spec.credentials_name or (old.credentials_name if old else spec.profile)
        values: dict[str, str | None] = {
            "api_url": spec.api_url,
            "grpc_api_url": spec.grpc_api_url,
            "credentials_name": credential,
        }
        # For client credentials, spec.client_id names the confidential client, not the auth server's client.
        server_client_id = None if spec.client_secret else spec.client_id
        if spec.issuer or server_client_id or spec.auth_server_name:
            custom = bool(spec.issuer or server_client_id)
            server_name = spec.auth_server_name or (spec.profile if custom else DEFAULT_PROFILE_NAME)
            known = before.auth_servers.get(server_name) or AuthServer()
            server = AuthServer(client_id=server_client_id or known.client_id, issuer=spec.issuer or known.issuer)
            store.upsert_auth_server(settings_doc, server_name, server)
            values["auth_server_name"] = server_name
        elif old is None:
            values["auth_server_name"] = DEFAULT_PROFILE_NAME
            if "auth_servers" in settings_doc and DEFAULT_PROFILE_NAME not in before.auth_servers:
                store.upsert_auth_server(settings_doc, DEFAULT_PROFILE_NAME, AuthServer())
        store.upsert_profile(settings_doc, spec.profile, values=values)
        if spec.default:
            store.set_default_profile(settings_doc, spec.profile)
        if spec.client_secret and spec.client_id:
            store.replace_client_credentials(secrets_doc, credential, spec.client_id, spec.client_secret)
            return credential
        current = existing.credentials.get(credential)
        payload = current.token_payload if current is not None else None
        if keep_newer and payload is not None and _newer(payload.access_token, spec.access_token):
            log.info("QCS credential %s: kept the newer token already on disk", credential)
            return credential
        times = jwt_times(spec.access_token)
        lifetime = times.lifetime
        store.take_back(secrets_doc, credential, handoff.managed_name(credential))
        store.replace_token_payload(
            secrets_doc,
            credential,
            access_token=spec.access_token,
            refresh_token=spec.refresh_token,
            updated_at=now,
            expires_in=int(lifetime.total_seconds()) if lifetime and lifetime.total_seconds() >= 0 else None,
        )
        self.forget(credential)
        return credential

    def _arrange(self, secrets_doc: tomlkit.TOMLDocument, wanted: dict[str, tuple[str, str]]) -> None:
        """Lay out each credential for its hand-off mode (credential -> (a profile using it, mode)).

        ``command``: a token payload moves to ``jupyter_qcred-NAME`` and ``NAME`` runs our token command;
        ``files``: a handed-off pair goes back to a plain token payload. Client credentials (no refresh token to
        spend) and other people's ``externally_managed`` commands stay as they are.
        """
        for credential, (profile, mode) in wanted.items():
            if mode not in handoff.HANDOFF_MODES:
                raise QCredError(
                    f"Rigetti QCS: the hand-off {mode!r} is unknown; use one of {', '.join(handoff.HANDOFF_MODES)}."
                )
            raw = secrets_from_document(secrets_doc, self.files.secrets_path).credentials
            current = handoff.view(QcsSecrets(raw)).credentials.get(credential)
            managed = handoff.managed_name(credential)
            if current is None or current.kind == "externally_managed":
                continue
            if current.kind == "client_credentials":
                if managed in raw:
                    del secrets_doc["credentials"][managed]
            elif mode == "command":
                command, args = handoff.token_command(profile)
                store.hand_off(secrets_doc, credential, managed, command, args, handoff.TIMEOUT_SECONDS)
            elif current.handoff is not None:
                store.take_back(secrets_doc, credential, managed)
            elif managed in raw:
                del secrets_doc["credentials"][managed]

    def adopt(self, mode: str | None = None) -> list[str]:
        """Lay out every profile's credential for the hand-off ``mode`` (default: the settings'); returns the
        credentials whose layout changed.

        The server does this at start for the profiles it finds on disk (so a ``secrets.toml`` written by someone
        else is handed off too), and ``jupyter qcred init --handoff files`` to go back to plain files. With
        ``QCS_SECRETS_READ_ONLY`` nothing is written.
        """
        mode = mode or self.settings.qcs_handoff
        if not self.files.secrets_path.exists():
            return []  # (no lock either: a server without QCS credentials leaves no ~/.qcs behind)
        self._refuse_if_read_only()
        with files.locked(self.files.secrets_path, self.settings.lock_timeout):
            # settings.toml alone: the secrets are parsed once, below (a server start adopts twice)
            settings = load_settings(self.files.settings_path, files.read_text(self.files.settings_path))[1]
            text = files.read_text(self.files.secrets_path)
            if text is None:
                return []
            document = parse_toml(text, self.files.secrets_path)
            before = secrets_from_document(document, self.files.secrets_path).credentials
            default = settings.effective_default(self.files.environ())
            wanted: dict[str, tuple[str, str]] = {}
            for name in sorted(settings.profiles, key=lambda profile: profile != default):
                credential = settings.profiles[name].credentials_name
                if credential in before and credential not in wanted:
                    wanted[credential] = (name, mode)
            self._arrange(document, wanted)
            after = tomlkit.dumps(document)
            if after == text:
                return []
            secrets_from_document(document, self.files.secrets_path)
            files.atomic_write(self.files.secrets_path, after)
        changed = secrets_from_document(parse_toml(after, self.files.secrets_path), self.files.secrets_path).credentials
        names = sorted(name for name in wanted if changed.get(name) != before.get(name))
        log.info("QCS: hand-off %s for credentials %s", mode, ", ".join(names) or "none")
        return names

    def forget(self, credential: str) -> None:
        """New tokens: the old refusal and account details no longer apply."""
        self.memory.refused.pop(credential, None)
        self.memory.accounts.pop(credential, None)
        self.memory.client_tokens.pop(credential, None)

    def _choose_default(
        self, settings_doc: tomlkit.TOMLDocument, secrets_doc: tomlkit.TOMLDocument, candidate: str
    ) -> None:
        """Make ``candidate`` the default when the current default profile is missing or has no credential."""
        settings = settings_from_document(settings_doc, self.files.settings_path)
        credentials = secrets_from_document(secrets_doc, self.files.secrets_path).credentials
        current = settings.profiles.get(settings.default_profile_name)
        credential = credentials.get(current.credentials_name) if current is not None else None
        if credential is None or not credential.usable:
            store.set_default_profile(settings_doc, candidate)

    def set_default(self, name: str, instance: str | None = None) -> None:
        """Make profile ``name`` the default (``default_profile_name``; ``QCS_PROFILE_NAME`` still wins)."""
        with files.locked(self.files.settings_path, self.settings.lock_timeout):
            document = self.document_for_write(self.files.settings_path, settings_from_document, reinit=False)
            settings = settings_from_document(document, self.files.settings_path)
            if name not in settings.profiles:
                known = ", ".join(sorted(settings.profiles)) or "none"
                raise QCredError(
                    f"Rigetti QCS: there is no profile {name!r} in {self.files.settings_path} (profiles: {known})."
                )
            store.set_default_profile(document, name)
            files.atomic_write(self.files.settings_path, tomlkit.dumps(document))
        if self.files.environ().get("QCS_PROFILE_NAME"):
            log.info("QCS: default profile set to %s, but QCS_PROFILE_NAME overrides it in this environment", name)

    def upload_names(self, filename: str, content: str) -> list[str]:
        """The credentials (secrets.toml) or the new and changed profiles (settings.toml) an upload holds, validated
        as the SDK would read it and against the upload rules (:mod:`.uploads`); nothing is written (FileFormatError,
        FieldError, UploadRefusedError or QCredError otherwise)."""
        from . import uploads  # the upload rules: imported by the first upload, not at start-up

        label, document, kind = self._upload(filename, content)
        if kind == "secrets":
            uploaded = secrets_from_document(document, label)
            if not uploaded.credentials:
                raise FieldError(str(label), "credentials", "is missing: the file holds no credential")
            uploads.review_secrets(label, document, uploaded)
            return list(uploaded.credentials)
        return self._review_settings(label, document).names

    def upload_hosts(self, filename: str, content: str) -> list[str]:
        """The hosts an uploaded settings.toml would send tokens to that neither Rigetti nor our files use now (a
        secrets.toml names no host: its credentials go where our profiles, or the SDK's defaults, say)."""
        label, document, kind = self._upload(filename, content)
        return [] if kind == "secrets" else self._review_settings(label, document).hosts

    def upload_replaces(self, filename: str, content: str) -> list[tuple[str, str]]:
        """What an upload would replace, as (what, name): the credentials of a secrets.toml we hold already (even
        one no profile of its own name shows), a settings.toml's changed profiles and auth servers (identical
        content is no change). Each needs the "Replace it?" step."""
        from . import uploads  # the upload rules: imported by the first upload, not at start-up

        label, document, kind = self._upload(filename, content)
        if kind == "secrets":
            ours = handoff.view(
                secrets_from_document(uploads.readable(self.files.secrets_path), self.files.secrets_path)
            )
            return [
                ("credential", name) for name in uploads.names_in(document, "credentials") if name in ours.credentials
            ]
        return self._review_settings(label, document).replaces

    def _upload(self, filename: str, content: str) -> tuple[Path, tomlkit.TOMLDocument, str]:
        from . import uploads  # the upload rules: imported by the first upload, not at start-up

        label = Path(Path(filename or "upload.toml").name)
        document = parse_toml(content, label)
        return label, document, uploads.check_kind(label.name.lower(), document)

    def _review_settings(
        self, label: Path, document: tomlkit.TOMLDocument, ours: tuple[Any, Any] | None = None
    ) -> uploads.SettingsReview:
        """The upload rules against our files (``ours``: the documents held under the lock; else read now, a file
        that does not parse counting as empty, as the upload will replace it)."""
        from . import uploads  # the upload rules: imported by the first upload, not at start-up

        if ours is None:
            ours = (
                uploads.readable(self.files.settings_path, settings=True),
                uploads.readable(self.files.secrets_path),
            )
        settings_doc, secrets_doc = ours
        credentials = set(secrets_from_document(secrets_doc, self.files.secrets_path).credentials)
        return uploads.review_settings(label, document, settings_doc, self.files.settings_path, credentials)

    def import_file(self, filename: str, content: str, *, make_default: bool = False) -> list[str]:
        """Merge a downloaded ``secrets.toml`` or ``settings.toml`` into ours; returns the names imported.

        The upload is validated first (as the SDK would read it, and by the upload rules of :mod:`.uploads`, again
        under the lock); a bad one raises a clear error and nothing is written. Its entries replace ours of the same
        name; everything else in our files stays. A credential no profile uses gets a profile of its own name.
        Imported tokens without ``updated_at`` get the current time. Uploading is a re-initialization: one of our
        files the SDK cannot read is kept as a backup and replaced.
        """
        from . import uploads  # the upload rules: imported by the first upload, not at start-up

        label = Path(Path(filename or "upload.toml").name)
        try:
            document = parse_toml(content, label)
        except FileFormatError as exc:
            where = f" (line {exc.line})" if exc.line else ""
            raise QCredError(
                f"The uploaded {label} {exc.detail}{where}; nothing was changed. Upload the file exactly as "
                "downloaded from the QCS tokens page."
            ) from None
        kind = uploads.check_kind(label.name.lower(), document)
        now = utcnow()
        with editing.locked(self.settings, self.files.settings_path, self.files.secrets_path):
            settings_doc = self.document_for_write(self.files.settings_path, settings_from_document, reinit=True)
            secrets_doc = self.document_for_write(self.files.secrets_path, secrets_from_document, reinit=True)
            if kind == "secrets":
                uploaded = secrets_from_document(document, label)
                if not uploaded.credentials:
                    raise FieldError(str(label), "credentials", "is missing: the file holds no credential")
                uploads.review_secrets(label, document, uploaded)
                entries = document["credentials"]
                for name, credential in uploaded.credentials.items():
                    table = entries[name]
                    payload = table.get("token_payload") if credential.kind == "token_payload" else None
                    if payload is not None and "updated_at" not in payload:
                        payload["updated_at"] = format_rfc3339(now)
                names = store.merge_entries(secrets_doc, "credentials", {n: entries[n] for n in uploaded.credentials})
                settings = settings_from_document(settings_doc, self.files.settings_path)
                used = {profile.credentials_name for profile in settings.profiles.values()}
                for name in names:
                    self.forget(name)
                    if name not in used:
                        store.upsert_profile(settings_doc, name, values={"credentials_name": name})
                        self.memory.sources[name] = "import"
                self._arrange_imported(settings_doc, secrets_doc, names)
                if make_default:
                    settings = settings_from_document(settings_doc, self.files.settings_path)
                    users = [key for key, p in settings.profiles.items() if p.credentials_name == names[0]]
                    store.set_default_profile(settings_doc, names[0] if names[0] in users or not users else users[0])
                else:
                    self._choose_default(settings_doc, secrets_doc, names[0])
            else:
                uploaded_settings = settings_from_document(document, label)
                self._review_settings(label, document, (settings_doc, secrets_doc))
                names = uploads.merge_settings(settings_doc, document)
                if "default_profile_name" in document and make_default:
                    store.set_default_profile(settings_doc, uploaded_settings.default_profile_name)
                for name in names:
                    self.memory.sources[name] = "import"
            self.write_documents(settings_doc, secrets_doc)
        log.info("QCS: imported %s %s from an uploaded file", kind, ", ".join(names))
        return names

    def _arrange_imported(
        self, settings_doc: tomlkit.TOMLDocument, secrets_doc: tomlkit.TOMLDocument, names: list[str]
    ) -> None:
        """Imported credentials take the settings' hand-off, each with a profile that uses it."""
        settings = settings_from_document(settings_doc, self.files.settings_path)
        users = {profile.credentials_name: profile.name for profile in settings.profiles.values()}
        self._arrange(secrets_doc, {name: (users.get(name, name), self.settings.qcs_handoff) for name in names})


def _newer(on_disk: str | None, incoming: str | None) -> bool:
    """Whether the access token on disk was issued after the incoming one (then the disk's is kept)."""
    disk, new = jwt_times(on_disk), jwt_times(incoming)
    disk_at = disk.issued_at or disk.expires_at
    new_at = new.issued_at or new.expires_at
    return disk_at is not None and new_at is not None and disk_at > new_at
