"""``doctor``: which credential each installed SDK will actually use in a folder, next to the one the views show.

The views show what jupyter_qcred keeps in the SDKs' files, but an SDK decides on its own: an environment variable,
a ``.env`` up the folder tree (qiskit-ionq), a profile variable (``QCS_PROFILE_NAME``, ``AWS_PROFILE``) can make it
use another credential, and then every view says "ok" while the SDK sends a stale key. So the doctor asks the SDK
itself: each provider contributes a :class:`Probe` (:meth:`Provider.doctor_probe`), a small Python program that runs
the SDK's OWN resolution and prints what it found as one JSON line — where the credential comes from and its
fingerprint, never its value. The probe runs in a subprocess with the environment a kernel gets and the folder as
its working directory (the rule notebooks follow), with a timeout, and only when the SDK is installed. The
provider's ``compare`` then says whether that is the credential the views show, and what to do when it is not.

This module is the generic part (running, parsing, the answer and its text); the SDKs' knowledge lives in the
providers' ``doctor.py`` modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .report import adapter_lines

#: How a probe's one line of JSON starts (SDKs may print their own lines on import).
MARKER = "QCRED-DOCTOR:"
#: Seconds a probe may take (importing qiskit takes a few seconds on a cold disk).
TIMEOUT = 60.0
#: The states of one finding, best first.
STATES = ("ok", "none", "differs", "error")

#: What every probe's source starts with: fingerprints computed inside the probe, so no value ever leaves it.
PRELUDE = (
    r'''
import hashlib as _hl, json as _json, os, sys
def _fp(secret):
    """The hint the views show (last four characters) and a short hash; never the value."""
    if not secret:
        return {"hint": None, "sha": None}
    hint = ("\u2026" + secret[-4:]) if len(secret) > 8 else "\u2026"
    return {"hint": hint, "sha": _hl.sha256(secret.encode("utf-8")).hexdigest()[:16]}
def _out(result):
    sys.stdout.write("\n%s%s\n" % ("'''
    + MARKER
    + r"""", _json.dumps(result)))
    sys.stdout.flush()
"""
)


def sha(secret: str | None) -> str | None:
    """The short hash a probe prints for ``secret`` (see :data:`PRELUDE`), to compare with a stored one."""
    import hashlib

    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16] if secret else None


@dataclass(frozen=True)
class Context:
    """What a provider's ``compare`` gets besides the probe's answer."""

    #: The status entries of this provider, as the views show them (the status JSON's ``providers``).
    entries: list[dict[str, Any]]
    #: The folder the probe ran in.
    path: Path
    #: The environment the probe ran with (the kernel's).
    environ: Mapping[str, str]
    #: The home folder, to show paths as ``~/...``.
    home: Path

    def shown(self, path: str | os.PathLike[str] | None) -> str:
        """``path`` with the home folder as ``~``."""
        if path is None:
            return ""
        text = str(path)
        home = str(self.home).rstrip("/")
        if home and (text == home or text.startswith(home + "/")):
            return "~" + text[len(home) :]
        return text

    def default_entry(self) -> dict[str, Any] | None:
        """The entry the views mark as the default (or the only named one)."""
        named = [e for e in self.entries if e.get("name") and e.get("state") != "absent"]
        return next((e for e in named if e.get("default")), named[0] if len(named) == 1 else None)


@dataclass
class Finding:
    """One line of the doctor's answer: what an SDK (in one mode) will use, and whether the views show it."""

    provider: str
    sdk: str
    state: str
    #: Where the credential comes from, in words ("IONQ_API_KEY in ~/proj/.env").
    uses: str
    message: str
    #: One sentence of what to do (None when there is nothing to do).
    fix: str | None = None
    #: Which way of running the SDK this is about ("notebook", "script"), when it matters.
    mode: str | None = None
    credential: str | None = None
    #: The file, variable or profile the credential comes from.
    where: str | None = None
    variable: str | None = None
    #: The last four characters the SDK's credential ends with, and the one the views show.
    fingerprint: str | None = None
    panel: str | None = None
    #: Details for programs (never a secret).
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "sdk": self.sdk,
            "mode": self.mode,
            "state": self.state,
            "credential": self.credential,
            "uses": self.uses,
            "where": self.where,
            "variable": self.variable,
            "fingerprint": self.fingerprint,
            "panel": self.panel,
            "message": self.message,
            "fix": self.fix,
            "details": self.details,
        }


Compare = Callable[[dict[str, Any], Context], list[Finding]]


@dataclass(frozen=True)
class Probe:
    """A provider's SDK check: the program that runs the SDK's own resolution, and how to read its answer."""

    provider: str
    #: The SDK as views name it ("qiskit-ionq").
    sdk: str
    #: The distribution that must be installed for the probe to run.
    distribution: str
    #: Python source run as ``python -c`` after :data:`PRELUDE`; it calls ``_out(dict)`` once.
    code: str
    #: Turns the probe's JSON into findings (pure: tests call it with made-up answers).
    compare: Compare
    #: The module the SDK is imported as (what the error's advice tells people to try).
    module: str = ""
    timeout: float = TIMEOUT
    #: Whether the SDK's resolution depends on the working folder (IonQ's ``.env`` search); the others' answers may
    #: be reused from one folder to the next (:class:`Memo`).
    uses_folder: bool = False

    def installed_version(self) -> str | None:
        """The version of the first of the ``|``-separated distributions that is installed, or None."""
        from importlib.metadata import PackageNotFoundError, version

        for name in self.distribution.split("|"):
            try:
                return version(name)
            except PackageNotFoundError:
                continue
        return None


def parse_output(stdout: str) -> dict[str, Any] | None:
    """The probe's JSON (the last marked line), or None."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            try:
                value = json.loads(line[len(MARKER) :])
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def run_probe(
    probe: Probe, path: Path, environ: Mapping[str, str], python: str = sys.executable
) -> dict[str, Any] | str:
    """Run ``probe`` in ``path`` with ``environ``: its JSON, or a sentence saying why there is none.

    The probe's stderr is never shown: an SDK's traceback could quote a credentials file. Only our own sentences
    (and the exception's type, which the probe reports itself) reach the answer. The folder is not on the probe's
    ``sys.path`` (``python -P``): opening a folder in the file browser must never run code that lies in it.
    """
    try:
        done = subprocess.run(
            # -P: the folder is the working folder but never on sys.path, so a file there (a json.py in a
            # downloaded project) is not imported: the panel runs probes just because a folder was opened.
            [python, "-P", "-c", PRELUDE + probe.code],
            cwd=path,
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=probe.timeout,
        )
    except subprocess.TimeoutExpired:
        return f"{probe.sdk} did not answer within {probe.timeout:g} s"
    except OSError as exc:
        return f"could not start Python to ask {probe.sdk} ({exc.strerror or type(exc).__name__})"
    answer = parse_output(done.stdout)
    if answer is None:
        return f"{probe.sdk} could not be asked (the check exited with code {done.returncode})"
    return answer


class Memo:
    """Answers of probes whose SDK does not look at the folder, reused for ``ttl`` seconds while the environment and
    the provider's status entries stay the same: the panel asks on every folder change, and each probe imports an SDK
    (seconds of CPU). A changed credential changes the entries, so a fix is seen at once."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._answers: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}

    @staticmethod
    def key(probe: Probe, environ: Mapping[str, str], entries: list[dict[str, Any]]) -> tuple[str, str, str]:
        env = json.dumps(sorted(environ.items()))
        mine = json.dumps([e for e in entries if e.get("provider") == probe.provider], sort_keys=True, default=str)
        return probe.provider, sha(env) or "", sha(mine) or ""

    def get(self, key: tuple[str, str, str]) -> dict[str, Any] | None:
        import time

        found = self._answers.get(key)
        return found[1] if found is not None and time.monotonic() - found[0] < self.ttl else None

    def put(self, key: tuple[str, str, str], answer: dict[str, Any]) -> None:
        import time

        now = time.monotonic()
        self._answers = {k: v for k, v in self._answers.items() if now - v[0] < self.ttl}
        self._answers[key] = (now, answer)


def _error(probe: Probe, sentence: str) -> Finding:
    return Finding(
        provider=probe.provider,
        sdk=probe.sdk,
        state="error",
        uses="unknown",
        message=f"{sentence[0].upper()}{sentence[1:]}.",
        fix=f'Run `python -c "import {probe.module}"` in that folder to see what fails.',
    )


def examine(
    probes: Iterable[Probe],
    entries: list[dict[str, Any]],
    path: Path,
    environ: Mapping[str, str],
    *,
    home: Path,
    python: str = sys.executable,
    memo: Memo | None = None,
) -> list[Finding]:
    """Run every probe whose SDK is installed (in parallel) and compare each answer with the views' entries; with a
    ``memo``, the answers of probes that do not look at the folder are reused while they hold."""
    chosen = [probe for probe in probes if probe.installed_version() is not None]

    def ask(probe: Probe) -> dict[str, Any] | str:
        if memo is None or probe.uses_folder:
            return run_probe(probe, path, environ, python)
        key = Memo.key(probe, environ, entries)
        reused = memo.get(key)
        if reused is not None:
            return reused
        answer = run_probe(probe, path, environ, python)
        if isinstance(answer, dict) and not answer.get("error"):
            memo.put(key, answer)
        return answer

    def one(probe: Probe) -> list[Finding]:
        answer = ask(probe)
        version = probe.installed_version()
        if isinstance(answer, str):
            findings = [_error(probe, answer)]
        elif answer.get("error"):
            findings = [_error(probe, f"{probe.sdk} failed while resolving its credential ({answer['error']})")]
        else:
            context = Context([e for e in entries if e.get("provider") == probe.provider], path, environ, home)
            try:
                findings = probe.compare(answer, context)
            except Exception as exc:  # a probe answer we did not expect must not hide the other SDKs
                findings = [_error(probe, f"its answer could not be read ({type(exc).__name__})")]
        for finding in findings:  # a probe that covers one SDK is named with its version
            if finding.sdk == probe.sdk and "|" not in probe.distribution:
                finding.sdk = f"{probe.sdk} {version}" if version else probe.sdk
        return findings

    if not chosen:
        return []
    with ThreadPoolExecutor(max_workers=min(len(chosen), 4)) as pool:
        return [finding for findings in pool.map(one, chosen) for finding in findings]


def answer(findings: list[Finding], path: Path, adapters: list[dict[str, Any]], home: Path) -> dict[str, Any]:
    """The doctor's answer (docs/api.md): ``ok`` is true when no SDK differs from the views or failed."""
    context = Context([], path, {}, home)
    return {
        "path": str(path),
        "shown_path": context.shown(path),
        "ok": all(f.state in ("ok", "none") for f in findings),
        "sdks": [f.to_json() for f in findings],
        "adapters": adapters,
    }


def resolve_folder(path: str | os.PathLike[str] | None, *, root: Path | None = None) -> Path:
    """The folder to examine: ``path`` (default: the working directory), relative to ``root`` when given, which
    it may not leave (the REST door: a server-relative path from the browser). Raises ValueError with a sentence."""
    if root is not None:
        text = str(path or "").replace("\\", "/").strip("/")
        parts = [part for part in text.split("/") if part not in ("", ".")]
        if any(part == ".." for part in parts) or (text and Path(text).is_absolute()):
            raise ValueError("The path must be a folder under the server's root, without '..'.")
        base = root.resolve()
        folder = base.joinpath(*parts).resolve() if parts else base
        if folder != base and base not in folder.parents:
            raise ValueError("The path leaves the server's root folder (a link pointing outside).")
    else:
        folder = Path(path).expanduser().resolve() if path else Path.cwd()
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder.")
    return folder


def format_answer(result: Mapping[str, Any]) -> str:
    """The doctor's answer as text: the CLI and ``%qcred doctor`` print exactly this."""
    lines = [f"Credentials the SDKs will use in {result.get('shown_path') or result.get('path')}:"]
    findings = result.get("sdks") or []
    if not findings:
        lines.append("  No SDK that jupyter_qcred knows is installed in this environment.")
    for finding in findings:
        mode = f" ({finding['mode']})" if finding.get("mode") else ""
        mark = {"ok": "ok", "none": "none", "differs": "DIFFERS", "error": "ERROR"}.get(finding["state"], "?")
        lines.append(f"  {finding['sdk']}{mode}: {mark}. {finding['message']}")
        if finding.get("fix"):
            lines.append(f"      What to do: {finding['fix']}")
    lines += adapter_lines(result.get("adapters") or [])
    if result.get("ok"):
        lines.append("Every installed SDK uses the credential the panel shows (or none is set up).")
    else:
        lines.append("Something differs from what the panel shows: see 'What to do' above.")
    return "\n".join(lines)
