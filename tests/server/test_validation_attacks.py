"""Hostile fields (issue 20, items 6 to 9 and 12, and "one validator for every URL field"): each refused with a
sentence naming the field, nothing written, nothing sent.

- 6: a Braket ``region`` like ``x@127.0.0.1:PORT/#`` (bundle, hub mapper, hand-edited ``~/.aws/config``) never
  sends the login's token to that host;
- 7: a value that would end its ``~/.env`` line (backslash, newline, CR, quote, NUL, Unicode separators) never adds
  a line python-dotenv loads: read back with the real ``dotenv_values``;
- 8: a pasted or uploaded IonQ ``url`` that is plain http to another host, ftp, has a newline or is a broken IPv6
  literal is a 400 with a sentence (never a 500), and nothing is written or sent;
- 9: ``[profile ../../../victim/data]`` in ``~/.aws/config``: status never reads, Remove never deletes, outside
  ``~/.aws/qcred``;
- 12: a Nexus device login whose link is ``javascript:`` or whose code is markup is refused by the server;
- every URL field of every bundle section and of hub mappers goes through ``core.validation``.

Server-level tests run a real Jupyter server on loopback (REST); pure functions are tested directly. A loopback
listener stands for the attacker's host and records every connection.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from support.helpers import entry
from support.server_fixtures import jp_server_config  # noqa: F401 - a server with the extension

from jupyter_qcred import hub
from jupyter_qcred.core.bundle import Bundle, QcsProfileSpec, parse_bundle
from jupyter_qcred.core.errors import FieldError, ProviderError, QCredError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.core.validation import url_problem, web_url
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.braket.store import BraketStore
from jupyter_qcred.providers.common import LineFile
from jupyter_qcred.providers.ionq.provider import IonqProvider
from jupyter_qcred.providers.ionq.spec import IonqKeySpec

pytestmark = pytest.mark.timeout(180)

ROLE = "arn:aws:iam::123456789012:role/qcred-braket"


class Listener:
    """A loopback TCP port standing for the attacker's host: records every connection and the bytes it got."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.received.append(conn.recv(65536))
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def settings(home: Path, **extra: str) -> Settings:
    return Settings.from_environment({"HOME": str(home), "PATH": "/usr/bin:/bin", **extra})


# ----- one validator for every URL field -------------------------------------------------------------------------

BAD_URLS = [
    ("http://198.51.100.7/api", "is plain http to another machine"),
    ("ftp://127.0.0.1:21/", "must be an https address"),
    ("http://[::1", "is not a valid address"),
    ("https://api.example/\nPYTHONPATH=/tmp/evil", "must not contain spaces, control characters"),
    ("javascript:alert(document.cookie)", "must be an https address"),
    ("https://api.quantum.ibm.com@198.51.100.7/", "must not hold a user name or password"),
]
#: (section, entry without the URL, the URL's field, its path in the error)
URL_FIELDS = [
    ("ibm", {"token": "ibm-key-hostile-0001"}, "url", "ibm[0].url"),
    ("qcs", {"refresh_token": "rt-hostile-0001"}, "api_url", "qcs[0].api_url"),
    ("qcs", {"refresh_token": "rt-hostile-0001"}, "grpc_api_url", "qcs[0].grpc_api_url"),
    ("qcs", {"refresh_token": "rt-hostile-0001"}, "issuer", "qcs[0].issuer"),
    ("ionq", {"key": "ionq-key-hostile-0001"}, "url", "ionq[0].url"),
    ("nexus", {"refresh_token": "rt-hostile-0001"}, "url", "nexus[0].url"),
    ("braket", {"role_arn": ROLE, "web_identity_token": "jwt-hostile-0001"}, "issuer", "braket[0].issuer"),
]


@pytest.mark.parametrize(("section", "base", "key", "path"), URL_FIELDS)
@pytest.mark.parametrize(("url", "sentence"), BAD_URLS)
def test_every_url_field_of_every_bundle_section_is_https_or_loopback_http(
    section: str, base: dict[str, Any], key: str, path: str, url: str, sentence: str
) -> None:
    """Before: ``ibm[0].url`` and IBM proxies were not checked at all, the others only started with http(s)://, so
    plain http to another host, a newline or ``http://[::1`` passed (and failed later with a 500)."""
    with pytest.raises(FieldError) as caught:
        parse_bundle({"version": 1, section: [{**base, key: url}]}, "QCRED_BUNDLE")
    message = str(caught.value)
    assert caught.value.field == path and sentence in message, message
    assert url not in message and "hostile-0001" not in message


@pytest.mark.parametrize(
    "url", ["https://api.ionq.co/v0.4", "http://127.0.0.1:8080/x", "http://[::1]:9/", "http://localhost"]
)
def test_good_addresses_pass_the_one_validator(url: str) -> None:
    assert url_problem(url) is None and web_url(url)
    assert parse_bundle({"version": 1, "ionq": [{"key": "k", "url": url}]}).ionq[0].url == url


def test_ibm_proxy_urls_in_a_bundle_are_checked_too() -> None:
    proxies = {"urls": {"https": "http://proxy.corp:3128\nPYTHONPATH=/tmp/evil"}}
    with pytest.raises(FieldError) as caught:
        parse_bundle({"version": 1, "ibm": [{"token": "ibm-key-hostile-0001", "proxies": proxies}]})
    assert caught.value.field == "ibm[0].proxies.urls.https" and "must not contain spaces" in str(caught.value)
    for bad in ("http://[::1", "file:///etc/passwd"):
        with pytest.raises(FieldError):
            parse_bundle({"version": 1, "ibm": [{"token": "t", "proxies": {"urls": {"https": bad}}}]})
    corporate = {"urls": {"https": "http://proxy.corp:3128"}}  # http to a proxy is fine: CONNECT keeps TLS end to end
    assert parse_bundle({"version": 1, "ibm": [{"token": "t", "proxies": corporate}]}).ibm[0].proxies == corporate


def test_a_hub_mapper_that_builds_a_bad_url_hands_over_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """An admin's mapper may build the dataclasses directly; before, its bundle went out unchecked (the server
    then refreshed against ``http://198.51.100.7`` with the user's tokens)."""

    def mapper(auth_state: Any) -> Bundle:
        return Bundle(
            qcs=(QcsProfileSpec(profile="default", refresh_token="rt-hostile-0001", issuer="http://198.51.100.7"),)
        )

    with caplog.at_level(logging.ERROR, logger="jupyter_qcred.hub"):
        assert hub.map_bundle(mapper, {"access_token": "x"}, "alice") is None
    text = caplog.text
    assert "field 'qcs[0].issuer' is plain http to another machine" in text and "rt-hostile-0001" not in text

    def good(auth_state: Any) -> Bundle:
        return Bundle(qcs=(QcsProfileSpec(profile="default", refresh_token="rt", issuer="https://id.example/o"),))

    mapped = hub.map_bundle(good, {}, "alice")
    assert mapped is not None and mapped.qcs[0].issuer == "https://id.example/o"


def test_the_servers_own_mapping_of_auth_state_checks_the_qcs_options() -> None:
    """The server's hub pull maps auth_state with ``configure(qcs=...)`` / ``QCRED_QCS_*`` options itself (no hub
    mapper runs there): an issuer that is plain http to another machine hands over nothing."""
    from jupyter_qcred.core.authstate import bundle_from_auth_state

    state = {"access_token": "at-hostile-0001", "refresh_token": "rt-hostile-0001"}
    with pytest.raises(FieldError, match=r"qcs\[0\]\.issuer") as refused:
        bundle_from_auth_state(state, {"qcs": {"issuer": "http://198.51.100.7/oauth2"}})
    assert "rt-hostile-0001" not in str(refused.value)
    good = bundle_from_auth_state(state, {"qcs": {"issuer": "https://id.example/o", "refresh": "hub"}})
    assert good.qcs[0].issuer == "https://id.example/o" and good.qcs[0].refresh_token == "rt-hostile-0001"


async def test_an_ibm_key_is_never_sent_in_clear_to_another_host(tmp_path: Path) -> None:
    """The check of a stored account (a file the user was handed, or ``IAM_URL``): plain http to another host (here
    127.0.0.2, which is not this machine's loopback name) is refused before the request. Before: the API key was
    POSTed there in clear."""
    other = Listener("127.0.0.2")
    try:
        home = tmp_path / "home"
        accounts = home / ".qiskit" / "qiskit-ibm.json"
        accounts.parent.mkdir(parents=True)
        account = {
            "channel": "ibm_quantum_platform",
            "token": "ibm-key-hostile-0001",
            "url": "https://quantum.cloud.ibm.com",
        }
        accounts.write_text(json.dumps({"work": account}))
        manager = CredentialManager(
            create_providers(settings(home, IAM_URL=f"http://127.0.0.2:{other.port}"), ("ibm",))
        )
        with pytest.raises(ProviderError) as caught:
            await manager.providers["ibm"].refresh("work", force=True)
        message = str(caught.value)
        assert "is plain http to another machine" in message and "so it was not sent" in message
        assert "ibm-key-hostile-0001" not in message
        await asyncio.sleep(0.3)
        assert other.received == []
    finally:
        other.close()


# ----- 6. Braket region ------------------------------------------------------------------------------------------


def test_a_braket_region_naming_another_host_is_refused_in_bundles_and_hub_mappers(listener: Listener) -> None:
    region = f"x@127.0.0.1:{listener.port}/#"
    entry_ = {"role_arn": ROLE, "web_identity_token": "jwt-hostile-0001", "region": region}
    with pytest.raises(FieldError) as caught:
        parse_bundle({"version": 1, "braket": [entry_]}, "QCRED_BUNDLE")
    assert caught.value.field == "braket[0].region" and "must be an AWS region name" in str(caught.value)
    assert region not in str(caught.value)
    mapper = hub.default_mapper(braket={"role_arn": ROLE, "region": region})
    assert hub.map_bundle(mapper, {"id_token": "jwt-hostile-0001"}, "alice") is None
    assert parse_bundle({"version": 1, "braket": [{**entry_, "region": "us-gov-west-1"}]}).braket[0].region
    assert listener.received == []


async def test_a_hand_edited_region_never_sends_the_login_token_to_another_host(
    tmp_path: Path, listener: Listener
) -> None:
    """Before: STS was asked at ``https://sts.x@127.0.0.1:PORT/#.amazonaws.com``, i.e. 127.0.0.1:PORT, with the
    login's id_token in the form (the listener got a TLS hello)."""
    home = tmp_path / "home"
    manager = CredentialManager(create_providers(settings(home), ("braket",)))
    good = {"profile": "work", "role_arn": ROLE, "web_identity_token": "jwt-hostile-0001", "refresh": "hub"}
    manager.materialize(parse_bundle({"version": 1, "braket": [good]}), source="bundle")
    config = home / ".aws" / "config"
    assert "us-east-1" in config.read_text()
    config.write_text(config.read_text().replace("us-east-1", f"x@127.0.0.1:{listener.port}/#"))
    with pytest.raises(ProviderError) as caught:
        await manager.providers["braket"].refresh("work")
    message = str(caught.value)
    assert "region must be an AWS region name" in message and "the login's token was not sent" in message
    assert "jwt-hostile-0001" not in message and str(listener.port) not in message
    await asyncio.sleep(0.3)
    assert listener.received == [], "nothing may reach the region's host"


# ----- 7. ~/.env injection ---------------------------------------------------------------------------------------

HOSTILE_VALUES = [
    "ionq-key\\\nPYTHONPATH=/tmp/evil #",
    "ionq-key\nPYTHONPATH=/tmp/evil #",
    "ionq-key\rPYTHONPATH=/tmp/evil #",
    "ionq-key\\",
    "ionq-key'\nPYTHONPATH=/tmp/evil #",
    'ionq-key"\nPYTHONPATH=/tmp/evil #',
    "ionq-key\x00PYTHONPATH=/tmp/evil",
    "ionq-key\u2028PYTHONPATH=/tmp/evil #",
    "ionq-key\x85PYTHONPATH=/tmp/evil #",
    "ionq-key\x0bPYTHONPATH=/tmp/evil #",
    "ionq-${HOME}",
]


def loaded(path: Path) -> dict[str, str | None]:
    return dict(dotenv_values(stream=io.StringIO(path.read_text())))


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_key_that_would_end_its_dotenv_line_is_refused_and_nothing_is_written(tmp_path: Path, value: str) -> None:
    """Before: ``_quote`` wrapped the value in single quotes; written and then removed (or replaced) it left
    ``PYTHONPATH=/tmp/evil`` as a line of its own, which python-dotenv loads into every notebook."""
    home = tmp_path / "home"
    home.mkdir()
    dotenv = home / ".env"
    dotenv.write_text("# mine\nOTHER=1\n")
    before = dotenv.read_text()
    provider = IonqProvider(settings(home))
    with pytest.raises(FieldError) as caught:
        provider.materialize([IonqKeySpec(key=value)], source="bundle")
    assert "IONQ_API_KEY" in str(caught.value) and str(dotenv) in str(caught.value)
    assert dotenv.read_text() == before
    provider.remove("default")  # a remove (or a later paste) keeps every other line: there must be none of ours
    assert loaded(dotenv) == {"OTHER": "1"}
    with pytest.raises(FieldError) as caught:
        parse_bundle({"version": 1, "ionq": [{"key": value}]}, "auth_state['qcred']")
    assert caught.value.field == "ionq[0].key" and "PYTHONPATH" not in str(caught.value)


@pytest.mark.parametrize("value", ["plain-Key_1.2:3@x+y=z", "with space", "hash # not a comment", "dollar $HOME"])
def test_values_python_dotenv_reads_back_exactly(tmp_path: Path, value: str) -> None:
    document = LineFile("A=1\n")
    document.set("IONQ_API_KEY", value)
    path = tmp_path / ".env"
    path.write_text(document.text())
    assert loaded(path) == {"A": "1", "IONQ_API_KEY": value}


def test_a_separator_inside_a_kept_line_never_becomes_a_line_of_its_own(tmp_path: Path) -> None:
    """``str.splitlines`` breaks at U+2028, python-dotenv does not: a kept line must stay one line when we write."""
    path = tmp_path / ".env"
    path.write_text("NOTE='a\u2028PYTHONPATH=/tmp/evil'\n")
    document = LineFile(path.read_text())
    document.set("IONQ_API_KEY", "k")
    path.write_text(document.text())
    assert loaded(path) == {"NOTE": "a\u2028PYTHONPATH=/tmp/evil", "IONQ_API_KEY": "k"}


# ----- 8. IonQ pasted and uploaded url (a real server) ------------------------------------------------------------


async def test_a_pasted_ionq_url_that_is_not_https_is_a_400_and_nothing_is_written_or_sent(
    jp_serverapp: Any, api: Any, bundle: dict[str, Any], jp_home_dir: Path, listener: Listener
) -> None:
    """Before: plain http and ftp were accepted (the key went out in clear, or the check failed with a 500), and a
    newline or ``http://[::1`` answered 500."""
    dotenv = Path(jp_home_dir) / ".env"
    before = dotenv.read_text()
    key = bundle["ionq"][0]["key"]
    for url in (
        "http://198.51.100.7/v0.4",
        f"ftp://127.0.0.1:{listener.port}/",
        f"https://127.0.0.1:{listener.port}/\nPYTHONPATH=/tmp/evil",
        "http://[::1",
        f"http://user:pw@127.0.0.1:{listener.port}/",
    ):
        body = {"source": "token", "provider": "ionq", "token": key, "url": url, "replace": True}
        code, answer = await api("reinitialize", "POST", body)
        assert code == 400, (url, code, answer)
        assert "field 'url'" in answer["message"] and answer["message"].endswith("."), answer
        assert key not in json.dumps(answer)
    for name, content in (
        (".env", f"IONQ_API_KEY={key}\nIONQ_API_URL=ftp://127.0.0.1:{listener.port}/\n"),
        (".env", f"IONQ_API_KEY={key}\nIONQ_API_URL=http://[::1\n"),
        (".env", f"IONQ_API_KEY='{key}\\'\nIONQ_API_URL=https://127.0.0.1:{listener.port}/\n"),
    ):
        body = {"source": "file", "provider": "ionq", "filename": name, "content": content, "replace": True}
        code, answer = await api("reinitialize", "POST", body)
        assert code == 400 and "field 'IONQ_API_" in answer["message"], (content, code, answer)
        assert key not in json.dumps(answer)
    assert dotenv.read_text() == before
    _, status = await api("status")
    assert entry(status, "ionq")["state"] in ("ok", "expiring")
    await asyncio.sleep(0.3)
    assert listener.received == []


def test_an_uploaded_env_naming_a_new_api_host_asks_first(tmp_path: Path) -> None:
    provider = IonqProvider(settings(tmp_path))
    assert provider.upload_hosts(".env", "IONQ_API_KEY=k\n") == []
    assert provider.upload_hosts(".env", "IONQ_API_KEY=k\nIONQ_API_URL=https://api.ionq.co/v0.4\n") == []
    assert provider.upload_hosts(".env", "IONQ_API_KEY=k\nIONQ_API_URL=https://ionq.evil.example/v1\n") == [
        "ionq.evil.example"
    ]
    with pytest.raises(FieldError, match="field 'IONQ_API_URL' is plain http"):
        provider.upload_hosts(".env", "IONQ_API_KEY=k\nIONQ_API_URL=http://ionq.evil.example/\n")


# ----- 9. Braket section names in ~/.aws/config (a real server) ---------------------------------------------------


async def test_a_braket_section_named_like_a_path_is_ignored_never_read_nor_removed(
    jp_serverapp: Any, api: Any, jp_home_dir: Path
) -> None:
    """Before: status read ``../../../victim/data.token`` (shown as a profile) and Remove deleted it and its
    ``.json`` neighbour, outside ``~/.aws/qcred``."""
    home = Path(jp_home_dir)
    folder = home / ".aws" / "qcred"
    victim = (folder / "../../../victim").resolve()
    victim.mkdir(parents=True, exist_ok=True)
    (victim / "data.token").write_text("victim-secret-data-0001")
    (victim / "data.json").write_text('{"refresh": "hub"}')
    config = home / ".aws" / "config"
    with config.open("a") as out:
        out.write(f"\n[profile ../../../victim/data]\nrole_arn = {ROLE}\nweb_identity_token_file = {folder}/x.token\n")

    async def ignored() -> Any:
        _, status = await api("status")
        braket = [e for e in status["providers"] if e["provider"] == "braket"]
        said = " ".join(w for e in braket for w in e.get("warnings") or [])
        return status if "[profile ../../../victim/data] is ignored" in said else None

    status = await _wait(ignored)
    assert all(e["name"] != "../../../victim/data" for e in status["providers"])
    assert "victim-secret-data-0001" not in json.dumps(status)
    code, answer = await api("remove", "POST", {"provider": "braket", "name": "../../../victim/data"})
    assert 400 <= code < 500 and answer["message"].endswith("."), answer
    assert (victim / "data.token").read_text() == "victim-secret-data-0001" and (victim / "data.json").exists()
    assert "[profile ../../../victim/data]" in config.read_text()


def test_the_braket_store_builds_no_path_from_a_name_that_is_not_a_file_name(tmp_path: Path) -> None:
    store = BraketStore(settings(tmp_path))
    victim = tmp_path / "victim.token"
    victim.write_text("keep")
    for name in ("../victim", "../../etc/x", "a/b", ".hidden", "-rf", "x\ny"):
        with pytest.raises(QCredError, match="is not an Amazon Braket profile jupyter_qcred manages"):
            store.remove_profile(name)
        with pytest.raises(QCredError):
            store.load(name)
    assert victim.read_text() == "keep"


# ----- 12. Nexus device login (a real server) ---------------------------------------------------------------------


class HostileNexus:
    """A loopback Nexus whose device authorization answers with the given link and code."""

    def __init__(self, link: str, code: str) -> None:
        answer = json.dumps(
            {
                "device_code": "dc-0001",
                "user_code": code,
                "verification_uri": link,
                "verification_uri_complete": link,
                "expires_in": 600,
                "interval": 5,
            }
        ).encode()
        self.requests: list[str] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("link", "code", "sentence"),
    [
        ("javascript:alert(document.cookie)", "ABCD-EFGH", "a sign-in link that is not an https address"),
        ("data:text/html,<b>x</b>", "ABCD-EFGH", "a sign-in link that is not an https address"),
        ("https://id.example/activate", "<img src=x onerror=alert(1)>", "a code that is not letters and digits"),
    ],
)
async def test_a_nexus_device_login_with_a_script_link_or_markup_code_is_refused(
    api: Any, jp_home_dir: Path, link: str, code: str, sentence: str
) -> None:
    """Before: the login was kept and its link and code were in the status for every view to render."""
    nexus = HostileNexus(link, code)
    try:
        config = Path(jp_home_dir) / ".qnexus" / "config"
        config.write_text(f"NEXUS_PROTOCOL=http\nNEXUS_DOMAIN=127.0.0.1\nNEXUS_PORT={nexus.port}\n")
        code_, answer = await api("reinitialize", "POST", {"source": "device", "provider": "nexus"})
        assert nexus.requests == ["/auth/device/device_authorization"]
        assert code_ == 502 and sentence in answer["message"] and "login was not started" in answer["message"]
        assert link not in json.dumps(answer) and code not in json.dumps(answer)
        _, status = await api("status")
        assert status["logins"] == [] and link not in json.dumps(status) and code not in json.dumps(status)
    finally:
        nexus.close()


async def _wait(condition: Any, timeout: float = 20.0) -> Any:
    from support.helpers import async_wait_until

    return await async_wait_until(condition, timeout=timeout, what="the status")
