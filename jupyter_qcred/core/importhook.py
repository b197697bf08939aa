"""Post-import hooks: adapt an SDK the moment a process imports it, in every Python process of this environment.

Some SDKs cache a token for their whole process or ignore the files jupyter_qcred keeps fresh (pyquil 4's client,
qnexus); their adapters (in the providers' subpackages) make them ask jupyter_qcred instead. They must act in
kernels, terminals and plain ``python script.py`` alike, with or without a running server, so neither an IPython
extension (kernels only) nor the server's environment (its children only) would do: the wheel installs
``jupyter_qcred_adapters.pth`` into site-packages, whose import line registers the hooks below at interpreter
start-up (``site`` executes ``import`` lines of ``.pth`` files). Registering costs one small import and imports no
SDK: the adapter's module is imported only when its SDK is.

The hooks never break an import: an adapter that fails (an SDK version it does not know, a changed attribute) is
recorded in :func:`report` and the SDK stays as it is. ``JUPYTER_QCRED_SDK_ADAPTERS`` switches them: ``off`` (none),
``on`` or unset (all), a comma list of names (only those), or names with a leading ``-`` (all but those). The token
command runs Python with ``-I -S``, so no hook ever runs inside it.

This module knows nothing of any cloud: the ``.pth`` line names the trigger modules and the adapters.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not ``typing``: this module is imported by every Python process of the environment
if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType
    from typing import Any

#: The environment variable that switches the adapters (see the module docstring).
ENV = "JUPYTER_QCRED_SDK_ADAPTERS"

#: trigger module -> [(adapter name, "module:function")]; the function is called with the freshly executed module.
_hooks: dict[str, list[tuple[str, str]]] = {}
#: adapter name -> what happened in this process ("active", or why it stayed out).
_outcomes: dict[str, str] = {}
_installed = False


def enabled(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``JUPYTER_QCRED_SDK_ADAPTERS`` lets the adapter ``name`` act."""
    value = (os.environ if environ is None else environ).get(ENV, "").strip().lower()
    if value in ("", "on", "1", "true", "yes", "all"):
        return True
    if value in ("off", "0", "false", "no", "none"):
        return False
    parts = {part.strip() for part in value.split(",") if part.strip()}
    if any(part.startswith("-") for part in parts):
        return f"-{name}" not in parts
    return name in parts


def when_imported(trigger: str, name: str, target: str, switch: str | None = None) -> None:
    """Call ``target`` (``"package.module:function"``) with module ``trigger`` right after it is first executed; if
    the module is already imported, at once.

    ``switch``: the environment variable that alone switches this hook (``off`` turns it off), for a hook that is not
    an SDK adapter (the kernel output filter): switching the SDK adapters off must not switch off a safeguard."""
    _install()
    if switch is not None:
        value = os.environ.get(switch, "").strip().lower()
        if value in ("off", "0", "false", "no", "none"):
            _outcomes[name] = f"off ({switch}={os.environ.get(switch, '')})"
            return
    elif not enabled(name):
        _outcomes[name] = f"off ({ENV}={os.environ.get(ENV, '')})"
        return
    _hooks.setdefault(trigger, []).append((name, target))
    module = sys.modules.get(trigger)
    if module is not None:
        _run(module, [(name, target)])


def report() -> dict[str, str]:
    """What each registered adapter did in this process: ``"active"``, ``"waiting"`` (its SDK is not imported
    yet), ``"off (…)"`` or the sentence saying why it stayed out."""
    waiting = {name: "waiting" for hooks in _hooks.values() for name, _ in hooks}
    return {**waiting, **_outcomes}


def _run(module: ModuleType, hooks: list[tuple[str, str]]) -> None:
    for name, target in hooks:
        if name in _outcomes:
            continue
        try:
            from importlib import import_module

            module_name, _, function = target.partition(":")
            outcome = getattr(import_module(module_name), function)(module)
            _outcomes[name] = outcome if isinstance(outcome, str) else "active"
        except Exception as exc:  # an adapter must never break the SDK's import
            _outcomes[name] = f"stayed out: {type(exc).__name__}: {exc}"


class _Finder:
    """A ``sys.meta_path`` finder that finds nothing itself: it wraps the loader the other finders return for a
    trigger module, so that the hooks run right after the module's own code."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        hooks = _hooks.get(fullname)
        if not hooks or fullname in sys.modules:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, hooks)  # type: ignore[assignment]  # duck-typed: no importlib.abc at start-up
                return spec
        return None


class _Loader:
    """The original loader, then the hooks; every other attribute (``get_source``, resource readers) is the
    original's, and the module keeps the original as its ``__loader__``."""

    def __init__(self, loader: Any, hooks: list[tuple[str, str]]) -> None:
        self._loader = loader
        self._hooks = hooks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _run(module, self._hooks)


def _install() -> None:
    global _installed
    if not _installed:
        sys.meta_path.insert(0, _Finder())
        _installed = True
