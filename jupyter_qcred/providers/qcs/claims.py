"""The claims of a JWT, read without verifying it (as ``qcs_api_client_common`` reads it).

Only the standard library's base64 and json: the token command's fast path uses this in every SDK process, so it
must stay cheap to import. :func:`.times.jwt_times` builds on it.
"""

from __future__ import annotations

import binascii
import json

TYPE_CHECKING = False  # (not typing's: see fasttoken)
if TYPE_CHECKING:
    from typing import Any

_URLSAFE = str.maketrans("-_", "+/")


def jwt_claims(token: str) -> dict[str, Any] | str:
    """The payload of ``token`` as a dict, or a phrase saying why it cannot be read (never the token itself)."""
    parts = token.split(".")
    if len(parts) != 3:
        return "is not a JWT"
    segment = parts[1]
    try:
        # base64url, decoded with binascii directly (the base64 module is an import this path can skip)
        claims = json.loads(binascii.a2b_base64((segment + "=" * (-len(segment) % 4)).translate(_URLSAFE)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested 100k deep
        return "is not a readable JWT"
    if not isinstance(claims, dict):
        return "is not a readable JWT"
    return claims
