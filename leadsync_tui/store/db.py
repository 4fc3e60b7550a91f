"""The store's database: `Database` opens, migrates and closes it.

`store/` is the only package with SQL, and `Database` its one door: one class made of a
mixin per table on one shared connection, so every caller keeps `db.<query>(...)`.

    db_connection   the connection, its lock and transactions, the change feed
    db_schema       the migrations (append only)      db_codec   timestamps and JSON
    db_leads        leads                              db_links   links and cursors
    db_outbox       the outbox (fenced by the lease)   db_engine  the engine/lease row
    db_conflicts    conflicts                          db_logs    sync log and audit log
    db_errors       the errors raised on purpose

The connection is a `SqlLink`: a SQLite file (`sqlite_link`, one box) or a team's
PostgreSQL (`pg_link`, several). The tables' SQL is written once; see `sql_link`.
aiosqlite hops to its own thread on every await (and PostgreSQL is a round trip), so
batches go through one `executemany` inside one transaction, never a loop of awaits.

Timestamps are stored as fixed-width ISO 8601 UTC text with microseconds, so they sort
as text; JSON columns hold pydantic dumps.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from leadsync_tui.async_closing import AsyncClosing
from leadsync_tui.models import utc_now
from leadsync_tui.store.db_conflicts import ConflictRows
from leadsync_tui.store.db_connection import FEED_KEEP, Clock, DbConnection
from leadsync_tui.store.db_engine import EngineRows
from leadsync_tui.store.db_errors import (
    DatabaseError,
    DatabaseTooNew,
    DuplicateLink,
    NoStoreYet,
)
from leadsync_tui.store.db_leads import FREEZE_MIN, LeadPage, LeadRows
from leadsync_tui.store.db_links import LinkRows
from leadsync_tui.store.db_logs import LogRows
from leadsync_tui.store.db_outbox import CLOCK_STEP, OutboxRows
from leadsync_tui.store.db_schema import MIGRATIONS, SCHEMA_VERSION
from leadsync_tui.store.pg_sql import pg_migration
from leadsync_tui.store.sql_link import Dialect, SqlLink
from leadsync_tui.store.sqlite_link import SqliteLink

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


class Database(AsyncClosing, LeadRows, LinkRows, ConflictRows, LogRows, EngineRows, OutboxRows):
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
        """Open (creating if needed) and migrate the SQLite file at `path` (`":memory:"` ok).

        Opening never touches the outbox: items `in_flight` may belong to an engine that
        runs in another process. They are put back to `pending` only by the engine that
        takes the sync lease over from a gone holder (`take_engine`).
        """
        return await cls.on(await SqliteLink.open(path), now=now)

    @classmethod
    async def open_postgresql(
        cls,
        url: str,
        *,
        password: SecretStr | None = None,
        now: Clock = utc_now,
        existing: bool = False,
    ) -> Database:
        """Connect to and migrate the PostgreSQL database at `url` (as `open` does);
        `existing`: `NoStoreYet` rather than create the schema in an empty database."""
        from leadsync_tui.store.pg_link import PgLink  # psycopg only when it is used

        return await cls.on(await PgLink.open(url, password), now=now, existing=existing)

    @classmethod
    async def on(cls, link: SqlLink, *, now: Clock = utc_now, existing: bool = False) -> Database:
        """The database behind an open `link`, migrated; the link is closed on failure."""
        try:
            if existing and await link.schema_version() == 0:
                raise NoStoreYet()
            await _migrate(link)
        except BaseException:
            await link.close()
            raise
        return cls(link, now=now)

    async def close(self) -> None:
        """Close the connection. Work not committed is rolled back by the database."""
        await self._conn.close()

    async def aclose(self) -> None:
        """`async with Database...` closes it on the way out."""
        await self.close()

    async def schema_version(self) -> int:
        """How many migrations the database has had (SQLite: its `PRAGMA user_version`)."""
        async with self._reading():
            return await self._conn.schema_version()


async def _migrate(link: SqlLink) -> None:
    """Apply the missing migrations, one transaction each.

    The version is read inside the write transaction, so two processes opening a new
    database at once cannot both apply the same step.
    """
    while True:
        await link.begin()
        try:
            version = await link.schema_version()
            if version > len(MIGRATIONS):
                raise DatabaseTooNew(version, len(MIGRATIONS))
            if version == len(MIGRATIONS):
                await link.commit()
                return
            for statement in MIGRATIONS[version]:
                if link.dialect is Dialect.POSTGRESQL:
                    translated = pg_migration(statement)
                    if translated is not None:
                        await link.execute(translated)
                else:
                    await link.execute(statement)
            await link.set_schema_version(version + 1)
            await link.commit()
        except BaseException:
            if link.in_transaction:
                await link.rollback()
            raise
