"""Toy Cloud: a quantum cloud whose SDK reads one JSON file, ``~/.toycloud/tokens.json`` (``{NAME: {"token": ...,
"expires_at": ISO 8601}}``), written by jupyter_qcred from the bundle's ``toy`` section or a pasted token.

It is everything a provider plugin needs, and uses nothing of jupyter_qcred but its public interface
(:mod:`jupyter_qcred.core.provider`) and its file helpers; its token "refresh" is a check that the token is still
stored and not marked revoked (a toy has no cloud to ask).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from jupyter_qcred.core import files
from jupyter_qcred.core.errors import FileFormatError, QCredError, RefusedError
from jupyter_qcred.core.provider import Provider
from jupyter_qcred.core.states import CredentialStatus, State, absent, mask, utcnow
from jupyter_qcred.core.validation import Fields

KEY = "toy"
LIFETIME = timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class ToyToken:
    """One entry of the bundle's ``toy`` section."""

    name: str
    token: str
    default: bool = False

    def __repr__(self) -> str:  # never the token
        return f"ToyToken(name={self.name!r})"


def _expiry() -> str:
    """A new token's expiry, to the microsecond (two refreshes in one second still give two expiries)."""
    return (utcnow() + LIFETIME).isoformat()


def parse_entry(fields: Fields) -> ToyToken:
    fields.unknown({"name", "token", "default"})
    return ToyToken(
        name=fields.text("name") or "default",
        token=fields.secret("token", required=True) or "",
        default=bool(fields.flag("default", False)),
    )


class ToyProvider(Provider):
    """Toy Cloud's token file."""

    key: ClassVar[str] = KEY
    title: ClassVar[str] = "Toy Cloud"
    noun: ClassVar[str] = "token"
    methods: ClassVar[tuple[str, ...]] = ("token",)
    order: ClassVar[int] = 100
    parse_entry = staticmethod(parse_entry)

    @property
    def path(self) -> Path:
        return self.settings.home / ".toycloud" / "tokens.json"

    def _load(self) -> dict[str, Any]:
        text = files.read_text(self.path)
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            raise FileFormatError(f"{self.path} is not JSON; fix it or re-initialize Toy Cloud.") from None
        if not isinstance(data, dict):
            raise FileFormatError(f"{self.path} must hold an object of tokens; re-initialize Toy Cloud.")
        return data

    def _status(self, name: str, entry: Mapping[str, Any], state: State | None = None) -> CredentialStatus:
        expires = datetime.fromisoformat(str(entry["expires_at"])) if entry.get("expires_at") else None
        expired = expires is not None and expires <= utcnow()
        return CredentialStatus(
            provider=KEY,
            name=name,
            state=state or (State.EXPIRED if expired else State.OK),
            expires_at=expires,
            default=bool(entry.get("default")),
            token_hint=mask(str(entry.get("token") or "")),
            file=self.path,
            account={"summary": f"token file {self.path}", "fields": [["Token file", str(self.path)]]},
        )

    def read(self) -> list[CredentialStatus]:
        try:
            data = self._load()
        except FileFormatError as exc:
            return [CredentialStatus(provider=KEY, name=None, state=State.ERROR, error=str(exc), file=self.path)]
        if not data:
            return [absent(KEY, self.path, "No Toy Cloud token: paste one in the panel.")]
        return [self._status(name, entry) for name, entry in data.items()]

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        entry = self._load().get(name)
        if entry is None:
            raise QCredError(f"There is no Toy Cloud token named {name!r}.")
        if str(entry.get("token", "")).startswith("revoked"):
            raise RefusedError(KEY, f"the token {name!r} was revoked; paste a new one.")
        with files.locked(self.path):
            data = self._load()
            data[name]["expires_at"] = _expiry()
            files.atomic_write(self.path, json.dumps(data, indent=2))
        return self._status(name, data[name])

    def watched_paths(self) -> list[Path]:
        return [self.path]

    def names(self) -> list[str]:
        return list(self._load())

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        with files.locked(self.path):
            try:
                data = self._load()
            except FileFormatError:
                if not reinit:
                    raise
                files.backup(self.path)
                data = {}
            for spec in specs:
                if spec.default:
                    for entry in data.values():
                        entry["default"] = False
                data[spec.name] = {"token": spec.token, "expires_at": _expiry()}
                data[spec.name]["default"] = spec.default or len(data) == 1
            files.atomic_write(self.path, json.dumps(data, indent=2))
        return [spec.name for spec in specs]

    def set_default(self, name: str, instance: str | None = None) -> None:
        with files.locked(self.path):
            data = self._load()
            for key, entry in data.items():
                entry["default"] = key == name
            files.atomic_write(self.path, json.dumps(data, indent=2))

    def can_be_default(self, name: str) -> str | None:
        return None

    def remove(self, name: str) -> list[Path]:
        with files.locked(self.path):
            data = self._load()
            if data.pop(name, None) is None:
                return []
            files.atomic_write(self.path, json.dumps(data, indent=2))
        return [self.path]

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        token = str(data.get("token") or "").strip()
        if not token:
            raise QCredError("Paste your Toy Cloud token into the 'token' field.")
        return [ToyToken(name=str(data.get("name") or "default"), token=token)]

    def import_file(self, filename: str, content: str, *, make_default: bool = False) -> list[str]:
        raise QCredError("Toy Cloud takes no credentials file; paste the token instead.")

    def upload_names(self, filename: str, content: str) -> list[str]:
        raise QCredError("Toy Cloud takes no credentials file; paste the token instead.")

    async def check_upload(self, filename: str, content: str) -> None:
        raise QCredError("Toy Cloud takes no credentials file; paste the token instead.")
