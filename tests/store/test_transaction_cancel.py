"""A task cancelled inside a transaction statement must not leave the store unusable.

Seen: the engine's heartbeat task, cancelled on quit while its BEGIN was running,
left the connection inside a transaction nobody owned; the engine's "stopped" record
then failed with "cannot start a transaction within a transaction", and `leadsync
status` went on saying the engine ran.
"""

from __future__ import annotations

import asyncio

import pytest

from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Cursor


@pytest.mark.parametrize("yields", [0, 1, 2, 3, 5, 8])
async def test_a_write_cancelled_mid_statement_leaves_the_store_writable(
    db: Database, yields: int
) -> None:
    async def write() -> None:
        await db.set_cursor(Cursor.DOMIQ_LAST_EVENT_ID, "1")

    task = asyncio.create_task(write())
    for _ in range(yields):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await db.set_cursor(Cursor.DOMIQ_LAST_EVENT_ID, "2")
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) == "2"
