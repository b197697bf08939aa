"""The real QCS SDK (qcs_api_client_common) loads what jupyter_qcred writes into settings.toml and secrets.toml, odd
names and values included; the files' own rules are in tests/unit/test_qcs_store.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.qcs import (
    FOREIGN_SECRETS,
    FOREIGN_SETTINGS,
    make_jwt,
    no_secret_in_logs,  # noqa: F401 - fixtures
    provider,
    spec,
    write,
)

from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import (
    load_secrets,
    load_settings,
)


@contextmanager
def sdk_environment(settings_path: Path, secrets_path: Path, **extra: str) -> Iterator[None]:
    """Point the real SDK (which reads os.environ when loading) at our files, and restore afterwards."""
    keys = ["QCS_SETTINGS_FILE_PATH", "QCS_SECRETS_FILE_PATH", "QCS_PROFILE_NAME", *extra]
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.pop("QCS_PROFILE_NAME", None)
    os.environ.update(QCS_SETTINGS_FILE_PATH=str(settings_path), QCS_SECRETS_FILE_PATH=str(secrets_path), **extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_the_real_sdk_loads_what_we_write(tmp_path: Path) -> None:
    from qcs_api_client_common.configuration import ClientConfiguration

    qcs = provider(tmp_path)
    write(qcs.settings_path, FOREIGN_SETTINGS)
    write(qcs.secrets_path, FOREIGN_SECRETS.format(lab_token=make_jwt()))
    qcs.materialize(
        [
            spec("alice", access_token=make_jwt(), refresh_token="r-0001", api_url="https://a.example"),
            spec("svc", client_id="svc", client_secret="svc-secret-0001", issuer="https://i.example/o"),
        ],
        source="bundle",
    )
    with sdk_environment(qcs.settings_path, qcs.secrets_path):
        assert ClientConfiguration.load_profile("alice").api_url == "https://a.example"
        assert ClientConfiguration.load_profile("lab").qvm_url == "http://qvm.lab.example:5000"
        session = ClientConfiguration.load_profile("svc").get_oauth_session()
        assert session.auth_server.issuer == "https://i.example/o"
        assert ClientConfiguration.load_default().api_url == "https://api.lab.example"


NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=24).filter(
    lambda s: s.strip() == s and s not in ("default",)
)


VALUES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60)


URLS = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    st.text(alphabet="abc/xyz_-%~", max_size=20),
)


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    profile=NAMES,
    credential=NAMES,
    access=VALUES,
    refresh=VALUES,
    api_url=URLS,
    issuer=URLS,
    client_id=VALUES,
)
def test_writing_odd_names_and_values_round_trips_through_us_and_the_sdk(
    tmp_path_factory: pytest.TempPathFactory,
    profile: str,
    credential: str,
    access: str,
    refresh: str,
    api_url: str,
    issuer: str,
    client_id: str,
) -> None:
    from qcs_api_client_common.configuration import ClientConfiguration

    home = tmp_path_factory.mktemp("home")
    qcs = provider(home)
    write(qcs.settings_path, FOREIGN_SETTINGS)
    write(qcs.secrets_path, FOREIGN_SECRETS.format(lab_token="lab-token"))
    qcs.materialize(
        [
            spec(
                profile,
                access_token=access,
                refresh_token=refresh,
                credentials_name=credential,
                api_url=api_url,
                issuer=issuer,
                client_id=client_id,
            )
        ],
        source="bundle",
    )
    _doc, settings_model = load_settings(qcs.settings_path, qcs.settings_path.read_text())
    _doc, secrets_model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
    written = settings_model.profiles[profile]
    assert (written.api_url, written.credentials_name) == (api_url, credential)
    server = settings_model.auth_servers[written.auth_server_name]
    assert (server.issuer, server.client_id) == (issuer, client_id)
    # Handed off (the default): the SDK's credential runs our command, the tokens live in jupyter_qcred-NAME.
    assert secrets_model.credentials[credential].kind == "externally_managed"
    payload = handoff.view(secrets_model).credentials[credential].token_payload
    assert payload is not None
    assert (payload.access_token, payload.refresh_token) == (access, refresh)
    assert settings_model.profiles["lab"].qvm_url == "http://qvm.lab.example:5000"
    assert "# Settings of Alice's lab. Keep this comment!" in qcs.settings_path.read_text()
    with sdk_environment(qcs.settings_path, qcs.secrets_path):
        configuration = ClientConfiguration.load_profile(profile)
        assert configuration.api_url == api_url.rstrip("/")  # the SDK drops a trailing slash
        assert configuration.get_oauth_session().auth_server.client_id == client_id
