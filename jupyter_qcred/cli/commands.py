"""The commands of ``jupyter qcred``: each reads the files or calls the service layer, prints, and returns its exit
code (see :mod:`jupyter_qcred.cli.help`). Only ``token`` ever prints a secret, and only on its own stdout."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ..core import registry
from ..core.errors import FieldError, FileFormatError, ProviderError, QCredError, RefusedError
from ..core.registry import title
from .help import EXIT_ATTENTION, EXIT_FAILED, EXIT_NONE, EXIT_OK, EXIT_USAGE, USABLE_STATES


def _settings() -> Any:
    from ..core.settings import Settings

    return Settings.from_environment()


def _manager(provider_keys: Sequence[str] | None = None, settings: Any = None) -> Any:
    from ..core.manager import CredentialManager
    from ..core.registry import create_providers

    manager = CredentialManager(
        create_providers(settings or _settings(), tuple(provider_keys) if provider_keys else None)
    )
    if manager.read_errors:  # a file the OS would not let us read: exit 1 with its sentence (see cli.main)
        raise manager.read_errors[0]
    return manager


def _service(manager: Any, settings: Any = None) -> Any:
    """The service of a process with no Jupyter server behind it: every command goes through it."""
    from ..core.service import CredentialService

    return CredentialService.without_server(settings or _settings(), manager)


# ----- exit codes ------------------------------------------------------------------------------------------------


def renewable(entry: dict[str, Any]) -> bool:
    """Whether an ``expired`` entry renews without a person, so ``init`` may still report success.

    The providers only call an access token ``expired`` when something can renew it (QCS: a refresh token;
    IBM: the API key); one that nothing can renew is ``needs_reinit``. The entry's ``refresh_token_state`` (QCS)
    is checked as well, so that a refresh token known to be missing or refused is never counted as renewable.
    """
    account = entry.get("account") or {}
    return entry["state"] == "expired" and account.get("refresh_token_state") not in ("missing", "refused")


def exit_code(entries: Iterable[dict[str, Any]], *, renewable_ok: bool = False, refreshed: bool = False) -> int:
    """0 when no entry needs a person (with ``renewable_ok``: or renews on its own), 4 when there is none, else 3.

    "Needs a person" is the entry's own ``action_needed`` (:mod:`jupyter_qcred.core.states`: the one rule every view
    uses), so ``status`` exits 3 exactly when the panel's status bar says "action needed": a refresh that is retrying
    while the token still has time left is calm (0), an account the installed SDK cannot use is not (3).
    ``refreshed`` (``refresh``): the person asked for a refresh, so one that failed is an answer of 3 even while the
    old token still works. ``renewable_ok`` (``init``, in start scripts) also lets ``unsupported`` accounts pass: a
    hand-over that still holds a legacy IBM account must not stop a server whose other credentials work; the status
    shows what to do.
    """
    entries = list(entries)
    for entry in entries:
        if entry["state"] == "absent":
            continue
        failed = refreshed and entry["state"] not in USABLE_STATES
        if not failed and not entry.get("action_needed", entry["state"] not in USABLE_STATES):
            continue
        if renewable_ok and (renewable(entry) or entry["state"] == "unsupported"):
            continue
        return EXIT_ATTENTION
    if all(entry["state"] == "absent" for entry in entries):
        return EXIT_NONE
    return EXIT_OK


def _show(snapshot: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(snapshot, indent=2))
    else:
        from ..core.report import format_status

        print(format_status(snapshot))


def fail(command: str, message: object, code: int) -> int:
    """One sentence on stderr (never a secret: error messages name files and fields, never values)."""
    print(f"jupyter qcred {command}: {message}", file=sys.stderr)
    return code


# ----- commands --------------------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    """Show every credential's state (offline: reads the files only)."""
    snapshot = _manager().snapshot()
    _show(snapshot, args.json)
    return exit_code(snapshot["providers"])


def cmd_refresh(args: argparse.Namespace) -> int:
    """Refresh now (once for every process) and show the result; the exit code covers only what was chosen."""
    manager = _manager()

    def chosen(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            entry
            for entry in snapshot["providers"]
            if (args.provider is None or entry["provider"] == args.provider)
            and (args.name is None or entry["name"] == args.name)
        ]

    from ..core.service import CredentialService, NotFoundError

    service = CredentialService.without_server(_settings(), manager)
    try:
        snapshot = asyncio.run(service.refresh(args.provider, args.name))
    except NotFoundError as exc:
        return fail("refresh", f"{exc} `jupyter qcred status` lists them.", EXIT_NONE)
    result = snapshot.pop("result")
    _show(snapshot, args.json)
    if result["outcome"] != "ok":  # the sentence the panel, the widget and %qcred show for the same outcome
        print(f"jupyter qcred refresh: {result['message']}", file=sys.stderr)
    return exit_code(chosen(snapshot), refreshed=True)


def _unless_unchecked(after: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``after`` with each entry that turned into ``error`` during ``init --check`` replaced by its state before.

    A check that could not be made (the provider unreachable or failing) says nothing about whether a person is
    needed, and the server retries it with backoff: it must not turn a start script's ``init`` into a failure.
    """
    earlier = {(entry["provider"], entry["name"]): entry for entry in before}
    result = []
    for entry in after:
        old = earlier.get((entry["provider"], entry["name"]))
        unchecked = entry["state"] == "error" and old is not None and old["state"] != "error"
        result.append(old if unchecked and old is not None else entry)
    return result


def cmd_init(args: argparse.Namespace) -> int:
    """Write credentials from a source (the spawn bundle, the environment, the hub) into the SDKs' files."""
    from ..core import sources

    settings = _settings()
    if args.handoff:
        settings = dataclasses.replace(settings, qcs_handoff=args.handoff)
    source = args.source or "auto"
    try:
        bundle, origin = sources.load(source, settings)
    except QCredError:
        if not args.handoff or args.source:
            raise
        bundle, origin = None, None  # `init --handoff files` alone: only lay out what is on disk
    manager = _manager(settings=settings)
    service = _service(manager, settings)
    try:
        written, laid_out = service.write_files(bundle, source, reinit=args.reinit, handoff=args.handoff, strict=True)
        if args.handoff:
            mode = args.handoff
            changes = [f"{title(key)} hand-off {mode!r}: {', '.join(done)}." for key, done in laid_out.items() if done]
            print("\n".join(changes) or f"Hand-off {mode!r}: nothing to change.")
    except (FileFormatError, FieldError) as exc:
        # A store file the SDK cannot read either: never overwritten silently, so a person decides.
        return fail(
            "init",
            f"{exc} To replace it, run `jupyter qcred init --reinit` (the broken file is kept as a timestamped "
            "backup).",
            EXIT_ATTENTION,
        )
    if origin is not None:
        print(f"Wrote {len(written)} credential(s) from {origin}: {', '.join(written) or 'none'}.")
    snapshot = manager.snapshot()
    entries = snapshot["providers"]
    if args.check:
        snapshot = asyncio.run(service.check())
        entries = _unless_unchecked(snapshot["providers"], entries)
    code = exit_code(entries, renewable_ok=True)
    if not args.quiet:
        _show(snapshot, False)
    elif code == EXIT_ATTENTION:
        from ..core.report import problem_lines

        needs_person = [e for e in entries if exit_code([e], renewable_ok=True) == EXIT_ATTENTION]
        print("\n".join(problem_lines(needs_person)), file=sys.stderr)
    return code


def _token_failure_code(manager: Any, provider: str, name: str | None) -> int:
    """Tell "no such credential" (4) and "a person must act" (3) from other failures (1).

    Only runs after the token could not be had, so the hot path (a token that is not due) reads the files once.
    """
    manager.reload(publish=False)  # the files as they are now, after the failed attempt
    entries = [entry for entry in manager.snapshot()["providers"] if entry["provider"] == provider]
    if any(entry["name"] is None and entry["state"] == "error" for entry in entries):
        return EXIT_ATTENTION
    wanted = name or next((entry["name"] for entry in entries if entry["default"] and entry["name"]), None)
    entry = next((entry for entry in entries if wanted is not None and entry["name"] == wanted), None)
    if entry is None:
        return EXIT_NONE
    return EXIT_ATTENTION if entry["state"] in ("needs_reinit", "error") else EXIT_FAILED


def cmd_token(args: argparse.Namespace) -> int:
    """Print a valid access token (refreshing it first if due): QCS's ``externally_managed`` command."""
    settings = _settings()
    manager = None
    try:
        manager = _manager((args.provider,), settings)
        token = asyncio.run(_service(manager, settings).token(args.provider, args.profile))
    except RefusedError as exc:
        return fail("token", exc, EXIT_ATTENTION)
    except ProviderError as exc:  # unreachable, 5xx, garbage: trying again later may help
        return fail("token", exc, EXIT_FAILED)
    except (FileFormatError, FieldError) as exc:
        return fail("token", exc, EXIT_ATTENTION)
    except QCredError as exc:
        if args.provider not in registry.provider_keys():
            return fail("token", exc, EXIT_FAILED)
        manager = manager or _manager((args.provider,), settings)
        return fail("token", exc, _token_failure_code(manager, args.provider, args.profile))
    sys.stdout.write(token + "\n")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove an account or profile through the service layer (the same sentence as the panel and %qcred)."""
    from ..core.service import kind_of

    manager = _manager()
    entry = next(
        (e for e in manager.snapshot()["providers"] if e["provider"] == args.provider and e["name"] == args.name),
        None,
    )
    what = f"{title(args.provider)} {kind_of(args.provider)} {args.name!r}"
    if entry is None:
        return fail("remove", f"there is no {what}; `jupyter qcred status` lists them.", EXIT_NONE)
    if not args.yes:
        if not sys.stdin.isatty():
            return fail("remove", f"nothing was removed: re-run with --yes to remove the {what}.", EXIT_ATTENTION)
        where = f" from {entry['file']}" if entry.get("file") else ""
        default = " (the default)" if entry.get("default") else ""
        answer = input(f"Remove the {what}{default}{where}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was removed.")
            return EXIT_ATTENTION
    service = _service(manager)
    try:
        answer_json = asyncio.run(service.remove(args.provider, args.name))
    except (FileFormatError, FieldError, QCredError) as exc:
        return fail("remove", f"{exc} Nothing was removed.", EXIT_FAILED)
    print(answer_json["result"]["message"])
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Ask each installed SDK which credential it will use in PATH and compare it with the status (exit 1 when one
    differs or cannot be asked)."""
    from ..core.doctor import format_answer
    from ..core.service import InputError

    service = _service(_manager())
    try:
        answer = asyncio.run(service.doctor(args.path))
    except InputError as exc:
        return fail("doctor", exc, EXIT_USAGE)
    print(json.dumps(answer, indent=2) if args.json else format_answer(answer))
    return EXIT_OK if answer["ok"] else EXIT_FAILED
