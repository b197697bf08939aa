"""``jupyter qcred``: status, init, refresh, token and demo from a terminal.

Every message says what happened and what to do; the exit codes scripts can trust are in ``jupyter qcred --help``,
each command's ``--help`` and the README, all made from :data:`jupyter_qcred.cli.help.EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from collections.abc import Sequence

from .._version import __version__
from ..core.errors import QCredError
from .commands import cmd_doctor, cmd_init, cmd_refresh, cmd_remove, cmd_status, cmd_token, fail
from .help import (
    COMMON_EXIT_CODES,
    DESCRIPTIONS,
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    HELP_WIDTH,
    command_epilog,
    exit_codes_text,
    fill,
    readme_section,
)

__all__ = [
    "COMMON_EXIT_CODES",
    "DESCRIPTIONS",
    "EXIT_CODES",
    "build_parser",
    "exit_codes_text",
    "main",
    "readme_section",
]


#: How the commands that take a provider name it (no fixed list: providers are plugins, and listing them would load
#: them all before ``token`` could answer).
PROVIDERS = "its key, as `jupyter qcred status --json` names it: ibm, qcs, ionq, braket, nexus or a plugin's"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (its help texts and exit codes are also the README's CLI reference)."""
    width = max(40, min(HELP_WIDTH, shutil.get_terminal_size().columns - 2))
    parser = argparse.ArgumentParser(
        prog="jupyter qcred",
        description="Quantum-cloud credentials (IBM Quantum, Rigetti QCS, IonQ, Amazon Braket, Quantinuum Nexus, "
        "Azure Quantum, IQM, qBraid, ...) for Jupyter.",
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
            description=fill(DESCRIPTIONS[name], width),
            epilog=command_epilog(name, width),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    status = command("status", "show every credential's state")
    status.add_argument("--json", action="store_true", help="print the status JSON")
    status.set_defaults(run=cmd_status)

    refresh = command("refresh", "refresh access tokens now")
    refresh.add_argument("provider", nargs="?", help=f"only this provider ({PROVIDERS})")
    refresh.add_argument("--name", help="only this credential (as `jupyter qcred status` names it)")
    refresh.add_argument("--json", action="store_true", help="print the status JSON")
    refresh.set_defaults(run=cmd_refresh)

    init = command("init", "write credentials from a source into the SDKs' files")
    init.add_argument(
        "--from",
        dest="source",
        choices=["auto", "bundle", "env", "hub"],
        default=None,
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
    init.add_argument(
        "--handoff",
        choices=["command", "files"],
        help="how QCS SDK processes get tokens, for every profile: command (default; they run jupyter-qcred token "
        "qcs, so only jupyter_qcred spends the refresh token) or files (plain token payloads: the way back before "
        "removing jupyter_qcred); without a source to write, only the files' layout changes",
    )
    init.set_defaults(run=cmd_init)

    token = command("token", "print a valid access token (for QCS externally_managed)")
    token.add_argument("provider", help="the provider whose SDK runs a command for its token (qcs)")
    token.add_argument("--profile", help="QCS profile (default: QCS_PROFILE_NAME or default_profile_name)")
    token.set_defaults(run=cmd_token)

    remove = command("remove", "remove a credential (an IBM Quantum account, a QCS profile, the IonQ key, ...)")
    remove.add_argument("provider", help=f"the provider ({PROVIDERS})")
    remove.add_argument("name", help="the account, profile or key to remove (`jupyter qcred status` names them)")
    remove.add_argument("--yes", action="store_true", help="remove without asking")
    remove.set_defaults(run=cmd_remove)

    doctor = command("doctor", "which credential each installed SDK will use in a folder, and why")
    doctor.add_argument(
        "path", nargs="?", metavar="PATH", help="the folder a notebook or script runs in (default: here)"
    )
    doctor.add_argument("--json", action="store_true", help="print the doctor's answer as JSON")
    doctor.set_defaults(run=cmd_doctor)

    from ..demo.command import add_arguments, run

    demo = command("demo", "JupyterLab with the extension against the loopback sandbox services")
    add_arguments(demo)  # the demo owns its options (jupyter_qcred/demo/command.py)
    demo.set_defaults(run=run)

    from .scan import cmd_scan

    scan = command("scan", "find credential values in notebooks and files (before a commit or a share)")
    scan.add_argument("paths", nargs="*", metavar="PATH", help="files and folders to read (default: .)")
    scan.add_argument("--json", action="store_true", help="print the findings as JSON")
    scan.add_argument("--verbose", action="store_true", help="also list what was not read, and why")
    scan.add_argument("--no-git", action="store_true", help="walk folders instead of asking git what it would commit")
    scan.set_defaults(run=cmd_scan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``jupyter-qcred`` (``jupyter qcred``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    provider = getattr(args, "provider", None)
    if provider is not None:
        from ..core import registry

        known = registry.registered_names()
        if provider not in known:  # a usage error (exit 2), as argparse's own choices would say
            parser.error(f"argument provider: invalid choice: {provider!r} (choose from {', '.join(known)})")
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="jupyter qcred: %(message)s", stream=sys.stderr
    )
    try:
        return int(args.run(args))
    except QCredError as exc:
        return fail(args.command, exc, EXIT_FAILED)
    except OSError as exc:  # permissions, a full disk: say which file, never a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        message = f"{exc.strerror or type(exc).__name__}{where}; check that path and try again."
        return fail(args.command, message, EXIT_FAILED)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
