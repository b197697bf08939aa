"""The demo's world (jupyter_qcred/demo/world.py): ``--env`` finds whichever demo runs and says whose lines they are,
and a start clears the last run's files unless ``--keep`` (never while a demo runs from the same folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_qcred.core.errors import QCredError
from jupyter_qcred.demo.world import demo_env_lines, demo_root, published_environment, start_afresh


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    return demo_root()


def test_env_without_hub_finds_the_running_hub_demo_and_names_the_user(root: Path) -> None:
    with pytest.raises(QCredError, match="no demo is running") as failure:
        demo_env_lines()
    assert str(root) in str(failure.value) and str(root / "hub") in str(failure.value)

    homes = root / "hub" / "hub" / "home"
    with published_environment(root / "hub", {"IAM_URL": "http://127.0.0.1:1"}, homes=homes):
        for asked in (None, True):
            lines = demo_env_lines(hub=asked)
            assert lines[0].startswith("# jupyter qcred demo --hub: alice's credentials")
            assert f"export HOME={homes / 'alice'}" in lines
        bob = demo_env_lines(user="bob")
        assert bob[0].startswith("# jupyter qcred demo --hub: bob's credentials")
        assert f"export HOME={homes / 'bob'}" in bob
        with pytest.raises(QCredError, match="start one with `jupyter qcred demo`"):
            demo_env_lines(hub=False)
    with pytest.raises(QCredError, match="no demo is running"):
        demo_env_lines()


def test_a_start_is_fresh_unless_kept_and_never_while_one_runs(root: Path) -> None:
    old = root / "home" / ".qcs" / "settings.toml"
    old.parent.mkdir(parents=True)
    old.write_text("# added in the last run\n")
    (root / "hub").mkdir()
    said = start_afresh(root, ("home", "runtime", "sandbox"), keep=True)
    assert old.exists() and "--keep" in said and "refused" in said
    said = start_afresh(root, ("home", "runtime", "sandbox"), keep=False)
    assert not (root / "home").exists() and said.startswith(f"A fresh demo in {root}")
    assert (root / "hub").exists(), "the other demo's folder is not the lab demo's to clear"

    running = f"already running from {root} \\(process {os.getpid()}\\)"
    with published_environment(root, {"HOME": str(root / "home")}), pytest.raises(QCredError, match=running):
        start_afresh(root, ("home",), keep=False)
