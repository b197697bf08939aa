"""Helpers for tests: waiting on conditions with deadlines, scanning for leaked secrets (the ``secret_scanner``
fixture), logging in like a browser, reading what the QCS files hold, and finding one credential in a status."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05, what: str = "") -> Any:
    """Poll ``condition`` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(interval)


async def async_wait_until(
    condition: Callable[[], Awaitable[Any]], timeout: float = 20.0, interval: float = 0.05, what: str = ""
) -> Any:
    """:func:`wait_until` for the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(interval)


class SecretScanner:
    """Collects the secrets a test hands out and everything it saw, and finds any secret in what it saw."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.seen: list[tuple[str, str]] = []

    def add_secrets(self, *values: Any) -> None:
        for value in values:
            if isinstance(value, dict):
                self.add_secrets(*value.values())
            elif isinstance(value, list | tuple):
                self.add_secrets(*value)
            elif isinstance(value, str) and len(value) >= 12:
                self.secrets.add(value)

    def add_bundle(self, bundle: dict[str, Any]) -> None:
        for entry in bundle.get("ibm", []):
            self.add_secrets(entry.get("token"))
        for entry in bundle.get("qcs", []):
            self.add_secrets(entry.get("access_token"), entry.get("refresh_token"), entry.get("client_secret"))
        for entry in bundle.get("ionq", []):
            self.add_secrets(entry.get("key"))
        for entry in bundle.get("nexus", []):
            self.add_secrets(entry.get("refresh_token"), entry.get("access_token"))
        for entry in bundle.get("braket", []):
            self.add_secrets(entry.get("web_identity_token"), entry.get("refresh_token"))

    def saw(self, where: str, text: Any) -> None:
        self.seen.append((where, text if isinstance(text, str) else json.dumps(text, default=str)))

    def leaks(self) -> list[str]:
        return [
            f"{where} contains a secret ending in {secret[-4:]}"
            for where, text in self.seen
            for secret in self.secrets
            if secret in text
        ]


@pytest.fixture
def secret_scanner(caplog: pytest.LogCaptureFixture) -> Iterator[SecretScanner]:
    """Fails the test if any secret it registered shows up in a log record or in what it recorded as seen.

    Every phase's records are searched (a server started by a fixture logs during setup), including the server
    extension's own logger, which does not propagate to the root logger (a traitlets application's log)."""
    caplog.set_level(logging.DEBUG)
    # The application configures its logger's handlers itself (logging.config.dictConfig): records are copied as
    # the logger handles them, which survives that.
    extension_log = logging.getLogger("QCredApp")
    original = extension_log.handle

    def handle(record: logging.LogRecord) -> None:
        caplog.handler.handle(record)
        original(record)

    extension_log.handle = handle  # type: ignore[method-assign]
    scanner = SecretScanner()
    try:
        yield scanner
    finally:
        del extension_log.handle
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    for record in records:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        scanner.saw(f"log record {record.name}", record.getMessage() + (record.exc_text or ""))
    leaks = scanner.leaks()
    assert not leaks, "\n".join(leaks)


async def login_cookie(http_server_client: Any, jp_base_url: str, serverapp: Any) -> tuple[str, str]:
    """Log in through the login form like a browser; returns (cookie header, xsrf token)."""
    login = await http_server_client.fetch(f"{jp_base_url}login", raise_error=False)
    cookies: SimpleCookie = SimpleCookie()
    for header in login.headers.get_list("Set-Cookie"):
        cookies.load(header)
    xsrf = cookies["_xsrf"].value
    form = urlencode({"_xsrf": xsrf, "password": serverapp.identity_provider.token})
    answer = await http_server_client.fetch(
        f"{jp_base_url}login",
        method="POST",
        body=form,
        follow_redirects=False,
        raise_error=False,
        headers={"Cookie": f"_xsrf={xsrf}"},
    )
    assert answer.code == 302
    for header in answer.headers.get_list("Set-Cookie"):
        cookies.load(header)
    return "; ".join(f"{key}={morsel.value}" for key, morsel in cookies.items()), xsrf


def stored_qcs_payload(secrets_text: str, credential: str = "default") -> dict[str, Any]:
    """The token payload jupyter_qcred keeps for the SDK credential ``credential`` of a ``secrets.toml`` text, read
    with the standard library's parser: from its ``jupyter_qcred-NAME`` entry when the credential is handed off to the
    token command (``externally_managed``), else from the credential itself."""
    from jupyter_qcred.providers.qcs import handoff

    credentials = tomllib.loads(secrets_text)["credentials"]
    entry = credentials[credential]
    if "externally_managed" in entry:
        entry = credentials[handoff.managed_name(credential)]
    return dict(entry["token_payload"])


def qcs_spec(sandbox: Any, tokens: dict[str, Any], profile: str = "default") -> Any:
    """A default bundle profile (``QcsProfileSpec``) for tokens the sandbox issued, on the sandbox's QCS deployment."""
    from jupyter_qcred.core.bundle import QcsProfileSpec

    return QcsProfileSpec(
        profile=profile,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        issuer=sandbox.qcs_issuer,
        client_id=sandbox.qcs_client_id,
        api_url=sandbox.qcs_api_url,
        default=True,
    )


def entry(status: dict[str, Any], provider: str, name: str | None = None) -> dict[str, Any]:
    """The status entry of one credential."""
    found = [e for e in status["providers"] if e["provider"] == provider and (name is None or e["name"] == name)]
    assert found, f"no {provider} {name} in {[(e['provider'], e['name']) for e in status['providers']]}"
    return found[0]


def status_entry(**extra: object) -> dict[str, object]:
    """A status entry of a provider the views know only through the entry (Nexus), with ``extra`` fields."""
    return {
        "provider": "nexus",
        "name": "default",
        "state": "ok",
        "default": True,
        "expires_at": None,
        "error": None,
        "source": "bundle",
        "token_hint": "…abcd",
        "account": {
            "summary": "Alice Liddell at https://nexus.example",
            "fields": [["User", "Alice <Liddell>"], ["Nexus", "https://nexus.example"]],
        },
        **extra,
    }
