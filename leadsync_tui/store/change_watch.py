"""Live updates across processes: what others commit to the shared store reaches this
window's `LeadSyncStore` (issue #14).

Every window on one store (the one whose engine holds the sync lease, and the watchers)
follows what the others commit: the engine's syncs in a watcher, a watcher's decisions
in the engine's window. A `ChangeWatch` says *what* changed, by key (`Committed`); the
store re-reads those rows and notifies its subscribers exactly as for its own changes,
so the dashboard repaints the same way.

`SqliteChangeWatch` polls `PRAGMA data_version` on its own connection (a few hundred
microseconds, no row read) and reads the `change_feed` table only when another
connection committed. A PostgreSQL store would implement the same protocol with
LISTEN on the channel its writers NOTIFY after each commit (payload: the keys).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Committed
from leadsync_tui.store.store import LeadSyncStore

logger = logging.getLogger(__name__)

POLL_S = 0.1
"""How often the SQLite watch asks whether another connection committed (the figure to
beat: a change shown in another window within 250 ms, p99)."""


class ChangeWatch(Protocol):
    """Tells one window what other processes committed to the store it shows."""

    async def start(self) -> None:
        """Mark now: `next_changes` reports what is committed after this call."""

    async def next_changes(self) -> Committed:
        """Wait until others committed something; what, by key (never empty)."""


class SqliteChangeWatch:
    """`ChangeWatch` on a SQLite file: `PRAGMA data_version`, then the `change_feed`."""

    def __init__(self, db: Database, *, poll_s: float = POLL_S) -> None:
        self._db = db
        self._poll_s = poll_s
        self._version: int | None = None
        self._position = 0

    async def start(self) -> None:
        # The version first: a commit between the two reads is then read (again) later,
        # never missed.
        self._version = await self._db.data_version()
        self._position = await self._db.feed_position()

    async def next_changes(self) -> Committed:
        if self._version is None:
            await self.start()
        while True:
            version = await self._db.data_version()
            if version != self._version:
                self._version = version
                committed = await self._db.committed_after(self._position)
                self._position = committed.position
                if not committed.empty:
                    return committed
            await asyncio.sleep(self._poll_s)


async def follow(store: LeadSyncStore, watch: ChangeWatch) -> None:
    """Apply what others commit to `store` until cancelled (`watch` already started,
    so nothing committed between the start and the first read is missed)."""
    while True:
        committed = await watch.next_changes()
        logger.debug(
            "committed elsewhere: %d lead(s), %d conflict(s), %d log(s)%s",
            len(committed.lead_keys),
            len(committed.conflict_ids),
            len(committed.log_ids),
            " (gap: reading everything)" if committed.gap else "",
        )
        await store.apply_committed(committed)
