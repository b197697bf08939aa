"""qnexus's files, exactly as ``qnexus.client.utils`` and ``qnexus.config`` read them.

- ``~/.qnx/auth/token.json``: ``{"data": {"refresh_token": ..., "delete_version_after": null}}``;
- ``~/.qnx/auth/id.json``: ``{"data": {"access_token": ...}}``, or ``~/.qnx/managed_auth/id.json`` when
  ``NEXUS_MANAGED_TOKENS`` is set (qnexus then never writes nor deletes ``token.json``: a hub manages it — us);
- ``~/.qnexus/config`` (``$NEXUS_CONFIG_FILE``): ``NEXUS_*`` settings in dotenv form; we write the URL there
  (``NEXUS_PROTOCOL``, ``NEXUS_DOMAIN``, ``NEXUS_PORT``) when the bundle names one, keeping every other line.

The settings resolve as in qnexus (pydantic-settings): the environment first, then the config file, then defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...core import files
from ...core.errors import FileFormatError, QCredError
from ...core.settings import Settings
from ...core.validation import url_problem
from ..shared.linefile import LineFile

DEFAULTS = {"NEXUS_PROTOCOL": "https", "NEXUS_DOMAIN": "nexus.quantinuum.com", "NEXUS_PORT": "443"}


class NexusStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def managed(self) -> bool:
        """qnexus's ``is_managed_token_environment``: any non-empty ``NEXUS_MANAGED_TOKENS``."""
        return bool(self.settings.environ.get("NEXUS_MANAGED_TOKENS"))

    @property
    def config_path(self) -> Path:
        configured = self.settings.environ.get("NEXUS_CONFIG_FILE")
        return Path(configured).expanduser() if configured else self.settings.home / ".qnexus" / "config"

    def _setting(self, name: str) -> str | None:
        env = self.settings.environ
        value = env.get("NEXUS_DOMAIN") or env.get("NEXUS_HOST") if name == "NEXUS_DOMAIN" else env.get(name)
        if value:
            return value
        document = LineFile(files.read_text(self.config_path), where=str(self.config_path))
        return document.get(name) or (document.get("NEXUS_HOST") if name == "NEXUS_DOMAIN" else None)

    @property
    def url(self) -> str:
        """``{protocol}://{domain}:{port}``, the URL qnexus builds."""
        parts = [self._setting(name) or DEFAULTS[name] for name in ("NEXUS_PROTOCOL", "NEXUS_DOMAIN", "NEXUS_PORT")]
        return f"{parts[0]}://{parts[1]}:{parts[2]}"

    def checked_url(self) -> str:
        """:attr:`url`, refused with a sentence when it is not one we send tokens to (https, or http on loopback):
        qnexus would send the refresh token there in clear, we do not."""
        url = self.url
        problem = url_problem(url)
        if problem:
            raise QCredError(
                f"Quantinuum Nexus: the Nexus address built from NEXUS_PROTOCOL, NEXUS_DOMAIN and NEXUS_PORT (the "
                f"environment or {self.config_path}) {problem}, so no token was sent; fix those settings."
            )
        return url

    @property
    def auth_dir(self) -> Path:
        return self.settings.home / (self._setting("NEXUS_TOKEN_PATH") or ".qnx/auth")

    @property
    def refresh_path(self) -> Path:
        return self.auth_dir / "token.json"

    @property
    def access_path(self) -> Path:
        folder = self.settings.home / (self._setting("NEXUS_MANAGED_TOKEN_PATH") or ".qnx/managed_auth")
        return (folder if self.managed else self.auth_dir) / "id.json"

    def _read(self, path: Path, key: str) -> str | None:
        text = files.read_text(path)
        if text is None or not text.strip():
            return None
        try:
            value = json.loads(text)["data"][key]
        except (ValueError, KeyError, TypeError):
            raise FileFormatError(path, f'is not a qnexus token file ({{"data": {{"{key}": ...}}}})') from None
        if not isinstance(value, str):
            raise FileFormatError(path, f"holds no {key} string")
        return value or None

    def refresh_token(self) -> str | None:
        return self._read(self.refresh_path, "refresh_token")

    def access_token(self) -> str | None:
        return self._read(self.access_path, "access_token")

    def write_access(self, token: str) -> None:
        files.atomic_write(self.access_path, json.dumps({"data": {"access_token": token}}))

    def write_refresh(self, token: str) -> None:
        data: dict[str, Any] = {"data": {"refresh_token": token, "delete_version_after": None}}
        files.atomic_write(self.refresh_path, json.dumps(data))

    def write_url(self, url: str) -> None:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with files.locked(self.config_path, self.settings.lock_timeout):
            document = LineFile(files.read_text(self.config_path), where=str(self.config_path))
            for name, value in (
                ("NEXUS_PROTOCOL", parts.scheme),
                ("NEXUS_DOMAIN", parts.hostname),
                ("NEXUS_PORT", str(port)),
            ):
                document.set(name, value)
            document.set("NEXUS_WEBSOCKETS_PROTOCOL", "ws" if parts.scheme == "http" else "wss")
            files.atomic_write(self.config_path, document.text())
