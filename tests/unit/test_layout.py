"""The test suite's own layout (tests/README.md): every test module lives in a tier folder and carries its tier's
marker, every marker is registered, conftests only register, and shared code lives in tests/support."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
TIERS = ("unit", "sandbox", "server", "hub", "browser", "sdk", "slow")


def modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("test_*.py") if "plugins" not in p.relative_to(TESTS).parts)


def test_every_test_module_is_in_a_tier_folder() -> None:
    misplaced = [str(p.relative_to(TESTS)) for p in modules() if p.parent.parent != TESTS]
    misplaced += [str(p.relative_to(TESTS)) for p in modules() if p.parent.name not in TIERS]
    assert not misplaced, f"move these into one of tests/{{{','.join(TIERS)}}}/ (see tests/README.md): {misplaced}"
    assert all((TESTS / tier / "__init__.py").exists() for tier in TIERS)


def test_each_tier_is_a_registered_marker_and_this_test_carries_its_own(request: pytest.FixtureRequest) -> None:
    config = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())
    markers = {line.split(":", 1)[0].split("(", 1)[0] for line in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(TIERS) <= markers
    assert request.node.get_closest_marker("unit") is not None
    assert request.node.get_closest_marker("server") is None


def test_conftests_only_register() -> None:
    """Fixtures and helpers live in tests/support; a conftest imports them (and the root one marks the tiers)."""
    defining = []
    for conftest in TESTS.rglob("conftest.py"):
        for node in ast.parse(conftest.read_text()).body:
            function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            if function and node.name != "pytest_collection_modifyitems":
                defining.append(f"{conftest.relative_to(TESTS)}: {node.name}")
    assert not defining, f"move these into tests/support and import them: {defining}"


def test_no_test_module_imports_another() -> None:
    """What two test modules share is in tests/support."""
    found = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.relative_to(TESTS)}: {name}" for name in names if name.split(".")[-1].startswith("test_")]
    assert not found, found
