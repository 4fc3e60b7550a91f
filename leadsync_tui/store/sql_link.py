"""What the store's tables need of a database connection, whatever the database.

The table mixins (`db_leads`, `db_outbox`, ...) write one SQL text for both dialects,
in SQLite's spelling (`?` and `:name` parameters, `json_each(?)` for a list parameter);
a link runs it on its database. `SqliteLink` passes it through; `PgLink` translates it
once per statement text (`pg_sql`). What differs beyond spelling has a method here:
transactions (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's transaction-scoped advisory
lock: either way one writer at a time, so read-then-write inside a transaction is
safe), the schema version, and telling the other windows that something committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol

Params = Sequence[Any] | Mapping[str, Any]


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class RowCount(Protocol):
    """What a write reports: how many rows it touched."""

    @property
    def rowcount(self) -> int: ...


class SqlLink(Protocol):
    """One connection to the store's database, used by one `Database`."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def in_transaction(self) -> bool: ...

    async def begin(self) -> None:
        """Start a write transaction: once it returns, no other writer runs until
        `commit` or `rollback` (other processes included)."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def execute(self, sql: str, params: Params = ()) -> RowCount: ...

    async def execute_fetchall(self, sql: str, params: Params = ()) -> Iterable[Sequence[Any]]: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def schema_version(self) -> int:
        """How many migrations this database has had (`db_schema.MIGRATIONS`)."""

    async def set_schema_version(self, version: int) -> None:
        """Inside the migration's transaction."""

    def lost_before_commit(self, exc: BaseException) -> bool:
        """`exc` is the connection lost inside a transaction whose COMMIT was never sent:
        the server rolled it back whole, so running it again cannot apply it twice."""

    def unique_violation(self, exc: BaseException) -> str | None:
        """The unique rule `exc` says a write broke (SQLite: `table.column`;
        PostgreSQL: the index), or None when it is another error."""

    async def announce(self, writer: str) -> None:
        """Inside a write transaction that added `change_feed` rows: wake the windows
        that follow this store once it commits (PostgreSQL: NOTIFY; SQLite: nothing,
        its windows notice `PRAGMA data_version` move)."""

    async def close(self) -> None: ...
