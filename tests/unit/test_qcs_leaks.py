"""Rigetti QCS's values and token format for the leak guard (``providers/qcs/leaks.py``)."""

from __future__ import annotations

import base64
from pathlib import Path

from support import leaks as data

from jupyter_qcred.core.secrets import encodings
from jupyter_qcred.providers.qcs import leaks


def test_the_tokens_of_the_hand_off_layout_once_each(tmp_path: Path) -> None:
    access = data.qcs_access()
    providers = data.write_home(tmp_path, data.bundle(access))
    assert "jupyter_qcred-default" in (tmp_path / ".qcs" / "secrets.toml").read_text()  # the hand-off wrote both
    found = {(s.value, s.name, s.kind) for s in providers["qcs"].secret_values()}
    assert found == {(access, "default", "access token"), (data.QCS_REFRESH, "default", "refresh token")}


def test_a_client_secret_is_matched_as_basic_auth_too(tmp_path: Path) -> None:
    path = tmp_path / ".qcs" / "secrets.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        '[credentials.robot.client_credentials]\nclient_id = "robot-id"\nclient_secret = "s3cret-0123456789abcdef"\n'
    )
    providers = data.write_home(tmp_path, {"version": 1})
    [found] = leaks.values(providers["qcs"])  # type: ignore[arg-type]
    assert (found.value, found.name, found.kind) == ("s3cret-0123456789abcdef", "robot", "client secret")
    assert base64.b64encode(b"robot-id:s3cret-0123456789abcdef").decode() in encodings(found)


def test_a_file_that_does_not_parse_still_gives_its_tokens(tmp_path: Path) -> None:
    providers = data.write_home(tmp_path)
    path = tmp_path / ".qcs" / "secrets.toml"
    path.write_text(path.read_text() + "\n[[[ broken\n")
    assert data.QCS_REFRESH in {s.value for s in leaks.values(providers["qcs"])}  # type: ignore[arg-type]


def test_the_format_is_a_jwt_issued_by_qcs() -> None:
    ours = data.qcs_access()
    other = data.qcs_access(issuer="https://auth.lab.example/oauth2/lab")
    assert data.format_hits(leaks.FORMATS, f"token = {ours}\nother = {other}") == [ours]
    assert data.format_hits(leaks.FORMATS, "eyJhbGciOi.eyJzdWIi.abc not a jwt") == []
