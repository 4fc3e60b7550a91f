"""Waiting on something asynchronous in tests, without fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(predicate: Callable[[], bool], within_s: float = 5.0) -> None:
    """Wait until `predicate()` holds; fail the test after `within_s` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)
