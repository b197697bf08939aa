"""IonQ's values and key format for the leak guard (``providers/ionq/leaks.py``)."""

from __future__ import annotations

from pathlib import Path

from support import leaks as data

from jupyter_qcred.providers.ionq import leaks


def test_the_key_of_the_dotenv_file_and_of_the_environment(tmp_path: Path) -> None:
    providers = data.write_home(tmp_path, IONQ_API_KEY="env-ionq-key-0123456789")
    found = {(s.value, s.name, Path(s.path).name if s.path else None) for s in providers["ionq"].secret_values()}
    assert found == {(data.IONQ_KEY, "default", ".env"), ("env-ionq-key-0123456789", "IONQ_API_KEY", None)}


def test_a_key_is_recognised_only_by_its_context() -> None:
    key = "abcdefABCDEF0123456789xyz"
    for text in (
        f"IONQ_API_KEY={key}",
        f'os.environ["QISKIT_IONQ_API_TOKEN"] = "{key}"',
        f"Authorization: apiKey {key}",
        f'provider = IonQProvider("{key}")',
        f"IonQProvider(token='{key}')",
    ):
        assert data.format_hits(leaks.FORMATS, text) == [key], text
    assert data.format_hits(leaks.FORMATS, f"commit {key} and IONQ_API_KEY=short") == []
