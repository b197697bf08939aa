"""IBM Quantum's values and token formats for the leak guard (``providers/ibm/leaks.py``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from support import leaks as data

from jupyter_qcred.providers.ibm import leaks


def test_every_token_of_both_files_and_of_the_environment(tmp_path: Path) -> None:
    providers = data.write_home(tmp_path, QISKIT_IBM_TOKEN="env-token-0123456789abcdef")
    found = {(s.value, s.name, s.kind, Path(s.path).name if s.path else None) for s in leaks.values(providers["ibm"])}
    assert found == {
        (data.IBM_KEY, "platform", "API key", "qiskit-ibm.json"),
        (data.IBM_LEGACY, "legacy", "API token", "qiskit-ibm.json"),
        (data.IBM_LEGACY, "qiskitrc", "API token", "qiskitrc"),
        ("env-token-0123456789abcdef", "QISKIT_IBM_TOKEN", "token", None),
    }
    assert providers["ibm"].secret_values() == leaks.values(providers["ibm"])


def test_a_file_that_does_not_parse_still_gives_its_tokens(tmp_path: Path) -> None:
    providers = data.write_home(tmp_path)
    accounts = tmp_path / ".qiskit" / "qiskit-ibm.json"
    accounts.write_text(accounts.read_text()[:-3])  # cut short, as by an SDK writing in place
    values = {s.value for s in leaks.values(providers["ibm"])}
    assert data.IBM_KEY in values and data.IBM_LEGACY in values


def test_the_formats_need_their_context_so_hashes_and_names_never_match() -> None:
    key = "AbCdEfGh0123456789_-ijklmnopqrstuvwxyzABCDEF"
    assert len(key) == 44
    assert data.format_hits(leaks.FORMATS, f'QiskitRuntimeService(channel="ibm_cloud", token="{key}")') == [key]
    assert data.format_hits(leaks.FORMATS, f'{{"main": {{"token": "{key}"}}}}') == [key]
    assert data.format_hits(leaks.FORMATS, f"apikey: {key}") == [key]
    legacy = hashlib.sha512(b"x").hexdigest()
    assert data.format_hits(leaks.FORMATS, f"IBMQ.save_account(token='{legacy}')") == [legacy]
    not_tokens = [
        key,  # alone: could be any identifier or a base64url digest
        legacy,  # alone: every SHA-512 digest
        f"digest = '{legacy}'",
        "token = 'this_is_a_long_python_identifier_name_abcdef'",  # no digit, no upper case: a name
        f"token={key}X",  # 45 characters: not an API key
    ]
    for text in not_tokens:
        assert data.format_hits(leaks.FORMATS, text) == [], text
