"""``jupyter qcred``: status, init, refresh, token and demo from a terminal.

Exit codes scripts can trust. The same table is in ``jupyter qcred --help``, each command's ``--help`` and the
README; tests/test_cli.py keeps them equal to :data:`EXIT_CODES` and runs each path.

  status        0    every credential is usable (ok, expiring or refreshing)
                1    the files could not be read (an OS error such as a permission problem)
                3    a credential is not usable: expired, needs_reinit, or error (a file that does not parse, a
                     profile that cannot be used)
                4    there is no credential at all
  refresh       0    every chosen credential is usable after the refresh
                1    the files could not be read (an OS error such as a permission problem)
                3    a chosen credential is not usable after the refresh: needs_reinit (its refresh token or API key
                     was refused), error (the provider unreachable or failing, a file that does not parse), or
                     expired
                4    nothing to refresh: no credential of PROVIDER, or none named NAME
  init          0    it wrote what it was handed and every credential is usable or renewable (an access token that
                     expired while its refresh token is still there is renewed by the server or by `token`)
                1    nothing was written: there is no bundle, the bundle does not validate, or JupyterHub could not
                     be reached
                3    a credential needs a person: needs_reinit (an expired access token without a refresh token;
                     with --check, a refresh token or API key the provider refused), or a file that does not parse
                     or a profile that cannot be used (fix it, or run init --reinit)
                4    there is no credential at all, even after writing (the source was empty)
  token         0    a valid access token was printed on stdout
                1    no token right now: the provider is unreachable or failing, a lock was held too long, or the
                     profile's credential is externally managed
                3    a person must act: the refresh token was refused, the access token expired without a refresh
                     token, or the files cannot be used as they are (a file that does not parse, a profile that
                     cannot be used)
                4    there is no such profile, or the profile has no credential
  demo          0    stopped with Ctrl-C, SIGTERM or SIGHUP (everything it started stops too), or JupyterLab /
                     JupyterHub exited normally
                1    it could not start (the sandbox, JupyterLab or JupyterHub failed, or the port is in use)
  every command 2    wrong usage (an unknown command, option or choice)
                130  interrupted with Ctrl-C (except demo, which stops with 0)

Every message says what happened and what to do. Only ``token`` ever prints a secret, and only on its own stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from ._version import __version__
from .core.errors import FieldError, FileFormatError, ProviderError, QCredError, RefusedError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ATTENTION, EXIT_NONE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
USABLE_STATES = {"ok", "expiring", "refreshing"}

#: What each exit code means, per command: the single source of the module docstring, every ``--help`` and the
#: README's table (tests/test_cli.py checks that they agree, and runs each of these paths).
EXIT_CODES: dict[str, tuple[tuple[int, str], ...]] = {
    "status": (
        (EXIT_OK, "every credential is usable (ok, expiring or refreshing)"),
        (EXIT_FAILED, "the files could not be read (an OS error such as a permission problem)"),
        (
            EXIT_ATTENTION,
            "a credential is not usable: expired, needs_reinit, or error (a file that does not parse, a profile that "
            "cannot be used)",
        ),
        (EXIT_NONE, "there is no credential at all"),
    ),
    "refresh": (
        (EXIT_OK, "every chosen credential is usable after the refresh"),
        (EXIT_FAILED, "the files could not be read (an OS error such as a permission problem)"),
        (
            EXIT_ATTENTION,
            "a chosen credential is not usable after the refresh: needs_reinit (its refresh token or API key was "
            "refused), error (the provider unreachable or failing, a file that does not parse), or expired",
        ),
        (EXIT_NONE, "nothing to refresh: no credential of PROVIDER, or none named NAME"),
    ),
    "init": (
        (
            EXIT_OK,
            "it wrote what it was handed and every credential is usable or renewable (an access token that expired "
            "while its refresh token is still there is renewed by the server or by `token`)",
        ),
        (
            EXIT_FAILED,
            "nothing was written: there is no bundle, the bundle does not validate, or JupyterHub could not be reached",
        ),
        (
            EXIT_ATTENTION,
            "a credential needs a person: needs_reinit (an expired access token without a refresh token; with "
            "--check, a refresh token or API key the provider refused), or a file that does not parse or a profile "
            "that cannot be used (fix it, or run init --reinit)",
        ),
        (EXIT_NONE, "there is no credential at all, even after writing (the source was empty)"),
    ),
    "token": (
        (EXIT_OK, "a valid access token was printed on stdout"),
        (
            EXIT_FAILED,
            "no token right now: the provider is unreachable or failing, a lock was held too long, or the profile's "
            "credential is externally managed",
        ),
        (
            EXIT_ATTENTION,
            "a person must act: the refresh token was refused, the access token expired without a refresh token, or "
            "the files cannot be used as they are (a file that does not parse, a profile that cannot be used)",
        ),
        (EXIT_NONE, "there is no such profile, or the profile has no credential"),
    ),
    "demo": (
        (
            EXIT_OK,
            "stopped with Ctrl-C, SIGTERM or SIGHUP (everything it started stops too), or JupyterLab / "
            "JupyterHub exited normally",
        ),
        (
            EXIT_FAILED,
            "it could not start (the sandbox, JupyterLab or JupyterHub failed, or the port is in use)",
        ),
    ),
}
#: Codes that mean the same for every command (argparse's usage errors, Ctrl-C).
COMMON_EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_USAGE, "wrong usage (an unknown command, option or choice)"),
    (EXIT_INTERRUPTED, "interrupted with Ctrl-C (except demo, which stops with 0)"),
)

#: What each command does, reads and writes: its ``--help`` description (the exit codes follow as the epilog).
DESCRIPTIONS: dict[str, str] = {
    "status": (
        "Show the state of every credential (ok, expiring, refreshing, expired, needs_reinit, error, absent) with "
        "its expiry, account and, for each problem, what to do. Offline: it only reads ~/.qcs and ~/.qiskit and "
        "writes nothing. --json prints the status JSON the REST API and the notebook also give; tokens appear "
        "only masked to their last four characters."
    ),
    "refresh": (
        "Renew access tokens now and check every chosen credential with its provider (user and groups, hubs and "
        "instances). Refreshes once for every process: it takes the files' lock and asks for a token only if "
        "no other process renewed it meanwhile; new tokens are written to ~/.qcs/secrets.toml. A refusal or an "
        "outage becomes the credential's state; nothing the provider refuses is written."
    ),
    "init": (
        "Write the credentials a source hands over (the spawn bundle in QCRED_BUNDLE or QCRED_BUNDLE_FILE, the "
        "SDKs' environment variables, or JupyterHub) into the SDKs' own files: ~/.qcs/settings.toml and "
        "secrets.toml, ~/.qiskit/qiskit-ibm.json and qiskitrc. Entries it does not own are kept; a newer token "
        "already on disk is kept. Offline unless --from hub or --check.\n\n"
        "Made for start scripts (`jupyter qcred init && ...`): an access token that expired while its refresh "
        "token is still there is fine (exit 0); only what needs a person is 3."
    ),
    "token": (
        "Print a valid QCS access token on stdout, renewing it first if it is due (once for every process, "
        "under the lock of ~/.qcs/secrets.toml), so the QCS SDK can use `jupyter qcred token qcs` as an "
        "externally_managed command. Under JupyterHub, a refresh token the identity provider refuses makes it "
        "pull fresh credentials from the hub first. The token is the only output; messages go to stderr."
    ),
    "demo": (
        "Start the loopback sandbox (stand-ins for IBM Quantum and Rigetti QCS) and JupyterLab with the "
        "extension, or with --hub a local JupyterHub that logs in through the sandbox. It runs with HOME set to "
        "a demo folder under Jupyter's data directory, so your own ~/.qcs and ~/.qiskit are never read or "
        "written. Runs until Ctrl-C (or SIGTERM, SIGHUP), which stops everything it started."
    ),
}
#: Widest help text; narrower terminals get what argparse itself uses (their width less two columns).
HELP_WIDTH = 100


def _settings() -> Any:
    from .core.settings import Settings

    return Settings.from_environment()


def _manager(provider_keys: Sequence[str] | None = None) -> Any:
    from .core.manager import CredentialManager
    from .providers import PROVIDER_KEYS, create_providers

    return CredentialManager(create_providers(_settings(), tuple(provider_keys or PROVIDER_KEYS)))


# ----- exit codes ------------------------------------------------------------------------------------------------


def renewable(entry: dict[str, Any]) -> bool:
    """Whether an ``expired`` entry renews without a person, so ``init`` may still report success.

    The providers only call an access token ``expired`` when something can renew it (QCS: a refresh token;
    IBM: the API key); one that nothing can renew is ``needs_reinit``. The entry's ``refresh_token_state`` (QCS)
    is checked as well, so that a refresh token known to be missing or refused is never counted as renewable.
    """
    account = entry.get("account") or {}
    return entry["state"] == "expired" and account.get("refresh_token_state") not in ("missing", "refused")


def exit_code(entries: Iterable[dict[str, Any]], *, renewable_ok: bool = False) -> int:
    """0 when every entry is usable (with ``renewable_ok``: or renewable), 4 when there is none, else 3."""
    entries = list(entries)
    for entry in entries:
        if entry["state"] in USABLE_STATES or entry["state"] == "absent":
            continue
        if renewable_ok and renewable(entry):
            continue
        return EXIT_ATTENTION
    if all(entry["state"] == "absent" for entry in entries):
        return EXIT_NONE
    return EXIT_OK


def _show(snapshot: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(snapshot, indent=2))
    else:
        from .core.report import format_status

        print(format_status(snapshot))


def _fail(command: str, message: object, code: int) -> int:
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

    if args.name is not None and not chosen(manager.snapshot()):
        which = {"ibm": "IBM Quantum ", "qcs": "Rigetti QCS "}.get(args.provider or "", "")
        return _fail(
            "refresh",
            f"there is no {which}credential named {args.name!r}; `jupyter qcred status` lists them.",
            EXIT_NONE,
        )
    from .core.service import CredentialService

    service = CredentialService.without_server(_settings(), manager)
    snapshot = asyncio.run(service.refresh(args.provider, args.name))
    result = snapshot.pop("result")
    _show(snapshot, args.json)
    if result["outcome"] != "ok":  # the sentence the panel, the widget and %qcred show for the same outcome
        print(f"jupyter qcred refresh: {result['message']}", file=sys.stderr)
    return exit_code(chosen(snapshot))


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
    from .core import sources

    bundle, origin = sources.load(args.source, _settings())
    manager = _manager()
    try:
        written = manager.materialize(bundle, source=args.source, reinit=args.reinit)
    except (FileFormatError, FieldError) as exc:
        # A store file the SDK cannot read either: never overwritten silently, so a person decides.
        return _fail(
            "init",
            f"{exc} To replace it, run `jupyter qcred init --reinit` (the broken file is kept as a timestamped "
            "backup).",
            EXIT_ATTENTION,
        )
    print(f"Wrote {len(written)} credential(s) from {origin}: {', '.join(written) or 'none'}.")
    snapshot = manager.snapshot()
    entries = snapshot["providers"]
    if args.check:
        snapshot = asyncio.run(manager.refresh(force=False))
        entries = _unless_unchecked(snapshot["providers"], entries)
    code = exit_code(entries, renewable_ok=True)
    if not args.quiet:
        _show(snapshot, False)
    elif code == EXIT_ATTENTION:
        from .core.report import problem_lines

        needs_person = [e for e in entries if exit_code([e], renewable_ok=True) == EXIT_ATTENTION]
        print("\n".join(problem_lines(needs_person)), file=sys.stderr)
    return code


def _token_failure_code(settings: Any, profile: str | None) -> int:
    """Tell "no such profile / no credential" (4) and "a person must act" (3) from other failures (1).

    Only runs after ``token_sync`` failed, so the hot path (a token that is not due) reads the files once.
    """
    from .providers.qcs.provider import QcsProvider

    entries = [status.to_json() for status in QcsProvider(settings).read()]
    if any(entry["name"] is None and entry["state"] == "error" for entry in entries):
        return EXIT_ATTENTION
    wanted = profile or next((entry["name"] for entry in entries if entry["default"] and entry["name"]), None)
    entry = next((entry for entry in entries if wanted is not None and entry["name"] == wanted), None)
    if entry is None:
        return EXIT_NONE
    return EXIT_ATTENTION if entry["state"] in ("needs_reinit", "error") else EXIT_FAILED


def cmd_token(args: argparse.Namespace) -> int:
    """Print a valid QCS access token (refreshing it first if due): an ``externally_managed`` command for the SDK."""
    from .core.sources import under_hub
    from .providers.qcs.provider import QcsProvider

    settings = _settings()
    try:
        try:
            token = QcsProvider(settings).token_sync(args.profile)
        except RefusedError:
            if not under_hub(settings):
                raise
            # The hub's login may own this credential (a confidential client only the hub can refresh): pull.
            from .core import sources

            bundle, _ = sources.from_hub(settings)
            _manager(("qcs",)).materialize(bundle, source="hub", reinit=True)
            token = QcsProvider(settings).token_sync(args.profile)
    except RefusedError as exc:
        return _fail("token", exc, EXIT_ATTENTION)
    except ProviderError as exc:  # unreachable, 5xx, garbage: trying again later may help
        return _fail("token", exc, EXIT_FAILED)
    except (FileFormatError, FieldError) as exc:
        return _fail("token", exc, EXIT_ATTENTION)
    except QCredError as exc:
        return _fail("token", exc, _token_failure_code(settings, args.profile))
    sys.stdout.write(token + "\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """JupyterLab (or a local JupyterHub) with the extension, against the loopback sandbox services."""
    from .demo.lab import demo_root, run_demo

    try:
        code = run_demo(hub=args.hub, port=args.port, open_browser=not args.no_browser)
    except RuntimeError as exc:  # the sandbox or the hub did not come up; the message says where to look
        return _fail("demo", f"could not start: {exc}", EXIT_FAILED)
    if code != 0:
        if args.hub:
            where = f"its log is {demo_root() / 'hub' / 'hub' / 'jupyterhub.log'}"
        else:
            where = "its messages are above (a port in use? try --port)"
        what = "JupyterHub" if args.hub else "JupyterLab"
        return _fail("demo", f"{what} exited with code {code}; {where}.", EXIT_FAILED)
    return EXIT_OK


# ----- the parser ------------------------------------------------------------------------------------------------


def _fill(text: str, width: int = HELP_WIDTH, indent: str = "") -> str:
    return "\n\n".join(
        textwrap.fill(part, width=width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)
        for part in text.split("\n\n")
    )


def _code_lines(codes: Iterable[tuple[int, str]], width: int = HELP_WIDTH, indent: str = "  ") -> str:
    """``  0    meaning`` lines, the meaning wrapped under itself."""
    return "\n".join(
        textwrap.fill(
            meaning,
            width=width,
            initial_indent=f"{indent}{code:<5}",
            subsequent_indent=" " * (len(indent) + 5),
            break_on_hyphens=False,
        )
        for code, meaning in codes
    )


def exit_code_rows() -> list[tuple[str, int, str]]:
    """(command, code, meaning) for every command, then the codes every command shares: the overall table."""
    rows = [(command, code, meaning) for command, codes in EXIT_CODES.items() for code, meaning in codes]
    return rows + [("every command", code, meaning) for code, meaning in COMMON_EXIT_CODES]


def exit_codes_text(width: int = HELP_WIDTH) -> str:
    """The overall table as plain text (``jupyter qcred --help`` and this module's docstring)."""
    blocks = []
    for command in (*EXIT_CODES, "every command"):
        codes = [(code, meaning) for name, code, meaning in exit_code_rows() if name == command]
        lines = _code_lines(codes, width=width, indent=" " * 16).splitlines()
        lines[0] = f"  {command:<14}" + lines[0][16:]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def command_epilog(command: str, width: int = HELP_WIDTH) -> str:
    """The exit codes of one command (its own and the shared ones, in order), as its ``--help`` ends."""
    common = [(code, meaning) for code, meaning in COMMON_EXIT_CODES if (command, code) != ("demo", EXIT_INTERRUPTED)]
    codes = sorted((*EXIT_CODES[command], *common))
    return "exit codes:\n" + _code_lines(codes, width=width)


def readme_section() -> str:
    """The README's "Command line" reference: commands and the exit-code table (the README holds this text)."""
    lines, previous = [], None
    for command, code, meaning in exit_code_rows():
        label = "" if command == previous else (f"`{command}`" if command in EXIT_CODES else command)
        lines.append(f"| {label} | {code} | {meaning} |")
        previous = command
    rows = "\n".join(lines)
    return (
        "```\n"
        "jupyter qcred status [--json]                 every credential's state (offline: reads the files)\n"
        "jupyter qcred refresh [ibm|qcs] [--name NAME] [--json]\n"
        "                                              refresh now, once for every process\n"
        "jupyter qcred init [--from auto|bundle|env|hub] [--reinit] [--check] [--quiet]\n"
        "                                              write what a source hands over into the SDKs' files\n"
        "jupyter qcred token qcs [--profile P]         print a valid access token (refreshing it first if due)\n"
        "jupyter qcred demo [--hub] [--port N] [--no-browser]\n"
        "```\n"
        "`jupyter qcred COMMAND --help` says what each command reads and writes. Exit codes:\n\n"
        "| command | exit | meaning |\n"
        "|---|---|---|\n"
        f"{rows}\n"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (its help texts and exit codes are also the README's CLI reference)."""
    width = max(40, min(HELP_WIDTH, shutil.get_terminal_size().columns - 2))
    parser = argparse.ArgumentParser(
        prog="jupyter qcred",
        description="Quantum-cloud credentials (IBM Quantum, Rigetti QCS) for Jupyter.",
        epilog="exit codes:\n" + exit_codes_text(width),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jupyter_qcred {__version__}")
    parser.add_argument("--debug", action="store_true", help="log what happens (never secrets) to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=_fill(DESCRIPTIONS[name], width),
            epilog=command_epilog(name, width),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    status = command("status", "show every credential's state")
    status.add_argument("--json", action="store_true", help="print the status JSON")
    status.set_defaults(run=cmd_status)

    refresh = command("refresh", "refresh access tokens now")
    refresh.add_argument("provider", nargs="?", choices=["ibm", "qcs"], help="only this provider")
    refresh.add_argument("--name", help="only this account or profile")
    refresh.add_argument("--json", action="store_true", help="print the status JSON")
    refresh.set_defaults(run=cmd_refresh)

    init = command("init", "write credentials from a source into the SDKs' files")
    init.add_argument(
        "--from",
        dest="source",
        choices=["auto", "bundle", "env", "hub"],
        default="auto",
        help="bundle: QCRED_BUNDLE / QCRED_BUNDLE_FILE; env: the SDKs' variables; hub: pull from JupyterHub; "
        "auto (default): the hub when running under one, else the bundle",
    )
    init.add_argument("--reinit", action="store_true", help="replace unparseable files (kept as timestamped backups)")
    init.add_argument(
        "--check",
        action="store_true",
        help="then check every credential with its provider (renewing expired access tokens), so a refused "
        "refresh token or API key exits 3; a provider that cannot be reached does not change the exit code",
    )
    init.add_argument("--quiet", action="store_true", help="do not print the status afterwards (problems go to stderr)")
    init.set_defaults(run=cmd_init)

    token = command("token", "print a valid access token (for QCS externally_managed)")
    token.add_argument("provider", choices=["qcs"], help="the provider (qcs)")
    token.add_argument("--profile", help="QCS profile (default: QCS_PROFILE_NAME or default_profile_name)")
    token.set_defaults(run=cmd_token)

    demo = command("demo", "JupyterLab with the extension against the loopback sandbox services")
    demo.add_argument("--hub", action="store_true", help="a local JupyterHub logging in through the sandbox's OIDC")
    demo.add_argument("--port", type=int, default=8888, help="port of JupyterLab or the hub (default 8888)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.set_defaults(run=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``jupyter-qcred`` (``jupyter qcred``)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="jupyter qcred: %(message)s", stream=sys.stderr
    )
    try:
        return int(args.run(args))
    except QCredError as exc:
        return _fail(args.command, exc, EXIT_FAILED)
    except OSError as exc:  # permissions, a full disk: say which file, never a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        message = f"{exc.strerror or type(exc).__name__}{where}; check that path and try again."
        return _fail(args.command, message, EXIT_FAILED)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
