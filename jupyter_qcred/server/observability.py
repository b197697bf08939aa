"""What operators see of a server's credentials: Prometheus series on Jupyter Server's ``/metrics`` and
jupyter_events on the server's event bus.

Why here and not in the core: both are Jupyter Server's channels. The core only tells us what happened (the
manager's refresh observers, the service's action observers, the manager's status stream).

Metrics (every label value exists from the start, at 0; labels are a provider key, a state or an outcome from a
fixed list, never a credential's name or anything derived from a token):

- ``jupyter_qcred_credentials{provider, state}``: how many credentials are in each state;
- ``jupyter_qcred_credential_expiry_seconds{provider}``: seconds until the provider's earliest access token
  expires (negative once expired; NaN when it has none that expires);
- ``jupyter_qcred_refreshes_total{provider, outcome}``: refresh attempts, ``ok`` / ``refused`` / ``failed``.

Events: the schemas in ``event_schemas/`` (one per kind, versioned), registered with ``serverapp.event_logger``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..core.manager import CredentialManager
from ..core.service import CredentialService
from ..core.states import CredentialStatus, State, isoformat

log = logging.getLogger("jupyter_qcred.server")

SCHEMAS = Path(__file__).with_name("event_schemas")
EVENT_BASE = "https://events.jupyter.org/jupyter_qcred/"
EVENTS = (
    "credential_refreshed",
    "credential_refresh_failed",
    "credential_needs_reinitialize",
    "credentials_reinitialized",
    "credential_removed",
    "server_restart_requested",
)
REFRESH_OUTCOMES = ("ok", "refused", "failed")
STATES = tuple(state.value for state in State if state is not State.ABSENT)

REFRESHES = Counter(
    "jupyter_qcred_refreshes",
    "Credential refresh attempts of this server, by provider and outcome",
    ["provider", "outcome"],
)


def schema_id(event: str) -> str:
    """The ``$id`` of one of our events (version 1)."""
    return f"{EVENT_BASE}{event}/v1"


def event_schema(event: str, providers: Iterable[str]) -> dict[str, Any]:
    """One event's schema, its ``provider`` properties limited to the keys of the enabled providers (plugins
    included), so an event about any other provider fails validation instead of being recorded."""
    import yaml

    # libyaml's loader when PyYAML has it: the pure-Python one took 18 ms for the six schemas at server start.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    schema = yaml.load((SCHEMAS / event / "v1.yaml").read_text("utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    keys = list(providers)

    def limit(node: Any) -> None:
        if isinstance(node, dict):
            provider = node.get("properties", {}).get("provider")
            if isinstance(provider, dict):
                provider["enum"] = keys
            for value in node.values():
                limit(value)

    limit(schema)
    return dict(schema)


class CredentialCollector(Collector):
    """Reads the manager's statuses at each scrape (so the gauges are never stale)."""

    def __init__(self) -> None:
        self.manager: CredentialManager | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = GaugeMetricFamily(
            "jupyter_qcred_credentials",
            "Credentials of this server by provider and state",
            labels=["provider", "state"],
        )
        expiry = GaugeMetricFamily(
            "jupyter_qcred_credential_expiry_seconds",
            "Seconds until the provider's earliest access token expires (negative: expired; NaN: none expires)",
            labels=["provider"],
        )
        statuses = self.manager.statuses() if self.manager is not None else []
        now = self.manager.clock() if self.manager is not None else None
        for provider in self.manager.providers if self.manager is not None else ():
            mine = [status for status in statuses if status.provider == provider and status.name is not None]
            for state in STATES:
                counts.add_metric([provider, state], sum(1 for status in mine if status.state.value == state))
            left = [(s.expires_at - now).total_seconds() for s in mine if s.expires_at is not None and now is not None]
            expiry.add_metric([provider], min(left) if left else math.nan)
        yield counts
        yield expiry


COLLECTOR = CredentialCollector()
REGISTRY.register(COLLECTOR)


class Observability:
    """Wires one server's manager and service to the metrics and its event logger."""

    def __init__(self, manager: CredentialManager, service: CredentialService, event_logger: Any, server_name: str):
        self.manager = manager
        self.event_logger = event_logger
        self.server_name = server_name
        self._states: dict[tuple[str, str], str] = {
            (s.provider, s.name): s.state.value for s in manager.statuses() if s.name is not None
        }
        COLLECTOR.manager = manager
        for provider in manager.providers:  # every series exists from the start, at 0
            for outcome in REFRESH_OUTCOMES:
                REFRESHES.labels(provider=provider, outcome=outcome)
        manager.refresh_observers.append(self.on_refresh)
        service.action_observers.append(self.on_action)
        self._unsubscribe = manager.subscribe(self.on_status)
        if event_logger is not None:
            for event in EVENTS:
                event_logger.register_event_schema(event_schema(event, manager.providers))

    def close(self) -> None:
        """Stop observing (the server stops)."""
        self._unsubscribe()
        if self.on_refresh in self.manager.refresh_observers:
            self.manager.refresh_observers.remove(self.on_refresh)
        if COLLECTOR.manager is self.manager:
            COLLECTOR.manager = None

    def emit(self, event: str, data: dict[str, Any]) -> None:
        if self.event_logger is not None:
            self.event_logger.emit(schema_id=schema_id(event), data=data)

    def on_refresh(
        self,
        key: tuple[str, str | None],
        outcome: str,
        before: CredentialStatus | None,
        after: CredentialStatus | None,
    ) -> None:
        provider, name = key
        REFRESHES.labels(provider=provider, outcome=outcome if outcome in REFRESH_OUTCOMES else "failed").inc()
        if name is None:
            return
        if outcome == "ok":
            renewed = before is None or (
                after is not None and (after.refreshed_at, after.expires_at) != (before.refreshed_at, before.expires_at)
            )
            if after is not None and after.expires_at is not None and renewed:
                via_hub = after.account.get("refresh_via") == "hub"
                data = {"provider": provider, "name": name, "expires_at": isoformat(after.expires_at)}
                self.emit("credential_refreshed", {**data, "via_hub": via_hub})
        else:
            message = after.error if after is not None else None
            failure = "refused" if outcome == "refused" else "failed"
            data = {"provider": provider, "name": name, "outcome": failure, "message": message}
            self.emit("credential_refresh_failed", data)

    def on_action(self, action: str, details: dict[str, Any]) -> None:
        if action == "reinitialized":
            credentials = [
                {"provider": c["provider"], "name": c["name"], "outcome": c["outcome"]}
                for c in details.get("credentials", [])
                if c.get("name") is not None
            ]
            data = {"source": details["source"], "outcome": details["outcome"], "credentials": credentials}
            self.emit("credentials_reinitialized", data)
        elif action == "restart_requested":
            self.emit("server_restart_requested", {"server_name": self.server_name})

    def on_status(self, event: dict[str, Any]) -> None:
        """Needs re-initialize and removed, from the status stream (whatever caused them)."""
        now: dict[tuple[str, str], str] = {
            (entry["provider"], entry["name"]): entry["state"]
            for entry in event["status"]["providers"]
            if entry.get("name") is not None
        }
        for (provider, name), state in now.items():
            previous = self._states.get((provider, name))
            if state == State.NEEDS_REINIT.value and previous != state:
                data = {"provider": provider, "name": name, "previous_state": previous}
                self.emit("credential_needs_reinitialize", data)
        for provider, name in self._states.keys() - now.keys():
            self.emit("credential_removed", {"provider": provider, "name": name})
        self._states = now
