"""How much ``%load_ext jupyter_qcred`` costs a kernel, next to importing an SDK: ``python bench/bench_import.py``.

Each measurement runs in a fresh Python process (nothing cached in ``sys.modules``), timing only the statement
itself with ``perf_counter``: for the extension, an IPython shell is created first (a kernel already has one) and
then ``%load_ext jupyter_qcred`` is timed; for the SDK, ``import qiskit_ibm_runtime``. Both are measured side by
side, alternating, in one run, and the medians are printed with their ratio. The goal is under 100 ms for the
extension. The script also lists any heavy module the extension pulled in (there should be none).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_MS = 100.0
HEAVY = ("httpx", "ipywidgets", "websocket", "qiskit", "qiskit_ibm_runtime", "qcs_api_client_common", "tomlkit")

LOAD_EXT = f"""
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
start = time.perf_counter()
shell.run_line_magic("load_ext", "jupyter_qcred")
elapsed = time.perf_counter() - start
new = set(sys.modules) - before
heavy = sorted(m for m in new if m.split(".")[0] in {HEAVY!r} or m.startswith("jupyter_qcred.providers"))
print(json.dumps({{"seconds": elapsed, "modules": len(new), "heavy": heavy}}))
"""

IMPORT_SDK = """
import json, sys, time
before = set(sys.modules)
start = time.perf_counter()
import qiskit_ibm_runtime
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "modules": len(set(sys.modules) - before), "heavy": []}))
"""

CASES = {"%load_ext jupyter_qcred": LOAD_EXT, "import qiskit_ibm_runtime": IMPORT_SDK}


def measure(code: str) -> dict[str, object]:
    """One fresh interpreter running ``code``; its JSON line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--repeat", type=int, default=7, help="fresh processes per case (default 7)")
    args = parser.parse_args()

    samples: dict[str, list[float]] = {name: [] for name in CASES}
    details: dict[str, dict[str, object]] = {}
    for _ in range(args.repeat):  # alternate, so drifting machine load hits both cases alike
        for name, code in CASES.items():
            result = measure(code)
            samples[name].append(float(result["seconds"]) * 1000)  # type: ignore[arg-type]
            details[name] = result

    medians = {name: statistics.median(values) for name, values in samples.items()}
    width = max(len(name) for name in CASES)
    print(f"{'statement':<{width}}  {'median ms':>9}  {'min ms':>7}  {'max ms':>7}  {'new modules':>11}")
    for name, values in samples.items():
        print(
            f"{name:<{width}}  {medians[name]:>9.1f}  {min(values):>7.1f}  {max(values):>7.1f}"
            f"  {details[name]['modules']:>11}"
        )
    ours, sdk = medians["%load_ext jupyter_qcred"], medians["import qiskit_ibm_runtime"]
    print(
        f"ratio: %load_ext jupyter_qcred takes {ours / sdk:.4f} of import qiskit_ibm_runtime ({sdk / ours:.0f}x less)"
    )
    heavy = details["%load_ext jupyter_qcred"]["heavy"]
    print(f"heavy modules imported by %load_ext: {', '.join(heavy) if heavy else 'none'}")  # type: ignore[arg-type]
    verdict = "met" if ours < GOAL_MS and not heavy else "MISSED"
    print(f"goal (< {GOAL_MS:.0f} ms, nothing heavy): {verdict}; {args.repeat} fresh processes per statement")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
