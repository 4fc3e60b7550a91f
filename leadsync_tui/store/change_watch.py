"""Live updates across processes: what others commit to the shared store reaches this
window's `LeadSyncStore` (issue #14).

Every window on one store (the one whose engine holds the sync lease, and the watchers)
follows what the others commit: the engine's syncs in a watcher, a watcher's decisions
in the engine's window. A `ChangeWatch` says *what* changed, by key (`Committed`); the
store re-reads those rows and notifies its subscribers exactly as for its own changes,
so the dashboard repaints the same way.

`SqliteChangeWatch` polls `PRAGMA data_version` (a few hundred microseconds, no row
read) and reads the `change_feed` table only when another connection committed.
`PgChangeWatch` LISTENs on its own connection for the NOTIFY every writer sends with a
commit that fed `change_feed`, then reads the feed; it also reads it once a second
without one, so a notification lost with a dropped connection delays, never loses.
`watch_for(db)` picks the one that fits the store's database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Committed
from leadsync_tui.store.sql_link import Dialect
from leadsync_tui.store.storage_problem import storage_error
from leadsync_tui.store.store import LeadSyncStore

if TYPE_CHECKING:
    from leadsync_tui.store.pg_link import PgListener  # psycopg only when it is used

logger = logging.getLogger(__name__)

UNREACHABLE_RETRY_S = 2.0
"""How long a window waits before reading the store again when it could not."""
SAFETY_READ_S = 1.0
"""How often the PostgreSQL watch reads the feed when no NOTIFY came."""
POLL_S = 0.1
"""How often the SQLite watch asks whether another connection committed (the figure to
beat: a change shown in another window within 250 ms, p99)."""


class ChangeWatch(Protocol):
    """Tells one window what other processes committed to the store it shows."""

    async def start(self) -> None:
        """Mark now: `next_changes` reports what is committed after this call."""

    async def next_changes(self) -> Committed:
        """Wait until others committed something; what, by key (never empty)."""

    async def close(self) -> None:
        """Let go of what the watch holds (PostgreSQL: its listening connection)."""


def watch_for(db: Database) -> ChangeWatch:
    """The change watch for `db`'s kind of database."""
    if db.dialect is Dialect.POSTGRESQL:
        return PgChangeWatch(db)
    return SqliteChangeWatch(db)


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

    async def close(self) -> None:
        """Nothing to let go: it reads through the store's own connection."""


class PgChangeWatch:
    """`ChangeWatch` on PostgreSQL: LISTEN for the writers' NOTIFY, then the `change_feed`."""

    def __init__(self, db: Database, *, safety_s: float = SAFETY_READ_S) -> None:
        self._db = db
        self._safety_s = safety_s
        self._listener: PgListener | None = None
        self._position = 0

    async def start(self) -> None:
        # Listening first: a commit between the two steps is then read (again) later.
        self._listener = await self._db.listener()
        self._position = await self._db.feed_position()

    async def next_changes(self) -> Committed:
        if self._listener is None:
            await self.start()
        assert self._listener is not None
        while True:
            committed = await self._db.committed_after(self._position)
            self._position = committed.position
            if not committed.empty:
                return committed
            await self._listener.wait(self._safety_s)

    async def close(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.close()


async def follow(store: LeadSyncStore, watch: ChangeWatch) -> None:
    """Apply what others commit to `store` until cancelled (`watch` already started,
    so nothing committed between the start and the first read is missed)."""
    try:
        await _follow(store, watch)
    finally:
        await watch.close()


async def _follow(store: LeadSyncStore, watch: ChangeWatch) -> None:
    while True:
        try:
            committed = await watch.next_changes()
        except Exception as exc:
            # The store is out of reach for a while (a PostgreSQL server restarting):
            # this window shows what it has and reads on once the store answers again.
            if storage_error(exc) is None:
                raise
            logger.warning("following the store: %s", exc)
            await asyncio.sleep(UNREACHABLE_RETRY_S)
            continue
        logger.debug(
            "committed elsewhere: %d lead(s), %d conflict(s), %d log(s)%s",
            len(committed.lead_keys),
            len(committed.conflict_ids),
            len(committed.log_ids),
            " (gap: reading everything)" if committed.gap else "",
        )
        await store.apply_committed(committed)
