"""The shared login-token files and renewal (:mod:`jupyter_qcred.providers.shared.idtoken`): what lands in the two
files, what a bad name touches, when a token is due, and the refusals in the provider's own words."""

from __future__ import annotations

import base64
import json
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_qcred.core.errors import QCredError, RefusedError
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.core.validation import file_name
from jupyter_qcred.providers.shared.checks import Checks
from jupyter_qcred.providers.shared.idtoken import Held, LoginTokens, TokenFiles, Wording, due_at, login_secrets


def jwt(iat: float, exp: float) -> str:
    body = base64.urlsafe_b64encode(json.dumps({"iat": int(iat), "exp": int(exp)}).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{body}.c2ln"


def checked(name: str) -> str:
    if not file_name(name):
        raise QCredError(f"{name!r} is not a thing jupyter_qcred manages; nothing was read or changed.")
    return name


@pytest.fixture
def store(tmp_path: Path) -> TokenFiles:
    settings = Settings.from_environment({"HOME": str(tmp_path)})
    return TokenFiles(settings, tmp_path / ".cloud" / "qcred", checked)


def load(store: TokenFiles, name: str = "p") -> Held:
    path = store.note_path(name)  # a name that is not a file name: the store's sentence
    text = (path.read_text() if path.exists() else "") or "{}"
    return Held(store.token_path(name), store.read_token(name), json.loads(text))


def test_write_tokens_keeps_the_token_alone_and_the_note_without_empty_keys(store: TokenFiles) -> None:
    store.write_tokens("p", {"refresh": "provider", "issuer": None, "refresh_token": "old"}, "id-1", "rt-2")
    assert store.token_path("p").read_text() == "id-1"
    assert json.loads(store.note_path("p").read_text()) == {"refresh": "provider", "refresh_token": "rt-2"}
    for path in (store.token_path("p"), store.note_path("p")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.write_tokens("p", {"refresh": "hub"}, None, None)  # no new token: the SDK's file is kept
    assert store.read_token("p") == "id-1"
    assert json.loads(store.note_path("p").read_text()) == {"refresh": "hub"}
    assert store.remove_files("p") == [store.token_path("p"), store.note_path("p")]
    assert not store.token_path("p").exists() and not store.note_path("p").exists()


def test_a_name_that_is_not_a_file_name_touches_nothing(store: TokenFiles, tmp_path: Path) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text("{}")
    with pytest.raises(QCredError, match="nothing was read or changed"):
        store.remove_files("../../victim")
    assert victim.read_text() == "{}"


def test_due_at_keeps_the_sdk_reread_margin(store: TokenFiles) -> None:
    now = time.time()
    token = jwt(now, now + 3600)
    plain, margin = due_at(store.settings, token), due_at(store.settings, token, reread=None)
    assert plain == margin and plain is not None
    with_reread = due_at(store.settings, token, reread=timedelta(seconds=3000))
    assert with_reread is not None and now + 3600 - with_reread.timestamp() >= 2999
    assert due_at(store.settings, "not-a-jwt") is None


def test_renewal_refusals_use_the_providers_words_and_hub_tokens_are_handed_back(store: TokenFiles) -> None:
    checks = Checks(provider="toy")
    tokens = LoginTokens(
        "toy", "Toy Cloud", store.settings, checks, store, lambda n: load(store, n), Wording("gizmo", "Toy")
    )
    store.write_tokens("p", {"refresh": "provider", "issuer": "https://login.example"}, None, None)
    with pytest.raises(RefusedError) as refused:
        tokens.token_sync("p")
    assert "gizmo 'p' has no refresh token to renew its login token; sign in to JupyterHub again" in str(refused.value)
    hub_token = jwt(time.time() - 4000, time.time() - 10)  # expired: the hub renews it, the manager pulls it
    store.write_tokens("p", {"refresh": "hub", "refresh_token": "rt"}, hub_token, "rt")
    assert tokens.token_sync("p") == hub_token
    secrets = login_secrets("toy", "Toy Cloud", ["p", "../x"], lambda n: load(store, n), "id token", store)
    assert [(s.kind, s.value) for s in secrets] == [("id token", hub_token), ("refresh token", "rt")]
