"""Quantinuum Nexus's values and token format for the leak guard (``providers/nexus/leaks.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from support import leaks as data

from jupyter_qcred.providers.nexus import leaks


def test_the_refresh_and_access_tokens_qnexus_reads(tmp_path: Path) -> None:
    written = data.bundle()
    providers = data.write_home(tmp_path, written)
    access = written["nexus"][0]["access_token"]
    found = {(s.value, s.kind, Path(s.path or "").name) for s in providers["nexus"].secret_values()}
    assert found == {(data.NEXUS_REFRESH, "refresh token", "token.json"), (access, "access token", "id.json")}


def test_a_file_that_does_not_parse_leaves_the_other(tmp_path: Path) -> None:
    providers = data.write_home(tmp_path)
    (tmp_path / ".qnx" / "auth" / "id.json").write_text('{"data": ')
    assert [s.value for s in leaks.values(providers["nexus"])] == [data.NEXUS_REFRESH]  # type: ignore[arg-type]


def test_the_format_is_a_jwt_issued_by_quantinuum() -> None:
    ours = data.jwt({"iss": "https://nexus.quantinuum.com", "sub": "alice"})
    other = data.jwt({"iss": "https://nexus.quantinuum.com.attacker.example", "sub": "alice"})
    text = json.dumps({"a": ours, "b": other})
    assert data.format_hits(leaks.FORMATS, text) == [ours]
