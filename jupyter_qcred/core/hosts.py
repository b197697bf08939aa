"""The hosts an input would send tokens to, as a person reads and confirms them (no provider knowledge here).

"Inputs name no destinations": an uploaded file may bring its own hosts only once the user has seen them, so every
provider names the hosts of its uploads the same way and the views show the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_PORTS = {"https": 443, "http": 80}


def host_of(url: str) -> str:
    """The host a URL sends to: ``api.example`` or ``127.0.0.1:8443`` (a port other than the scheme's own is part of
    it, since two services on one machine are two different parties); the text itself when it names no host."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return url
    if not host:
        return url
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None or port == DEFAULT_PORTS.get(parts.scheme) else f"{shown}:{port}"


def official(host: str, domains: Iterable[str]) -> bool:
    """Whether ``host`` (as :func:`host_of` shows it) is one of ``domains`` or below one, on the default port."""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def new_hosts(wanted: Iterable[str], in_use: Iterable[str], domains: Iterable[str]) -> list[str]:
    """The hosts of ``wanted`` that are neither in use now nor the provider's own (``domains``), sorted."""
    known = set(in_use)
    domains = tuple(domains)
    return sorted({host for host in wanted if host not in known and not official(host, domains)})
