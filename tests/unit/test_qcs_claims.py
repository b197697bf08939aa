"""jupyter_qcred.providers.qcs.claims and the token command's plain TOML reader: they read what ``json`` and
``tomllib`` read, or step aside (the fast path then leaves the decision to the full command)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_qcred.providers.qcs import claims, fasttoken

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(JSON, st.booleans(), st.booleans())
def test_the_small_reader_reads_what_json_reads(value: Any, ascii_only: bool, spaced: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=1 if spaced else None)
    assert claims._parse(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    ['{"a": 01}', '{"a": +1}', '{"a": .5}', '{"a": 1}x', '{"a" 1}', '{"a": "\x01"}', '{"a": "\\x"}', "[1,]", "{,}", ""],
)
def test_the_small_reader_refuses_what_json_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(claims._Unreadable):
        claims._parse(text)


def test_a_hostile_payload_is_unreadable_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(claims._Unreadable):
        claims._parse(deep)
    token = "x." + base64.urlsafe_b64encode(deep.encode()).decode().rstrip("=") + ".y"
    assert claims.jwt_claims(token, fallback=False) == "is not a payload the fast path reads"
    assert claims.jwt_claims(token) == "is not a readable JWT"


def test_json_only_payloads_still_read_on_the_full_path() -> None:
    """``NaN`` is no JSON of RFC 8259, but Python's json reads it: the full path keeps doing so; the fast path steps
    aside."""
    token = "x." + base64.urlsafe_b64encode(b'{"exp": NaN}').decode().rstrip("=") + ".y"
    assert claims.jwt_claims(token, fallback=False) == "is not a payload the fast path reads"
    assert set(claims.jwt_claims(token)) == {"exp"}  # type: ignore[arg-type]


KEYS = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=6)
STRINGS = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\"'\\"), max_size=8)
VALUES = (
    STRINGS.map(lambda s: f'"{s}"')
    | STRINGS.map(lambda s: f"'{s}'")
    | st.integers(min_value=0, max_value=10**6).map(str)
    | st.lists(STRINGS.map(lambda s: f'"{s}"'), max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
)
LINES = st.one_of(
    st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.lists(KEYS, min_size=1, max_size=3).map(lambda parts: "[" + ".".join(parts) + "]"),
    st.just("# a comment"),
    st.just(""),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=8))
def test_the_plain_toml_reader_agrees_with_tomllib_or_steps_aside(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        expected: dict[str, Any] | None = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        expected = None
    plain = fasttoken._plain_toml(text)
    if plain is None:
        return  # stepping aside is always allowed
    assert expected is not None, f"read a file tomllib refuses: {text!r}"

    def strings(table: dict[str, Any]) -> dict[str, Any]:
        return {k: strings(v) if isinstance(v, dict) else v for k, v in table.items() if isinstance(v, dict | str)}

    assert strings(plain) == strings(expected)


def test_the_fast_path_imports_neither_re_nor_json() -> None:
    """Each of them costs more than the rest of the token command, which every SDK call that needs a token runs."""
    package_root = str(Path(fasttoken.__file__).parents[3])
    probe = (
        f"import sys; sys.path.insert(0, {package_root!r}); from jupyter_qcred.providers.qcs import fasttoken; "
        "print(sorted(m for m in ('re', 'json', 'tomllib', 'typing') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
