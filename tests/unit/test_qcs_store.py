"""QCS settings/secrets files: the SDK's model and defaults, lossless writes, clear errors, states (no network)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import tomlkit
from support.qcs import (
    FOREIGN_SECRETS,
    FOREIGN_SETTINGS,
    make_jwt,
    mode,
    no_secret_in_logs,  # noqa: F401 - fixtures
    provider,
    spec,
    write,
)

from jupyter_qcred.core.errors import FieldError, FileFormatError, QCredError
from jupyter_qcred.core.states import State
from jupyter_qcred.providers.qcs.model import (
    DEFAULT_API_URL,
    DEFAULT_CLIENT_ID,
    DEFAULT_ISSUER,
    jwt_times,
    load_secrets,
    load_settings,
    parse_rfc3339,
)


def qcs_dir(home: Path) -> Path:
    return home / ".qcs"


# ----------------------------------------------------------------------------------------------- model, defaults


def test_no_files_is_one_absent_status_saying_what_to_do(tmp_path: Path) -> None:
    statuses = provider(tmp_path).read()
    assert len(statuses) == 1
    assert statuses[0].state is State.ABSENT
    assert statuses[0].name is None
    assert "device login" in (statuses[0].error or "")
    assert provider(tmp_path).watched_paths() == [
        qcs_dir(tmp_path) / "settings.toml",
        qcs_dir(tmp_path) / "secrets.toml",
    ]


def test_sdk_defaults_fill_missing_keys_and_tables(tmp_path: Path) -> None:
    _doc, model = load_settings(tmp_path / "settings.toml", "")
    assert list(model.profiles) == ["default"]
    profile = model.profiles["default"]
    assert (profile.api_url, profile.credentials_name, profile.auth_server_name) == (
        DEFAULT_API_URL,
        "default",
        "default",
    )
    assert model.auth_servers["default"].client_id == DEFAULT_CLIENT_ID
    assert model.auth_servers["default"].issuer == DEFAULT_ISSUER
    # Once [profiles] exists, only its entries count (the SDK fails load_default() otherwise).
    _doc, model = load_settings(tmp_path / "settings.toml", '[profiles.p]\napi_url = "https://p"\n')
    assert list(model.profiles) == ["p"]


def test_profile_uses_the_credential_named_by_credentials_name(tmp_path: Path) -> None:
    token = make_jwt()
    write(
        qcs_dir(tmp_path) / "settings.toml",
        """
        default_profile_name = "group"
        [profiles.group]
        credentials_name = "shared"
        [profiles.lonely]
        credentials_name = "nothing-here"
        """,
    )
    write(
        qcs_dir(tmp_path) / "secrets.toml",
        f"""
        [credentials.shared.token_payload]
        access_token = "{token}"
        refresh_token = "refresh-token-shared-0001"
        [credentials.group.token_payload]
        access_token = "not the one"
        """,
    )
    statuses = provider(tmp_path).read()
    assert [s.name for s in statuses] == ["group"]
    status = statuses[0]
    assert status.state is State.OK
    assert status.default
    assert status.account["credentials_name"] == "shared"
    assert status.account["credential_kind"] == "token_payload"
    assert status.token_hint == "…" + token[-4:]
    assert status.expires_at == jwt_times(token).expires_at


def test_environment_overrides_default_profile_and_urls(tmp_path: Path) -> None:
    write(
        qcs_dir(tmp_path) / "settings.toml",
        """
        default_profile_name = "a"
        [profiles.a]
        credentials_name = "a"
        [profiles.b]
        credentials_name = "b"
        api_url = "https://b.example"
        """,
    )
    write(
        qcs_dir(tmp_path) / "secrets.toml",
        f"""
        [credentials.a.token_payload]
        access_token = "{make_jwt()}"
        [credentials.b.token_payload]
        access_token = "{make_jwt()}"
        """,
    )
    statuses = provider(
        tmp_path, QCS_PROFILE_NAME="b", QCS_SETTINGS_APPLICATIONS_API_URL="https://override.example"
    ).read()
    by_name = {s.name: s for s in statuses}
    assert by_name["b"].default
    assert not by_name["a"].default
    assert by_name["b"].account["api_url"] == "https://override.example"
    moved = tmp_path / "elsewhere"
    write(moved / "s.toml", "[profiles.x]\n")
    # A profile without credentials_name uses the credential "default", whatever its own name.
    write(moved / "c.toml", f'[credentials.default.token_payload]\naccess_token = "{make_jwt()}"\n')
    other = provider(
        tmp_path, QCS_SETTINGS_FILE_PATH=str(moved / "s.toml"), QCS_SECRETS_FILE_PATH=str(moved / "c.toml")
    )
    assert [s.name for s in other.read()] == ["x"]


def test_states_from_the_stored_jwt(tmp_path: Path) -> None:
    home = tmp_path
    cases = {
        "fresh": (make_jwt(3600), "refresh-token-fresh-0001"),
        "due": (make_jwt(3600, issued=time.time() - 3500), "refresh-token-due-0001"),
        "expired": (make_jwt(3600, issued=time.time() - 7200), "refresh-token-expired-0001"),
        "dead": (make_jwt(3600, issued=time.time() - 7200), None),
        "garbage": ("this-is-no-jwt-at-all-0001", "refresh-token-garbage-0001"),
        "onlyrt": (None, "refresh-token-onlyrt-0001"),
    }
    settings_text = "".join(f'[profiles.{n}]\ncredentials_name = "{n}"\n' for n in cases)
    secrets_text = ""
    for name, (access, refresh) in cases.items():
        secrets_text += f"[credentials.{name}.token_payload]\n"
        if access:
            secrets_text += f'access_token = "{access}"\n'
        if refresh:
            secrets_text += f'refresh_token = "{refresh}"\n'
    write(qcs_dir(home) / "settings.toml", settings_text)
    write(qcs_dir(home) / "secrets.toml", secrets_text)
    statuses = {s.name: s for s in provider(home).read()}
    assert statuses["fresh"].state is State.OK
    assert statuses["fresh"].error is None
    assert statuses["fresh"].next_refresh_at is not None
    assert statuses["fresh"].next_refresh_at < statuses["fresh"].expires_at  # type: ignore[operator]
    assert statuses["due"].state is State.EXPIRING
    assert statuses["expired"].state is State.EXPIRED
    assert "expired" in (statuses["expired"].error or "")
    assert statuses["dead"].state is State.NEEDS_REINIT
    assert statuses["dead"].account["refresh_token_state"] == "missing"
    assert statuses["garbage"].state is State.EXPIRED
    assert "not a JWT" in (statuses["garbage"].error or "")
    assert statuses["garbage"].expires_at is None
    assert statuses["onlyrt"].state is State.EXPIRED
    assert "missing" in (statuses["onlyrt"].error or "")
    text = repr([s.to_json() for s in statuses.values()])
    for access, refresh in cases.values():
        for secret in (access, refresh):
            if secret:
                assert secret not in text


def test_jwt_garbage_never_crashes_and_never_echoes() -> None:
    for token in ["", "a.b", "a.b.c", "x." + "!!!" + ".y", "x.bnVsbA.y", "x.WzEsMl0.y", "x.eyJleHAiOiJzb29uIn0.y"]:
        times = jwt_times(token)
        assert times.expires_at is None
        assert times.problem
        if token:
            assert token not in times.problem
    huge = make_jwt(lifetime=1e30)
    assert jwt_times(huge).expires_at is None


def test_rfc3339_like_the_sdk_writes_it() -> None:
    parsed = parse_rfc3339("2026-11-22T12:11:00.52227829Z")
    assert parsed is not None
    assert parsed.microsecond == 522278
    assert parse_rfc3339("2026-11-22T12:11:00+02:00") is not None
    assert parse_rfc3339("yesterday") is None


def test_externally_managed_and_client_credentials_are_reported_by_kind(tmp_path: Path) -> None:
    write(
        qcs_dir(tmp_path) / "settings.toml",
        '[profiles.ext]\ncredentials_name = "ext"\n[profiles.svc]\ncredentials_name = "svc"\n',
    )
    write(
        qcs_dir(tmp_path) / "secrets.toml",
        """
        [credentials.ext.externally_managed]
        command = "/usr/local/bin/jupyter"
        args = ["qcred", "token", "qcs", "--secret-looking-argument-0001"]
        timeout_seconds = 10
        [credentials.svc.client_credentials]
        client_id = "service-client"
        client_secret = "client-secret-value-0001"
        """,
    )
    statuses = {s.name: s for s in provider(tmp_path).read()}
    assert statuses["ext"].state is State.OK
    assert statuses["ext"].account["credential_kind"] == "externally_managed"
    assert statuses["ext"].account["command"] == "jupyter"
    assert statuses["svc"].account["credential_kind"] == "client_credentials"
    text = repr([s.to_json() for s in statuses.values()])
    assert "client-secret-value-0001" not in text
    assert "--secret-looking-argument-0001" not in text
    with pytest.raises(QCredError, match="externally managed"):
        provider(tmp_path).token_sync("ext")


def test_profile_with_a_missing_auth_server_is_an_error_status(tmp_path: Path) -> None:
    write(qcs_dir(tmp_path) / "settings.toml", '[profiles.default]\nauth_server_name = "gone"\n')
    write(qcs_dir(tmp_path) / "secrets.toml", f'[credentials.default.token_payload]\naccess_token = "{make_jwt()}"\n')
    (status,) = provider(tmp_path).read()
    assert status.state is State.ERROR
    assert "gone" in (status.error or "")


# ----------------------------------------------------------------------------------------------- broken files


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("settings.toml", '[profiles.default\napi_url = "x"\n', "line 1"),
        ("secrets.toml", '[credentials.default.token_payload]\naccess_token = "secret-token-0001\n', "line 2"),
        ("settings.toml", "a = 1\na = 2\n", "defined twice"),
    ],
)
def test_unparseable_file_is_one_error_status_and_is_never_overwritten(
    tmp_path: Path, filename: str, text: str, expected: str
) -> None:
    path = qcs_dir(tmp_path) / filename
    write(path, text)
    before = path.read_bytes()
    qcs = provider(tmp_path)
    (status,) = qcs.read()
    assert status.state is State.ERROR
    assert status.name is None
    assert str(path) in (status.error or "")
    assert expected in (status.error or "")
    assert "secret-token-0001" not in (status.error or "")
    token = make_jwt()
    with pytest.raises(FileFormatError) as info:
        qcs.materialize([spec(access_token=token, refresh_token="refresh-token-0001")], source="bundle")
    assert str(path) in str(info.value)
    assert token not in str(info.value)
    assert path.read_bytes() == before
    assert not list(path.parent.glob("*.broken-*"))
    # Re-initializing keeps the broken file as a private backup, then writes a good one.
    assert qcs.materialize([spec(access_token=token, refresh_token="refresh-token-0001")], source="bundle", reinit=True)
    (backup,) = path.parent.glob(f"{filename}.broken-*")
    assert backup.read_bytes() == before
    assert mode(backup) == 0o600
    assert [s.state for s in qcs.read()] == [State.OK]


@pytest.mark.parametrize(
    ("filename", "text", "field"),
    [
        ("settings.toml", "[profiles.default]\napi_url = 5\n", "profiles.default.api_url"),
        ("settings.toml", "default_profile_name = true\n", "default_profile_name"),
        ("settings.toml", '[auth_servers.default]\nissuer = "https://i"\n', "auth_servers.default.client_id"),
        ("secrets.toml", '[credentials.default.token_payload]\nexpires_in = "soon"\n', "expires_in"),
        ("secrets.toml", "[credentials.default.token_payload]\nupdated_at = 2026-01-01T00:00:00Z\n", "updated_at"),
        ("secrets.toml", '[credentials.default]\nstray = "x"\n', "credentials.default.stray"),
        (
            "secrets.toml",
            '[credentials.d.client_credentials]\nclient_id = "a"\nclient_secret = "b"\n'
            '[credentials.d.token_payload]\naccess_token = "c"\n',
            "exactly one",
        ),
    ],
)
def test_wrong_types_are_clear_field_errors_and_leave_the_file_alone(
    tmp_path: Path, filename: str, text: str, field: str
) -> None:
    path = qcs_dir(tmp_path) / filename
    write(path, text)
    before = path.read_bytes()
    qcs = provider(tmp_path)
    (status,) = qcs.read()
    assert status.state is State.ERROR
    assert field in (status.error or "")
    assert str(path) in (status.error or "")
    with pytest.raises(FieldError):
        qcs.materialize([spec(profile="other", refresh_token="refresh-token-0001")], source="bundle")
    assert path.read_bytes() == before


def test_undecodable_file_is_an_error_status(tmp_path: Path) -> None:
    path = qcs_dir(tmp_path) / "secrets.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"[credentials]\n\xff\xfe\n")
    (status,) = provider(tmp_path).read()
    assert status.state is State.ERROR
    assert "UTF-8" in (status.error or "")


# ----------------------------------------------------------------------------------------------- writing


def test_materialize_keeps_comments_foreign_profiles_and_unknown_keys(tmp_path: Path) -> None:
    settings_path = qcs_dir(tmp_path) / "settings.toml"
    secrets_path = qcs_dir(tmp_path) / "secrets.toml"
    lab_token = make_jwt()
    write(settings_path, FOREIGN_SETTINGS)
    write(secrets_path, FOREIGN_SECRETS.format(lab_token=lab_token))
    token = make_jwt()
    qcs = provider(tmp_path, QCRED_QCS_HANDOFF="files")  # plain layout, byte for byte
    names = qcs.materialize(
        [
            spec(
                "alice",
                access_token=token,
                refresh_token="alice-refresh-token-0001",
                issuer="https://auth.example/oauth2/x",
                client_id="public-client",
                api_url="https://api.example",
                default=True,
            )
        ],
        source="bundle",
    )
    assert names == ["alice"]
    settings_text = settings_path.read_text()
    secrets_text = secrets_path.read_text()
    # Everything we do not own is still there, byte for byte.
    for line in FOREIGN_SETTINGS.splitlines():
        if "default_profile_name" not in line:
            assert line in settings_text
    for line in FOREIGN_SECRETS.format(lab_token=lab_token).splitlines():
        assert line in secrets_text
    settings_doc = tomlkit.parse(settings_text)
    assert settings_doc["default_profile_name"] == "alice"
    assert settings_doc["profiles"]["alice"]["credentials_name"] == "alice"  # type: ignore[index]
    assert settings_doc["auth_servers"]["alice"]["issuer"] == "https://auth.example/oauth2/x"  # type: ignore[index]
    payload = tomlkit.parse(secrets_text)["credentials"]["alice"]["token_payload"]  # type: ignore[index]
    assert payload["access_token"] == token
    assert payload["refresh_token"] == "alice-refresh-token-0001"
    assert parse_rfc3339(str(payload["updated_at"])) is not None
    assert mode(settings_path) == mode(secrets_path) == 0o600
    assert mode(qcs_dir(tmp_path)) == 0o700
    statuses = {s.name: s for s in qcs.read()}
    assert statuses["alice"].default
    assert statuses["alice"].source == "bundle"
    assert statuses["lab"].account["api_url"] == "https://api.lab.example"
    # Writing the same again changes nothing but updated_at.
    qcs.materialize([spec("alice", access_token=token, refresh_token="alice-refresh-token-0001")], source="bundle")
    assert tomlkit.parse(settings_path.read_text())["profiles"]["alice"]["api_url"] == "https://api.example"  # type: ignore[index]


def test_first_profile_keeps_the_sdk_defaults_loadable(tmp_path: Path) -> None:
    qcs = provider(tmp_path)
    qcs.materialize([spec("group-x", refresh_token="group-refresh-token-0001")], source="bundle")
    _doc, model = load_settings(qcs.settings_path, qcs.settings_path.read_text())
    # The implicit default profile and auth server stay (written explicitly), and the new profile is the default
    # because the old default had no credential.
    assert {"default", "group-x"} <= set(model.profiles)
    assert "default" in model.auth_servers
    assert model.default_profile_name == "group-x"


def test_materialize_client_credentials_and_hub_refresh(tmp_path: Path) -> None:
    qcs = provider(tmp_path)
    qcs.materialize(
        [
            spec("svc", client_id="svc-client", client_secret="svc-secret-value-0001", issuer="https://i.example"),
            spec("hubbed", access_token=make_jwt(), refresh_token="hub-refresh-token-0001", refresh="hub"),
        ],
        source="bundle",
    )
    _doc, secrets_model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
    svc = secrets_model.credentials["svc"]
    assert svc.kind == "client_credentials"
    assert svc.client_credentials is not None
    assert svc.client_credentials.client_id == "svc-client"
    _doc, settings_model = load_settings(qcs.settings_path, qcs.settings_path.read_text())
    # The confidential client's id is not the auth server's (public) client id.
    assert settings_model.auth_servers[settings_model.profiles["svc"].auth_server_name].client_id == DEFAULT_CLIENT_ID
    statuses = {s.name: s for s in qcs.read()}
    assert statuses["hubbed"].account["refresh_via"] == "hub"
    assert statuses["svc"].account["refresh_via"] == "provider"


def test_materialize_keeps_a_newer_token_already_on_disk(tmp_path: Path) -> None:
    qcs = provider(tmp_path)
    newer = make_jwt(issued=time.time())
    older = make_jwt(issued=time.time() - 600)
    qcs.materialize([spec(access_token=newer, refresh_token="rotated-refresh-token-0002")], source="bundle")
    qcs.materialize([spec(access_token=older, refresh_token="stale-refresh-token-0001")], source="bundle")
    text = qcs.secrets_path.read_text()
    assert newer in text
    assert "rotated-refresh-token-0002" in text
    assert older not in text


def test_set_default(tmp_path: Path) -> None:
    qcs = provider(tmp_path)
    qcs.materialize([spec("a", refresh_token="refresh-a-0001"), spec("b", refresh_token="refresh-b-0001")], source="x")
    qcs.set_default("b")
    assert tomlkit.parse(qcs.settings_path.read_text())["default_profile_name"] == "b"
    with pytest.raises(QCredError, match="no profile 'zzz'"):
        qcs.set_default("zzz")


# ----------------------------------------------------------------------------------------------- import


DOWNLOADED_SECRETS = """\
[credentials.default.token_payload]
access_token = "{token}"
refresh_token = "downloaded-refresh-token-0001"
expires_in = 3600
scope = "openid offline_access"
token_type = "Bearer"
"""


def test_import_downloaded_secrets_merges_and_keeps_the_rest(tmp_path: Path) -> None:
    qcs = provider(tmp_path, QCRED_QCS_HANDOFF="files")
    write(qcs.settings_path, FOREIGN_SETTINGS)
    write(qcs.secrets_path, FOREIGN_SECRETS.format(lab_token=make_jwt()))
    token = make_jwt()
    assert qcs.import_file("secrets.toml", DOWNLOADED_SECRETS.format(token=token)) == ["default"]
    _doc, model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
    assert set(model.credentials) == {"lab", "default"}
    payload = model.credentials["default"].token_payload
    assert payload is not None
    assert payload.access_token == token
    assert payload.updated_at is not None
    assert "# Tokens written by the QCS CLI." in qcs.secrets_path.read_text()
    # No profile used the credential "default" (the file's profiles pre-existed): it got one of its own name.
    assert {s.name for s in qcs.read()} == {"lab", "default"}


def test_import_settings_file(tmp_path: Path) -> None:
    qcs = provider(tmp_path)
    assert qcs.import_file("settings.toml", FOREIGN_SETTINGS) == ["lab"]
    _doc, model = load_settings(qcs.settings_path, qcs.settings_path.read_text())
    assert model.default_profile_name == "default", "the file's default counts only when asked (make_default)"
    assert qcs.import_file("settings.toml", FOREIGN_SETTINGS, make_default=True) == ["lab"]
    _doc, model = load_settings(qcs.settings_path, qcs.settings_path.read_text())
    assert model.default_profile_name == "lab"
    assert {"default", "lab"} <= set(model.profiles)
    assert qcs.secrets_path.exists()


@pytest.mark.parametrize(
    ("filename", "content", "error"),
    [
        ("secrets.toml", '[credentials.default.token_payload\naccess_token = "tok-0001-secret"', QCredError),
        ("secrets.toml", "[credentials.default.token_payload]\naccess_token = 12\n", FieldError),
        ("secrets.toml", "[credentials]\n", FieldError),
        ("secrets.toml", '[profiles.x]\napi_url = "y"\n[credentials.x.token_payload]\n', FieldError),
        ("notes.toml", 'title = "hello"\n', QCredError),
        ("settings.toml", "[profiles.x]\ncredentials_name = 3\n", FieldError),
    ],
)
def test_bad_import_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, filename: str, content: str, error: type[Exception]
) -> None:
    qcs = provider(tmp_path)
    qcs.materialize([spec(access_token=make_jwt(), refresh_token="kept-refresh-token-0001")], source="bundle")
    before = (qcs.settings_path.read_bytes(), qcs.secrets_path.read_bytes())
    with pytest.raises(error) as info:
        qcs.import_file(filename, content)
    assert "tok-0001-secret" not in str(info.value)
    assert (qcs.settings_path.read_bytes(), qcs.secrets_path.read_bytes()) == before


# ----------------------------------------------------------------------------------------------- property test
