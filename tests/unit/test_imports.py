"""The house's arrows, read from the source: ``core/`` imports no provider and nothing of Jupyter, no provider
imports another provider's modules (only ``providers/shared`` and the interface), and no two modules import each
other at load time, however long the loop."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "jupyter_qcred"
#: Provider subpackages' common ground: what every provider may import (besides core and itself).
SHARED = ("jupyter_qcred.providers.shared", "jupyter_qcred.providers.base", "jupyter_qcred.providers.common")
JUPYTER = ("jupyter_server", "jupyterlab", "tornado", "traitlets", "ipywidgets", "IPython", "jupyterhub")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, *, load_time_only: bool) -> Iterator[str]:
    """The absolute names ``path`` imports (``load_time_only``: only those run when the module is imported, not
    those inside functions or ``if TYPE_CHECKING:``)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]

    def visit(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                yield target
                yield from (f"{target}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and load_time_only and _type_checking(node):
                yield from visit(node.orelse)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and load_time_only:
                continue
            else:  # if/try/with/for/class bodies run at load time too (a class body, unlike a function's)
                for field in ("body", "orelse", "finalbody"):
                    yield from visit([c for c in getattr(node, field, []) if isinstance(c, ast.stmt)])
                for handler in getattr(node, "handlers", []):
                    yield from visit(handler.body)

    yield from visit(ast.parse(path.read_text("utf-8")).body)


MODULES = sorted(PACKAGE.rglob("*.py"))


def known(name: str) -> str | None:
    """``name`` as a module of the package (``a.b.c`` where ``c`` is a name in module ``a.b``: ``a.b``)."""
    names = {module_name(path) for path in MODULES}
    while name and name not in names:
        name = name.rpartition(".")[0]
    return name or None


def test_core_imports_no_provider_and_nothing_of_jupyter() -> None:
    found = [
        (module_name(path), name)
        for path in MODULES
        if module_name(path).startswith("jupyter_qcred.core")
        for name in imports(path, load_time_only=False)
        if name.startswith("jupyter_qcred.providers") or name.split(".")[0] in JUPYTER
    ]
    assert found == []


def test_no_provider_imports_another_providers_modules() -> None:
    found = []
    for path in MODULES:
        parts = module_name(path).split(".")
        if len(parts) < 3 or parts[1] != "providers" or not (PACKAGE / "providers" / parts[2]).is_dir():
            continue
        own = ".".join(parts[:3])
        for name in imports(path, load_time_only=False):
            if not name.startswith("jupyter_qcred.providers.") or name.startswith((own + ".", *SHARED)) or name == own:
                continue
            if known(name) in (None, "jupyter_qcred.providers"):
                continue
            found.append((module_name(path), name))
    assert found == []


@pytest.mark.slow
def test_no_import_cycle_at_load_time() -> None:
    graph = {
        module_name(path): {
            target
            for name in imports(path, load_time_only=True)
            if name.startswith("jupyter_qcred") and (target := known(name)) and target != module_name(path)
        }
        for path in MODULES
    }
    cycles = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            connect(node)
    assert cycles == []


@pytest.mark.parametrize("source", ["from ..providers.qcs import model", "from jupyter_qcred.providers import x"])
def test_the_check_sees_an_import_of_a_provider(tmp_path: Path, source: str) -> None:
    """The reader itself: a relative and an absolute import of a provider are both seen (else the checks above
    could pass by reading nothing)."""
    core = tmp_path / "jupyter_qcred" / "core"
    core.mkdir(parents=True)
    path = core / "bad.py"
    path.write_text(f"def late():\n    {source}\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "jupyter_qcred"
    try:
        assert any(name.startswith("jupyter_qcred.providers") for name in imports(path, load_time_only=False))
        assert not any(name.startswith("jupyter_qcred.providers") for name in imports(path, load_time_only=True))
    finally:
        PACKAGE = saved
