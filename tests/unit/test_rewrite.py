"""core/rewrite.py: a pasted value in Python code becomes a call that reads it; anywhere else, its label."""

from __future__ import annotations

import ast

import pytest

from jupyter_qcred.core import rewrite
from jupyter_qcred.core.secrets import Secret, SecretIndex, encodings

KEY = "Zr8" + "q4Lm2" * 8 + "w9x"
SECRET = Secret(KEY, "ibm", "IBM Quantum", "default", "API key")
CALL = "jupyter_qcred.credential('ibm', 'default', kind='API key')"


class OneKey:
    """A provider whose SDK files hold one key (the part of the interface SecretIndex uses)."""

    key = "ibm"

    def watched_paths(self) -> list[str]:
        return []

    def secret_values(self) -> list[Secret]:
        return [SECRET]


find = SecretIndex([OneKey()]).find  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f'token = "{KEY}"\n', f"import jupyter_qcred\ntoken = {CALL}\n"),
        (f"QiskitRuntimeService(token='{KEY}')", f"import jupyter_qcred\nQiskitRuntimeService(token={CALL})"),
        (f'h = "Bearer {KEY}"', f"import jupyter_qcred\nh = ('Bearer ' + {CALL})"),
        (f"%%time\nt = r'{KEY}'", f"%%time\nimport jupyter_qcred\nt = {CALL}"),
        (
            f'"""Doc."""\nfrom __future__ import annotations\nT = "{KEY}"',
            f'"""Doc."""\nfrom __future__ import annotations\nimport jupyter_qcred\nT = {CALL}',
        ),
        (f'import os, jupyter_qcred\nt = "{KEY}"', f"import os, jupyter_qcred\nt = {CALL}"),
    ],
)
def test_a_value_in_a_string_literal_becomes_a_call(source: str, expected: str) -> None:
    result, hits = rewrite.python(source, find)
    assert result == expected
    assert [hit.how for hit in hits] == ["call"]
    ast.parse(result.replace("%%time\n", ""))  # still Python


@pytest.mark.parametrize(
    "source",
    [
        f"x = 1  # my key {KEY}",
        f'f"{KEY}"',
        f'b"{KEY}"',
        f'x = ("a"\n     "{KEY}")',  # implicit concatenation: a call in place of one part would not be Python
        f'headers = {{"Authorization": "{encodings(SECRET)[0]}"}}',  # an encoded form stays a label
        f'unterminated = "{KEY}',  # code that does not tokenize
    ],
)
def test_a_value_elsewhere_becomes_its_label(source: str) -> None:
    result, hits = rewrite.python(source, find)
    assert KEY not in result and encodings(SECRET)[0] not in result
    assert SECRET.label() in result
    assert [hit.how for hit in hits] == ["label"]
    assert "import jupyter_qcred" not in result


def test_lines_are_those_of_the_original_text() -> None:
    source = f'a = 1\nb = "{KEY}"\n# {KEY}\n'
    _, hits = rewrite.python(source, find)
    assert [(hit.line, hit.how) for hit in hits] == [(2, "call"), (3, "label")]
    text, hits = rewrite.labelled(f"one\ntwo {KEY}\n", find)
    assert text == f"one\ntwo {SECRET.label()}\n" and [hit.line for hit in hits] == [2]


def test_text_without_a_value_is_returned_as_it_is() -> None:
    source = 'token = "not a key"\n'
    assert rewrite.python(source, find) == (source, [])
