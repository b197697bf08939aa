"""The request log tests read to see what clients really did (which grant, which client, how often).

Entries hold who and what, never a secret: no token, key, code or query string is recorded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

MAX_ENTRIES = 20000


class RequestLog:
    """A bounded, thread-safe list of request records."""

    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()
        self._seq = 0

    def append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, "time": time.time(), **entry})

    def entries(self, endpoint: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(e)
                for e in self._entries
                if e["seq"] > since and (endpoint is None or e.get("endpoint") == endpoint)
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
