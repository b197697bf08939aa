"""The claims of a JWT, read without verifying it (as ``qcs_api_client_common`` reads it).

Only ``binascii`` and string methods: the token command's fast path uses this in every SDK process, and importing
``json`` (which imports ``re``) would cost more than the rest of that path together. The payload is read by
:func:`_parse`, a small reader of the JSON a token payload holds; anything it does not take (which valid JSON
rarely is) goes to ``json`` when the caller allows it, so both paths read every token the same way.
:func:`.times.jwt_times` builds on this. It lives in :mod:`jupyter_qcred.providers.shared` (whose
``__init__`` imports nothing) because every provider's JWTs are read with it.
"""

from __future__ import annotations

import binascii

TYPE_CHECKING = False  # (not typing's: see qcs/fasttoken)
if TYPE_CHECKING:
    from typing import Any

_URLSAFE = str.maketrans("-_", "+/")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_NUMBER = frozenset("+-0123456789.eE")
_WORDS = {"true": True, "false": False, "null": None}
_SPACE = " \t\n\r"
_HEX = frozenset("0123456789abcdefABCDEF")
#: Nesting the reader follows (a token's payload is flat; this only stops a hostile one early).
MAX_DEPTH = 32


class _Unreadable(Exception):
    """Not JSON this reader takes."""


def _parse(text: str) -> object:
    """``text`` as JSON (RFC 8259: objects, arrays, strings with escapes, numbers, true/false/null)."""
    value, index = _read(text, _skip(text, 0), 0)
    if _skip(text, index) != len(text):
        raise _Unreadable
    return value


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _SPACE:
        index += 1
    return index


def _read(text: str, index: int, depth: int) -> tuple[object, int]:
    if depth > MAX_DEPTH or index >= len(text):
        raise _Unreadable
    char = text[index]
    if char == "{":
        return _object(text, index + 1, depth + 1)
    if char == "[":
        return _array(text, index + 1, depth + 1)
    if char == '"':
        return _string(text, index + 1)
    for word, value in _WORDS.items():
        if text.startswith(word, index):
            return value, index + len(word)
    end = index
    while end < len(text) and text[end] in _NUMBER:
        end += 1
    return _number(text[index:end]), end


def _object(text: str, index: int, depth: int) -> tuple[dict[str, object], int]:
    found: dict[str, object] = {}
    index = _skip(text, index)
    if text[index : index + 1] == "}":
        return found, index + 1
    while True:
        if text[index : index + 1] != '"':
            raise _Unreadable
        key, index = _string(text, index + 1)
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            raise _Unreadable
        found[key], index = _read(text, _skip(text, index + 1), depth)
        index = _skip(text, index)
        if text[index : index + 1] == "}":
            return found, index + 1
        if text[index : index + 1] != ",":
            raise _Unreadable
        index = _skip(text, index + 1)


def _array(text: str, index: int, depth: int) -> tuple[list[object], int]:
    found: list[object] = []
    index = _skip(text, index)
    if text[index : index + 1] == "]":
        return found, index + 1
    while True:
        item, index = _read(text, index, depth)
        found.append(item)
        index = _skip(text, index)
        if text[index : index + 1] == "]":
            return found, index + 1
        if text[index : index + 1] != ",":
            raise _Unreadable
        index = _skip(text, index + 1)


def _string(text: str, index: int) -> tuple[str, int]:
    parts: list[str] = []
    while True:
        end = index
        while end < len(text) and text[end] not in '"\\' and text[end] >= " ":
            end += 1
        parts.append(text[index:end])
        if end >= len(text) or text[end] < " ":
            raise _Unreadable
        if text[end] == '"':
            return "".join(parts), end + 1
        escape = text[end + 1 : end + 2]
        if escape in _ESCAPES:
            parts.append(_ESCAPES[escape])
            index = end + 2
        elif escape == "u" and _HEX.issuperset(text[end + 2 : end + 6]) and len(text) >= end + 6:
            code, index = int(text[end + 2 : end + 6], 16), end + 6
            low = text[index + 2 : index + 6]
            if 0xD800 <= code <= 0xDBFF and text[index : index + 2] == "\\u" and len(low) == 4 and _HEX.issuperset(low):
                second = int(low, 16)
                if 0xDC00 <= second <= 0xDFFF:  # a surrogate pair is one character, as json reads it
                    code, index = 0x10000 + ((code - 0xD800) << 10) + (second - 0xDC00), index + 6
            parts.append(chr(code))
        else:
            raise _Unreadable


def _number(text: str) -> int | float:
    """A JSON number: an optional minus, digits without a leading zero, an optional fraction and exponent."""
    body = text[1:] if text.startswith("-") else text
    whole = body.split(".", 1)[0].split("e", 1)[0].split("E", 1)[0]
    if not whole.isdigit() or not whole.isascii() or (len(whole) > 1 and whole[0] == "0") or "+" in body[:1]:
        raise _Unreadable
    if body == whole:
        return int(text)
    try:
        return float(text)
    except ValueError:
        raise _Unreadable from None


def jwt_claims(token: str, *, fallback: bool = True) -> dict[str, Any] | str:
    """The payload of ``token`` as a dict, or a phrase saying why it cannot be read (never the token itself).

    ``fallback``: a payload the small reader does not take is read with ``json`` (the full command, the server); the
    fast path passes False and steps aside instead.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return "is not a JWT"
    segment = parts[1]
    try:
        # base64url, decoded with binascii directly (the base64 module is an import this path can skip)
        raw = binascii.a2b_base64((segment + "=" * (-len(segment) % 4)).translate(_URLSAFE))
    except (binascii.Error, ValueError):
        return "is not a readable JWT"
    try:
        claims = _parse(raw.decode())
    except (_Unreadable, UnicodeDecodeError):
        if not fallback:
            return "is not a payload the fast path reads"
        import json

        try:
            claims = json.loads(raw)
        except (ValueError, RecursionError):  # (UnicodeDecodeError is a ValueError; RecursionError: 100k deep)
            return "is not a readable JWT"
    if not isinstance(claims, dict):
        return "is not a readable JWT"
    return claims
