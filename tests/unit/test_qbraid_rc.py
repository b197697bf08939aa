"""qbraidrc without a network: what qbraid-core would resolve (:mod:`jupyter_qcred.providers.qbraid.rc`), lossless
edits and removal (other profiles, comments and unknown keys kept), errors that name the file and never a value,
what a paste accepts, and the doctor's verdicts on made-up probe answers."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support.ionq import manager

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.doctor import Context, sha
from jupyter_qcred.core.errors import FieldError, FileFormatError, QCredError
from jupyter_qcred.providers.qbraid import doctor, rc

WHITE_LABEL = "eq1_mfygsltfof2wc3brfzrw63i." + "ab" * 32  # api.equal1.com


def test_a_white_label_key_carries_its_host_and_a_qbraid_key_none() -> None:
    assert rc.endpoint_for_api_key(WHITE_LABEL) == "https://api.equal1.com/api/v1"
    assert rc.endpoint_for_api_key("qbr_" + "ab" * 32) is None
    assert rc.endpoint_for_api_key("eq1_mfygsltfof2wc3brfzrw63i=." + "ab" * 32) is None  # padded: not canonical
    assert rc.endpoint_for_api_key(None) is None


def test_resolution_order_file_key_then_env_and_url_sources() -> None:
    options = {"api-key": "qbr_file", "url": "https://saved.example/api/v1/"}
    found = rc.resolve(options, {"QBRAID_API_KEY": "qbr_env"})
    assert (found.key, found.key_source, found.url, found.url_source) == (
        "qbr_file",
        "file",
        "https://saved.example/api/v1",
        "qbraidrc",
    )
    assert rc.resolve({}, {"QBRAID_API_KEY": "qbr_env"}).key_source == "env"
    assert rc.resolve({}, {}).url == rc.DEFAULT_URL and rc.resolve({}, {}).key is None
    assert rc.resolve({"api-key": WHITE_LABEL}, {}).url == "https://api.equal1.com/api/v1"
    with_token = rc.resolve({"api-key": WHITE_LABEL, "access-token": "t"}, {})
    assert with_token.url == rc.DEFAULT_URL and with_token.token_source == "file"
    assert rc.resolve(options, {"QBRAID_API_URL": "https://env.example/v1/"}).url == "https://env.example/v1"
    assert "qbr_file" not in repr(found)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("api-key = qbr_secret1\n", "is not an INI file"),
        ("[default]\napi-key = qbr_secret1\napi-key = qbr_secret1\n", "is not an INI file"),
        ("[default]\napi-key = qbr_sec%ret1\n", "api-key holds a '%'"),
    ],
)
def test_a_file_qbraid_core_cannot_read_is_named_never_quoted(tmp_path: Path, text: str, detail: str) -> None:
    path = tmp_path / "qbraidrc"
    with pytest.raises(FileFormatError) as caught:
        rc.read_options(text, path)
    assert str(path) in str(caught.value) and detail in str(caught.value)
    assert "secret" not in str(caught.value) and "sec%ret" not in str(caught.value)


def test_remove_takes_only_the_key_keeping_url_comments_and_other_profiles(tmp_path: Path) -> None:
    path = tmp_path / ".qbraid" / "qbraidrc"
    path.parent.mkdir()
    before = (
        "; qBraid Lab\n[default]\n# my key\napi-key = qbr_gone1\nurl = https://api-v2.qbraid.com/api/v1/\n"
        "email = a@example.org\n\n[team]\napi-key = qbr_team2\n"
    )
    path.write_text(before)
    provider = manager(tmp_path).providers["qbraid"]
    assert provider.remove("default") == [path]
    assert path.read_text() == before.replace("api-key = qbr_gone1\n", "")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert provider.remove("default") == []  # nothing left to remove: nothing written
    with pytest.raises(QCredError, match="one API key"):
        provider.remove("team")


def test_a_new_file_is_just_the_default_section(tmp_path: Path) -> None:
    m = manager(tmp_path)
    m.materialize(parse_bundle({"version": 1, "qbraid": [{"key": "qbr_new1"}]}), source="bundle")
    assert (tmp_path / ".qbraid" / "qbraidrc").read_text() == "[default]\napi-key = qbr_new1\n"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"token": "qbr_a\nurl = https://evil.example"}, "token"),
        ({"token": "qbr_50%off"}, "token"),
        ({"token": "qbr_ok1", "url": "http://evil.example/api"}, "url"),
    ],
)
def test_a_paste_that_would_break_qbraidrc_names_the_field(tmp_path: Path, data: dict, field: str) -> None:
    provider = manager(tmp_path).providers["qbraid"]
    with pytest.raises(FieldError) as caught:
        provider.pasted(data)
    assert caught.value.field == field and data["token"] not in str(caught.value)


def test_an_empty_paste_says_where_keys_come_from(tmp_path: Path) -> None:
    with pytest.raises(QCredError, match=r"account\.qbraid\.com"):
        manager(tmp_path).providers["qbraid"].pasted({"token": "  "})


def _context(tmp_path: Path, hint: str | None) -> Context:
    entries = [{"provider": "qbraid", "name": "default", "default": True, "state": "ok", "token_hint": hint}]
    return Context(entries=entries, path=tmp_path, environ={}, home=tmp_path)


def _answer(key: str | None, origin: str | None, token: str | None = None, url: str = rc.DEFAULT_URL) -> dict:
    found = {"hint": ("…" + key[-4:]) if key else None, "sha": sha(key)}
    return {"config": "/h/.qbraid/qbraidrc", "key": found, "key_origin": origin, "token_origin": token, "url": url}


@pytest.mark.parametrize(
    ("answer", "state", "words"),
    [
        (_answer("qbr_ours1234", "file"), "ok", "the key the panel shows"),
        (_answer("qbr_else9999", "env"), "differs", "QBRAID_API_KEY from the environment"),
        (_answer("qbr_ours1234", "file", token="file"), "differs", "access token"),
        (_answer(None, None), "differs", "finds no API key"),
        (_answer("qbr_ours1234", "file", url="https://elsewhere.example/api/v1"), "differs", "elsewhere.example"),
    ],
)
def test_the_doctor_compares_what_qbraid_core_sends_with_the_panel(
    tmp_path: Path, answer: dict, state: str, words: str
) -> None:
    def stored() -> tuple[str | None, str | None, str | None]:
        return sha("qbr_ours1234"), "…1234", rc.DEFAULT_URL

    [finding] = doctor.compare_answer(answer, _context(tmp_path, "…1234"), stored)
    assert finding.state == state and words in finding.message + finding.uses, finding
    assert state == "ok" or finding.fix


def test_the_doctor_with_no_key_anywhere_is_calm(tmp_path: Path) -> None:
    context = Context(entries=[], path=tmp_path, environ={}, home=tmp_path)
    [finding] = doctor.compare_answer(_answer(None, None), context, lambda: (None, None, None))
    assert finding.state == "none" and finding.fix is None


def test_a_re_initialization_keeps_a_broken_file_as_a_backup(tmp_path: Path) -> None:
    path = tmp_path / ".qbraid" / "qbraidrc"
    path.parent.mkdir()
    broken = "[default]\napi-key = qbr_a%b\n"
    path.write_text(broken)
    provider = manager(tmp_path).providers["qbraid"]
    assert provider.save(provider.pasted({"token": "qbr_fresh1"})) == ["default"]
    assert path.read_text() == "[default]\napi-key = qbr_fresh1\n"
    [kept] = [p for p in path.parent.iterdir() if ".broken-" in p.name]
    assert kept.name.startswith("qbraidrc") and kept.read_text() == broken
