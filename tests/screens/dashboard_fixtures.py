"""A store with the fixed sample leads, for dashboard flows and snapshots."""

from __future__ import annotations

import asyncio

from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from tests.widgets.sample_leads import frozen_clock, sample_leads

__all__ = ["frozen_clock", "sample_store", "sample_store_sync"]


async def sample_store(*, empty: bool = False) -> LeadSyncStore:
    """An in-memory store holding the 30 sample leads (or none)."""
    db = await Database.open(":memory:", now=frozen_clock)
    store = LeadSyncStore(db, now=frozen_clock)
    if not empty:
        await store.merge_leads(sample_leads())
    return store


def sample_store_sync(*, empty: bool = False) -> LeadSyncStore:
    """The same, built outside any running loop (for the synchronous `snap_compare`).

    aiosqlite runs the connection on its own thread and makes each future on the loop
    that awaits it, so the store works on the snapshot's loop afterwards.
    """
    return asyncio.run(sample_store(empty=empty))
