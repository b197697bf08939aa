"""The ``jupyter-qcred`` console script: ``token qcs`` answers from the files without heavy imports when it can.

SDK processes run ``token qcs --profile=P`` (see :mod:`jupyter_qcred.providers.qcs.handoff`, and
:mod:`.providers.qcs.tokenlaunch` for how they start it) at their first request and after each expiry. When the
stored token is not due, :mod:`.providers.qcs.fasttoken` prints it; otherwise (and for every other command) the full
CLI runs, which refreshes under the lock exactly as ``jupyter qcred token qcs`` always did.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # (not typing's: the token command's fast path must not pay for collections.abc)
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``jupyter-qcred`` (and ``jupyter qcred``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["token", "qcs"]:
        from .providers.qcs.fasttoken import stored_token

        token = stored_token(args[2:], os.environ)
        if token is not None:
            sys.stdout.write(token + "\n")
            return 0
    if sys.flags.no_site:  # started by tokenlaunch.py without site-packages: the full command needs a whole Python
        # (-P: the working folder, a notebook's, is not put on the import path)
        os.execv(sys.executable, [sys.executable, "-P", "-m", "jupyter_qcred.console", *args])  # noqa: S606
    from .cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
