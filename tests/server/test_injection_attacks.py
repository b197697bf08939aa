"""Attacks that held before issue 13, kept as regression tests: file-format injection, WebSocket hijacking, and
markup in every field the widget shows.

- TOML and INI injection: values carrying quotes, newlines and section headers are written as values, read back
  exactly by the SDKs' own parsers (``tomllib``, ``configparser``), and never add a profile, a credential or a
  section; values a format cannot hold are refused with a sentence naming the field.
- WebSocket hijacking: the push channel refuses anonymous clients and other origins, even with a valid cookie.
- Stored XSS (widget): markup in names, instances, users, groups, errors and login codes is shown as text.
"""

from __future__ import annotations

import configparser
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient
import tornado.websocket
from support.helpers import login_cookie, stored_qcs_payload
from support.server_fixtures import jp_server_config  # noqa: F401 - a server with the extension

from jupyter_qcred.core.bundle import IbmAccountSpec, QcsProfileSpec
from jupyter_qcred.core.errors import QCredError
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.ibm.provider import IbmProvider
from jupyter_qcred.providers.qcs.provider import QcsProvider

pytestmark = pytest.mark.timeout(120)

TOML_PAYLOADS = [
    'tok"\n[credentials.evil.token_payload]\naccess_token = "pwned',
    "tok'''\n[profiles.evil]\napi_url = 'https://evil.example'",
    'tok\\"\n[auth_servers.evil]\nissuer = "https://evil.example"\n#',
    "tok\r\n[credentials.evil]\r\n",
    'tok"""\n[credentials.x]',
]
INI_PAYLOADS = [
    "tok\n[evil]\ntoken = pwned",
    "tok\r\n[ibmq]\r\ntoken = pwned",
    "tok ; comment\nurl = https://evil.example",
    "tok %(interpolated)s",
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    return Settings.from_environment({"HOME": str(home)}, lock_timeout=2.0)


@pytest.mark.parametrize("payload", TOML_PAYLOADS)
def test_toml_injection_stays_a_value(settings: Settings, payload: str) -> None:
    spec = QcsProfileSpec(profile="default", access_token=payload, refresh_token=payload + "-refresh")
    try:
        QcsProvider(settings).materialize([spec], source="bundle")
    except QCredError as exc:  # a value TOML cannot hold is refused, naming the field, never echoing the value
        refused = str(exc)
        assert "pwned" not in refused and "evil" not in refused
        assert not settings.qcs_secrets_path.exists()
        return
    secrets_toml = tomllib.loads(settings.qcs_secrets_path.read_text())
    settings_toml = tomllib.loads(settings.qcs_settings_path.read_text())
    assert set(secrets_toml["credentials"]) <= {"default", "jupyter_qcred-default"}  # the SDK's and the hand-off's
    stored = stored_qcs_payload(settings.qcs_secrets_path.read_text())
    assert stored["access_token"] == payload
    assert stored["refresh_token"] == payload + "-refresh"
    assert list(settings_toml["profiles"]) == ["default"]
    assert list(settings_toml.get("auth_servers", {})) in ([], ["default"])


@pytest.mark.parametrize("payload", INI_PAYLOADS)
def test_ini_injection_stays_a_value_or_is_refused(settings: Settings, payload: str) -> None:
    spec = IbmAccountSpec(name="legacy", channel="ibm_quantum", token=payload, url="https://auth.example/api")
    try:
        IbmProvider(settings).materialize([spec], source="bundle")
    except QCredError as exc:
        refused = str(exc)
        assert "pwned" not in refused and "evil" not in refused
        return
    parser = configparser.ConfigParser(interpolation=None)
    if settings.qiskitrc_path.exists():
        parser.read_string(settings.qiskitrc_path.read_text())
        assert parser.sections() == ["ibmq"]
        assert parser["ibmq"]["token"] == payload and parser["ibmq"]["url"] == "https://auth.example/api"
    accounts = json.loads(settings.qiskit_ibm_json_path.read_text())
    assert list(accounts) == ["legacy"] and accounts["legacy"]["token"] == payload


# ----- WebSocket hijacking ------------------------------------------------------------------------------------


async def connect(url: str, headers: dict[str, str]) -> int:
    """Open the push channel; 101 when the server accepted, else the HTTP status it refused with."""
    request = tornado.httpclient.HTTPRequest(url, headers=headers)
    try:
        socket = await tornado.websocket.websocket_connect(request)
    except tornado.httpclient.HTTPClientError as exc:
        return exc.code
    first = await socket.read_message()
    socket.close()
    assert first is not None and json.loads(first)["type"] == "status"
    return 101


async def test_the_push_channel_refuses_anonymous_and_cross_origin_clients(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str, jp_http_port: int, jp_auth_header: dict[str, str]
) -> None:
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}qcred/events"
    cookie, _xsrf = await login_cookie(http_server_client, jp_base_url, jp_serverapp)
    evil = "http://evil.example"
    assert await connect(url, {}) in (401, 403)
    assert await connect(url, {"Origin": evil}) in (401, 403)
    assert await connect(url, {"Cookie": cookie, "Origin": evil}) == 403  # the hijack: a victim's cookie, evil page
    # A token in the Authorization header is no hijack (a page cannot add that header to a WebSocket): accepted.
    assert await connect(url, {"Cookie": cookie, "Origin": f"http://127.0.0.1:{jp_http_port}"}) == 101
    assert await connect(url, jp_auth_header) == 101


# ----- stored XSS in the widget -------------------------------------------------------------------------------

MARKUP = "<img src=x onerror=alert(1)>"


def test_markup_in_every_field_the_widget_shows_stays_text() -> None:
    from jupyter_qcred.notebook.widget import render_status

    user = {"email": MARKUP, "first_name": MARKUP, "last_name": MARKUP, "organization": MARKUP, "id": MARKUP}
    status = {
        "providers": [
            {
                "provider": "qcs",
                "name": MARKUP,
                "state": "error",
                "error": MARKUP,
                "default": True,
                "token_hint": MARKUP,
                "file": MARKUP,
                "expires_at": None,
                "warnings": [MARKUP],
                "account": {"user": user, "groups": [{"name": MARKUP, "description": MARKUP}], "api_url": MARKUP},
            },
            {
                "provider": "ibm",
                "name": MARKUP,
                "state": "ok",
                "error": None,
                "default": False,
                "account": {
                    "channel": MARKUP,
                    "instance": MARKUP,
                    "instances": [{"hub": MARKUP, "group": MARKUP, "project": MARKUP, "default": True}],
                    "url": MARKUP,
                },
            },
        ],
        "logins": [{"state": "pending", "user_code": MARKUP, "verification_uri": "https://id.example/" + MARKUP}],
    }
    html = render_status(status)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
