"""One connection and its rules: the lock, transactions, reads, and the change feed.

Within one process, an asyncio lock serialises statements on the connection, and
`transaction()` groups several writes into one atomic unit; across processes SQLite's own
write lock (`BEGIN IMMEDIATE` + `busy_timeout`) does the same. Every write names the keys
it changed in `change_feed`, for the other windows on the file (`store.change_watch`).
The per-table mixins (`db_leads`, `db_outbox`, ...) build on `DbConnection`.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from leadsync_tui.store.db_codec import _json_list
from leadsync_tui.store.records import Committed, FeedKind
from leadsync_tui.store.sql_link import Dialect, Params, SqlLink
from leadsync_tui.store.sqlite_link import SqliteLink

if TYPE_CHECKING:
    from leadsync_tui.store.pg_link import PgListener

Clock = Callable[[], datetime]
_T = TypeVar("_T")

FEED_KEEP: Final = 200_000
"""Rows `change_feed` keeps (the newest): a window further behind reads everything
again (`Committed.gap`). A few MB; pruned by every write, a few rows at a time."""


class DbConnection:
    """The connection every table mixin of `Database` shares."""

    def __init__(self, conn: SqlLink, *, now: Clock) -> None:
        """Use `open()`: it sets the pragmas and migrates before anyone reads."""
        self._conn = conn
        self._now = now
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self.writer = secrets.token_hex(8)
        """This connection's name in `change_feed`: its own rows are not news to it."""
        self.lease_token: str | None = None
        """Set by this process's engine while it holds the sync lease: from then on
        claiming, completing and failing outbox items apply only while that token still
        holds it, so an engine that lost the lease (stopped past its expiry) can neither
        take items nor overwrite what the new holder does with them."""

    # ----------------------------------------------------------------- transactions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Group writes into one atomic transaction: all of them land or none.

        Every method called by the same task inside the block joins it; a nested
        `transaction()` joins the outer one too. Other tasks wait for it to finish.
        """
        if self._owner is not None and self._owner is asyncio.current_task():
            yield
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                try:
                    await self._settle(self._conn.begin)
                    yield
                    await self._settle(self._conn.commit)
                except BaseException:
                    if self._conn.in_transaction:
                        await self._settle(self._conn.rollback)
                    raise
            finally:
                self._owner = None

    @property
    def dialect(self) -> Dialect:
        """Which database the store is on (SQLite file, or a team's PostgreSQL)."""
        return self._conn.dialect

    async def _settle(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run a transaction statement to its end even if our task is cancelled meanwhile.

        The statement runs on aiosqlite's thread whatever happens to the awaiting task; a
        cancellation that returned early would leave the connection inside a transaction
        no one owns, and every later write would fail ("cannot start a transaction
        within a transaction"). The cancellation is delivered once the statement is done.
        """
        statement = asyncio.ensure_future(step())
        try:
            await asyncio.shield(statement)
        except asyncio.CancelledError:
            if not statement.done():
                await statement
            raise

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[None]:
        """Reads wait for another task's open transaction, never for their own."""
        if self._owner is not None and self._owner is asyncio.current_task():
            yield
            return
        async with self._lock:
            yield

    async def _fetch(self, sql: str, params: Params = ()) -> list[Any]:
        async with self._reading():
            return list(await self._conn.execute_fetchall(sql, params))

    async def _write(self, work: Callable[[], Awaitable[_T]]) -> _T:
        """`work` in a transaction of its own (or the caller's). A PostgreSQL connection
        lost before the commit was sent rolled all of it back: it runs once more on a
        new connection. Lost during the commit, nobody knows: that fails to the caller."""
        joined = self._owner is not None and self._owner is asyncio.current_task()
        try:
            async with self.transaction():
                return await work()
        except Exception as exc:
            if joined or not self._conn.lost_before_commit(exc):
                raise
        async with self.transaction():
            return await work()

    # ----------------------------------------------------------------- change feed

    async def _feed(self, kind: FeedKind, keys: Sequence[str]) -> None:
        """Inside a write: name what it changed for the other windows on this file, and
        drop the feed's rows beyond the newest `FEED_KEEP` (none or a few each time)."""
        await self._conn.execute(
            "INSERT INTO change_feed (writer, kind, key) SELECT ?, ?, value FROM json_each(?)",
            (self.writer, kind.value, _json_list(keys)),
        )
        await self._conn.execute(
            "DELETE FROM change_feed WHERE seq <= (SELECT max(seq) FROM change_feed) - ?",
            (FEED_KEEP,),
        )
        await self._conn.announce(self.writer)

    async def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: it changes when another connection (of this
        process or another) commits to the file, never for this connection's commits."""
        assert isinstance(self._conn, SqliteLink), "PostgreSQL's windows LISTEN instead"
        async with self._reading():
            return await self._conn.data_version()

    async def listener(self) -> PgListener:
        """PostgreSQL only: a connection that hears the writers' NOTIFY."""
        from leadsync_tui.store.pg_link import PgLink  # psycopg only when it is used

        assert isinstance(self._conn, PgLink), "SQLite's windows poll data_version instead"
        return await self._conn.listener()

    async def feed_position(self) -> int:
        """The newest `change_feed` row: what is committed now (read from here on)."""
        rows = await self._fetch("SELECT coalesce(max(seq), 0) FROM change_feed")
        return int(rows[0][0])

    async def committed_after(self, position: int) -> Committed:
        """What other connections committed after `position`, by key."""
        async with self._reading():
            rows = list(
                await self._conn.execute_fetchall(
                    "SELECT seq, writer, kind, key FROM change_feed WHERE seq > ? ORDER BY seq",
                    (position,),
                )
            )
            oldest = list(await self._conn.execute_fetchall("SELECT min(seq) FROM change_feed"))
        first = oldest[0][0]
        gap = first is not None and first > position + 1
        keys: dict[str, set[str]] = {kind.value: set() for kind in FeedKind}
        for _, writer, kind, key in rows:
            if writer != self.writer and kind in keys:
                keys[kind].add(key)
        return Committed(
            position=rows[-1][0] if rows else position,
            lead_keys=frozenset(keys[FeedKind.LEAD]),
            conflict_ids=frozenset(keys[FeedKind.CONFLICT]),
            log_ids=frozenset(keys[FeedKind.LOG]),
            gap=gap,
        )
