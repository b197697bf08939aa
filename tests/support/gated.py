"""N processes that start a call at the same instant: the refresh-once tests of every provider.

Each process runs ``python -c PRELUDE + call``: it builds its provider, says it is ready, waits for one gate file,
then prints what ``call`` returns. The gate opens once all are ready, so their calls really race.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path

PRELUDE = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from jupyter_qcred.core.settings import Settings
    from jupyter_qcred.providers import create_providers

    provider = create_providers(Settings.from_environment(), (sys.argv[2],))[sys.argv[2]]
    gate = Path(sys.argv[1])
    (gate.parent / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not gate.exists():          # start together: every process waits for the same gate
        if time.monotonic() > deadline:
            sys.exit("the gate never opened")
        time.sleep(0.005)
    """
)


def race(folder: Path, provider: str, call: str, env: Mapping[str, str], count: int) -> list[tuple[str, str]]:
    """Run ``print(<call>)`` in ``count`` processes at once (``provider`` bound to the provider ``provider``);
    returns what each printed (stripped) and its stderr. Fails with their errors if any failed."""
    gates = folder / "gates"
    gates.mkdir()
    gate = gates / "go"
    script = PRELUDE + f"print({call})\n"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(gate), provider],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(gates.glob("ready-*"))) < count:
            assert time.monotonic() < deadline, "the processes did not all start"
            assert all(p.poll() is None for p in processes), "a process died before the gate"
            time.sleep(0.01)
        gate.touch()
        outputs = [p.communicate(timeout=120) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    assert all(p.returncode == 0 for p in processes), [err[-500:] for _out, err in outputs if err]
    return [(out.strip(), err) for out, err in outputs]
