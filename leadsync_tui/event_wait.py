"""Waiting for an event, at most so long, without losing a cancellation.

Not `asyncio.wait_for(event.wait(), timeout)`: on Python 3.11 it returns normally when
the event is set in the same turn as the waiting task is cancelled, and the
cancellation is lost (CPython gh-86296, fixed in 3.12). A loop around it then never
ends, and whoever waits for that task waits for ever: `ctrl+q` hung once that way in a
run of the suite (the engine stops by setting the very events its loops wait on, then
cancels them). `asyncio.timeout` keeps the two apart.
"""

from __future__ import annotations

import asyncio


async def wait_for_event(event: asyncio.Event, seconds: float | None) -> bool:
    """Wait until `event` is set (True) or `seconds` pass (False; None: no limit); a
    cancellation meanwhile is always raised."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
