"""Amazon Braket's values for the leak guard (``providers/braket/leaks.py``)."""

from __future__ import annotations

from pathlib import Path

from support import leaks as data

from jupyter_qcred.providers.braket import leaks


def test_the_web_identity_token_and_the_refresh_token_of_each_profile(tmp_path: Path) -> None:
    written = data.bundle()
    providers = data.write_home(tmp_path, written)
    token = written["braket"][0]["web_identity_token"]
    found = {(s.value, s.name, s.kind, Path(s.path or "").name) for s in providers["braket"].secret_values()}
    assert found == {
        (token, "default", "web identity token", "default.token"),
        (data.BRAKET_REFRESH, "default", "refresh token", "default.json"),
    }
    assert leaks.FORMATS == []  # the hub's own issuer differs at every site: no public format
