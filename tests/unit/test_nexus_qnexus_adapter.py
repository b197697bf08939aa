"""The qnexus adapter's parts against a stand-in of qnexus 0.51.1's client modules (``AuthHandler`` as qnexus writes
it, trimmed to what the adapter touches), in this process: the tolerant reader, when it asks jupyter_qcred and when it
leaves qnexus alone, the cookie header, the 401 retry, the error sentences, and what ``adapt`` refuses. The real
qnexus is in ``tests/sdk/test_nexus_qnexus_adapter.py``."""

from __future__ import annotations

import base64
import json
import sys
import time
import types
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyter_qcred.core.adapters import SdkAdapter
from jupyter_qcred.core.errors import FileFormatError, QCredError, RefusedError
from jupyter_qcred.providers.nexus import qnexus_adapter
from jupyter_qcred.providers.nexus.provider import NexusProvider

URL = "https://nexus.example.org:443"


class AuthenticationError(Exception):
    pass


class Config:
    protocol, domain, port = "https", "nexus.example.org", 443
    store_tokens, httpx_verify = True, True
    token_path, managed_token_path = ".qnx/auth", ".qnx/managed_auth"

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.domain}:{self.port}"


def jwt(seconds_left: float, lifetime: float = 3600) -> str:
    now = time.time()
    claims = {"iat": int(now + seconds_left - lifetime), "exp": int(now + seconds_left)}

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.x"


def fake_qnexus(home: Path) -> dict[str, types.ModuleType]:
    """qnexus.client, qnexus.client.utils and qnexus.exceptions as 0.51.1 has them (the parts the adapter uses)."""
    config = Config()
    utils = types.ModuleType("qnexus.client.utils")
    utils.token_file_from_type = {"access_token": "id.json", "refresh_token": "token.json"}  # type: ignore[attr-defined]
    utils._token_dir = lambda kind: home / config.token_path  # type: ignore[attr-defined]

    def read_token(kind: str) -> str:
        text = (utils._token_dir(kind) / utils.token_file_from_type[kind]).read_text().strip()  # type: ignore[attr-defined]
        data = json.loads(text)["data"]
        return str(data[kind])

    client = types.ModuleType("qnexus.client")
    refreshes: list[httpx.Request] = []

    class AuthHandler(httpx.Auth):
        def __init__(self) -> None:
            self.cookies = httpx.Cookies()
            self.reload_tokens()

        def reload_tokens(self) -> None:
            try:
                self.cookies.clear()
                self.cookies.set("myqos_oat", read_token("refresh_token"), domain=config.domain)
                self.cookies.set("myqos_id", read_token("access_token"), domain=config.domain)
            except FileNotFoundError:
                pass

        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
            self.cookies.set_cookie_header(request)
            response = yield request
            if response.status_code == 401:
                refresh = self.build_refresh_request()
                refreshes.append(refresh)
                auth_response = yield refresh
                if auth_response.status_code == 401:
                    raise AuthenticationError("Not authenticated. Please run `qnx login` in your terminal.")
                self.cookies.extract_cookies(auth_response)
                request.headers.pop("cookie", None)
                self.cookies.set_cookie_header(request)
                yield request

        def build_refresh_request(self) -> httpx.Request:
            self.cookies.delete("myqos_id")
            return httpx.Request("POST", f"{config.url}/auth/tokens/refresh", cookies=self.cookies)

        def refresh_id_token(self) -> None:
            refreshes.append(httpx.Request("POST", f"{config.url}/auth/tokens/refresh"))

    client.AuthHandler = AuthHandler  # type: ignore[attr-defined]
    client.CONFIG = config  # type: ignore[attr-defined]
    client.read_token = read_token  # type: ignore[attr-defined]
    client._nexus_client = None  # type: ignore[attr-defined]
    client.get_nexus_client = lambda reload=False: None  # type: ignore[attr-defined]
    client._check_sunset_header = lambda request, response: None  # type: ignore[attr-defined]
    client.refreshes = refreshes  # type: ignore[attr-defined]
    exceptions = types.ModuleType("qnexus.exceptions")
    exceptions.AuthenticationError = AuthenticationError  # type: ignore[attr-defined]
    return {"qnexus.client": client, "qnexus.client.utils": utils, "qnexus.exceptions": exceptions}


@pytest.fixture
def qnx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The stand-in installed in sys.modules, a HOME with a login at https://nexus.example.org, the adapter run."""
    home = tmp_path / "home"
    auth = home / ".qnx" / "auth"
    auth.mkdir(parents=True)
    (auth / "token.json").write_text(json.dumps({"data": {"refresh_token": "rt-file", "delete_version_after": None}}))
    (auth / "id.json").write_text(json.dumps({"data": {"access_token": jwt(1800)}}))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NEXUS_DOMAIN", "nexus.example.org")
    for name in ("NEXUS_MANAGED_TOKENS", "NEXUS_PROTOCOL", "NEXUS_PORT", "NEXUS_TOKEN_PATH", "NEXUS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    modules = fake_qnexus(home)
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(qnexus_adapter, "READ_PATIENCE", 0.05)
    assert qnexus_adapter.adapt(types.ModuleType("qnexus")) is None
    return modules["qnexus.client"]


def given(monkeypatch: pytest.MonkeyPatch, *answers: Any) -> list[dict[str, Any]]:
    """NexusProvider.token_sync answering ``answers`` in turn (a token, or an exception to raise); the calls."""
    calls: list[dict[str, Any]] = []
    queue = list(answers)

    def token_sync(self: NexusProvider, *, force: bool = False, refused: str | None = None) -> str:
        calls.append({"force": force, "refused": refused})
        answer = queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return str(answer)

    monkeypatch.setattr(NexusProvider, "token_sync", token_sync)
    return calls


def serve(qnx: types.ModuleType, statuses: list[int]) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client of the adapted handler whose API answers ``statuses`` in turn (refreshes answer 200 with a cookie)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/auth/tokens/refresh":
            return httpx.Response(200, headers={"set-cookie": "myqos_id=from-qnexus; Path=/"})
        return httpx.Response(statuses.pop(0), json={})

    return httpx.Client(base_url=URL, auth=qnx.AuthHandler(), transport=httpx.MockTransport(answer)), seen


def cookie(request: httpx.Request, name: str) -> str | None:
    found = [p.strip().split("=", 1) for p in request.headers.get("cookie", "").split(";") if "=" in p]
    values = [value for key, value in found if key == name]
    assert len(values) <= 1, request.headers.get("cookie")
    return values[0] if values else None


def test_the_handler_is_installed_once_and_adopts_a_client_built_before(
    qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapted = qnx.AuthHandler
    original = adapted._original
    assert issubclass(adapted, original) and adapted.__module__ == qnexus_adapter.__name__
    assert qnexus_adapter.adapt(types.ModuleType("qnexus")) is None and qnx.AuthHandler is adapted
    monkeypatch.setattr(qnx, "AuthHandler", original)
    old = original()
    old.cookies.set("other", "1", domain="nexus.example.org")
    monkeypatch.setattr(qnx, "_nexus_client", types.SimpleNamespace(auth=old))
    assert qnexus_adapter.adapt(types.ModuleType("qnexus")) is None
    assert type(qnx._nexus_client.auth).__mro__[1] is qnexus_adapter._AdaptedAuth
    assert qnx._nexus_client.auth.cookies.get("other") == "1"


def test_an_unknown_version_or_a_missing_attribute_changes_nothing(
    qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = qnx.AuthHandler._original
    with monkeypatch.context() as patch:
        patch.setattr(qnx, "AuthHandler", original)
        patch.setattr(qnexus_adapter, "ADAPTER", SdkAdapter("qnexus", "qnexus", "qnexus", ("0.1.",), "-"))
        assert "is not a version the adapter was checked with (0.1.x)" in str(qnexus_adapter.adapt(qnx))
        assert qnx.AuthHandler is original
    for module, attribute in (("qnexus.client.utils", "_token_dir"), ("qnexus.client", "_check_sunset_header")):
        with monkeypatch.context() as patch:
            patch.setattr(qnx, "AuthHandler", original)
            patch.delattr(sys.modules[module], attribute)
            assert qnexus_adapter.adapt(qnx) == f"{module} has no {attribute}: left alone"
            assert qnx.AuthHandler is original
    with monkeypatch.context() as patch:
        patch.setattr(qnx, "AuthHandler", original)
        patch.delattr(original, "refresh_id_token")
        assert qnexus_adapter.adapt(qnx) == "qnexus.client.AuthHandler has no refresh_id_token: left alone"
        assert qnx.AuthHandler is original


def test_the_reader_waits_for_a_half_written_file_and_takes_a_broken_one_as_missing(
    qnx: types.ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = qnx.AuthHandler._qnexus
    path = tmp_path / "home" / ".qnx" / "auth" / "id.json"
    texts = iter(['{"data": {"acc', '{"data": {"acc', json.dumps({"data": {"access_token": "whole"}})])
    monkeypatch.setattr(qnx, "read_token", lambda kind: json.loads(next(texts))["data"][kind])
    assert reader.read("access_token") == "whole"
    monkeypatch.undo()
    path.write_text('{"data": {"acc')
    started = time.monotonic()
    assert reader.read("access_token") is None
    assert time.monotonic() - started >= 0.05
    path.unlink()
    assert reader.read("access_token") is None
    handler = qnx.AuthHandler()  # qnexus would raise nothing either for a missing id.json; it keeps the refresh token
    assert handler._get("myqos_oat") == "rt-file" and handler._get("myqos_id") is None


def test_a_valid_token_is_sent_as_read_without_asking(qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = given(monkeypatch)
    client, seen = serve(qnx, [200])
    client.headers["cookie"] = "lb=7; myqos_id=stale-from-the-client-jar"
    assert client.get("/api/users/v1beta2/me").status_code == 200
    assert calls == []
    assert cookie(seen[0], "lb") == "7" and cookie(seen[0], "myqos_oat") == "rt-file"
    assert cookie(seen[0], "myqos_id") == qnx.AuthHandler._qnexus.read("access_token")


def test_a_due_token_is_renewed_before_the_request(qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = jwt(3000)
    calls = given(monkeypatch, fresh)
    (Path.home() / ".qnx/auth/id.json").write_text(json.dumps({"data": {"access_token": jwt(100)}}))
    client, seen = serve(qnx, [200, 200])
    client.get("/a")
    client.get("/b")
    assert calls == [{"force": False, "refused": None}], "asked once, not before the second request"
    assert [cookie(r, "myqos_id") for r in seen] == [fresh, fresh]


def test_a_401_asks_with_force_and_retries_once(qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    held = qnx.AuthHandler._qnexus.read("access_token")
    calls = given(monkeypatch, "renewed")
    client, seen = serve(qnx, [401, 200])
    assert client.get("/a").status_code == 200
    assert calls == [{"force": True, "refused": held}]
    assert [r.url.path for r in seen] == ["/a", "/a"], "no request to /auth/tokens/refresh"
    assert cookie(seen[1], "myqos_id") == "renewed" and qnx.refreshes == []


def test_the_websocket_refresh_asks_too(qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = given(monkeypatch, "renewed")
    handler = qnx.AuthHandler()
    handler.refresh_id_token()
    assert calls[0]["force"] is True and handler.cookies.get("myqos_id") == "renewed" and qnx.refreshes == []


@pytest.mark.parametrize(
    "change",
    ["store_tokens", "httpx_verify", "url", "token_path", "in_code", "no_login", "http_remote"],
)
def test_a_login_that_is_not_the_files_is_left_to_qnexus(
    qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """The original flow answers the 401 (its own refresh), and jupyter_qcred is not asked."""
    calls = given(monkeypatch)
    config = qnx.CONFIG
    if change == "store_tokens":
        monkeypatch.setattr(config, "store_tokens", False, raising=False)
    elif change == "httpx_verify":
        monkeypatch.setattr(config, "httpx_verify", False, raising=False)
    elif change == "url":
        monkeypatch.setattr(type(config), "port", 8443)
    elif change == "token_path":
        monkeypatch.setattr(config, "token_path", ".elsewhere", raising=False)
    elif change == "no_login":
        (Path.home() / ".qnx/auth/token.json").unlink()
    elif change == "http_remote":
        monkeypatch.setenv("NEXUS_PROTOCOL", "http")
        monkeypatch.setattr(type(config), "protocol", "http")
    client, seen = serve(qnx, [401, 200])
    if change == "in_code":
        client.auth.cookies.set("myqos_oat", "rt-in-memory", domain=config.domain)  # type: ignore[union-attr]
    assert client.get("/a").status_code == 200
    assert calls == []
    assert [r.url.path for r in seen] == ["/a", "/auth/tokens/refresh", "/a"]
    assert cookie(seen[2], "myqos_id") == "from-qnexus"


def test_a_refused_refresh_token_says_so_in_qnexus_words_and_ours(
    qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    given(monkeypatch, RefusedError("nexus", "Nexus refused the refresh token (HTTP 401); sign in again."))
    client, _seen = serve(qnx, [401])
    with pytest.raises(AuthenticationError) as raised:
        client.get("/a")
    message = str(raised.value)
    assert message.startswith(qnexus_adapter.NOT_AUTHENTICATED) and "jupyter_qcred" in message
    assert "rt-file" not in message and raised.value.__cause__ is None


def test_other_failures_say_what_happened_and_an_unreadable_file_falls_back(
    qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    given(monkeypatch, QCredError("another process has held this lock too long."))
    client, _seen = serve(qnx, [401])
    with pytest.raises(AuthenticationError, match="could not renew the Nexus access token: another process"):
        client.get("/a")
    broken = FileFormatError(Path.home() / ".qnx/auth/id.json", "is not a qnexus token file")
    calls = given(monkeypatch, *[broken] * 1000)
    client, seen = serve(qnx, [401, 200])
    assert client.get("/a").status_code == 200
    assert len(calls) >= 2, "retried while the file might be being written"
    assert [r.url.path for r in seen] == ["/a", "/auth/tokens/refresh", "/a"], "then qnexus's own refresh"


def test_the_margin_decides_and_a_token_without_expiry_is_left_to_the_401(qnx: types.ModuleType) -> None:
    handler = qnx.AuthHandler()
    assert handler._needs_renewal(None)
    assert handler._needs_renewal(jwt(100)) and not handler._needs_renewal(jwt(1000))
    assert handler._needs_renewal(jwt(1, lifetime=4)) and not handler._needs_renewal(jwt(3, lifetime=4))
    assert not handler._needs_renewal("not-a-jwt")


def test_a_failed_renewal_ahead_of_expiry_sends_the_token_that_still_works(
    qnx: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nexus unreachable while the token is due but valid: the request goes out with it, and the next requests do
    not ask again for RETRY_AHEAD seconds."""
    held = jwt(100)
    (Path.home() / ".qnx/auth/id.json").write_text(json.dumps({"data": {"access_token": held}}))
    calls = given(monkeypatch, QCredError("Nexus did not answer"))
    client, seen = serve(qnx, [200, 200])
    assert client.get("/a").status_code == 200 and client.get("/b").status_code == 200
    assert len(calls) == 1 and [cookie(r, "myqos_id") for r in seen] == [held, held]
