"""IQM's values and token formats for the leak guard (``providers/iqm/leaks.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from support import leaks as data

from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.iqm import leaks


def test_every_token_of_the_tokens_file_and_iqm_token_of_the_environment(tmp_path: Path) -> None:
    # Built here: this file holds no token ``jupyter qcred scan`` would find.
    access, refresh, from_env = ("acc-" + "0123456789abcdef", "ref-" + "0123456789abcdef", "env-" + "0123456789ab")
    folder = tmp_path / ".iqm"
    folder.mkdir(mode=0o700)
    (folder / "tokens.json").write_text(json.dumps({"access_token": access, "refresh_token": refresh, "pid": 3}))
    settings = Settings.from_environment({"HOME": str(tmp_path), "IQM_TOKEN": from_env})
    provider = create_providers(settings, ("iqm",))["iqm"]
    found = {(s.value, s.name, s.kind) for s in provider.secret_values()}
    assert found == {
        (access, "default", "access token"),
        (refresh, "default", "refresh token"),
        (from_env, "IQM_TOKEN", "API token"),
    }
    assert all(access not in repr(s) for s in provider.secret_values())


def test_a_token_is_recognised_only_by_its_context() -> None:
    token = "abcdefABCDEF0123456789xyz"
    for text in (
        f"IQM_TOKEN={token}",
        f"export IQM_TOKEN='{token}'",
        f'os.environ["IQM_TOKEN"] = "{token}"',
        f'IQMProvider("https://resonance.iqm.tech", token="{token}")',
        f'IQMClient.from_url(url, token="{token}")',
    ):
        assert data.format_hits(leaks.FORMATS, text) == [token], text
    placeholders = ("IQM_TOKEN=short", "IQM_TOKEN=your-iqm-token-goes-here", "token = get()")
    for text in (f'{{"refresh_token": "{token}"}}', f"commit {token}", *placeholders):
        assert data.format_hits(leaks.FORMATS, text) == [], text
