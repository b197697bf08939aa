"""JWT minting and opaque secrets for the sandbox.

The real providers hand out RS256-signed JWTs (Okta for QCS, IBM Cloud IAM for IBM) and their SDKs decode them
*without* verifying the signature, reading only ``exp``/``iat``.  We sign with a real RSA key anyway, so a
client that does verify (through the published JWKS) works too, and so the sandbox itself can tell a token it
issued from a forged or edited one.  Opaque secrets (refresh tokens, API keys, codes) are random strings; the
sandbox stores only their SHA-256 digests, which is why nothing it logs or reports can leak one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class TokenInvalid(Exception):
    """A presented JWT was not issued by this sandbox, was altered, or has expired."""


def b64url(data: bytes) -> str:
    """Encode without padding, as JOSE requires."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digest(secret: str) -> str:
    """SHA-256 of a secret: the only form in which the sandbox keeps tokens and keys."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def opaque(prefix: str = "", nbytes: int = 32) -> str:
    """A fresh random secret; the prefix only helps a human tell kinds apart while debugging."""
    return prefix + secrets.token_urlsafe(nbytes)


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class JwtSigner:
    """Signs and verifies RS256 JWTs with one RSA key generated per sandbox run."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    def mint(self, claims: dict[str, Any]) -> str:
        """Return a compact JWS for ``claims`` (the caller sets iss/sub/exp...)."""
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def verify(self, token: str, *, issuer: str | None = None, now: float | None = None) -> dict[str, Any]:
        """Return the claims of a token this sandbox signed and that has not expired.

        Raises TokenInvalid with a reason (never containing the token) otherwise.
        """
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenInvalid("not a JWT")
        try:
            signature = b64url_decode(parts[2])
            self._key.public_key().verify(
                signature, (parts[0] + "." + parts[1]).encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(b64url_decode(parts[1]))
        except (InvalidSignature, ValueError, UnicodeError) as exc:
            raise TokenInvalid("signature does not verify") from exc
        if not isinstance(claims, dict):
            raise TokenInvalid("claims are not an object")
        if issuer is not None and claims.get("iss") != issuer:
            raise TokenInvalid("issued by another issuer")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= (time.time() if now is None else now):
            raise TokenInvalid("expired")
        return claims

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWK Set, published at the issuer's ``jwks_uri``."""
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "kid": self.kid,
                    "n": _int_b64(numbers.n),
                    "e": _int_b64(numbers.e),
                }
            ]
        }


def unverified_claims(token: str) -> dict[str, Any]:
    """Claims of a JWT without checking anything, the way the providers' SDKs read them."""
    claims = json.loads(b64url_decode(token.split(".")[1]))
    if not isinstance(claims, dict):
        raise ValueError("JWT claims are not an object")
    return claims
