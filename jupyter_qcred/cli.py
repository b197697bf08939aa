"""``jupyter qcred``: status, init, refresh, token and demo from a terminal.

Exit codes scripts can trust:
  0  done, and every credential is usable (ok, expiring, refreshing)
  1  the command failed (bad input, unreadable bundle, provider unreachable); the message says why
  2  wrong usage (unknown command or option)
  3  done, but a credential needs attention (expired, error, needs_reinit); ``token``: the credential was refused
  4  there is no credential (``status``), or no such profile (``token``)
Only ``token`` ever prints a secret, and only on its own stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from ._version import __version__
from .errors import QCredError, RefusedError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ATTENTION, EXIT_NONE = 0, 1, 2, 3, 4
ATTENTION_STATES = {"expired", "error", "needs_reinit"}


def _settings() -> Any:
    from .settings import Settings

    return Settings.from_environment()


def _manager(provider_keys: Sequence[str] | None = None) -> Any:
    from .manager import CredentialManager
    from .providers import PROVIDER_KEYS, create_providers

    return CredentialManager(create_providers(_settings(), tuple(provider_keys or PROVIDER_KEYS)))


def _exit_code(snapshot: dict[str, Any]) -> int:
    states = {entry["state"] for entry in snapshot["providers"]}
    if states & ATTENTION_STATES:
        return EXIT_ATTENTION
    if states <= {"absent"}:
        return EXIT_NONE
    return EXIT_OK


def _show(snapshot: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(snapshot, indent=2))
    else:
        from .report import format_status

        print(format_status(snapshot))


def cmd_status(args: argparse.Namespace) -> int:
    """Show every credential's state (offline: reads the files only)."""
    snapshot = _manager().snapshot()
    _show(snapshot, args.json)
    return _exit_code(snapshot)


def cmd_refresh(args: argparse.Namespace) -> int:
    """Refresh now (once for every process) and show the result."""
    manager = _manager()
    snapshot = asyncio.run(manager.refresh(args.provider, args.name, force=True))
    _show(snapshot, args.json)
    return _exit_code(snapshot)


def cmd_init(args: argparse.Namespace) -> int:
    """Write credentials from a source (the spawn bundle, the environment, the hub) into the SDKs' files."""
    from . import sources

    bundle, origin = sources.load(args.source, _settings())
    manager = _manager()
    written = manager.materialize(bundle, source=args.source, reinit=args.reinit)
    print(f"Wrote {len(written)} credential(s) from {origin}: {', '.join(written) or 'none'}.")
    snapshot = manager.snapshot()
    if not args.quiet:
        _show(snapshot, False)
    return _exit_code(snapshot)


def cmd_token(args: argparse.Namespace) -> int:
    """Print a valid QCS access token (refreshing it first if due): an ``externally_managed`` command for the SDK."""
    from .providers.qcs import QcsProvider
    from .sources import under_hub

    settings = _settings()
    provider = QcsProvider(settings)
    try:
        token = provider.token_sync(args.profile)
    except RefusedError as exc:
        if not under_hub(settings):
            print(exc, file=sys.stderr)
            return EXIT_ATTENTION
        # The hub's login may own this credential (a confidential client only the hub can refresh): pull.
        from . import sources

        bundle, _ = sources.from_hub(settings)
        _manager(("qcs",)).materialize(bundle, source="hub", reinit=True)
        try:
            token = QcsProvider(settings).token_sync(args.profile)
        except RefusedError as again:
            print(again, file=sys.stderr)
            return EXIT_ATTENTION
    sys.stdout.write(token + "\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """JupyterLab (or a local JupyterHub) with the extension, against the loopback sandbox services."""
    from .demo import run_demo

    return run_demo(hub=args.hub, port=args.port, open_browser=not args.no_browser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to generate the README's CLI reference)."""
    parser = argparse.ArgumentParser(
        prog="jupyter qcred",
        description="Quantum-cloud credentials (IBM Quantum, Rigetti QCS) for Jupyter.",
        epilog=__doc__.split("\n", 2)[2] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jupyter_qcred {__version__}")
    parser.add_argument("--debug", action="store_true", help="log what happens (never secrets) to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = commands.add_parser("status", help="show every credential's state")
    status.add_argument("--json", action="store_true", help="print the status JSON")
    status.set_defaults(run=cmd_status)

    refresh = commands.add_parser("refresh", help="refresh access tokens now")
    refresh.add_argument("provider", nargs="?", choices=["ibm", "qcs"], help="only this provider")
    refresh.add_argument("--name", help="only this account or profile")
    refresh.add_argument("--json", action="store_true", help="print the status JSON")
    refresh.set_defaults(run=cmd_refresh)

    init = commands.add_parser("init", help="write credentials from a source into the SDKs' files")
    init.add_argument(
        "--from",
        dest="source",
        choices=["auto", "bundle", "env", "hub"],
        default="auto",
        help="bundle: QCRED_BUNDLE / QCRED_BUNDLE_FILE; env: the SDKs' variables; hub: pull from JupyterHub; "
        "auto (default): the hub when running under one, else the bundle",
    )
    init.add_argument("--reinit", action="store_true", help="replace unparseable files (kept as timestamped backups)")
    init.add_argument("--quiet", action="store_true", help="do not print the status afterwards")
    init.set_defaults(run=cmd_init)

    token = commands.add_parser("token", help="print a valid access token (for QCS externally_managed)")
    token.add_argument("provider", choices=["qcs"], help="the provider (qcs)")
    token.add_argument("--profile", help="QCS profile (default: QCS_PROFILE_NAME or default_profile_name)")
    token.set_defaults(run=cmd_token)

    demo = commands.add_parser("demo", help="JupyterLab with the extension against the loopback sandbox services")
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
        print(f"jupyter qcred {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
