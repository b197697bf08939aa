"""Rotated credential values, remembered as hashes only (``core/rotated.py``)."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jupyter_qcred.core.rotated import RotatedValues, candidates, digest, state_dir
from jupyter_qcred.core.secrets import Secret

OLD = "old-key-0123456789abcdefghijklmnop"
OTHER = "other-token-9876543210zyxwvutsrqpo"


def secret(value: str, name: str = "main") -> Secret:
    return Secret(value, "ibm", "IBM Quantum", name, "API key", None)


def test_the_file_holds_hashes_never_values_and_is_private(tmp_path: Path) -> None:
    rotated = RotatedValues(tmp_path / "state" / "rotated.json")
    rotated.record([secret(OLD)])
    text = rotated.path.read_text()
    assert OLD not in text
    assert list(json.loads(text)) == [digest(OLD)]
    assert stat.S_IMODE(rotated.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(rotated.path.parent.stat().st_mode) == 0o700


def test_entries_of_other_processes_are_kept_and_the_first_rotation_time_wins(tmp_path: Path) -> None:
    path = tmp_path / "rotated.json"
    first = datetime(2026, 12, 1, tzinfo=timezone.utc)
    RotatedValues(path).record([secret(OLD)], now=first)
    RotatedValues(path).record([secret(OTHER, "second"), secret(OLD)], now=first + timedelta(days=1))
    entries = RotatedValues(path).entries(now=first + timedelta(days=2))
    assert set(entries) == {digest(OLD), digest(OTHER)}
    assert entries[digest(OLD)]["rotated_at"].startswith("2026-12-01")


def test_an_entry_is_forgotten_after_ninety_days(tmp_path: Path) -> None:
    rotated = RotatedValues(tmp_path / "rotated.json")
    then = datetime.now(timezone.utc) - timedelta(days=91)
    rotated.record([secret(OLD)], now=then)
    assert rotated.matches(OLD) is None
    rotated.record([secret(OTHER)])
    assert digest(OLD) not in json.loads(rotated.path.read_text())  # dropped from the file at the next write


def test_a_rotated_value_is_found_in_text_by_its_hash(tmp_path: Path) -> None:
    rotated = RotatedValues(tmp_path / "rotated.json")
    rotated.record([secret(OLD)])
    assert rotated.matches(OLD) == {
        "provider": "ibm",
        "name": "main",
        "kind": "API key",
        "rotated_at": rotated.entries()[digest(OLD)]["rotated_at"],
    }
    text = f'service = QiskitRuntimeService(token="{OLD}")\nIBM_TOKEN={OLD}.\nnothing {OLD[:-1]} here'
    found = rotated.find(text)
    assert [(text[start:end], entry["name"]) for entry, start, end in found] == [(OLD, "main"), (OLD, "main")]


def test_candidates_are_token_shaped_runs_and_their_trimmed_forms() -> None:
    runs = [run for run, _, _ in candidates("key=abcdefghij. short x=y")]
    assert "abcdefghij" in runs and "key=abcdefghij." in runs
    assert all(len(run) >= 8 for run in runs)


def test_an_unreadable_file_remembers_nothing_and_breaks_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rotated.json"
    path.write_text("{not json")
    rotated = RotatedValues(path)
    assert rotated.entries() == {}
    assert rotated.matches(OLD) is None
    rotated.record([secret(OLD)])  # replaces the broken file
    assert rotated.matches(OLD) is not None


def test_the_state_folder_follows_the_environment(tmp_path: Path) -> None:
    assert state_dir({"JUPYTER_QCRED_STATE_DIR": str(tmp_path / "s")}) == tmp_path / "s"
    assert state_dir({"XDG_STATE_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "jupyter_qcred"
    assert state_dir({"HOME": str(tmp_path)}) == tmp_path / ".local" / "state" / "jupyter_qcred"
