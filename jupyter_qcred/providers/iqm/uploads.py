"""An uploaded tokens file of IQM's Cortex CLI (what ``IQM_TOKENS_FILE`` names), as one bundle entry."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ...core.errors import FieldError, FileFormatError
from ...core.validation import line_problem, url_problem
from .spec import DEFAULT_CLIENT_ID, DEFAULT_REALM, IqmTokenSpec
from .store import SECRET_KEYS, TokensDocument


def upload_specs(filename: str, content: str) -> list[IqmTokenSpec]:
    """``refresh_token`` with ``auth_server_url`` (a login renewed here), or an ``access_token`` alone; a bare token
    on one line is taken as a pasted API token. FileFormatError/FieldError naming the file and key otherwise."""
    where = Path(filename).name or "uploaded file"
    lines = [line.strip() for line in content.splitlines() if line.strip()]
    if len(lines) == 1 and not lines[0].startswith("{") and " " not in lines[0]:
        return [IqmTokenSpec(token=lines[0])]
    document = TokensDocument.parse(content, where)
    for key in SECRET_KEYS:
        value = document.get(key)
        if value and line_problem(value):
            raise FieldError(where, key, str(line_problem(value)))
    for key in ("auth_server_url", "server_url"):
        value = document.get(key)
        if value and url_problem(value):
            raise FieldError(where, key, str(url_problem(value)))
    refresh, auth = document.get("refresh_token"), document.get("auth_server_url")
    token = document.get("api_token") or document.get("access_token")
    if refresh and not auth:
        raise FileFormatError(where, "has a refresh_token but no auth_server_url to renew it with")
    if not token and not refresh:
        raise FileFormatError(where, "holds no IQM token (access_token, or refresh_token and auth_server_url)")
    return [
        IqmTokenSpec(
            token=token,
            refresh_token=refresh,
            auth_server_url=auth,
            realm=document.get("realm") or DEFAULT_REALM,
            client_id=document.get("client_id") or DEFAULT_CLIENT_ID,
            url=document.get("server_url"),
            quantum_computer=document.get("quantum_computer"),
        )
    ]


def digest(text: str) -> str:
    """An upload's text, recognised again between its check and its import (never stored)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
