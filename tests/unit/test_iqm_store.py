"""The IQM tokens file and what the server exports from it (``providers/iqm/store.py``, ``provider.py``): iqm-client
36 takes exactly one of ``IQM_TOKEN`` and ``IQM_TOKENS_FILE``, and its file reader only a JWT with ``exp``."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from jupyter_qcred.core.errors import FileFormatError
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers import create_providers
from jupyter_qcred.providers.iqm.provider import is_jwt
from jupyter_qcred.providers.iqm.store import TokensDocument
from jupyter_qcred.server.exports import ChildEnvironment


def jwt(exp: int) -> str:
    part = base64.urlsafe_b64encode(json.dumps({"exp": exp, "iat": exp - 600}).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJub25lIn0.{part}.c2ln"


def exports(home: Path, original: dict[str, str]) -> dict[str, str]:
    provider = create_providers(Settings.from_environment({"HOME": str(home), **original}), ("iqm",))["iqm"]
    target = dict(original)
    ChildEnvironment([provider], original, target).apply()
    return {k: v for k, v in target.items() if k.startswith("IQM_")}


def write(home: Path, data: dict[str, object]) -> Path:
    path = home / ".iqm" / "tokens.json"
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_only_a_jwt_with_exp_goes_by_the_tokens_file() -> None:
    assert is_jwt(jwt(int(time.time()) + 600)) and not is_jwt("opaque-token-123") and not is_jwt(None)


@pytest.mark.parametrize(
    ("text", "said"),
    [("[1, 2]", "is not a JSON object"), ("{", "is not JSON"), ('{"refresh_token": ["x"]}', "refresh_token value")],
)
def test_a_file_iqm_client_could_not_read_is_named(text: str, said: str) -> None:
    with pytest.raises(FileFormatError) as caught:
        TokensDocument.parse(text, "/home/x/.iqm/tokens.json")
    assert "/home/x/.iqm/tokens.json" in str(caught.value) and said in str(caught.value)


def test_exactly_one_auth_variable_is_exported_and_none_over_the_users_own(tmp_path: Path) -> None:
    path = write(tmp_path, {"access_token": jwt(int(time.time()) + 600), "server_url": "https://resonance.iqm.tech"})
    assert exports(tmp_path, {}) == {"IQM_TOKENS_FILE": str(path), "IQM_SERVER_URL": "https://resonance.iqm.tech"}
    write(tmp_path, {"api_token": "opaque-token-1234"})
    assert exports(tmp_path, {}) == {"IQM_TOKEN": "opaque-token-1234"}
    # IQM_TOKEN set on purpose: adding IQM_TOKENS_FILE would make iqm-client refuse both, so nothing is exported.
    assert exports(tmp_path, {"IQM_TOKEN": "mine-0000000000"}) == {"IQM_TOKEN": "mine-0000000000"}
    assert exports(tmp_path / "empty", {}) == {}
