"""A PostgreSQL database as the store (a team's shared store): `SqlLink` over psycopg 3.

The connection is in autocommit mode and transactions are explicit, as on SQLite. Every
write transaction takes one transaction-scoped advisory lock first, so writers run one
at a time across every process on the database, as SQLite's `BEGIN IMMEDIATE` makes
them on a file: the tables' read-then-write steps (claiming outbox items, taking the
sync lease, the change feed's order) keep their meaning without row locks or retries.
At leadsync's rates (a few hundred writes a second at most) one writer is plenty.

The schema version lives in a one-row table (SQLite keeps it in `PRAGMA user_version`).
After a write that fed `change_feed`, `NOTIFY leadsync_changes` wakes the windows that
LISTEN (`change_watch.PgChangeWatch`); it is delivered when the transaction commits.

A server restarts, a failover moves it, an idle connection is cut: a lost connection is
opened again before the next transaction or read, and a read (or a `BEGIN`) that meets
the loss is tried once more on the new one. A transaction cut in the middle is rolled
back by the server and fails to its caller, as a full disk does on SQLite: nothing of
it landed, and the engine sends it again later (the outbox still holds it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final

import psycopg
from pydantic import SecretStr

from leadsync_tui.store.pg_problem import describe_pg
from leadsync_tui.store.pg_sql import pg_statement
from leadsync_tui.store.sql_link import Dialect, Params, RowCount

logger = logging.getLogger(__name__)

CHANNEL: Final = "leadsync_changes"
"""The channel writers NOTIFY after feeding `change_feed`; watchers LISTEN on it."""
WRITER_LOCK: Final = 0x6C656164  # "lead": any fixed key; one per database
CONNECT_TIMEOUT_S: Final = 10


class _Done:
    """What a statement reports: psycopg's cursor, once closed, keeps its rowcount."""

    __slots__ = ("rowcount",)

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


async def connect(url: str, password: SecretStr | None) -> psycopg.AsyncConnection[Any]:
    """An autocommit connection; the password (if any) from the settings, else libpq's
    own ways (`PGPASSWORD`, `~/.pgpass`, or in the url)."""
    extra: dict[str, Any] = {"application_name": "leadsync", "connect_timeout": CONNECT_TIMEOUT_S}
    if password is not None:
        extra["password"] = password.get_secret_value()
    return await psycopg.AsyncConnection.connect(url, autocommit=True, **extra)


class PgLink:
    """`SqlLink` on one psycopg connection; use `open()`."""

    dialect: Final = Dialect.POSTGRESQL

    def __init__(
        self, conn: psycopg.AsyncConnection[Any], url: str, password: SecretStr | None
    ) -> None:
        self._conn = conn
        self._url = url
        self._password = password
        self._commit_sent = False

    @classmethod
    async def open(cls, url: str, password: SecretStr | None = None) -> PgLink:
        return cls(await connect(url, password), url, password)

    async def listener(self) -> PgListener:
        """A second connection to the same database, listening on `CHANNEL`."""
        return PgListener(await _listening(self._url, self._password), self._url, self._password)

    @property
    def in_transaction(self) -> bool:
        if self._conn.broken:
            return False  # the server rolled it back with the connection
        status = self._conn.info.transaction_status
        return status != psycopg.pq.TransactionStatus.IDLE

    async def _usable(self) -> psycopg.AsyncConnection[Any]:
        """The connection, opened again first if it was lost."""
        if self._conn.broken:
            lost, self._conn = self._conn, await connect(self._url, self._password)
            logger.warning("the connection to the PostgreSQL store was lost; connected again")
            with contextlib.suppress(psycopg.Error):
                await lost.close()
        return self._conn

    async def begin(self) -> None:
        self._commit_sent = False
        conn = await self._usable()
        try:
            await conn.execute("BEGIN")
        except psycopg.OperationalError:
            if not conn.broken:
                raise
            conn = await self._usable()  # lost while idle: nothing was under way
            await conn.execute("BEGIN")
        try:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
        except BaseException:
            if not conn.broken:
                await conn.execute("ROLLBACK")
            raise

    async def commit(self) -> None:
        self._commit_sent = True  # from here on, a loss leaves the outcome unknown
        await self._conn.execute("COMMIT")

    def lost_before_commit(self, exc: BaseException) -> bool:
        return (
            isinstance(exc, psycopg.OperationalError)
            and self._conn.broken
            and not self._commit_sent
        )

    async def rollback(self) -> None:
        if not self._conn.broken:
            await self._conn.execute("ROLLBACK")

    async def execute(self, sql: str, params: Params = ()) -> RowCount:
        conn = self._conn if self.in_transaction else await self._usable()
        async with conn.cursor() as cursor:
            await cursor.execute(pg_statement(sql), params)
            return _Done(cursor.rowcount)

    async def execute_fetchall(self, sql: str, params: Params = ()) -> Iterable[Sequence[Any]]:
        if self.in_transaction:
            return await _fetchall(self._conn, sql, params)
        conn = await self._usable()
        try:
            return await _fetchall(conn, sql, params)
        except psycopg.OperationalError:
            if not (conn.broken and _is_read(sql)):
                raise
            return await _fetchall(await self._usable(), sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._conn.cursor() as cursor:
            await cursor.executemany(pg_statement(sql), rows)

    async def schema_version(self) -> int:
        cursor = await self._conn.execute("SELECT to_regclass('leadsync_schema') IS NOT NULL")
        row = await cursor.fetchone()
        if row is None or not row[0]:
            return 0  # a new database
        cursor = await self._conn.execute("SELECT max(version) FROM leadsync_schema")
        row = await cursor.fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    async def set_schema_version(self, version: int) -> None:
        """Inside the migration's transaction, which holds the writers' lock."""
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS leadsync_schema (version INTEGER NOT NULL)"
        )
        await self._conn.execute("DELETE FROM leadsync_schema")
        await self._conn.execute("INSERT INTO leadsync_schema (version) VALUES (%s)", (version,))

    def unique_violation(self, exc: BaseException) -> str | None:
        if isinstance(exc, psycopg.errors.UniqueViolation):
            return exc.diag.constraint_name
        return None

    async def announce(self, writer: str) -> None:
        await self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, writer))

    async def close(self) -> None:
        await self._conn.close()


async def _fetchall(
    conn: psycopg.AsyncConnection[Any], sql: str, params: Params
) -> list[Sequence[Any]]:
    async with conn.cursor() as cursor:
        await cursor.execute(pg_statement(sql), params)
        return list(await cursor.fetchall())


def _is_read(sql: str) -> bool:
    """A statement that changes nothing, so trying it twice is safe."""
    return sql.lstrip().upper().startswith("SELECT")


async def _listening(url: str, password: SecretStr | None) -> psycopg.AsyncConnection[Any]:
    conn = await connect(url, password)
    try:
        await conn.execute(f"LISTEN {CHANNEL}")
    except BaseException:
        await conn.close()
        raise
    return conn


class PgListener:
    """Waits for the writers' NOTIFY on its own connection (the store's is shared)."""

    def __init__(
        self, conn: psycopg.AsyncConnection[Any], url: str, password: SecretStr | None
    ) -> None:
        self._conn = conn
        self._url = url
        self._password = password

    async def wait(self, at_most_s: float) -> None:
        """Until a writer announced a commit, or `at_most_s` seconds passed.

        A lost connection is opened again (or, while the server cannot be reached, the
        time passes): the caller reads the feed after every wait, so what was announced
        meanwhile is read then, not lost."""
        try:
            if self._conn.broken:
                lost, self._conn = self._conn, await _listening(self._url, self._password)
                with contextlib.suppress(psycopg.Error):
                    await lost.close()
            async for _ in self._conn.notifies(timeout=at_most_s, stop_after=1):
                pass
        except psycopg.OperationalError as exc:
            logger.warning("listening to the PostgreSQL store: %s", describe_pg(exc, self._url))
            await asyncio.sleep(at_most_s)

    async def close(self) -> None:
        await self._conn.close()
