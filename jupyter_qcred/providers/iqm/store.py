"""The tokens file iqm-client reads when ``IQM_TOKENS_FILE`` names it, in IQM's Cortex CLI layout.

iqm-client 36 (``iqm.station_control.client.authentication.TokensFileReader``) opens the file, ``json.loads`` it and
takes ``access_token`` only; the token must be a JWT whose ``exp`` is still ahead, else "Access token in file has
expired or is not valid". It reads the file again whenever the token it holds has 60 s or less left
(``REFRESH_MARGIN_SECONDS``), so a token renewed in the file reaches every running kernel without a restart. It never
renews anything itself. The Cortex CLI's token manager writes ``pid``, ``timestamp``, ``refresh_status``,
``access_token``, ``refresh_token`` and ``auth_server_url``; we write the same keys (so ``iqmcortex`` reads our
file too) plus what a renewal and the card need: ``realm``, ``client_id`` (Cortex keeps those in its config file),
``server_url``, ``quantum_computer``, and ``api_token`` for a Resonance API token that is not a JWT (which
iqm-client takes only from ``IQM_TOKEN``, so the server exports it as that). Every other key is kept.

The file is ``$QCRED_IQM_TOKENS_FILE``, else ``$IQM_TOKENS_FILE`` (the file the user's iqm-client already reads),
else ``~/.iqm/tokens.json``; 0600 in a 0700 folder, written atomically under its lock.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...core import files, safejson
from ...core.errors import FileFormatError
from ...core.settings import Settings

#: The keys of the tokens file that hold secrets.
SECRET_KEYS = ("access_token", "refresh_token", "api_token")
#: Strings we read; each, when present, must be a string (the file's sentence names the key, never the value).
STRING_KEYS = (*SECRET_KEYS, "auth_server_url", "realm", "client_id", "server_url", "quantum_computer")


class TokensDocument:
    """The parsed tokens file: a JSON object whose other keys are kept as they are."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    @classmethod
    def parse(cls, text: str | None, where: str) -> TokensDocument:
        if not text or not text.strip():
            return cls({}, where)
        try:
            data = safejson.loads(text)
        except ValueError:
            raise FileFormatError(Path(where), "is not JSON (iqm-client's tokens file is a JSON object)") from None
        if not isinstance(data, dict):
            raise FileFormatError(Path(where), "is not a JSON object (iqm-client reads its access_token key)")
        for key in STRING_KEYS:
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise FileFormatError(Path(where), f"has a {key} value that is not a string (iqm-client reads strings)")
        return cls(dict(data), where)

    def get(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) and value else None

    def set(self, key: str, value: str | None) -> None:
        if value:
            self.data[key] = value
        else:
            self.data.pop(key, None)

    def stamp(self, refreshed: bool | None = None) -> None:
        """The Cortex CLI's bookkeeping keys: who wrote it and when (and whether a renewal worked)."""
        self.data["pid"] = os.getpid()
        self.data["timestamp"] = datetime.now(timezone.utc).isoformat()
        if refreshed is not None:
            self.data["refresh_status"] = "SUCCESS" if refreshed else "FAILED"

    def text(self) -> str:
        return json.dumps(self.data, indent=2) + "\n"

    @property
    def sent_token(self) -> str | None:
        """What iqm-client would send: the API token (via ``IQM_TOKEN``) or the file's access token."""
        return self.get("api_token") or self.get("access_token")

    @property
    def renewable(self) -> bool:
        return bool(self.get("refresh_token") and self.get("auth_server_url"))


class TokensStore:
    """Where the tokens file is, and reading it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def path(self) -> Path:
        env = self.settings.environ
        configured = env.get("QCRED_IQM_TOKENS_FILE") or env.get("IQM_TOKENS_FILE")
        return Path(configured).expanduser() if configured else self.settings.home / ".iqm" / "tokens.json"

    def read(self) -> TokensDocument:
        """The file now (an empty document when there is none; FileFormatError naming it when it does not parse)."""
        return TokensDocument.parse(files.read_text(self.path), str(self.path))
