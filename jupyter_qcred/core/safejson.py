"""JSON from others (request bodies, bundles, credentials files, providers' answers), with a nesting limit.

Python's parser recurses once per level: a document nested 100,000 deep raises ``RecursionError`` (not a
``ValueError``), which escapes the usual error handling and was logged every second by the watch loop. Nothing we
read nests deeper than a few levels, so anything deeper than :data:`MAX_DEPTH` is refused before parsing, as a
``ValueError`` with a sentence, like any other malformed JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: The deepest nesting accepted; real bundles, account files and answers stay below 10.
MAX_DEPTH = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class TooDeepError(ValueError):
    """The JSON nests deeper than allowed."""


def depth(text: str) -> int:
    """How deep the arrays and objects of ``text`` nest (strings skipped; the text need not be valid JSON)."""
    deepest = level = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        if bracket in "[{":
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def loads(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` with :class:`TooDeepError` (a ValueError)."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if depth(text) > max_depth:
        raise TooDeepError(f"the JSON nests deeper than {max_depth} levels")
    return json.loads(text)
