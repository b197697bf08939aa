"""How long before expiry a token is due, as plain arithmetic on seconds.

Kept apart from :mod:`.policy` (dataclasses, random) so that the QCS token command's fast path, which runs in every
SDK process at its first request, can decide "due or not" exactly like the server without paying for those imports.
"""

from __future__ import annotations

#: Refresh when less than this fraction of a token's lifetime is left ...
DEFAULT_FRACTION = 0.2
#: ... and never later than this many seconds before it expires.
DEFAULT_LATEST = 300.0


def margin_seconds(lifetime: float, fraction: float = DEFAULT_FRACTION, latest: float = DEFAULT_LATEST) -> float:
    """Seconds before expiry at which a token of ``lifetime`` seconds is due (at most half its lifetime)."""
    seconds = max(lifetime, 0.0)
    return min(max(fraction * seconds, latest), seconds / 2)
