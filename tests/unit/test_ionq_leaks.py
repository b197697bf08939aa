"""IonQ's values and key format for the leak guard (``providers/ionq/leaks.py``)."""

from __future__ import annotations

from pathlib import Path

from support import leaks as data

from jupyter_qcred.providers.ionq import leaks


def test_the_key_of_the_dotenv_file_and_of_the_environment(tmp_path: Path) -> None:
    from_env = "env-ionq-key-" + "0123456789"  # built here: this file holds no key ``jupyter qcred scan`` would find
    providers = data.write_home(tmp_path, IONQ_API_KEY=from_env)
    found = {(s.value, s.name, Path(s.path).name if s.path else None) for s in providers["ionq"].secret_values()}
    assert found == {(data.IONQ_KEY, "default", ".env"), (from_env, "IONQ_API_KEY", None)}


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
    for text in (f"commit {key}", "IONQ_API_KEY=short", "IONQ_API_KEY=your-api-key-here"):
        assert data.format_hits(leaks.FORMATS, text) == [], text
