"""When a QCS token was saved and when it expires: RFC 3339 text as the SDK writes it, and a JWT's ``iat``/``exp``.

A JWT is read without checking its signature, as ``qcs_api_client_common`` reads it: the point is to agree with the
SDK on whether a stored token is due, not to trust the token. Nothing here returns or formats a token: one that
cannot be read gives a ``problem`` phrase instead.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

from .claims import jwt_claims

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$",
)


def parse_rfc3339(text: str) -> datetime | None:
    """An aware datetime from RFC 3339 text (the SDK writes nanoseconds: they are cut to microseconds)."""
    match = _RFC3339.match(text.strip())
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micro}{offset}").astimezone(timezone.utc)
    except ValueError:
        return None


def format_rfc3339(moment: datetime) -> str:
    """``updated_at`` the way the SDK writes it: UTC, fractional seconds, ``Z``, as a quoted string."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclasses.dataclass(frozen=True)
class JwtTimes:
    """What an access token says about its own lifetime (read without verifying it, like the SDK)."""

    issued_at: datetime | None = None
    expires_at: datetime | None = None
    #: Why the times are unknown, as a sentence fragment without the token ("is not a JWT").
    problem: str | None = None

    @property
    def lifetime(self) -> timedelta | None:
        """``exp - iat`` when both are known."""
        if self.issued_at and self.expires_at:
            return self.expires_at - self.issued_at
        return None


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def jwt_times(token: str | None) -> JwtTimes:
    """``iat``/``exp`` of a JWT by base64url-decoding its payload; anything odd gives a ``problem`` instead."""
    if not token:
        return JwtTimes(problem="is missing")
    claims = jwt_claims(token)
    if isinstance(claims, str):
        return JwtTimes(problem=claims)
    expires = _timestamp(claims.get("exp"))
    issued = _timestamp(claims.get("iat"))
    if expires is None:
        return JwtTimes(issued_at=issued, problem="has no expiry (exp) claim")
    return JwtTimes(issued_at=issued, expires_at=expires)
