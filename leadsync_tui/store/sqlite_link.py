"""A SQLite file (or `:memory:`) as the store's database: `SqlLink` over aiosqlite.

One aiosqlite connection, in WAL mode with `synchronous=NORMAL`: readers never wait for
the writer and a commit costs no fsync. Transactions are explicit (`isolation_level=None`)
and start with `BEGIN IMMEDIATE`, which takes the file's write lock at once; another
process waits up to `BUSY_TIMEOUT_MS` for it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import aiosqlite

from leadsync_tui.private_files import create_private
from leadsync_tui.store import connections
from leadsync_tui.store.sql_link import Dialect, Params, RowCount

BUSY_TIMEOUT_MS: Final = 5000
"""How long a writer waits for another connection's write lock before giving up."""
PAGE_CACHE_KB: Final = 32 * 1024
WAL_CHECKPOINT_PAGES: Final = 10_000
_UNIQUE_FAILED: Final = re.compile(r"UNIQUE constraint failed: ([\w.]+)")


class SqliteLink:
    """`SqlLink` on one aiosqlite connection; use `open()`."""

    dialect: Final = Dialect.SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, path: str | Path) -> SqliteLink:
        """Open (creating if needed) the file at `path`, 0600, with leadsync's pragmas."""
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
        except BaseException:
            await connections.close(conn)
            raise
        return cls(conn)

    @property
    def raw(self) -> aiosqlite.Connection:
        """The aiosqlite connection itself (the tests trace its statements)."""
        return self._conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def begin(self) -> None:
        await self._conn.execute("BEGIN IMMEDIATE")

    async def commit(self) -> None:
        await self._conn.execute("COMMIT")

    async def rollback(self) -> None:
        await self._conn.execute("ROLLBACK")

    async def execute(self, sql: str, params: Params = ()) -> RowCount:
        return await self._conn.execute(sql, params)

    async def execute_fetchall(self, sql: str, params: Params = ()) -> Iterable[Sequence[Any]]:
        return await self._conn.execute_fetchall(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def schema_version(self) -> int:
        rows = list(await self._conn.execute_fetchall("PRAGMA user_version"))
        return int(rows[0][0])

    async def set_schema_version(self, version: int) -> None:
        await self._conn.execute(f"PRAGMA user_version = {int(version)}")

    def lost_before_commit(self, exc: BaseException) -> bool:
        return False  # a file is not a connection that can be lost

    def unique_violation(self, exc: BaseException) -> str | None:
        if isinstance(exc, sqlite3.IntegrityError):
            found = _UNIQUE_FAILED.match(str(exc))
            if found is not None:
                return found.group(1)
        return None

    async def announce(self, writer: str) -> None:
        """Nothing: the other windows on the file poll `data_version`."""

    async def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: it changes when another connection (of this
        process or another) commits to the file, never for this connection's commits."""
        rows = list(await self._conn.execute_fetchall("PRAGMA data_version"))
        return int(rows[0][0])

    async def close(self) -> None:
        await connections.close(self._conn)
