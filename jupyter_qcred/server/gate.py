"""Starting a kernel or a terminal waits for the start-up's credential files, since their SDKs read them at once.

The extension writes the spawn bundle in a worker thread once the server runs (so start-up costs what it costs
without us); a kernel restored by a workspace in the first instants, or a terminal, must not read the files before
they are written. Both are held until then (usually a few milliseconds; at most the lock timeout). If the start-up
failed, they start anyway: the status says what went wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future
from typing import Any

from jupyter_core.utils import ensure_async


def gate_kernels_and_terminals(serverapp: Any, credentials: Future[Any], timeout: float) -> None:
    """Make ``serverapp``'s kernel starts and terminal creations wait for ``credentials`` (once per manager)."""
    kernels = getattr(serverapp, "kernel_manager", None)
    if kernels is not None and not getattr(kernels, "_qcred_gated", False):
        start_kernel = kernels.start_kernel

        async def start_kernel_when_ready(*args: Any, **kwargs: Any) -> Any:
            if not credentials.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(credentials)), timeout)
            return await ensure_async(start_kernel(*args, **kwargs))

        kernels.start_kernel = start_kernel_when_ready
        kernels._qcred_gated = True
    settings = getattr(getattr(serverapp, "web_app", None), "settings", {}) or {}
    terminals = settings.get("terminal_manager")
    if terminals is not None and not getattr(terminals, "_qcred_gated", False):
        create = terminals.create

        def create_when_ready(*args: Any, **kwargs: Any) -> Any:
            # The terminal API creates synchronously on the event loop; the writing thread needs no loop.
            with contextlib.suppress(Exception):
                credentials.result(timeout=timeout)
            return create(*args, **kwargs)

        terminals.create = create_when_ready
        terminals._qcred_gated = True
