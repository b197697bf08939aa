"""The hub's Prometheus metrics (served on JupyterHub's own ``/hub/metrics``), named like JupyterHub's.

Why: an admin sees how refreshes go and how many users must log in again without reading logs. Every label value
is created here, up front, so each series exists (at 0) from the hub's start; labels carry only the provider and
an outcome from a fixed list, never a user name, a token or anything derived from one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

try:  # JupyterHub's prefix (JUPYTERHUB_METRICS_PREFIX), so our series sit next to its own
    from jupyterhub.metrics import metrics_prefix
except ImportError:  # pragma: no cover - only imported inside a hub
    metrics_prefix = "jupyterhub"

#: Providers whose tokens the hub refreshes (oauthenticator's login tokens are the QCS credentials).
PROVIDERS = ("qcs",)
#: ``not_due``: the hook looked and the token had time left (no request to the identity provider);
#: ``refreshed``: new tokens; ``refused``: the identity provider refused the refresh token (a new login is needed);
#: ``failed``: no answer, or an unexpected one (network, 5xx): oauthenticator's own path decides.
OUTCOMES = ("not_due", "refreshed", "refused", "failed")
CALLED = ("refreshed", "refused", "failed")

REFRESHES = Counter(
    "qcred_refreshes",
    "Credential refreshes the hub considered ahead of expiry (refresh_user), by provider and outcome",
    ["provider", "outcome"],
    namespace=metrics_prefix,
)
REFRESH_DURATION_SECONDS = Histogram(
    "qcred_refresh_duration_seconds",
    "Time of the hub's refresh requests to the identity provider, by provider and outcome",
    ["provider", "outcome"],
    namespace=metrics_prefix,
)
USERS_NEEDING_LOGIN = Gauge(
    "qcred_users_needing_login",
    "Users whose credentials the hub could not refresh, who must log in again (since the hub started)",
    namespace=metrics_prefix,
)

for _provider in PROVIDERS:
    for _outcome in OUTCOMES:
        REFRESHES.labels(provider=_provider, outcome=_outcome)
    for _outcome in CALLED:
        REFRESH_DURATION_SECONDS.labels(provider=_provider, outcome=_outcome)

#: Who needs a new login (kept in the hub's memory only; the gauge shows how many).
_needing_login: set[str] = set()


def count(outcome: str, provider: str = "qcs") -> None:
    """One refresh considered, with this outcome."""
    REFRESHES.labels(provider=provider, outcome=outcome).inc()


@contextmanager
def timed(provider: str = "qcs") -> Iterator[list[str]]:
    """Time one request to the identity provider; the caller puts the outcome into the yielded list."""
    outcome: list[str] = []
    started = time.perf_counter()
    try:
        yield outcome
    finally:
        result = outcome[0] if outcome else "failed"
        REFRESH_DURATION_SECONDS.labels(provider=provider, outcome=result).observe(time.perf_counter() - started)
        count(result, provider)


def needs_login(username: str, needed: bool) -> None:
    """Record whether ``username`` must log in again (after a refused refresh, or a new login)."""
    if needed:
        _needing_login.add(username)
    else:
        _needing_login.discard(username)
    USERS_NEEDING_LOGIN.set(len(_needing_login))
