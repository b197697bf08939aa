"""Fault injection: make chosen endpoints fail the ways real clouds fail.

A rule matches an endpoint by name (``qcs_token``), by family prefix (``qcs`` matches every ``qcs_*``) or by a
substring of the request path, and applies one mode for ``count`` requests (None: until cleared).  Modes:
``status`` (an error status with a JSON body), ``delay`` (answer late), ``timeout`` (never answer; hold the
connection until the client gives up), ``garbage`` (200 with a non-JSON body), ``reset`` (drop the TCP
connection abruptly) and ``invalid_grant`` (an OAuth 400 as if the refresh token had been refused).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any

MODES = ("status", "delay", "timeout", "garbage", "reset", "invalid_grant")


class FaultError(ValueError):
    """The admin asked for a fault that cannot exist (unknown mode, bad numbers)."""


@dataclass
class FaultRule:
    id: int
    match: str
    mode: str
    status: int = 500
    delay: float = 0.0
    count: int | None = None
    applied: int = 0

    def matches(self, endpoint: str, path: str) -> bool:
        m = self.match
        return m == endpoint or endpoint.startswith(m + "_") or m in path


class FaultSet:
    """The active rules; thread-safe because the admin API and handlers share it."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> FaultRule:
        """Validate an admin request and add the rule it describes."""
        match = spec.get("match")
        mode = spec.get("mode", "status")
        if not isinstance(match, str) or not match:
            raise FaultError("a fault needs 'match': an endpoint name or a path substring")
        if mode not in MODES:
            raise FaultError(f"unknown fault mode {mode!r}; use one of {', '.join(MODES)}")
        status = spec.get("status", 500)
        delay = spec.get("delay", 0.0)
        count = spec.get("count")
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise FaultError("'status' must be an HTTP status code")
        if not isinstance(delay, (int, float)) or delay < 0:
            raise FaultError("'delay' must be a non-negative number of seconds")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise FaultError("'count' must be a positive integer or null (until cleared)")
        with self._lock:
            rule = FaultRule(next(self._ids), match, mode, status, float(delay), count)
            self._rules.append(rule)
        return rule

    def take(self, endpoint: str, path: str) -> FaultRule | None:
        """The first matching rule, counted as applied (and dropped when its count runs out)."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(endpoint, path):
                    rule.applied += 1
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def clear(self) -> int:
        with self._lock:
            n = len(self._rules)
            self._rules.clear()
        return n

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(r) for r in self._rules]
