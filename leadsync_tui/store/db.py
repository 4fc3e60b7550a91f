"""The local SQLite store: `Database` opens, migrates and closes the file.

`store/` is the only package with SQL, and `Database` its one door: one class made of a
mixin per table on one shared connection, so every caller keeps `db.<query>(...)`.

    db_connection   the connection, its lock and transactions, the change feed
    db_schema       the migrations (append only)      db_codec   timestamps and JSON
    db_leads        leads                              db_links   links and cursors
    db_outbox       the outbox (fenced by the lease)   db_engine  the engine/lease row
    db_conflicts    conflicts                          db_logs    sync log and audit log
    db_errors       the errors raised on purpose

One aiosqlite connection per `Database`, in WAL mode with `synchronous=NORMAL`: readers never
wait for the writer and a commit costs no fsync. aiosqlite hops to its own thread on every
await, so batches go through one `executemany` inside one transaction, never a loop of
awaits. Within one process, an asyncio lock serialises statements on the connection, and
`transaction()` groups several writes into one atomic unit; across processes SQLite's own
write lock (`BEGIN IMMEDIATE` + `busy_timeout`) does the same.

Timestamps are stored as fixed-width ISO 8601 UTC text with microseconds, so they sort
as text; JSON columns hold pydantic dumps.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Final

import aiosqlite

from leadsync_tui.models import utc_now
from leadsync_tui.private_files import create_private
from leadsync_tui.store import connections
from leadsync_tui.store.db_conflicts import ConflictRows
from leadsync_tui.store.db_connection import FEED_KEEP, Clock, DbConnection
from leadsync_tui.store.db_engine import EngineRows
from leadsync_tui.store.db_errors import DatabaseError, DatabaseTooNew, DuplicateLink
from leadsync_tui.store.db_leads import FREEZE_MIN, LeadPage, LeadRows
from leadsync_tui.store.db_links import LinkRows
from leadsync_tui.store.db_logs import LogRows
from leadsync_tui.store.db_outbox import CLOCK_STEP, OutboxRows
from leadsync_tui.store.db_schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "CLOCK_STEP",
    "FEED_KEEP",
    "FREEZE_MIN",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Clock",
    "Database",
    "DatabaseError",
    "DatabaseTooNew",
    "DbConnection",
    "DuplicateLink",
    "LeadPage",
]

BUSY_TIMEOUT_MS: Final = 5000
"""How long a writer waits for another connection's write lock before giving up."""
PAGE_CACHE_KB: Final = 32 * 1024
WAL_CHECKPOINT_PAGES: Final = 10_000


class Database(LeadRows, LinkRows, ConflictRows, LogRows, EngineRows, OutboxRows):
    """The leadsync SQLite database.

    `async with await Database.open(path) as db: ...` opens, migrates and closes it.
    """

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        now: Clock = utc_now,
    ) -> Database:
        """Open (creating if needed) and migrate the database at `path` (`":memory:"` ok).

        Opening never touches the outbox: items `in_flight` may belong to an engine that
        runs in another process. They are put back to `pending` only by the engine that
        takes the sync lease over from a gone holder (`take_engine`).
        """
        if str(path) != ":memory:":
            create_private(Path(path))  # 0600 before SQLite makes it (and -wal, -shm)
        conn = await connections.connect(path)
        try:
            if str(path) != ":memory:":
                await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # Live events update leads all over the table: with the default 2 MB page
            # cache and a checkpoint every 1,000 WAL pages, a batch of 500 profiled at
            # ~80 ms in SQLite (half of it checkpointing on every commit); with these,
            # ~27 ms. Costs up to 32 MB of memory and a WAL file of up to ~40 MB.
            await conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")
            await conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await _migrate(conn)
            db = cls(conn, now=now)
        except BaseException:
            await connections.close(conn)
            raise
        return db

    async def close(self) -> None:
        """Close the connection. Work not committed is rolled back by SQLite."""
        await connections.close(self._conn)

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The `PRAGMA user_version` of the open file."""
        async with self._reading():
            return await _user_version(self._conn)


async def _user_version(conn: aiosqlite.Connection) -> int:
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


async def _migrate(conn: aiosqlite.Connection) -> None:
    """Apply the missing migrations, one transaction each.

    The version is read inside `BEGIN IMMEDIATE`, so two processes opening a new file at
    once cannot both apply the same step.
    """
    while True:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            version = await _user_version(conn)
            if version > len(MIGRATIONS):
                raise DatabaseTooNew(version, len(MIGRATIONS))
            if version == len(MIGRATIONS):
                await conn.execute("COMMIT")
                return
            for statement in MIGRATIONS[version]:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {version + 1}")
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
