"""``jupyter qcred scan [PATH...]``: credential values in notebooks and text files, before a commit or a share.

The scanning is :mod:`jupyter_qcred.core.scan`; this module builds its matchers from the registered providers (the
values their SDK files hold now, the rotated values remembered as hashes, their public token formats), prints one
line per finding and sets the exit code. Its description and exit codes are in :mod:`.help` with every command's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .help import EXIT_FAILED, EXIT_OK


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
    read = f"{result.files} file{'' if result.files == 1 else 's'}"
    summary = f"read {read} ({result.bytes / 1e6:.1f} MB) in {result.seconds:.2f} s, {rate:.0f} files/s"
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
        print(f"jupyter qcred scan: no credential value found; {summary}", file=sys.stderr)
    return EXIT_OK
