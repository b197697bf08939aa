"""The exit guard for qcs-api-client-common 0.27: wait 0.2 s at interpreter exit so the SDK's thread never aborts it.

A short script that fetched a token with qcs-api-client-common 0.27 (``ClientConfiguration.load_default()
.get_bearer_access_token()``) sometimes dies at exit with SIGABRT (exit 134): with plain files and with the hand-off
alike, a few runs in forty on a loaded machine. The synchronous call returns before the tokio blocking thread that
produced the result has finished handing it to the SDK's helper asyncio loop (``pyo3_async_runtimes`` ``set_result``
→ ``loop.call_soon_threadsafe`` → ``socket.send``, which releases and re-takes the GIL). When the script ends at that
moment, CPython 3.13 and older terminate a thread that takes the GIL during finalization with ``pthread_exit``; in
a Rust thread that forced unwind cannot pass the Rust frames and glibc aborts the process (core dump: the tokio
thread in ``take_gil`` → ``PyThread_exit_thread``, the main thread in ``Py_FinalizeEx``). This is CPython's known
behaviour, gh-87135: from 3.14 such threads hang instead (python/cpython#105805; the 3.13 backport was not merged);
not checked here on 3.14.

``atexit`` callbacks run before the interpreter marks itself as finalizing, so one ``time.sleep(0.2)`` registered
at import lets the thread finish first. Measured on this 2-core machine (Python 3.11.7, 40 runs per case, three
rounds under different load): 0 aborts in 120 runs with the wait, 32/120 (plain files) and 42/120 (hand-off)
without it. It costs 0.2 s once, at the exit of a process that imported the SDK; kernels and other long-running
processes are not affected by the bug. Off like every adapter: ``JUPYTER_QCRED_SDK_ADAPTERS=off`` or
``=-qcs-api-client-common``.

pyquil 4.22 does not import this package, but its qcs-sdk-python 0.21.22 (pyo3-asyncio 0.20, its own tokio) shows
the same abort ("FATAL: exception not rethrown", SIGABRT) in short scripts whose token was still valid: 5/60 with
plain files, 10/60 through the pyquil adapter, 0/60 each with the wait. So :mod:`.pyquil_adapter` registers the
same wait (:func:`wait_at_exit`) when it adapts ``qcs_sdk``.
"""

from __future__ import annotations

import atexit
import time
from types import ModuleType

from ...core.adapters import SdkAdapter

ADAPTER = SdkAdapter(
    name="qcs-api-client-common",
    sdk="qcs-api-client-common 0.27",
    distribution="qcs-api-client-common",
    supported=("0.27.",),
    does=(
        "A process that imported it waits 0.2 s at exit, so the SDK's worker thread finishes before Python "
        "finalizes (without it a short script may abort with SIGABRT, CPython gh-87135)."
    ),
)

#: Seconds to wait at exit: measured enough (0/40 with 0.2 s and with 1 s).
GRACE = 0.2
_registered = False


def wait_at_exit() -> None:
    """Register ``time.sleep(GRACE)`` at exit, once per process whichever adapter asks."""
    global _registered
    if not _registered:
        atexit.register(time.sleep, GRACE)
        _registered = True


def adapt(module: ModuleType) -> str | None:
    """Register the wait at exit (nothing for a version it was not checked with)."""
    refusal = ADAPTER.refusal()
    if refusal is not None:
        return refusal
    wait_at_exit()
    return None
