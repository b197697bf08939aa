"""Row "output": what the kernel output filter (``notebook/outputguard.py``) costs a cell that prints 10 MB.

Two real kernels (ipykernel through jupyter_client) in one private HOME holding a credential of each of the five
clouds (written by the providers' own writers): one with the filter (installed by the ``.pth`` hook, as in every
kernel), one with ``JUPYTER_QCRED_OUTPUT_GUARD=off``. Each sample runs one cell and times it from the execute
request until the kernel is idle again and every output message has arrived; the two kernels alternate (ours,
baseline, baseline, ours, ...). Two cells: ``print("x" * 10_000_000)`` (one 10 MB line) and 10 MB of numbered lines.

Two more rows measure the filter's own work in this process: ``SecretIndex.current()`` plus ``redact`` on each cell's
10 MB message (holding no value: the cost every such message pays), next to ``json.dumps`` of the same content
(what ipykernel's session does with every message anyway).

``python bench/bench_outputguard.py [--repeats N]`` prints the rows alone.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import Row, Samples, pair_ratios

CELLS = {
    "one 10 MB line": 'print("x" * 10_000_000)',  # the names are those of TEXTS below
    "10 MB of lines": 'print("".join(f"line {i:>10} of the output\\n" for i in range(400_000)))',
}
#: The filter may not slow such a cell by more than this (the issue: "must not slow a cell that prints 10 MB").
GOAL = 1.10


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


def credentials_home(root: Path) -> Path:
    """A private HOME with one credential of each cloud, written by jupyter_qcred's own writers."""
    from jupyter_qcred.core.bundle import parse_bundle
    from jupyter_qcred.core.settings import Settings
    from jupyter_qcred.providers import create_providers

    home = root / "home"
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = int(time.time())
    bundle = parse_bundle(
        {
            "version": 1,
            "ibm": [
                {
                    "name": "bench",
                    "channel": "ibm_quantum_platform",
                    "token": "Bench0Key1Bench2Key3Bench4" + "Key5Bench6Key7Bx9z",  # in two: no key in this file
                    "instance": "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123:0000-1111::",
                }
            ],
            "qcs": [
                {
                    "profile": "default",
                    "access_token": _jwt({"iss": "https://auth.qcs.rigetti.com/oauth2/x", "exp": now + 86400}),
                    "refresh_token": "bench-qcs-refresh-token-0123456789",
                }
            ],
            "ionq": [{"key": "bench-ionq-key-0123456789abcdef"}],
            "nexus": [
                {
                    "refresh_token": "bench-nexus-refresh-0123456789",
                    "access_token": _jwt({"iss": "https://nexus.quantinuum.com", "exp": now + 86400}),
                    "url": "https://nexus.quantinuum.com",
                }
            ],
        }
    )
    providers = create_providers(Settings.from_environment({"HOME": str(home)}))
    for key, specs in bundle.sections().items():
        if specs:
            providers[key].materialize(specs, source="bundle")
    return home


class Kernel:
    """One ipykernel kernel and a blocking client."""

    def __init__(self, home: Path, guard: bool) -> None:
        from jupyter_client.manager import start_new_kernel

        env = {**os.environ, "HOME": str(home), "JUPYTER_QCRED_OUTPUT_GUARD": "on" if guard else "off"}
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env, startup_timeout=60)

    def run(self, code: str, timeout: float = 120.0) -> tuple[float, int]:
        """Seconds from the request to idle with every output in, and the characters of output received."""
        started = time.perf_counter()
        msg_id = self.client.execute(code)
        received = 0
        deadline = time.monotonic() + timeout
        while True:
            message = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                received += len(message["content"]["text"])
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
        elapsed = time.perf_counter() - started
        self.client.get_shell_msg(timeout=timeout)
        return elapsed, received

    def guarded(self) -> str:
        code = "from jupyter_qcred.core import importhook; print(importhook.report().get('outputguard'))"
        msg_id = self.client.execute(code)
        text = ""
        while True:
            message = self.client.get_iopub_msg(timeout=60)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                text += message["content"]["text"]
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return text.strip()

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def kernel_rows(home: Path, repeats: int) -> list[Row]:
    ours, baseline = Kernel(home, guard=True), Kernel(home, guard=False)
    rows = []
    try:
        states = {"on": ours.guarded(), "off": baseline.guarded()}
        for name, code in CELLS.items():
            samples = {True: Samples(unit="s"), False: Samples(unit="s")}
            sizes = set()
            for kernel in (ours, baseline):  # warm-up: the first large message of a kernel grows its buffers
                kernel.run(code)
            for index in range(repeats):
                for guard in (True, False) if index % 2 == 0 else (False, True):
                    seconds, size = (ours if guard else baseline).run(code)
                    samples[guard].values.append(seconds)
                    sizes.add(size)
            row = Row(
                key="output",
                label=f"Kernel output filter: a cell printing {name} (execute → idle, all output received)",
                ours=samples[True],
                baseline=samples[False],
                ours_name="filter on",
                baseline_name="`JUPYTER_QCRED_OUTPUT_GUARD=off`",
                digits=3,
                goal=f"ratio ≤ {GOAL:.2f}",
                pair_ratios=pair_ratios(samples[True].values, samples[False].values),
                threshold=GOAL,
            )
            row.met = row.ratio <= GOAL
            row.notes.append(
                f"{repeats} runs each, alternating, after one warm-up run each; {sorted(sizes)} characters received "
                f"per run; the filter reported {states['on']!r} in one kernel and {states['off']!r} in the other."
            )
            rows.append(row)
    finally:
        ours.stop()
        baseline.stop()
    return rows


#: The texts of the two cells, as the messages carry them.
TEXTS = {
    "one 10 MB line": "x" * 10_000_000 + "\n",
    "10 MB of lines": "".join(f"line {i:>10} of the output\n" for i in range(400_000)) + "\n",
}


def micro_rows(home: Path, repeats: int) -> list[Row]:
    """``current()`` + ``redact`` on each cell's 10 MB message next to ``json.dumps`` of the same content."""
    from jupyter_qcred.core.secrets import SecretIndex
    from jupyter_qcred.core.settings import Settings
    from jupyter_qcred.providers import create_providers

    index = SecretIndex(create_providers(Settings.from_environment({"HOME": str(home)})).values())
    values = len(index.current())
    time.sleep(2.1)  # past the "racily clean" window: the steady state of a kernel
    index.current()
    started = time.perf_counter()
    for _ in range(1000):
        index.current()
    per_call = (time.perf_counter() - started) * 1000  # µs per call over 1000 calls
    rows = []
    for name, text in TEXTS.items():
        content = {"name": "stdout", "text": text}
        samples = {True: Samples(unit="ms"), False: Samples(unit="ms")}
        for index_ in range(repeats * 3):
            for ours in (True, False) if index_ % 2 == 0 else (False, True):
                started = time.perf_counter()
                if ours:
                    index.current()
                    index.redact(content["text"], refresh=False)
                else:
                    json.dumps(content)
                samples[ours].values.append((time.perf_counter() - started) * 1000)
        row = Row(
            key="output",
            label=f"… the filter's own work on the message of {name}: `SecretIndex.current()` + `redact`",
            ours=samples[True],
            baseline=samples[False],
            ours_name="`current()` + `redact()`",
            baseline_name="`json.dumps` of the content (what the session does anyway)",
            digits=1,
            goal="informative",
            pair_ratios=pair_ratios(samples[True].values, samples[False].values),
        )
        row.notes.append(
            f"{repeats * 3} runs each, alternating; {values} credential values ({len(index._forms)} forms with their "
            f"encodings) of 5 providers; `current()` alone with no file changed: {per_call:.0f} µs per call (1000 "
            f"calls); {len(text):,} characters holding no value."
        )
        rows.append(row)
    return rows


def run(repeats: int) -> list[Row]:
    """The kernel rows and the micro row, in a temporary HOME removed afterwards."""
    import shutil

    root = Path(tempfile.mkdtemp(prefix="qcred-bench-output-"))
    try:
        home = credentials_home(root)
        return [*kernel_rows(home, repeats), *micro_rows(home, repeats)]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    for row in run(args.repeats):
        print(f"{row.label}\n  ours {row.ours.summary(row.digits)}  baseline {row.baseline.summary(row.digits)}")
        print(f"  ratio {row.ratio_text()}  {row.verdict()}")
        for note in row.notes:
            print(f"  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
