"""Attacks on a running Jupyter server (issue 13, attacks 3 to 6 and 8): each one now fails, with a sentence.

- odd files swapped in while the server runs (a FIFO, 20 MB, JSON nested 100,000 deep) never freeze it or spam its log;
- 200 refreshes in a row cost the provider one token grant per ``refresh_min_interval``, not 200;
- device logins: the same profile's login is answered again, at most 3 wait, polls are a second apart at least;
- bodies: a 200 MB POST is refused from its announced size (or dropped while streaming), deep nesting is a 400;
- a ``javascript:`` verification link from the identity provider fails the login;
- bad input is a 4xx with a sentence, never a 5xx.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.helpers import SecretScanner, async_wait_until, entry
from support.server_fixtures import jp_server_config  # noqa: F401 - a server with the extension

from jupyter_qcred.providers.ibm.reading import supported
from jupyter_qcred.server.app import QCredApp

pytestmark = pytest.mark.timeout(180)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    records = [*caplog.get_records("setup"), *caplog.records]
    return "\n".join(record.getMessage() + (record.exc_text or "") for record in records)


# ----- 3. the whole server froze -------------------------------------------------------------------------------


async def answers_quickly(jp_fetch: Any, *path: str) -> None:
    """Jupyter's own API answers within 5 s (before, a FIFO hung it for good and a 20 MB file for 113 s)."""
    response = await asyncio.wait_for(jp_fetch(*path, raise_error=False), timeout=5)
    assert response.code == 200


async def test_a_fifo_as_secrets_toml_never_hangs_the_server(
    jp_serverapp: Any, jp_fetch: Any, api: Any, jp_home_dir: Path
) -> None:
    secrets_toml = Path(jp_home_dir) / ".qcs" / "secrets.toml"
    secrets_toml.unlink()
    os.mkfifo(secrets_toml, 0o600)

    async def qcs_error() -> Any:
        await answers_quickly(jp_fetch, "api", "status")
        _, status = await asyncio.wait_for(api("status"), timeout=5)
        found = [e for e in status["providers"] if e["provider"] == "qcs" and e["state"] == "error"]
        return found[0] if found else None

    qcs = await async_wait_until(qcs_error, timeout=20, what="the status to show the FIFO")
    assert "is a named pipe (FIFO), not a regular file" in qcs["error"] and str(secrets_toml) in qcs["error"]
    code, answer = await asyncio.wait_for(api("refresh", "POST", {"provider": "qcs"}), timeout=10)
    assert code in (200, 404), answer  # answered, whatever the outcome
    await answers_quickly(jp_fetch, "api", "status")


async def test_a_20_mb_secrets_toml_is_refused_without_stalling_the_server(
    jp_serverapp: Any, jp_fetch: Any, api: Any, jp_home_dir: Path
) -> None:
    secrets_toml = Path(jp_home_dir) / ".qcs" / "secrets.toml"
    text = secrets_toml.read_text() + "".join(f"# padding line {i:07d} {'x' * 40}\n" for i in range(400_000))
    tmp = secrets_toml.with_name("big.tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, secrets_toml)
    assert secrets_toml.stat().st_size > 20_000_000

    async def too_large() -> bool:
        await answers_quickly(jp_fetch, "api", "status")
        _, status = await api("status")
        return "is too large" in (entry(status, "qcs")["error"] or "")

    await async_wait_until(too_large, timeout=20, what="the status to refuse the 20 MB file")


@pytest.mark.slow
async def test_json_nested_100k_deep_is_reported_once_never_a_recursion_error_every_second(
    jp_serverapp: Any, jp_fetch: Any, api: Any, jp_home_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = Path(jp_home_dir) / ".qiskit" / "qiskit-ibm.json"
    accounts.write_text("[" * 100_000 + "]" * 100_000)

    async def reported() -> bool:
        _, status = await api("status")
        return any("nests deeper than 64 levels" in (e["error"] or "") for e in status["providers"])

    await async_wait_until(reported, timeout=20, what="the status to report the nested file")
    watched_since = time.monotonic()
    await async_wait_until(  # let the watch loop (0.1 s here) run ~20 more times
        lambda: asyncio.sleep(0.1, result=time.monotonic() - watched_since > 2), timeout=10, what="2 s of watching"
    )
    text = log_text(caplog)
    assert "RecursionError" not in text and "The credentials loop failed" not in text
    await answers_quickly(jp_fetch, "api", "status")


# ----- 4. no limits ---------------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_200_refreshes_in_a_row_cost_one_grant_per_interval(jp_serverapp: Any, api: Any, sandbox: Any) -> None:
    sandbox.clear_log()
    started = time.monotonic()
    messages = []
    for _ in range(200):
        code, answer = await api("refresh", "POST", {"provider": "qcs", "name": "default"})
        assert code == 200
        messages.append(answer["result"]["message"])
    elapsed = time.monotonic() - started
    grants = [e for e in sandbox.token_requests() if e.get("grant_type") == "refresh_token"]
    api_calls = sandbox.log("qcs_user") + sandbox.log("qcs_groups")
    windows = 1 + int(elapsed // QCredApp.refresh_min_interval.default_value)
    assert 1 <= len(grants) <= windows, f"{len(grants)} grants for 200 refreshes in {elapsed:.1f} s"
    assert len(api_calls) <= 2 * windows
    assert messages[0] == "Refreshed."
    assert "This is the result of the refresh" in messages[1] and "at most once every 10 s" in messages[1]


async def test_device_logins_are_capped_and_answered_again_per_profile(api: Any, sandbox: Any) -> None:
    sandbox.configure(device_interval=1)
    sandbox.clear_log()
    first = None
    for _ in range(50):
        code, answer = await api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": "default"})
        assert code == 200, answer
        first = first or answer["login"]
        assert answer["login"]["id"] == first["id"] and answer["login"]["user_code"] == first["user_code"]
    assert len(sandbox.log("qcs_device")) == 1
    codes = []
    for profile in ("lab", "group", "extra"):
        code, answer = await api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": profile})
        codes.append(code)
    assert codes == [200, 200, 429]
    assert "3 logins are already waiting for a browser sign-in" in answer["message"]
    _, status = await api("status")
    assert len([login for login in status["logins"] if login["state"] == "pending"]) == 3


@pytest.mark.slow
async def test_an_identity_provider_asking_for_interval_0_is_polled_once_a_second_at_most(
    api: Any, sandbox: Any
) -> None:
    sandbox.configure(device_interval=0)
    code, answer = await api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": "default"})
    assert code == 200 and answer["login"]["interval"] == 0

    async def polls() -> list[dict[str, Any]]:
        found = [e for e in sandbox.token_requests() if "device_code" in str(e.get("grant_type"))]
        return found if len(found) >= 4 else []

    found = await async_wait_until(polls, timeout=20, what="four polls")
    gaps = [later["time"] - earlier["time"] for earlier, later in itertools.pairwise(found)]
    assert min(gaps) >= 0.9, gaps  # before: 1,241 polls in 5 s


# ----- 5. bodies -----------------------------------------------------------------------------------------------


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def raw_post(port: int, path: str, auth: str, headers: str, chunks: int, chunk: bytes) -> tuple[int, str]:
    """POST with a hand-made request whose body streams in ``chunks`` pieces (chunked encoding unless the headers
    give a length) while the answer is read; returns the status and the answer's body. Sending stops as soon as the
    server answered (it may refuse before reading the body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n{headers}\r\n".encode())
    chunked = "Content-Length" not in headers

    async def send() -> None:
        for _ in range(chunks):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    sending = asyncio.ensure_future(send())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=60)
        lines = head.split(b"\r\n")
        length = int(next(line.split(b":")[1] for line in lines if line.lower().startswith(b"content-length")))
        body = await asyncio.wait_for(reader.readexactly(length), timeout=30)
    finally:
        sending.cancel()
        writer.close()
    return int(lines[0].split(b" ")[1]), body.decode()


async def test_a_200_mb_post_is_refused_without_being_kept(
    http_server_client: Any, jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    path, auth = f"{jp_base_url}qcred/refresh", jp_auth_header["Authorization"]
    before = rss_bytes()
    code, body = await raw_post(
        path=path,
        port=jp_http_port,
        auth=auth,
        headers=f"Content-Length: {200 * 1024 * 1024}\r\n",
        chunks=200,
        chunk=b"x" * (1024 * 1024),
    )
    assert code == 413 and "The request body is larger than 1024 KiB" in json.loads(body)["message"]
    code, body = await raw_post(  # no length announced: streamed, counted and dropped
        path=path,
        port=jp_http_port,
        auth=auth,
        headers="Transfer-Encoding: chunked\r\n",
        chunks=200,
        chunk=b"x" * (1024 * 1024),
    )
    assert code == 413 and "larger than 1024 KiB" in json.loads(body)["message"]
    grown = rss_bytes() - before
    assert grown < 64 * 1024 * 1024, f"the server grew by {grown / 2**20:.0f} MB for a 200 MB body (before: 562 MB)"


@pytest.mark.parametrize(("path", "method"), [("refresh", "POST"), ("default", "PUT"), ("reinitialize", "POST")])
async def test_deeply_nested_or_unencodable_bodies_are_400_with_a_sentence(api: Any, path: str, method: str) -> None:
    code, answer = await api(path, method, "[" * 100_000 + "]" * 100_000)
    assert code == 400 and answer["message"] == "The request body nests deeper than 64 levels; send a flat JSON object."
    code, answer = await api(path, method, '{"name": "x\\ud800"}')
    assert code == 400 and "field 'name' holds text that is not valid Unicode" in answer["message"]


# ----- 6. verification links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link", ["javascript:alert(document.cookie)", "data:text/html,<b>x</b>", "http://evil.example/"]
)
async def test_a_verification_link_that_is_not_https_fails_the_login(api: Any, sandbox: Any, link: str) -> None:
    sandbox.configure(device_verification_uri=link)
    code, answer = await api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": "default"})
    assert code == 502
    assert "a sign-in link that is not an https address, so the login was not started" in answer["message"]
    assert link not in answer["message"]
    _, status = await api("status")
    assert status["logins"] == []


def test_the_widget_renders_only_web_links() -> None:
    from jupyter_qcred.notebook.widget import render_status

    login = {"state": "pending", "user_code": "ABCD-EFGH", "verification_uri_complete": "javascript:alert(1)"}
    html = render_status({"providers": [], "logins": [{**login, "verification_uri": "javascript:alert(2)"}]})
    assert "<a " not in html and "javascript:" not in html and "ABCD-EFGH" in html
    safe = render_status({"providers": [], "logins": [{**login, "verification_uri": "https://id.example/activate"}]})
    assert "<a href='https://id.example/activate'" in safe and "javascript:" not in safe


# ----- 8. every bad input is a 4xx with a sentence -------------------------------------------------------------


async def test_bad_hub_names_and_a_settings_upload_answer_4xx_or_200_never_5xx(
    api: Any, jp_home_dir: Path, secret_scanner: SecretScanner
) -> None:
    bad = [
        (
            "reinitialize",
            "POST",
            {
                "source": "token",
                "provider": "ibm",
                "token": "ibm-key-bad-hub-000001",
                "channel": "ibm_quantum",
                "instance": "bad hub/g/p",
            },
        ),
        (
            "reinitialize",
            "POST",
            {
                "source": "token",
                "provider": "ibm",
                "token": "ibm-key-bad-hub-000001",
                "channel": "ibm_quantum",
                "instance": "only-a-hub",
            },
        ),
        ("default", "PUT", {"provider": "ibm", "name": "legacy", "instance": "bad hub/x/y"}),
        ("default", "PUT", {"provider": "ibm", "name": "legacy", "instance": "hub/group"}),
    ]
    secret_scanner.add_secrets("ibm-key-bad-hub-000001")
    # 'legacy' is an ibm_quantum account: where the installed SDK cannot load those at all, making it the default is
    # refused for that reason first (409), whatever the instance.
    legacy_default = 400 if supported("ibm_quantum") else 409
    for path, method, body in bad:
        code, answer = await api(path, method, body)
        expected = legacy_default if path == "default" else 400
        assert code == expected and answer["message"].endswith("."), (body, code, answer)
    settings = '[profiles.lab]\napi_url = "https://api.example"\ncredentials_name = "lab"\n'
    upload = {"source": "file", "provider": "qcs", "filename": "settings.toml", "content": settings}
    code, answer = await api("reinitialize", "POST", upload)
    assert (code, answer["reason"], answer["hosts"]) == (409, "hosts", ["api.example"]), answer  # a new host: asked
    code, answer = await api("reinitialize", "POST", {**upload, "trust_hosts": True})
    assert code == 200, answer  # before: 502, although the file was written
    assert answer["result"]["message"] == (
        "Imported 'lab'. 'lab' has no credentials yet: upload the matching secrets.toml, paste a token or use the "
        "login."
    )
    assert "[profiles.lab]" in (Path(jp_home_dir) / ".qcs" / "settings.toml").read_text()


async def test_a_url_with_a_password_never_reaches_an_error_message() -> None:
    from jupyter_qcred.core import flows
    from jupyter_qcred.core.errors import TransientProviderError

    def flow() -> flows.Flow[None]:
        yield flows.request("GET", "http://hubuser:s3cret-in-url-0001@127.0.0.1:9/hub/api?token=t0ken-in-query-0001")

    with pytest.raises(TransientProviderError) as caught:
        await flows.run_async(flow(), lambda: flows.async_client(timeout=5), "qcs")
    message = str(caught.value)
    assert "http://127.0.0.1:9" in message
    assert "s3cret" not in message and "hubuser" not in message and "t0ken" not in message


def test_login_polls_honour_slow_down_above_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The poller waits max(interval, 1 s), and slow_down's longer interval from then on (no real waiting here)."""
    from jupyter_qcred.core import logins
    from jupyter_qcred.providers.qcs.signin import DeviceLogin

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    class Provider:
        polls = 0

        async def poll_device_login(self, login: DeviceLogin) -> DeviceLogin:
            self.polls += 1
            if self.polls == 2:
                login.interval += 5  # what a slow_down answer does
            if self.polls == 4:
                login.state = "failed"
            return login

    monkeypatch.setattr(logins.asyncio, "sleep", sleep)
    login = DeviceLogin(
        id="x",
        profile="default",
        user_code="A",
        verification_uri="https://id.example/a",
        verification_uri_complete=None,
        expires_at=datetime.max.replace(tzinfo=logins.utcnow().tzinfo),
        interval=0,
    )
    asyncio.new_event_loop().run_until_complete(
        logins.Logins(lambda change: None)._poll(Provider(), login, lambda profile: asyncio.sleep(0))  # type: ignore[arg-type]
    )
    assert waits == [1.0, 1.0, 5.0, 5.0]
