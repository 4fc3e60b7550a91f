"""Waiting on something asynchronous in tests, without fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(predicate: Callable[[], bool], within_s: float = 20.0) -> None:
    """Wait until `predicate()` holds; fail the test after `within_s` seconds (generous:
    it detects a hang on a loaded machine, and a passing test returns at once)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def until(check: Callable[[], Awaitable[bool]], within_s: float = 30.0) -> None:
    """`eventually` for a check that must await (a database read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
