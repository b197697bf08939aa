"""Security properties of the server extension and the files it writes.

- Every handler the extension REGISTERED on a running server (found in the server's routers, so a new one cannot
  slip through) refuses every method without credentials, and refuses cookie-authenticated writes without the
  XSRF header.
- No path or provider name from a request reaches the filesystem unchecked: hostile names and upload file names
  change nothing outside ``~/.qcs`` and ``~/.qiskit`` (the home tree is compared before and after).
- Symbolic links planted where the stores, their lock files or their temp files go never make us write outside.
- On a hub, a user's server only ever asks the hub for ``/users/{its own user}``, with the name quoted.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
from support.helpers import SecretScanner, login_cookie
from support.server_fixtures import jp_server_config  # noqa: F401 - a server with the extension

from jupyter_qcred.core import files
from jupyter_qcred.core.bundle import IbmAccountSpec, QcsProfileSpec
from jupyter_qcred.core.errors import QCredError
from jupyter_qcred.core.hubclient import HubClient
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.ibm.provider import IbmProvider
from jupyter_qcred.providers.qcs.provider import QcsProvider

pytestmark = pytest.mark.timeout(120)

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def registered_routes(serverapp: Any) -> list[tuple[str, type]]:
    """(path, handler class) of every route whose handler lives in jupyter_qcred, from the live routers."""
    found: list[tuple[str, type]] = []

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", []):
            target = rule.target
            if isinstance(target, type) and issubclass(target, tornado.web.RequestHandler):
                if target.__module__.startswith("jupyter_qcred"):
                    path = rule.matcher.reverse()
                    assert path is not None, f"{target.__name__} has a route with groups; extend this test"
                    found.append((path, target))
            elif hasattr(target, "rules"):
                walk(target)

    walk(serverapp.web_app.default_router)
    return found


async def test_every_registered_handler_refuses_anonymous_requests(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str
) -> None:
    routes = registered_routes(jp_serverapp)
    names = {handler.__name__ for _path, handler in routes}
    assert {"StatusHandler", "RefreshHandler", "ReinitializeHandler", "EventsHandler"} <= names, names
    answers = {}
    for path, handler in routes:
        assert path.startswith(jp_base_url), path
        for method in METHODS:
            for origin in (None, "http://evil.example"):
                response = await http_server_client.fetch(
                    path,
                    method=method,
                    body="{}" if method in WRITE_METHODS else None,
                    raise_error=False,
                    follow_redirects=False,
                    allow_nonstandard_methods=True,
                    headers={"Origin": origin} if origin else {},
                )
                answers[(handler.__name__, method, origin)] = response.code
                if method == "OPTIONS" and response.code in (200, 204):
                    # Jupyter Server answers CORS preflights without authentication by design; nothing is disclosed.
                    assert not response.body
                    continue
                # Cross-origin API requests are blocked with a 404 by Jupyter Server before authentication.
                expected = (403, 405) if origin is None else (403, 404, 405)
                assert response.code in expected, f"{method} {path} ({handler.__name__}) answered {response.code}"
    assert len(answers) == len(routes) * len(METHODS) * 2


async def test_browser_writes_need_the_xsrf_header_on_every_handler(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str
) -> None:
    cookie, xsrf = await login_cookie(http_server_client, jp_base_url, jp_serverapp)
    routes = [
        (path, handler) for path, handler in registered_routes(jp_serverapp) if handler.__name__ != "EventsHandler"
    ]
    for path, handler in routes:
        for method in WRITE_METHODS:
            refused = await http_server_client.fetch(
                path,
                method=method,
                body="{}",
                raise_error=False,
                allow_nonstandard_methods=True,
                headers={"Cookie": cookie},
            )
            assert refused.code in (403, 405), f"{method} {handler.__name__} without X-XSRFToken: {refused.code}"
    # The same cookie with the header gets through the XSRF check (the status is then the handler's own).
    accepted = await http_server_client.fetch(
        f"{jp_base_url}qcred/refresh",
        method="POST",
        body="{}",
        raise_error=False,
        headers={"Cookie": cookie, "X-XSRFToken": xsrf},
    )
    assert accepted.code == 200
    status = await http_server_client.fetch(f"{jp_base_url}qcred/status", raise_error=False, headers={"Cookie": cookie})
    assert status.code == 200


def tree(root: Path) -> dict[str, str]:
    """Every file and link under ``root`` with a digest of its content (links: their target)."""
    found: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder, name)
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "link:" + os.readlink(path)
            else:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


HOSTILE_NAMES = ["../x", "../../etc/passwd", "/etc/passwd", "..", "a/../../b", "~root/.ssh/x", "x\x00y", "%2e%2e/x"]


async def test_hostile_names_and_upload_file_names_never_reach_the_filesystem(
    jp_serverapp: Any, jp_fetch: Any, jp_home_dir: Path, tmp_path: Path, secret_scanner: SecretScanner
) -> None:
    home = Path(jp_home_dir)
    (home / ".bashrc").write_text("# the user's shell settings\n")
    (home / ".ssh").mkdir()
    (home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA user\n")
    before = tree(tmp_path)

    async def call(path: str, method: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = await jp_fetch("qcred", path, method=method, body=json.dumps(body), raise_error=False)
        text = response.body.decode()
        secret_scanner.saw(f"{method} {path}", text)
        return response.code, json.loads(text) if text else None

    codes: dict[str, int] = {}
    for name in HOSTILE_NAMES:
        codes[f"default provider {name!r}"], _ = await call("default", "PUT", {"provider": name, "name": "x"})
        codes[f"default qcs name {name!r}"], _ = await call("default", "PUT", {"provider": "qcs", "name": name})
        codes[f"default ibm name {name!r}"], _ = await call("default", "PUT", {"provider": "ibm", "name": name})
        codes[f"refresh {name!r}"], _ = await call("refresh", "POST", {"provider": "qcs", "name": name})
        codes[f"refresh provider {name!r}"], _ = await call("refresh", "POST", {"provider": name})
        codes[f"reinit provider {name!r}"], _ = await call(
            "reinitialize", "POST", {"source": "file", "provider": name, "filename": "x", "content": "{}"}
        )
    for code_name, code in codes.items():
        assert code in (400, 404), f"{code_name}: {code}"

    uploads = [
        ("qcs", "../../.bashrc", '[credentials.upload.token_payload]\naccess_token = "x-upload-token-0001"\n'),
        ("qcs", "/etc/../../.ssh/authorized_keys", '[profiles.other]\ncredentials_name = "upload"\n'),
        ("ibm", "../../.bashrc", json.dumps({"up": {"channel": "ibm_cloud", "token": "ibm-upload-key-00001"}})),
        ("ibm", "../.ssh/qiskitrc", "[ibmq]\ntoken = legacy-upload-token-0001\nurl = https://auth.example/api\n"),
    ]
    secret_scanner.add_secrets("x-upload-token-0001", "ibm-upload-key-00001", "legacy-upload-token-0001")
    for provider, filename, content in uploads:
        code, _ = await call(
            "reinitialize", "POST", {"source": "file", "provider": provider, "filename": filename, "content": content}
        )
        assert code in (200, 400, 404, 409), (filename, code)  # (409: the qiskitrc names a host not used before)
    for name in ("../../evil", "/tmp/evil", "..", "a/b"):
        await call(
            "reinitialize", "POST", {"source": "token", "provider": "qcs", "refresh_token": "r" * 20, "profile": name}
        )
        await call("reinitialize", "POST", {"source": "token", "provider": "ibm", "token": "k" * 20, "name": name})

    after = tree(tmp_path)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    home_part = str(home.relative_to(tmp_path))
    allowed = (f"{home_part}/.qcs/", f"{home_part}/.qiskit/", f"{home_part}/.local/state/jupyter_qcred/")  # + our state
    outside = sorted(key for key in changed if key.startswith(home_part + "/") and not key.startswith(allowed))
    assert not outside, f"written outside ~/.qcs and ~/.qiskit: {outside}"
    elsewhere = sorted(key for key in changed if not key.startswith(home_part + "/"))
    assert not [key for key in elsewhere if "qcs" in key or "qiskit" in key or "evil" in key], elsewhere
    assert (home / ".bashrc").read_text() == "# the user's shell settings\n"


# ----- symbolic links --------------------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> tuple[Settings, Path]:
    """A home with private store folders, and an ``outside`` folder holding a file someone could aim links at."""
    home = tmp_path / "home"
    (home / ".qcs").mkdir(parents=True, mode=0o700)
    (home / ".qiskit").mkdir(mode=0o700)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target").write_text("precious = true\n")
    return Settings.from_environment({"HOME": str(home)}, lock_timeout=2.0), outside


def qcs_spec() -> QcsProfileSpec:
    return QcsProfileSpec(profile="default", access_token="sym-access-token-0001", refresh_token="sym-refresh-0001")


def ibm_spec() -> IbmAccountSpec:
    return IbmAccountSpec(name="acct", channel="ibm_cloud", token="sym-ibm-key-000000001")


def test_a_store_that_is_a_link_to_elsewhere_is_replaced_never_written_through(world: tuple[Settings, Path]) -> None:
    settings, outside = world
    target = outside / "target"
    settings.qcs_secrets_path.symlink_to(target)
    settings.qiskit_ibm_json_path.symlink_to(outside / "missing.json")  # a dangling link: nothing may appear there
    QcsProvider(settings).materialize([qcs_spec()], source="bundle")
    IbmProvider(settings).materialize([ibm_spec()], source="bundle")
    assert target.read_text() == "precious = true\n"
    assert not (outside / "missing.json").exists()
    assert not settings.qcs_secrets_path.is_symlink() and not settings.qiskit_ibm_json_path.is_symlink()
    assert "sym-access-token-0001" in settings.qcs_secrets_path.read_text()
    assert sorted(p.name for p in outside.iterdir()) == ["target"]


@pytest.mark.parametrize("store", ["qcs_secrets_path", "qcs_settings_path", "qiskit_ibm_json_path", "qiskitrc_path"])
@pytest.mark.parametrize("dangling", [False, True])
def test_a_lock_file_planted_as_a_link_is_refused_clearly(
    world: tuple[Settings, Path], store: str, dangling: bool
) -> None:
    settings, outside = world
    aim = outside / ("nothing-here" if dangling else "target")
    files.lock_path(getattr(settings, store)).symlink_to(aim)
    provider: QcsProvider | IbmProvider = QcsProvider(settings) if store.startswith("qcs") else IbmProvider(settings)
    spec: QcsProfileSpec | IbmAccountSpec = qcs_spec() if store.startswith("qcs") else ibm_spec()
    with pytest.raises(QCredError, match="symbolic link"):
        provider.materialize([spec], source="bundle")
    assert (outside / "target").read_text() == "precious = true\n"
    assert not (outside / "nothing-here").exists()


def test_temp_file_names_planted_as_links_are_skipped(
    world: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, outside = world
    monkeypatch.setattr(files.time, "monotonic_ns", lambda: 42)  # make the temp names predictable
    for store in (settings.qcs_secrets_path, settings.qcs_settings_path, settings.qiskit_ibm_json_path):
        for attempt in range(5):
            link = store.parent / f".{store.name}.{os.getpid()}.42.{attempt}.tmp"
            link.symlink_to(outside / ("target" if attempt % 2 else f"planted-{store.name}-{attempt}"))
    QcsProvider(settings).materialize([qcs_spec()], source="bundle")
    IbmProvider(settings).materialize([ibm_spec()], source="bundle")
    assert (outside / "target").read_text() == "precious = true\n"
    assert sorted(p.name for p in outside.iterdir()) == ["target"]
    assert "sym-access-token-0001" in settings.qcs_secrets_path.read_text()
    assert "sym-ibm-key-000000001" in settings.qiskit_ibm_json_path.read_text()


def test_only_stale_temp_files_of_dead_writers_are_swept(world: tuple[Settings, Path]) -> None:
    """A killed writer's temp file (a stale copy of secrets) goes; a live writer's or a fresh one stays."""
    settings, _outside = world
    folder = settings.qcs_secrets_path.parent
    dead_pid = 2**22 + 17  # above the default pid_max: no such process
    stale = folder / f".secrets.toml.{dead_pid}.1.0.tmp"
    fresh = folder / f".secrets.toml.{dead_pid}.2.0.tmp"
    live = folder / f".secrets.toml.{os.getppid()}.3.0.tmp"
    other = folder / f".settings.toml.{dead_pid}.4.0.tmp"
    for path in (stale, fresh, live, other):
        path.write_text("old secrets")
    long_ago = 1_000_000_000
    for path in (stale, live, other):
        os.utime(path, (long_ago, long_ago))
    files.atomic_write(settings.qcs_secrets_path, "x = 1\n")
    assert not stale.exists()
    assert fresh.exists() and live.exists() and other.exists()


# ----- the hub ---------------------------------------------------------------------------------------------------


class _HubStub(tornado.web.RequestHandler):
    """Records every request; answers only ``GET /hub/api/users/{name}`` with a bundle for that user."""

    def initialize(self, seen: list[tuple[str, str]], user: str) -> None:
        self.seen, self.user = seen, user

    def get(self, *_args: Any) -> None:
        self.seen.append((self.request.method or "", self.request.path))
        if self.request.path != f"/hub/api/users/{quote(self.user, safe='')}":
            self.set_status(404)
            self.finish(json.dumps({"message": "no such user"}))
            return
        bundle = {"version": 1, "qcs": [{"profile": "default", "refresh_token": f"rt-of-{self.user}-0001"}]}
        self.finish(json.dumps({"name": self.user, "auth_state": {"qcred_bundle": bundle}}))


async def fetch_as(user: str) -> tuple[list[tuple[str, str]], Any]:
    seen: list[tuple[str, str]] = []
    app = tornado.web.Application([(r"/.*", _HubStub, {"seen": seen, "user": user})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    try:
        client = HubClient(api_url=f"http://127.0.0.1:{port}/hub/api", token="server-token", user=user)
        try:
            result: Any = await client.fetch_bundle()
        except QCredError as exc:
            result = exc
    finally:
        server.stop()
    return seen, result


SAFE_USERS = [
    "alice",
    "bob/../alice",
    "../alice",
    "a/b",
    "alice%2F..%2Fbob",
    "al ice",
    "ünï",
    "alice?x=1",
    "a#b",
    "...",
]


@pytest.mark.parametrize("user", SAFE_USERS)
async def test_hub_pull_only_ever_asks_for_its_own_user_quoted(user: str) -> None:
    seen, result = await fetch_as(user)
    assert seen == [("GET", f"/hub/api/users/{quote(user, safe='')}")]
    assert not isinstance(result, Exception), result
    assert result.qcs[0].refresh_token == f"rt-of-{user}-0001"


@pytest.mark.parametrize("user", [".", ".."])
async def test_hub_pull_for_dot_user_names_stays_on_the_users_own_url(user: str) -> None:
    seen, _result = await fetch_as(user)
    assert seen == [("GET", f"/hub/api/users/{quote(user, safe='').replace('.', '%2E')}")]
