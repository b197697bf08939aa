"""Starting a kernel waits for the start-up's credential files, since its SDKs read them at once.

The extension writes the spawn bundle in a worker thread once the server runs (so start-up costs what it costs
without us); a kernel restored by a workspace in the first instants must not read the files before they are
written, so its start is held until then (usually a few milliseconds; at most the lock timeout). If the start-up
failed, it starts anyway: the status says what went wrong. Terminals are not held: Jupyter creates them
synchronously on the event loop, which waiting would stall for every request, and a person types slower than the
start-up writes.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future
from typing import Any

from jupyter_core.utils import ensure_async


def gate_kernels(serverapp: Any, credentials: Future[Any], timeout: float) -> None:
    """Make ``serverapp``'s kernel starts wait for ``credentials`` (once per kernel manager)."""
    kernels = getattr(serverapp, "kernel_manager", None)
    if kernels is None or getattr(kernels, "_qcred_gated", False):
        return
    start_kernel = kernels.start_kernel

    async def start_kernel_when_ready(*args: Any, **kwargs: Any) -> Any:
        if not credentials.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(credentials)), timeout)
        return await ensure_async(start_kernel(*args, **kwargs))

    kernels.start_kernel = start_kernel_when_ready
    kernels._qcred_gated = True
