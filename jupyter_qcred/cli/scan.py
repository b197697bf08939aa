"""``jupyter qcred scan [PATH...]``: credential values in notebooks and text files, before a commit or a share.

The scanning is :mod:`jupyter_qcred.core.scan`; this module builds its matchers from the registered providers (the
values their SDK files hold now, the rotated values remembered as hashes, their public token formats), prints one
line per finding and sets the exit code. Its description and exit codes live here with the command (``help.py``
holds those of the other commands).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .help import COMMON_EXIT_CODES, EXIT_FAILED, EXIT_OK, _code_lines, fill

DESCRIPTION = (
    "Look for credential values in notebooks and text files under each PATH (default: the current folder): the "
    "values the SDK files hold now (~/.qiskit, ~/.qcs, ~/.env, ~/.aws, qnexus's files), values rotated away in the "
    "last 90 days (remembered as hashes only), and tokens of the clouds' public formats (IBM Cloud API keys, QCS "
    "and Nexus JWTs by their issuer, IonQ keys where they are assigned). Notebooks are read per cell, source and "
    "outputs, and each finding is reported as file:cell N:line L (file:cell N:output M:line L in an output) or "
    "file:line L, with the kind, the provider and at most the last four characters, never the value. In a git "
    "work tree it reads what git would commit (tracked files and untracked ones not ignored); elsewhere it skips "
    "tools' caches, node_modules and virtual environments. Files over 5 MB and binary files are skipped "
    "(--verbose lists them). Offline; writes nothing. For pre-commit: docs/leak-guard.md."
)
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "no credential value was found"),
    (EXIT_FAILED, "a credential value was found (each one is a line on stdout: where, what kind, whose)"),
    (2, "wrong usage: an unknown option, or a PATH that does not exist"),
)


def add_command(commands: Any, width: int) -> argparse.ArgumentParser:
    """Register ``scan`` with the ``jupyter qcred`` parser."""
    codes = sorted((*EXIT_CODES, *[(c, m) for c, m in COMMON_EXIT_CODES if c != 2]))
    scan = commands.add_parser(
        "scan",
        help="find credential values in notebooks and files (before a commit or a share)",
        description=fill(DESCRIPTION, width),
        epilog="exit codes:\n" + _code_lines(codes, width=width),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("paths", nargs="*", metavar="PATH", help="files and folders to read (default: .)")
    scan.add_argument("--json", action="store_true", help="print the findings as JSON")
    scan.add_argument("--verbose", action="store_true", help="also list what was not read, and why")
    scan.add_argument("--no-git", action="store_true", help="walk folders instead of asking git what it would commit")
    scan.set_defaults(run=cmd_scan)
    return scan


def cmd_scan(args: argparse.Namespace) -> int:
    from ..core import registry
    from ..core.rotated import RotatedValues
    from ..core.scan import Scanner, scan
    from ..core.secrets import SecretIndex
    from ..core.settings import Settings

    paths = list(args.paths) or ["."]
    missing = [path for path in paths if not os.path.lexists(path)]
    if missing:
        print(f"jupyter qcred scan: {missing[0]}: no such file or folder", file=sys.stderr)
        return 2
    providers = registry.create_providers(Settings.from_environment())
    formats = [fmt for provider in providers.values() for fmt in provider.token_formats()]
    scanner = Scanner(SecretIndex(providers.values()), RotatedValues.default(), formats, registry.title)
    result = scan(paths, scanner, use_git=not args.no_git)
    if args.json:
        print(json.dumps(result.to_json(), indent=1, ensure_ascii=False))
    else:
        for finding in result.findings:
            print(finding.sentence())
    if args.verbose:
        for path, reason in result.skipped:
            print(f"jupyter qcred scan: not read: {path}: {reason}", file=sys.stderr)
    else:
        for path, reason in result.skipped:
            if reason.startswith("could not be read"):
                print(f"jupyter qcred scan: not read: {path}: {reason}", file=sys.stderr)
    rate = result.files / result.seconds if result.seconds > 0 else float(result.files)
    summary = f"{result.files} files ({result.bytes / 1e6:.1f} MB) in {result.seconds:.2f} s, {rate:.0f} files/s"
    if result.findings:
        files = len({finding.path for finding in result.findings})
        count = len(result.findings)
        print(
            f"jupyter qcred scan: {count} credential value{'s' if count != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''} ({summary}). Take each out (in code: "
            "jupyter_qcred.credential(PROVIDER, NAME, kind=...) reads it from the SDK's files), and revoke one that "
            "was shared or committed.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.verbose:
        print(f"jupyter qcred scan: no credential value found; read {summary}", file=sys.stderr)
    return EXIT_OK
