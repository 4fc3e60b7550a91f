"""Copying a SQLite store into an empty PostgreSQL one (`leadsync store migrate`).

Moves a deployment without losing anything: every table's rows with their ids (the
outbox, audit and command ids that logs and people quote) and their order (`leads` and
`sync_log` keep their rowids, which the tables read as insertion order). All of it lands
in one target transaction, or nothing does. The source is held with its write lock for
the whole copy, so what is copied is one moment of it and no engine starts on it
meanwhile. Afterwards the target's identity sequences start past every copied id (and
past ids SQLite's AUTOINCREMENT handed out and then deleted: completed outbox items),
so a new id never repeats an old one.

Not copied: the engine row (the sync lease: the first engine on the new store takes it
afresh, and puts back to pending what the old one left in flight) and `change_feed`
(news for the old store's windows; the new store's windows start reading at its start).

Refused before anything is written: a target holding any leadsync row (two deployments
are never merged), and a source whose engine still runs (`engine_alive` says what runs
means: the caller knows hosts and pids, the store does not).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from leadsync_tui.models import format_utc, utc_now
from leadsync_tui.store.db import Database
from leadsync_tui.store.pg_sql import ROWID_TABLES
from leadsync_tui.store.records import Cursor, EngineRecord, OutboxCounts
from leadsync_tui.store.sql_link import Dialect

TABLES: Final = (
    "leads", "links", "outbox", "conflicts", "sync_log", "audit", "cursors", "commands",
)  # fmt: skip
"""What is copied, in foreign-key order: leads first, the rows that refer to them after."""
NOT_COPIED: Final = ("engine", "change_feed")
"""Every other table of the schema: a new table goes in one of the two."""
_IDENTITIES: Final = (
    ("leads", "rowid"),
    ("outbox", "id"),
    ("sync_log", "rowid"),
    ("audit", "id"),
    ("commands", "id"),
)
"""PostgreSQL's generated columns, set past the copied ids afterwards."""
BATCH: Final = 2000
"""Rows read from SQLite and sent to PostgreSQL at a time (memory stays flat)."""
_BEFORE_ANY: Final = -(2**63)


class CopyRefused(Exception):
    """The copy did not happen (nothing was written); `str()` says why."""


class TargetNotEmpty(CopyRefused):
    """The target already holds a deployment's rows."""

    def __init__(self, held: Mapping[str, int]) -> None:
        self.held = dict(held)
        shown = ", ".join(f"{table} {count}" for table, count in self.held.items())
        super().__init__(f"the target already holds leadsync data ({shown})")


class EngineRunning(CopyRefused):
    """An engine holds the source's sync lease: it would go on writing to the old store."""

    def __init__(self, record: EngineRecord) -> None:
        self.record = record
        super().__init__(f"an engine runs on the source ({record.host} pid {record.pid})")


class AlreadyMoved(CopyRefused):
    """The source was moved before: its data lives in that store now, and a second copy
    would be a second deployment of the same DomIQ account."""

    def __init__(self, moved: Mapping[str, Any]) -> None:
        super().__init__(
            f"this store was already moved to {moved.get('to', '?')} on "
            f"{moved.get('at', '?')}: its data lives there now, and a second copy would be "
            "a second deployment of the same DomIQ account (point every leadsync at that "
            "store instead)"
        )


class CopyMismatch(CopyRefused):
    """The target counted other than what was sent (rolled back: nothing kept)."""


@dataclass(frozen=True)
class CopyReport:
    """Rows copied, by table, in `TABLES` order, and the outbox's by status."""

    counts: dict[str, int]
    outbox: OutboxCounts

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def copy_store(
    source: Database,
    target: Database,
    *,
    engine_alive: Callable[[EngineRecord], bool],
    target_name: str = "PostgreSQL",
) -> CopyReport:
    """Copy every row of the SQLite `source` into the empty PostgreSQL `target` (both
    open and migrated), all or nothing; `CopyRefused` when it must not happen. Then the
    source records that it moved to `target_name` (the URL, never with a password)."""
    if source.dialect is not Dialect.SQLITE or target.dialect is not Dialect.POSTGRESQL:
        raise ValueError("copies a SQLite store into a PostgreSQL one")
    async with source.transaction():  # the source's write lock: one moment, no engine
        moved = await source.get_json_cursor(Cursor.STORE_MOVED)
        if moved is not None:
            raise AlreadyMoved(moved)
        record = await source.engine_record()
        if record is not None and engine_alive(record):
            raise EngineRunning(record)
        async with target.transaction():  # one transaction: all or nothing
            held = await _rows_held(target)
            if held:
                raise TargetNotEmpty(held)
            counts = {table: await _copy_table(source, target, table) for table in TABLES}
            await _check_counts(target, counts)
            await _move_identities(source, target)
            outbox = await source.outbox_counts()
        # Committed to the target: the source says where it went, so that no engine
        # starts on it again (a second deployment; `StoreMoved`).
        moved = {"to": target_name, "at": format_utc(utc_now())}
        await source.set_cursor(Cursor.STORE_MOVED, json.dumps(moved))
    return CopyReport(counts, outbox)


async def _rows_held(db: Database) -> dict[str, int]:
    held: dict[str, int] = {}
    for table in (*TABLES, "engine"):
        rows = list(await db._conn.execute_fetchall(f"SELECT count(*) FROM {table}"))
        if rows[0][0]:
            held[table] = int(rows[0][0])
    return held


async def _columns(source: Database, table: str) -> list[str]:
    """The source table's columns, as its migrations left them (the target has the same)."""
    rows = await source._fetch(f"PRAGMA table_info({table})")
    return [str(row[1]) for row in rows]


async def _copy_table(source: Database, target: Database, table: str) -> int:
    """Every row of `table`, in rowid order, a batch at a time; how many."""
    columns = await _columns(source, table)
    keep_rowid = table in ROWID_TABLES
    select = (
        f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?"
    )
    written = [*columns, "rowid"] if keep_rowid else columns
    insert = (
        f"INSERT INTO {table} ({', '.join(written)}) VALUES ({', '.join('?' for _ in written)})"
    )
    copied = 0
    after = _BEFORE_ANY
    while True:
        rows = await source._fetch(select, (after, BATCH))
        if not rows:
            return copied
        after = rows[-1][0]
        batch: list[tuple[Any, ...]] = [
            (*row[1:], row[0]) if keep_rowid else tuple(row[1:]) for row in rows
        ]
        await target._conn.executemany(insert, batch)
        copied += len(rows)


async def _check_counts(target: Database, counts: Mapping[str, int]) -> None:
    for table, sent in counts.items():
        rows = list(await target._conn.execute_fetchall(f"SELECT count(*) FROM {table}"))
        if int(rows[0][0]) != sent:
            raise CopyMismatch(
                f"{table}: sent {sent} rows but the target holds {rows[0][0]} (rolled back)"
            )


async def _move_identities(source: Database, target: Database) -> None:
    """Each generated column of the target continues past the source's highest id."""
    for table, column in _IDENTITIES:
        high = await _high_water(source, table)
        if high > 0:
            await target._conn.execute(
                "SELECT setval(pg_get_serial_sequence(?, ?), ?)", (table, column, high)
            )


async def _high_water(source: Database, table: str) -> int:
    """The highest id `table` ever handed out: its max rowid, or AUTOINCREMENT's record
    of it (rows since deleted count too: an id is never given twice)."""
    rows = await source._fetch(f"SELECT coalesce(max(rowid), 0) FROM {table}")
    high = int(rows[0][0])
    sequence = await source._fetch("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,))
    if sequence and sequence[0][0] is not None:
        high = max(high, int(sequence[0][0]))
    return high
