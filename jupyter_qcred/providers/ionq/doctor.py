"""What ``doctor`` asks qiskit-ionq: which key ``resolve_credentials()`` returns in a folder, and from where.

qiskit-ionq 1.1 (``helpers.resolve_credentials``) takes the values of ONE ``.env`` file (python-dotenv's
``dotenv_values()``, never put into the environment) before the environment, each in the order
``QISKIT_IONQ_API_TOKEN``, ``IONQ_API_KEY``, ``IONQ_API_TOKEN``: a key in that file beats every variable. Which file
depends on how Python runs (python-dotenv 1.2 ``find_dotenv``): in a notebook, ``python -c``, the REPL or under a
debugger/coverage the search starts in the working folder; in ``python script.py`` it starts in qiskit_ionq's own
install folder (the first stack frame outside python-dotenv), so a script finds ``~/.env`` only when the
environment sits under the home folder. Either way the FIRST ``.env`` found upward wins, even one without an IonQ
key, which then hides every ``.env`` above it.

The probe therefore runs ``resolve_credentials()`` itself as ``python -c`` with the folder as its working folder —
exactly a notebook's rule — and again with python-dotenv's search pointed at the script rule's file, and reports for
each the file found, the variable that supplied the key and its fingerprint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core.doctor import Context, Finding, Probe, sha
from ...core.states import mask

if TYPE_CHECKING:
    from .provider import IonqProvider

CODE = r"""
try:
    import dotenv, dotenv.main as _dm
    import qiskit_ionq.helpers as _h
    NAMES = ("QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN")

    def _first(start):
        for folder in _dm._walk_to_root(start):
            candidate = os.path.join(folder, ".env")
            if os.path.isfile(candidate):
                return candidate
        return None

    def _resolve(found):
        # The SDK's own function, with python-dotenv's file chosen by the rule of this mode.
        original = _h.dotenv_values
        _h.dotenv_values = lambda *a, **k: dotenv.dotenv_values(found) if found else {}
        try:
            token = _h.resolve_credentials()["token"]
        finally:
            _h.dotenv_values = original
        values = dotenv.dotenv_values(found) if found else {}
        origin, variable = None, None
        for name in NAMES:
            if values.get(name):
                origin, variable = "dotenv", name
                break
        else:
            for name in NAMES:
                if os.getenv(name):
                    origin, variable = "env", name
                    break
        dotenv_keys = [name for name in NAMES if values.get(name)]
        return dict(dotenv=found, origin=origin if token else None, variable=variable if token else None,
                    dotenv_keys=dotenv_keys, **_fp(token))

    notebook_file = dotenv.find_dotenv(usecwd=True) or None
    script_start = os.path.dirname(os.path.abspath(_h.__file__))
    _out({"notebook": _resolve(notebook_file), "script": _resolve(_first(script_start)), "script_start": script_start})
except Exception as exc:
    _out({"error": type(exc).__name__})
"""

MODES = {
    "notebook": "notebooks in this folder",
    "script": "scripts run with python file.py",
}


def probe(provider: IonqProvider) -> Probe:
    """The IonQ probe; ``compare`` knows the key the views show (the provider's own resolution of our file)."""

    def stored() -> tuple[str | None, str | None]:
        try:
            key = provider._found()[0]
        except Exception:  # a file we cannot read: compare with the hint alone
            return None, None
        return sha(key), mask(key)

    def compare(result: dict[str, Any], context: Context) -> list[Finding]:
        return compare_answer(result, context, stored, str(provider.path))

    return Probe(
        provider="ionq",
        sdk="qiskit-ionq",
        distribution="qiskit-ionq",
        code=CODE,
        uses_folder=True,
        compare=compare,
        module="qiskit_ionq",
    )


def compare_answer(
    result: dict[str, Any], context: Context, stored: Any = None, our_file: str | None = None
) -> list[Finding]:
    """One finding per mode (notebook, script): the key qiskit-ionq takes there and whether the views show it."""
    entry = context.default_entry()
    panel_sha, panel_hint = stored() if stored is not None else (None, None)
    panel_hint = panel_hint or (entry or {}).get("token_hint")
    ours = context.shown(our_file) if our_file else "~/.env"
    findings = []
    for mode, who in MODES.items():
        found = result.get(mode) or {}
        findings.append(_finding(mode, who, found, context, panel_sha, panel_hint, entry is not None, ours))
    return findings


def _finding(
    mode: str,
    who: str,
    found: dict[str, Any],
    context: Context,
    panel_sha: str | None,
    panel_hint: str | None,
    has_panel_key: bool,
    ours: str,
) -> Finding:
    dotenv = found.get("dotenv")
    shown_dotenv = context.shown(dotenv) if dotenv else None
    variable = found.get("variable")
    origin = found.get("origin")
    hint = found.get("hint")
    if origin == "dotenv":
        uses, where = f"{variable} in {shown_dotenv}", shown_dotenv
    elif origin == "env":
        uses, where = f"{variable} from the environment", None
    else:
        uses, where = "no key", shown_dotenv
    hides = ""
    if dotenv and not found.get("dotenv_keys") and shown_dotenv != ours:
        hides = f" {shown_dotenv} holds no IonQ key but hides every .env above it (python-dotenv reads only one)."
    base = Finding(
        provider="ionq",
        sdk="qiskit-ionq",
        state="ok",
        uses=uses,
        message="",
        mode=mode,
        credential="default" if origin else None,
        where=where,
        variable=variable,
        fingerprint=hint,
        panel=panel_hint,
        details={"dotenv": dotenv, "origin": origin},
    )
    if origin is None:
        # A notebook with no key while the panel shows one is a hidden ~/.env: it differs. A script with none is
        # told how to get one (the server's kernels and terminals do), but nothing it would send is wrong.
        base.state = "differs" if has_panel_key and mode == "notebook" else "none"
        if has_panel_key:
            base.message = f"{who.capitalize()} find no IonQ key, while the panel shows one ({panel_hint}).{hides}"
            base.fix = (
                f"Open Jupyter from the server that exports IONQ_API_KEY, set IONQ_API_KEY in your shell, or add "
                f"IONQ_API_KEY to {shown_dotenv}."
                if dotenv
                else "Set IONQ_API_KEY in your shell (the Jupyter server's kernels and terminals get it from the "
                "server), or pass token= to IonQProvider."
            )
        else:
            base.message = f"{who.capitalize()} find no IonQ key, and the panel shows none.{hides}"
        return base
    same = (panel_sha is not None and found.get("sha") == panel_sha) or (
        panel_sha is None and panel_hint is not None and hint == panel_hint
    )
    if same:
        base.message = f"{who.capitalize()} use {uses} ({hint}), the key the panel shows.{hides}"
        return base
    base.state = "differs"
    if origin == "dotenv":
        base.message = (
            f"{shown_dotenv} sets {variable}, which {who} use instead of the key shown here "
            f"({hint} instead of {panel_hint or 'none'}): qiskit-ionq takes a .env key before any other"
            + (" (python -c and debuggers there too)." if mode == "notebook" else ".")
        )
        base.fix = f"Remove {variable} from {shown_dotenv} or update it (or paste that key into the panel)."
    else:
        base.message = (
            f"{variable} in the environment ({hint}) is what {who} use, not the key shown here "
            f"({panel_hint or 'none'})."
        )
        base.fix = f"Unset {variable} or set it to the key shown here (or paste that key into the panel)."
    return base
