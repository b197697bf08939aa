"""The claims of a JWT: :mod:`jupyter_qcred.providers.shared.claims` (every provider's JWTs are read with it); the
names are kept here for code that imported them from QCS."""

from __future__ import annotations

from ..shared.claims import MAX_DEPTH, _parse, _Unreadable, jwt_claims

__all__ = ["MAX_DEPTH", "_Unreadable", "_parse", "jwt_claims"]
