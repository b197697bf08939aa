"""``jupyter qcred demo``: its arguments and what each does (the CLI module registers them; the demo owns them).

``demo`` starts a demo; ``--env`` and ``--credentials`` ask the one that runs (either kind, unless ``--hub`` says
which) for its shell lines or for keys to paste; ``--scenario`` switches on a situation the demo does not start in;
each start is clean unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..sandbox.scenarios import SCENARIOS


def add_arguments(demo: argparse.ArgumentParser) -> None:
    """The ``demo`` subcommand's options."""
    demo.add_argument("--hub", action="store_true", help="a local JupyterHub logging in through the sandbox's OIDC")
    demo.add_argument("--port", type=int, default=8888, help="port of JupyterLab or the hub (default 8888)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.add_argument(
        "--scenario",
        action="append",
        default=[],
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help="start with a scenario switched on (repeatable; the demo starts all green without one): "
        + "; ".join(f"{name}: {text}" for name, text in SCENARIOS.items()),
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="keep the last run's demo home and hub state (default: each start is fresh, since the new sandbox "
        "refuses the credentials the last one issued)",
    )
    demo.add_argument(
        "--env",
        action="store_true",
        help="print the export lines that let another shell use the running demo's credentials, for eval (the lab "
        "demo's, else the hub demo's; with --hub the hub demo's), for --user on a hub",
    )
    demo.add_argument(
        "--credentials",
        action="store_true",
        help="print another sandbox user's keys (bob's unless --user), to paste in the running demo's Add… dialog",
    )
    demo.add_argument(
        "--user",
        default=None,
        help="with --env on a hub demo: whose home (default alice); with --credentials: whose keys (default bob)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``demo`` subcommand; its exit code (``jupyter qcred demo --help`` lists them)."""
    from ..cli.commands import fail
    from ..cli.help import EXIT_FAILED, EXIT_OK, EXIT_USAGE
    from ..core.errors import QCredError

    hub = True if args.hub else None
    if args.env or args.credentials:
        if args.env and args.credentials:
            return fail("demo", "--env and --credentials print different things: ask for one at a time.", EXIT_USAGE)
        try:
            text = _env(hub, args.user) if args.env else _credentials(hub, args.user)
        except QCredError as exc:
            return fail("demo", exc, EXIT_FAILED)
        return _print(text)
    from . import run_demo
    from .world import demo_root

    try:
        code = run_demo(
            hub=args.hub,
            port=args.port,
            open_browser=not args.no_browser,
            scenarios=tuple(args.scenario),
            keep=args.keep,
        )
    except QCredError as exc:  # another demo runs from the same folder
        return fail("demo", exc, EXIT_FAILED)
    except RuntimeError as exc:  # the sandbox, npm or the hub did not come up; the message says where to look
        return fail("demo", f"could not start: {exc}", EXIT_FAILED)
    if code != 0:
        if args.hub:
            where = f"its log is {demo_root() / 'hub' / 'hub' / 'jupyterhub.log'}"
        else:
            where = "its messages are above (a port in use? try --port)"
        what = "JupyterHub" if args.hub else "JupyterLab"
        return fail("demo", f"{what} exited with code {code}; {where}.", EXIT_FAILED)
    return EXIT_OK


def _env(hub: bool | None, user: str | None) -> str:
    from .world import demo_env_lines

    return "\n".join(demo_env_lines(hub=hub, user=user or "alice"))


def _credentials(hub: bool | None, user: str | None) -> str:
    from .credentials import OTHER_USER, format_values, paste_values

    who = user or OTHER_USER
    return format_values(paste_values(hub=hub, user=who), who)


def _print(text: str) -> int:
    """Print ``text``; a reader that stops early (``| head``) is no error: no "Broken pipe" after it."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit: point stdout at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
