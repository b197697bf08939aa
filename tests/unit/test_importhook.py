"""The SDK adapters' post-import hooks (``core/importhook.py``) and the status's description of them
(``core/adapters.py``)."""

from __future__ import annotations

import inspect
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest

from jupyter_qcred.core import importhook
from jupyter_qcred.core.adapters import SdkAdapter

ADAPTER_MODULE = """
calls = []

def adapt(module):
    calls.append(module.__name__)
    module.ADAPTED = True

def refuse(module):
    return "stayed out: a version it does not know"

def fail(module):
    raise RuntimeError("an attribute changed")
"""


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path holding a fake SDK and an adapter module; the hook registry restored afterwards."""
    (tmp_path / "fake_adapter.py").write_text(ADAPTER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(importhook, "_hooks", {})
    monkeypatch.setattr(importhook, "_outcomes", {})
    monkeypatch.delenv(importhook.ENV, raising=False)
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith(("fake_sdk", "fake_adapter"))]:
        del sys.modules[name]


def sdk(folder: Path, name: str) -> None:
    package = folder / name
    package.mkdir()
    (package / "__init__.py").write_text("def where():\n    return 'the SDK'\n")


def test_the_adapter_runs_right_after_the_sdk_and_the_module_keeps_its_own_loader(modules: Path) -> None:
    sdk(modules, "fake_sdk")
    importhook.when_imported("fake_sdk", "fake", "fake_adapter:adapt")
    assert importhook.report() == {"fake": "waiting"}
    import fake_sdk  # type: ignore[import-not-found]

    assert fake_sdk.ADAPTED is True
    assert sys.modules["fake_adapter"].calls == ["fake_sdk"]
    assert importhook.report() == {"fake": "active"}
    assert type(fake_sdk.__loader__).__name__ == "SourceFileLoader"  # not our wrapper: tools that inspect it work
    assert "the SDK" in inspect.getsource(fake_sdk)


def test_an_sdk_imported_before_the_hook_is_adapted_at_once(modules: Path) -> None:
    sdk(modules, "fake_sdk_early")
    import fake_sdk_early  # type: ignore[import-not-found]

    importhook.when_imported("fake_sdk_early", "fake", "fake_adapter:adapt")
    assert fake_sdk_early.ADAPTED is True


def test_an_adapter_that_refuses_or_fails_never_breaks_the_import(modules: Path) -> None:
    sdk(modules, "fake_sdk_a")
    sdk(modules, "fake_sdk_b")
    importhook.when_imported("fake_sdk_a", "refusing", "fake_adapter:refuse")
    importhook.when_imported("fake_sdk_b", "failing", "fake_adapter:fail")
    import fake_sdk_a  # type: ignore[import-not-found]
    import fake_sdk_b  # type: ignore[import-not-found]

    assert fake_sdk_a.where() == fake_sdk_b.where() == "the SDK"
    assert importhook.report() == {
        "refusing": "stayed out: a version it does not know",
        "failing": "stayed out: RuntimeError: an attribute changed",
    }


@pytest.mark.parametrize(
    ("value", "on"),
    [
        ("", {"pyquil", "qnexus"}),
        ("on", {"pyquil", "qnexus"}),
        ("off", set()),
        ("OFF", set()),
        ("pyquil", {"pyquil"}),
        ("-pyquil", {"qnexus"}),
        ("-pyquil, -qnexus", set()),
    ],
)
def test_one_variable_switches_the_adapters(value: str, on: set[str]) -> None:
    assert {name for name in ("pyquil", "qnexus") if importhook.enabled(name, {importhook.ENV: value})} == on


def test_a_switched_off_adapter_never_runs(modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sdk(modules, "fake_sdk_off")
    monkeypatch.setenv(importhook.ENV, "off")
    importhook.when_imported("fake_sdk_off", "fake", "fake_adapter:adapt")
    import fake_sdk_off  # type: ignore[import-not-found]

    assert not hasattr(fake_sdk_off, "ADAPTED")
    assert importhook.report() == {"fake": f"off ({importhook.ENV}=off)"}


def test_the_status_says_why_an_adapter_stays_out() -> None:
    adapter = SdkAdapter("pytest", "pytest", "pytest", ("0.0.",), "Does nothing.")
    described = adapter.describe({})
    assert described["state"] == "unsupported"
    assert described["version"] == pytest.__version__
    assert described["message"] == (
        f"Left alone: pytest {pytest.__version__} is not a version the adapter was checked with (0.0.x); pytest reads "
        "the files on its own."
    )
    assert adapter.describe({importhook.ENV: "off"})["state"] == "off"
    known = SdkAdapter("pytest", "pytest", "pytest", (pytest.__version__.split(".")[0] + ".",), "Does nothing.")
    assert known.describe({})["state"] == "active"
    assert SdkAdapter("x", "x", "no-such-distribution-here", ("1.",), "").describe({})["state"] == "absent"


def test_the_installed_pth_registers_the_hooks_in_a_plain_interpreter() -> None:
    """site runs the .pth's import lines: a new ``python`` knows the adapters before importing any SDK."""
    pth = Path(sysconfig.get_paths()["purelib"]) / "jupyter_qcred_adapters.pth"
    assert pth.read_text() == (Path(importhook.__file__).parents[1] / "jupyter_qcred_adapters.pth").read_text()
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from jupyter_qcred.core import importhook as h; print(sorted(h.report()))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "['outputguard', 'pyquil', 'qcs-api-client-common', 'qnexus']"


#: Hooks of the ``.pth`` that are jupyter_qcred's own, not an SDK adapter of a provider: the kernel output filter
#: (``notebook/outputguard.py``, hooked on ``ipykernel.kernelapp``), which the status does not list as an adapter.
OWN_HOOKS = {"outputguard": "jupyter_qcred.notebook.outputguard"}


def test_the_pth_registers_exactly_the_adapters_the_providers_declare() -> None:
    """Each provider's ``sdk_adapters`` (what the views describe) is what the ``.pth`` hooks (what acts), besides
    jupyter_qcred's own hooks."""
    import re

    from jupyter_qcred.core import registry
    from jupyter_qcred.core.adapters import adapter

    pth = (Path(importhook.__file__).parents[1] / "jupyter_qcred_adapters.pth").read_text()
    hooked = {
        name: target.split(":")[0]
        for _, name, target in re.findall(r'when_imported\("([^"]+)", "([^"]+)", "([^"]+)"(?:, "[^"]+")?\)', pth)
    }
    declared = {
        adapter(module).name: module
        for key in registry.provider_keys()
        for module in registry.provider_class(key).sdk_adapters
    }
    assert hooked == {**declared, **OWN_HOOKS}
    for module in hooked.values():
        assert callable(getattr(import_module(module), "adapt", None)), module


def test_a_hook_with_its_own_switch_ignores_the_sdk_adapters_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel output filter is a safeguard: ``JUPYTER_QCRED_SDK_ADAPTERS=off`` leaves it on; only its own
    variable switches it off."""
    monkeypatch.setenv(importhook.ENV, "off")
    monkeypatch.delenv("QCRED_TEST_GUARD", raising=False)
    monkeypatch.setattr(importhook, "_hooks", {})
    monkeypatch.setattr(importhook, "_outcomes", {})
    importhook.when_imported("qcred_no_such_module", "guard", "json:dumps", "QCRED_TEST_GUARD")
    importhook.when_imported("qcred_no_such_module", "sdk", "json:dumps")
    assert importhook.report() == {"guard": "waiting", "sdk": f"off ({importhook.ENV}=off)"}
    monkeypatch.setenv("QCRED_TEST_GUARD", "off")
    monkeypatch.setattr(importhook, "_hooks", {})
    importhook.when_imported("qcred_no_such_module", "guard", "json:dumps", "QCRED_TEST_GUARD")
    assert importhook.report()["guard"] == "off (QCRED_TEST_GUARD=off)"
