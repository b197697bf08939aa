"""The ``jupyter-qcred`` console script: ``token qcs`` answers from the files without heavy imports when it can.

SDK processes run ``jupyter-qcred token qcs --profile P`` (see :mod:`jupyter_qcred.providers.qcs.handoff`) at
their first request and after each expiry. When the stored token is not due, :mod:`.providers.qcs.fasttoken`
prints it; otherwise (and for every other command) the full CLI runs, which refreshes under the lock exactly as
``jupyter qcred token qcs`` always did.
"""

from __future__ import annotations

import os
import sys
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
    from .cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
