"""The credential values and their exact-match redaction (``core/secrets.py``)."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import time
from pathlib import Path

import pytest
from support import leaks as data

from jupyter_qcred.core.rotated import RotatedValues, digest
from jupyter_qcred.core.secrets import (
    MIN_LENGTH,
    Secret,
    SecretIndex,
    encodings,
    jwt_claims,
    jwt_issuer_host,
)

VALUE = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV"  # 32 characters


def secret(value: str = VALUE, **more: str) -> Secret:
    fields = {"provider": "ibm", "title": "IBM Quantum", "name": "main", "kind": "API key", "path": None, **more}
    return Secret(value, **fields)  # type: ignore[arg-type]


class FileProvider:
    """A provider whose values are the lines of one file (what a real provider's SDK file is to it)."""

    def __init__(self, path: Path, user: str | None = None) -> None:
        self.path = path
        self.user = user
        self.reads = 0

    def watched_paths(self) -> list[Path]:
        return [self.path]

    def secret_values(self) -> list[Secret]:
        self.reads += 1
        if not self.path.exists():
            return []
        lines = [line for line in self.path.read_text().splitlines() if line]
        if lines and lines[0] == "broken":
            raise ValueError("the file does not parse")
        return [
            Secret(line, "fake", "Fake Cloud", f"n{i}", "token", str(self.path), self.user)
            for i, line in enumerate(lines)
        ]


def write_old(path: Path, text: str) -> None:
    """Write ``text`` and date the file a minute back: past the "racily clean" window, as a file written long ago."""
    path.write_text(text)
    past = time.time() - 60
    os.utime(path, (past, past))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "values.txt"
    write_old(path, VALUE + "\n")
    return path


def test_a_secret_never_shows_its_value_and_its_label_shows_four_characters_at_most() -> None:
    found = secret()
    assert VALUE not in repr(found) and VALUE not in str(found)
    assert found.label() == "<IBM Quantum API key ‘main’ …sTuV>"
    assert secret("short-value1").label() == "<IBM Quantum API key ‘main’>"


def test_encodings_are_base64_of_the_value_and_of_user_and_value() -> None:
    forms = encodings(secret(VALUE + "+/?", user="client-id"))
    raw = (VALUE + "+/?").encode()
    assert base64.b64encode(raw).decode() in forms
    assert base64.urlsafe_b64encode(raw).decode() in forms
    assert base64.b64encode(b"client-id:" + raw).decode() in forms
    assert encodings(secret("only-15-chars-x")) == []  # too short to encode: the label alone would not say much


def test_every_occurrence_and_encoding_is_replaced_by_the_label(store: Path) -> None:
    index = SecretIndex([FileProvider(store, user="alice")])
    text = (
        f"token={VALUE}\nAuthorization: Bearer {VALUE}\nAuthorization: apiKey {VALUE}\n"
        f"{base64.b64encode(VALUE.encode()).decode()}\n{base64.b64encode(f'alice:{VALUE}'.encode()).decode()}\n"
    )
    redacted, found = index.redact(text)
    assert VALUE not in redacted
    assert base64.b64encode(VALUE.encode()).decode().rstrip("=") not in redacted
    assert redacted.count("<Fake Cloud token ‘n0’ …sTuV>") == 5
    assert "=" not in redacted.replace("token=", "")  # the padding went with the encoded value
    assert [s.name for s in found] == ["n0"]


def test_matching_is_exact_no_hash_nor_a_near_value_nor_a_short_value(store: Path) -> None:
    near = VALUE[:-1] + "X"
    write_old(store, f"{VALUE}\nshort7\n")
    index = SecretIndex([FileProvider(store)])
    text = "\n".join(
        [
            hashlib.sha256(VALUE.encode()).hexdigest(),
            hashlib.sha512(VALUE.encode()).hexdigest(),
            near,
            VALUE[:-1],
            "short7 is too short to be indexed",
        ]
    )
    assert index.redact(text) == (text, [])
    assert index.find(text) == []
    assert [s.value for s in index.current()] == [VALUE]  # shorter than MIN_LENGTH: never indexed
    assert len("short7") < MIN_LENGTH


def test_find_gives_offsets_and_the_longest_form_wins(tmp_path: Path) -> None:
    path = tmp_path / "values.txt"
    inner = VALUE[:20]
    write_old(path, f"{inner}\n{VALUE}\n")
    index = SecretIndex([FileProvider(path)])
    text = f"x {VALUE} y {inner} z"
    found = index.find(text)
    assert [(s.value, start, end) for s, start, end in found] == [
        (VALUE, 2, 2 + len(VALUE)),
        (inner, 5 + len(VALUE), 5 + len(VALUE) + len(inner)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "x" * 100_000 + VALUE + "x" * 100_000,  # the probe path: a part of the value free of the common characters
        "8x" * 50_000 + VALUE + "\n",
        (VALUE + "\n") * 5_000,  # the value everywhere, the sample made of it
        "".join(f"line {i} of the output\n" for i in range(5_000)) + VALUE,
    ],
)
def test_large_texts_are_searched_as_thoroughly(store: Path, text: str) -> None:
    index = SecretIndex([FileProvider(store)])
    redacted, found = index.redact(text)
    assert VALUE not in redacted and redacted.count("<Fake Cloud token ‘n0’ …sTuV>") == text.count(VALUE)
    assert [s.value for s in found] == [VALUE]


def test_a_large_text_loses_a_padded_encoding_with_its_padding(store: Path) -> None:
    encoded = base64.b64encode(VALUE.encode()).decode()
    assert encoded.endswith("=")
    index = SecretIndex([FileProvider(store)])
    redacted, _ = index.redact("x" * 100_000 + f" {encoded} " + "y" * 100_000)
    assert " <Fake Cloud token ‘n0’ …sTuV> " in redacted


def test_markup_gets_escaped_labels(store: Path) -> None:
    index = SecretIndex([FileProvider(store)])
    redacted, _ = index.redact(f"<b>{VALUE}</b>", html=True)
    assert redacted == "<b>&lt;Fake Cloud token ‘n0’ …sTuV&gt;</b>"


def test_the_files_are_read_again_only_when_they_change(store: Path) -> None:
    provider = FileProvider(store)
    index = SecretIndex([provider])
    for _ in range(100):
        index.current()
    assert provider.reads == 1
    new = "Z" * 40
    write_old(store, new + "\n")  # another size; an atomic writer's rename also changes the inode
    assert [s.value for s in index.current()] == [new]
    assert provider.reads == 2
    redacted, _ = index.redact(f"{VALUE} {new}")
    assert VALUE not in redacted and new not in redacted  # the old value stays redacted (an SDK may still hold it)
    assert [s.value for s in index.recent] == [VALUE]


def test_a_file_changed_just_now_is_read_on_every_call_until_it_is_older(tmp_path: Path) -> None:
    """Two in-place writes of the same size within one tick of the filesystem's clock look alike."""
    path = tmp_path / "values.txt"
    path.write_text(VALUE + "\n")
    provider = FileProvider(path)
    index = SecretIndex([provider])
    index.current()
    index.current()
    assert provider.reads == 2
    past = time.time() - 60
    os.utime(path, (past, past))
    index.current()
    reads = provider.reads
    index.current()
    assert provider.reads == reads


def test_a_provider_that_fails_keeps_its_values(store: Path) -> None:
    provider = FileProvider(store)
    index = SecretIndex([provider])
    assert index.current()
    write_old(store, "broken\n" + VALUE + "\n")
    assert [s.value for s in index.current()] == [VALUE]
    assert index.redact(VALUE)[0] == "<Fake Cloud token ‘n0’ …sTuV>"


def test_a_rotated_value_is_remembered_as_a_hash_in_a_private_file(store: Path, tmp_path: Path) -> None:
    rotated = RotatedValues(tmp_path / "state" / "rotated.json")
    index = SecretIndex([FileProvider(store)], rotated)
    index.current()
    write_old(store, "Y" * 30 + "\n")
    index.current()
    text = rotated.path.read_text()
    assert VALUE not in text and digest(VALUE) in text
    assert stat.S_IMODE(rotated.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(rotated.path.parent.stat().st_mode) == 0o700
    entry = rotated.matches(VALUE)
    assert entry is not None and (entry["provider"], entry["name"], entry["kind"]) == ("fake", "n0", "token")
    assert rotated.matches("Y" * 30) is None  # the current value is not a rotated one


def test_the_providers_values_are_redacted_together(tmp_path: Path) -> None:
    """The five clouds' values as their writers wrote them, through one index."""
    written = data.bundle()
    providers = data.write_home(tmp_path / "home", written)
    index = SecretIndex(providers.values())
    values = data.bundle_secrets(written)
    redacted, found = index.redact(" ".join(values))
    assert not [value for value in values if value in redacted]
    assert {s.provider for s in found} == {"ibm", "qcs", "ionq", "braket", "nexus"}


def test_jwt_helpers_read_the_issuer_without_a_signature_check() -> None:
    token = data.qcs_access()
    assert jwt_issuer_host(token) == "auth.qcs.rigetti.com"
    assert (jwt_claims(token) or {})["sub"] == "alice"
    assert jwt_claims("not.a.jwt") is None
    assert jwt_issuer_host(VALUE) is None
