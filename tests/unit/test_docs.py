"""The documentation that is generated from the code stays in sync with it."""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_qcred.server.app import QCredApp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))  # the build tools live outside the package

from configdoc import configuration_markdown  # noqa: E402


def test_configuration_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == configuration_markdown(), "run: python tools/configdoc.py > docs/configuration.md"


def test_every_option_is_documented() -> None:
    for name, trait in QCredApp.class_own_traits(config=True).items():
        assert trait.help and len(trait.help.split()) >= 5, f"QCredApp.{name} needs a help= that says what it does"


def test_readme_starts_with_the_two_setup_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert len(commands) == 2
    install_and_demo, test = commands
    assert 'pip install ".[demo]"' in install_and_demo and install_and_demo.endswith("jupyter qcred demo")
    assert "-m venv" in test and test.endswith("bash tests/run_all.sh")
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and line[0] not in "#"]
    assert ci_lines[-1] == test, "CI runs the README's test command, and only that"
    assert all(line.startswith(("set ", "cd ")) for line in ci_lines[:-1])
