"""The documentation that is generated from the code stays in sync with it."""

from __future__ import annotations

from pathlib import Path

from jupyter_qcred.configdoc import configuration_markdown
from jupyter_qcred.server import QCredApp

ROOT = Path(__file__).resolve().parent.parent


def test_configuration_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == configuration_markdown(), "run: python -m jupyter_qcred.configdoc > docs/configuration.md"


def test_every_option_is_documented() -> None:
    for name, trait in QCredApp.class_own_traits(config=True).items():
        assert trait.help and len(trait.help.split()) >= 5, f"QCredApp.{name} needs a help= that says what it does"


def test_readme_starts_with_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ['pip install ".[lab]" && jupyter qcred demo', "bash tests/run_all.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash tests/run_all.sh" in ci
