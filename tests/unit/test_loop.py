"""The manager's background loop (``core/loop.py``): starting and stopping it."""

from __future__ import annotations

import asyncio

from jupyter_qcred.core.manager import CredentialManager


async def test_stop_ends_the_loop_even_when_a_wake_up_arrives_with_the_cancel() -> None:
    """A refresh that finishes as the server stops wakes the loop in the same instant as the stop's cancel.

    Python 3.11's ``asyncio.wait_for`` swallows a cancel that arrives while the awaited event completes; the loop
    then ran on and the server's shutdown waited for it forever (the CI's teardown time-out)."""
    for _ in range(20):
        manager = CredentialManager({}, watch_interval=30, first_check_delay=0)
        manager.start()
        for _ in range(5):  # let the loop reach its wait
            await asyncio.sleep(0)
        manager._wake.set()
        await asyncio.wait_for(manager.stop(), timeout=10)
