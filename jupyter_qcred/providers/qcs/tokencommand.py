"""How an ``externally_managed`` table that runs jupyter_qcred's ``token qcs`` looks, in a module light enough for
every pyquil process (:mod:`.pyquil_adapter` recognizes our command without importing the hand-off's TOML model)."""

from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

#: The launcher SDK processes run (:mod:`.tokenlaunch`), by file name.
LAUNCHER_NAME = "tokenlaunch.py"
#: How earlier versions wrote the command: the console script (``[project.scripts]``), or ``python -m`` of the
#: console module; still recognized, and rewritten to the launcher by the next ``adopt``.
SCRIPT = "jupyter-qcred"
CONSOLE_MODULE = "jupyter_qcred.console"


def runs_token_command(command: str, args: Sequence[str]) -> bool:
    """Whether ``command`` + ``args`` run our ``token qcs``: as :func:`.handoff.token_command` writes it, or as
    earlier versions did (the ``jupyter-qcred`` console script, or ``python -m jupyter_qcred.console``)."""
    args = list(args)
    return any(args[i : i + 2] == ["token", "qcs"] for i in range(len(args))) and (
        Path(command).name == SCRIPT or CONSOLE_MODULE in args or any(Path(arg).name == LAUNCHER_NAME for arg in args)
    )
