"""`wait_for_event` never loses a cancellation (issue #13's last hang: `ctrl+q` waited
for ever on an engine loop whose cancellation `asyncio.wait_for` had swallowed)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import pytest

from leadsync_tui.event_wait import wait_for_event

Wait = Callable[[asyncio.Event], Awaitable[object]]


async def _stopped_the_engine_way(wait: Wait) -> asyncio.Task[None]:
    """A loop like the engine's, stopped as the engine stops it: the event it waits on
    is set, then the task is cancelled, in the same turn."""
    event = asyncio.Event()

    async def loop() -> None:
        while True:
            await wait(event)
            event.clear()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)  # the loop is waiting
    event.set()
    task.cancel()
    await asyncio.sleep(0.05)
    return task


async def test_a_cancel_in_the_same_turn_as_the_event_ends_the_loop() -> None:
    task = await _stopped_the_engine_way(lambda event: wait_for_event(event, 10))
    assert task.cancelled()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="fixed in Python 3.12 (gh-86296)")
async def test_asyncio_wait_for_loses_that_cancel_on_311() -> None:
    """Why the helper exists: the same loop on `asyncio.wait_for` goes on running."""
    task = await _stopped_the_engine_way(lambda event: asyncio.wait_for(event.wait(), 10))
    try:
        assert not task.done()
    finally:
        task.cancel()  # a cancel while it merely waits does end it
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
