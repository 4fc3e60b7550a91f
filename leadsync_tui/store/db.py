"""The local SQLite store: schema, migrations and every query. The only module with SQL.

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

import asyncio
import gc
import json
import secrets
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TypeVar

import aiosqlite
import pydantic_core
from pydantic import TypeAdapter

from leadsync_tui.models import (
    AttemptStatus,
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    Lead,
    LeadSource,
    LeadSyncConflict,
    LeadSyncLog,
    Qualification,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncStatus,
    SyncType,
    utc_now,
)
from leadsync_tui.private_files import create_private
from leadsync_tui.store import connections
from leadsync_tui.store.payloads import PAYLOAD
from leadsync_tui.store.records import (
    AuditEntry,
    Committed,
    EngineRecord,
    FeedKind,
    Link,
    NewOutboxItem,
    OutboxCounts,
    OutboxItem,
    OutboxStatus,
)

Clock = Callable[[], datetime]
_T = TypeVar("_T")

BUSY_TIMEOUT_MS: Final = 5000
"""How long a writer waits for another connection's write lock before giving up."""


class DatabaseError(Exception):
    """Base of the errors this module raises on purpose."""


class DatabaseTooNew(DatabaseError):
    """The file was migrated by a newer leadsync; this one must not touch it."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"database schema v{found} is newer than this leadsync (v{known}); upgrade leadsync"
        )
        self.found = found
        self.known = known


class DuplicateLink(DatabaseError):
    """A ResMan prospect is already linked to another DomIQ conversation."""


# --------------------------------------------------------------------------- schema

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # v1: the first schema.
    (
        """CREATE TABLE leads (
            conversation_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            property_id TEXT NOT NULL,
            resman_sync_status TEXT NOT NULL,
            resman_prospect_id TEXT,
            updated_at TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX leads_by_property ON leads (property_id, updated_at)",
        "CREATE INDEX leads_by_status ON leads (resman_sync_status, updated_at)",
        "CREATE INDEX leads_by_updated ON leads (updated_at)",
        "CREATE INDEX leads_by_prospect ON leads (resman_prospect_id)"
        " WHERE resman_prospect_id IS NOT NULL",
        """CREATE TABLE links (
            conversation_id TEXT PRIMARY KEY REFERENCES leads (conversation_id),
            prospect_id TEXT NOT NULL UNIQUE,
            person_id TEXT,
            property_id TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            agreed_at TEXT NOT NULL
        )""",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES leads (conversation_id),
            direction TEXT NOT NULL CHECK (direction IN ('domiq_to_resman', 'resman_to_domiq')),
            sync_type TEXT NOT NULL,
            payload TEXT NOT NULL,
            dedupe_key TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id)",
        "CREATE INDEX outbox_lane ON outbox (conversation_id, direction, id)",
        """CREATE TABLE sync_log (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL,
            sync_direction TEXT NOT NULL,
            sync_status TEXT NOT NULL,
            sync_type TEXT NOT NULL,
            created_at TEXT NOT NULL,
            error_message TEXT,
            conflict_resolution TEXT,
            latency_ms REAL
        )""",
        "CREATE INDEX sync_log_by_lead ON sync_log (conversation_id, created_at)",
        "CREATE INDEX sync_log_by_time ON sync_log (created_at)",
        """CREATE TABLE conflicts (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES leads (conversation_id),
            field TEXT NOT NULL,
            resman_value TEXT NOT NULL,
            domiq_value TEXT NOT NULL,
            base_value TEXT NOT NULL,
            conflict_type TEXT NOT NULL,
            conflict_severity TEXT NOT NULL,
            resolution_status TEXT NOT NULL,
            detected_at TEXT,
            resolution TEXT,
            resolved_at TEXT,
            resolved_by TEXT
        )""",
        "CREATE INDEX conflicts_by_lead ON conflicts (conversation_id)",
        "CREATE INDEX conflicts_open ON conflicts (detected_at)"
        " WHERE resolution_status != 'resolved'",
        """CREATE TABLE cursors (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            before TEXT,
            after TEXT,
            reason TEXT
        )""",
        "CREATE INDEX audit_by_time ON audit (at)",
        "CREATE INDEX audit_by_target ON audit (target, at)",
    ),
    # v2: which engine runs on this store (see `EngineRecord`; a lease's row later).
    (
        """CREATE TABLE engine (
            slot TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            token TEXT NOT NULL,
            mode TEXT NOT NULL,
            started_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            stopped_at TEXT,
            generation INTEGER NOT NULL
        )""",
    ),
    # v3: a prospect may be linked to a second conversation when a person decides so
    # (`Link.shared_by`); without such a decision it still has one link at most.
    (
        """CREATE TABLE links_v2 (
            conversation_id TEXT PRIMARY KEY REFERENCES leads (conversation_id),
            prospect_id TEXT NOT NULL,
            person_id TEXT,
            property_id TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            agreed_at TEXT NOT NULL,
            shared_by TEXT
        )""",
        "INSERT INTO links_v2 SELECT conversation_id, prospect_id, person_id, property_id,"
        " snapshot, agreed_at, NULL FROM links",
        "DROP TABLE links",
        "ALTER TABLE links_v2 RENAME TO links",
        "CREATE UNIQUE INDEX links_one_owner ON links (prospect_id) WHERE shared_by IS NULL",
        "CREATE INDEX links_by_prospect ON links (prospect_id)",
    ),
    # v4: what each connection committed, by key, for the other windows on this file
    # (`store.change_watch`); the newest `FEED_KEEP` rows are kept.
    (
        """CREATE TABLE change_feed (
            seq INTEGER PRIMARY KEY,
            writer TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL
        )""",
    ),
    # v5: outbox payloads carry their kind (`store.payloads`), inferred as the sender
    # did before the tag existed: by sync type, then `report`, `fields`, `resync`.
    (
        """UPDATE outbox SET payload = CASE
            WHEN sync_type = 'resolution' THEN json_set(payload, '$.kind', 'resolution')
            WHEN json_extract(payload, '$.report') THEN json_object('kind', 'report')
            WHEN json_type(payload, '$.fields') IS NOT NULL
                THEN json_set(payload, '$.kind', 'fields')
            WHEN json_type(payload, '$.resync') IS NOT NULL
                THEN json_set(payload, '$.kind', 'resync')
            ELSE json_set(payload, '$.kind', 'link')
        END
        WHERE json_type(payload, '$.kind') IS NULL""",
    ),
    # v6: what watching windows ask the lease holder's engine to do, and its outcome
    # (`store.operator_commands`).
    (
        """CREATE TABLE commands (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_by TEXT,
            result TEXT,
            error TEXT,
            error_kind TEXT,
            done_at TEXT
        )""",
        "CREATE INDEX commands_open ON commands (id) WHERE state IN ('pending', 'running')",
    ),
)
"""Each entry is one schema version's statements, applied in one transaction; the
database's `PRAGMA user_version` is the number of entries applied. Only ever append."""

SCHEMA_VERSION: Final = len(MIGRATIONS)

_LEADS = TypeAdapter(list[Lead])
FEED_KEEP: Final = 200_000
"""Rows `change_feed` keeps (the newest): a window further behind reads everything
again (`Committed.gap`). A few MB; pruned by every write, a few rows at a time."""
PAGE_CACHE_KB: Final = 32 * 1024
WAL_CHECKPOINT_PAGES: Final = 10_000
_LEAD_CHUNK: Final = 1000
FREEZE_MIN: Final = 10_000
"""A load of at least this many leads moves what it built (and everything alive before
it) into the collector's permanent generation (`gc.freeze()`), chunk by chunk.

Profiled: with 100k leads (~230k tracked objects) every full collection scanned them all,
~0.2 s of a 1 s load and, later, pauses of 0.1-0.5 s under live traffic (a full
collection runs whenever the objects created since the last one reach 25% of the heap).
Frozen leads are still freed by reference counting when replaced (a `Lead` holds no
cycles); small loads (tests, a fresh install) are left alone."""
_OPEN_STATUSES = "('unresolved', 'manual_review', 'escalated')"
_OUTBOX_COLUMNS = (
    "id, conversation_id, direction, sync_type, payload, dedupe_key, status, attempts,"
    " next_attempt_at, last_error, created_at, updated_at"
)
_LOG_COLUMNS = (
    "id, conversation_id, sync_direction, sync_status, sync_type, created_at,"
    " error_message, conflict_resolution, latency_ms"
)
_CONFLICT_COLUMNS = (
    "id, conversation_id, field, resman_value, domiq_value, base_value, conflict_type,"
    " conflict_severity, resolution_status, detected_at, resolution"
)
_LINK_COLUMNS = (
    "conversation_id, prospect_id, person_id, property_id, snapshot, agreed_at, shared_by"
)
_AUDIT_COLUMNS = "id, at, actor, action, target, before, after, reason"
_HOLDS_LEASE = "EXISTS (SELECT 1 FROM engine WHERE slot = 'sync' AND token = :lease)"
"""True while the token bound as `:lease` holds the sync lease (one primary-key read)."""
_ENGINE_COLUMNS = (
    "slot, host, pid, token, mode, started_at, heartbeat_at, expires_at, stopped_at, generation"
)


# --------------------------------------------------------------------------- encoding


CLOCK_STEP = timedelta(seconds=5)
"""An outbox item stamped more than this in our future was scheduled before our clock
stepped back (NTP): its wait no longer means anything, so it is due at once."""


def _ts(value: datetime) -> str:
    """Fixed-width UTC text, so comparisons and ORDER BY on the column are by time."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def _ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else _ts(value)


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _dt_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _to_json(value: Any) -> str:
    """JSON for any value pydantic can serialise (dates, decimals, models)."""
    return pydantic_core.to_json(value).decode()


def _json_list(values: Iterable[Any]) -> str:
    """One bound parameter for `IN (SELECT value FROM json_each(?))`: no variable limit."""
    return json.dumps(list(values))


def _lead_row(lead: Lead) -> tuple[Any, ...]:
    return (
        lead.conversation_id,
        lead.version,
        lead.property_id,
        lead.resman_sync_status.value,
        lead.resman_prospect_id,
        _ts(lead.updated_at),
        lead.model_dump_json(),
    )


def _leads_from(rows: Sequence[Sequence[Any]]) -> list[Lead]:
    """Validate rows as JSON arrays of `_LEAD_CHUNK`: measured 1.6x faster than one
    `model_validate_json` per row, and 3x faster than one array of everything."""
    leads: list[Lead] = []
    for start in range(0, len(rows), _LEAD_CHUNK):
        chunk = rows[start : start + _LEAD_CHUNK]
        leads += _LEADS.validate_json("[" + ",".join(row[0] for row in chunk) + "]")
    return leads


_LEAD_DATETIMES: Final = ("created_at", "updated_at", "last_sync_at")
_ENUM_OF: Final[dict[str, type[StrEnum]]] = {
    "source": LeadSource,
    "qualification": Qualification,
    "resman_sync_status": SyncStatus,
}
_LEAD_ENUMS: Final = tuple(
    (name, {member.value: member for member in enum}) for name, enum in _ENUM_OF.items()
)


def _stored_leads(rows: Sequence[Sequence[Any]]) -> list[Lead]:
    """Leads from rows this module wrote (`model_dump_json` of a validated `Lead`).

    The bulk read at start-up: it decodes exactly what that dump holds (UTC instants,
    a date, three enums; every other field is a JSON scalar already) and builds the
    models without validating them again, which profiled at ~3x faster than
    `_leads_from` for 100k rows (pydantic's per-datetime `AfterValidator` alone was
    40% of the load). Anything unexpected falls back to full validation.
    """
    try:
        records = pydantic_core.from_json("[" + ",".join(row[0] for row in rows) + "]")
        leads = []
        fromisoformat = datetime.fromisoformat
        for record in records:
            for name in _LEAD_DATETIMES:
                value = record.get(name)
                if value is not None:
                    instant = fromisoformat(value)
                    record[name] = instant if instant.tzinfo is UTC else instant.astimezone(UTC)
            move_in = record.get("desired_move_in")
            if move_in is not None:
                record["desired_move_in"] = date.fromisoformat(move_in)
            for name, members in _LEAD_ENUMS:
                if name in record:
                    value = record[name]
                    # A dict lookup: `Enum(value)` costs ~1.5 us a call, 0.45 s per 100k.
                    record[name] = members[value] if value in members else _ENUM_OF[name](value)
            leads.append(_built_lead(record))
        return leads
    except (ValueError, TypeError, KeyError):
        return _leads_from(rows)


_LEAD_FIELD_NAMES: Final = frozenset(Lead.model_fields)
_ALL_LEAD_FIELDS_SET: Final = set(Lead.model_fields)
"""One `__pydantic_fields_set__` shared by every lead built from a full dump.

A set of 20 names is 2.2 KB: one per lead was two thirds of the memory 100k leads took.
Sharing it is safe because a `Lead` is frozen and pydantic never changes a model's set in
place: `model_copy` copies it before adding the updated names."""


def _built_lead(values: dict[str, Any]) -> Lead:
    """What `Lead.model_construct(**values)` builds, minus its per-field loop, when
    `values` holds every field (as a stored dump does)."""
    if values.keys() != _LEAD_FIELD_NAMES:
        return Lead.model_construct(**values)
    lead = Lead.__new__(Lead)
    object.__setattr__(lead, "__dict__", values)
    object.__setattr__(lead, "__pydantic_fields_set__", _ALL_LEAD_FIELDS_SET)
    object.__setattr__(lead, "__pydantic_extra__", None)
    object.__setattr__(lead, "__pydantic_private__", None)
    return lead


def _outbox_item(row: Sequence[Any]) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        conversation_id=row[1],
        direction=SyncDirection(row[2]),
        sync_type=SyncType(row[3]),
        payload=PAYLOAD.validate_json(row[4]),
        dedupe_key=row[5],
        status=OutboxStatus(row[6]),
        attempts=row[7],
        next_attempt_at=_dt(row[8]),
        last_error=row[9],
        created_at=_dt(row[10]),
        updated_at=_dt(row[11]),
    )


def _log_row(log: LeadSyncLog) -> tuple[Any, ...]:
    return (
        log.id,
        log.conversation_id,
        log.sync_direction.value,
        log.sync_status.value,
        log.sync_type.value,
        _ts(log.created_at),
        log.error_message,
        None if log.conflict_resolution is None else log.conflict_resolution.value,
        log.latency_ms,
    )


def _log(row: Sequence[Any]) -> LeadSyncLog:
    return LeadSyncLog(
        id=row[0],
        conversation_id=row[1],
        sync_direction=SyncDirection(row[2]),
        sync_status=AttemptStatus(row[3]),
        sync_type=SyncType(row[4]),
        created_at=_dt(row[5]),
        error_message=row[6],
        conflict_resolution=None if row[7] is None else Resolution(row[7]),
        latency_ms=row[8],
    )


def _conflict_row(conflict: LeadSyncConflict) -> tuple[Any, ...]:
    return (
        conflict.id,
        conflict.conversation_id,
        conflict.field,
        _to_json(conflict.resman_value),
        _to_json(conflict.domiq_value),
        _to_json(conflict.base_value),
        conflict.conflict_type.value,
        conflict.conflict_severity.value,
        conflict.resolution_status.value,
        _ts_or_none(conflict.detected_at),
        None if conflict.resolution is None else conflict.resolution.model_dump_json(),
    )


def _conflict(row: Sequence[Any]) -> LeadSyncConflict:
    return LeadSyncConflict(
        id=row[0],
        conversation_id=row[1],
        field=row[2],
        resman_value=json.loads(row[3]),
        domiq_value=json.loads(row[4]),
        base_value=json.loads(row[5]),
        conflict_type=ConflictType(row[6]),
        conflict_severity=ConflictSeverity(row[7]),
        resolution_status=ResolutionStatus(row[8]),
        detected_at=_dt_or_none(row[9]),
        resolution=None if row[10] is None else ConflictResolution.model_validate_json(row[10]),
    )


def _link(row: Sequence[Any]) -> Link:
    return Link(
        conversation_id=row[0],
        prospect_id=row[1],
        person_id=row[2],
        property_id=row[3],
        snapshot=json.loads(row[4]),
        agreed_at=_dt(row[5]),
        shared_by=row[6],
    )


def _engine_row(record: EngineRecord) -> tuple[Any, ...]:
    return (
        record.slot,
        record.host,
        record.pid,
        record.token,
        record.mode,
        _ts(record.started_at),
        _ts(record.heartbeat_at),
        _ts(record.expires_at),
        _ts_or_none(record.stopped_at),
        record.generation,
    )


def _engine(row: Sequence[Any]) -> EngineRecord:
    slot, host, pid, token, mode, started, beat, expires, stopped, generation = row
    return EngineRecord(
        slot=slot,
        host=host,
        pid=pid,
        token=token,
        mode=mode,
        started_at=_dt(started),
        heartbeat_at=_dt(beat),
        expires_at=_dt(expires),
        stopped_at=_dt_or_none(stopped),
        generation=generation,
    )


def _audit(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry(
        id=row[0],
        at=_dt(row[1]),
        actor=row[2],
        action=row[3],
        target=row[4],
        before=None if row[5] is None else json.loads(row[5]),
        after=None if row[6] is None else json.loads(row[6]),
        reason=row[7],
    )


# --------------------------------------------------------------------------- database


@dataclass(frozen=True, slots=True)
class LeadPage:
    """Where the next page of `Database.load_leads_page` starts (exclusive)."""

    updated_at: str
    rowid: int


class Database:
    """The leadsync SQLite database.

    `async with await Database.open(path) as db: ...` opens, migrates and closes it.
    """

    def __init__(self, conn: aiosqlite.Connection, *, now: Clock) -> None:
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
                    await self._settle("BEGIN IMMEDIATE")
                    yield
                    await self._settle("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        await self._settle("ROLLBACK")
                    raise
            finally:
                self._owner = None

    async def _settle(self, sql: str) -> None:
        """Run a transaction statement to its end even if our task is cancelled meanwhile.

        The statement runs on aiosqlite's thread whatever happens to the awaiting task; a
        cancellation that returned early would leave the connection inside a transaction
        no one owns, and every later write would fail ("cannot start a transaction
        within a transaction"). The cancellation is delivered once the statement is done.
        """
        statement = asyncio.ensure_future(self._conn.execute(sql))
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

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._reading():
            return list(await self._conn.execute_fetchall(sql, params))

    async def _write(self, work: Callable[[], Awaitable[_T]]) -> _T:
        async with self.transaction():
            return await work()

    # ----------------------------------------------------------------- leads

    async def upsert_leads(self, leads: Sequence[Lead]) -> None:
        """Insert or replace leads in one statement; an older `version` never overwrites."""
        if not leads:
            return
        rows = [_lead_row(lead) for lead in leads]

        async def work() -> None:
            await self._conn.executemany(
                "INSERT INTO leads (conversation_id, version, property_id,"
                " resman_sync_status, resman_prospect_id, updated_at, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (conversation_id) DO UPDATE SET"
                " version = excluded.version, property_id = excluded.property_id,"
                " resman_sync_status = excluded.resman_sync_status,"
                " resman_prospect_id = excluded.resman_prospect_id,"
                " updated_at = excluded.updated_at, data = excluded.data"
                " WHERE excluded.version >= leads.version",
                rows,
            )
            await self._feed(FeedKind.LEAD, [lead.conversation_id for lead in leads])

        await self._write(work)

    async def load_leads(self) -> list[Lead]:
        """Every lead, most recently updated first.

        Validation runs on the event loop in chunks of `_LEAD_CHUNK` rows (a few ms each)
        with a yield between chunks, so loading 100k leads never blocks the UI for long.
        """
        rows = await self._fetch("SELECT data FROM leads ORDER BY updated_at DESC")
        freeze = len(rows) >= FREEZE_MIN
        leads: list[Lead] = []
        for start in range(0, len(rows), _LEAD_CHUNK):
            leads += _stored_leads(rows[start : start + _LEAD_CHUNK])
            if freeze:
                # Long-lived from here on: out of the collector's sight (see FREEZE_MIN).
                gc.freeze()
            await asyncio.sleep(0)
        return leads

    async def count_leads(self) -> int:
        """How many leads the file holds (cheap: no row is decoded)."""
        rows = await self._fetch("SELECT count(*) FROM leads")
        return int(rows[0][0])

    async def load_leads_page(
        self, after: LeadPage | None, limit: int, *, freeze: bool = False
    ) -> tuple[list[Lead], LeadPage | None]:
        """Up to `limit` leads after `after` (None: from the start), most recently
        updated first, and the key to pass for the next page (None when none is left).

        Keyset pagination on `(updated_at, rowid)`, which `leads_by_updated` holds in
        order: each page costs its own rows, however deep. A lead rewritten while the
        pages are read may move (its `updated_at` changes) and be read twice or not at
        all; `LeadSyncStore.load_leads_progressively` holds what it writes itself, and
        keeps the newer version of a lead it meets twice. `freeze` as in `load_leads`.
        """
        if after is None:
            rows = await self._fetch(
                "SELECT data, updated_at, rowid FROM leads"
                " ORDER BY updated_at DESC, rowid DESC LIMIT ?",
                (limit,),
            )
        else:
            rows = await self._fetch(
                "SELECT data, updated_at, rowid FROM leads WHERE (updated_at, rowid) < (?, ?)"
                " ORDER BY updated_at DESC, rowid DESC LIMIT ?",
                (after.updated_at, after.rowid, limit),
            )
        leads: list[Lead] = []
        for start in range(0, len(rows), _LEAD_CHUNK):
            leads += _stored_leads(rows[start : start + _LEAD_CHUNK])
            if freeze:
                gc.freeze()
            await asyncio.sleep(0)
        if len(rows) < limit:
            return leads, None
        return leads, LeadPage(rows[-1][1], rows[-1][2])

    async def get_lead(self, conversation_id: str) -> Lead | None:
        rows = await self._fetch(
            "SELECT data FROM leads WHERE conversation_id = ?", (conversation_id,)
        )
        return Lead.model_validate_json(rows[0][0]) if rows else None

    async def get_leads(self, conversation_ids: Iterable[str]) -> dict[str, Lead]:
        """The leads with these ids that exist, by id."""
        rows = await self._fetch(
            "SELECT data FROM leads WHERE conversation_id IN (SELECT value FROM json_each(?))",
            (_json_list(conversation_ids),),
        )
        return {lead.conversation_id: lead for lead in _leads_from(rows)}

    async def lead_by_prospect(self, prospect_id: str) -> Lead | None:
        """The lead whose `resman_prospect_id` is this prospect, if any."""
        rows = await self._fetch(
            "SELECT data FROM leads WHERE resman_prospect_id = ? LIMIT 1", (prospect_id,)
        )
        return Lead.model_validate_json(rows[0][0]) if rows else None

    # ----------------------------------------------------------------- links

    async def upsert_links(self, links: Sequence[Link]) -> None:
        """Record or move forward links; raises `DuplicateLink` if a prospect is taken
        (by a link made without a person's decision to share it: `Link.shared_by`).

        A link moved forward on the same prospect keeps its `shared_by`, so a merge that
        builds a fresh `Link` cannot turn a shared link into a second owner."""
        if not links:
            return
        rows = [
            (
                link.conversation_id,
                link.prospect_id,
                link.person_id,
                link.property_id,
                _to_json(link.snapshot),
                _ts(link.agreed_at),
                link.shared_by,
            )
            for link in links
        ]
        try:
            await self._write(
                lambda: self._conn.executemany(
                    f"INSERT INTO links ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (conversation_id) DO UPDATE SET"
                    " prospect_id = excluded.prospect_id, person_id = excluded.person_id,"
                    " property_id = excluded.property_id, snapshot = excluded.snapshot,"
                    " agreed_at = excluded.agreed_at,"
                    " shared_by = CASE WHEN excluded.prospect_id = links.prospect_id"
                    " THEN coalesce(excluded.shared_by, links.shared_by)"
                    " ELSE excluded.shared_by END",
                    rows,
                )
            )
        except sqlite3.IntegrityError as exc:
            if "links.prospect_id" not in str(exc):
                raise
            raise DuplicateLink(
                f"a prospect in {[link.prospect_id for link in links]} is already linked"
                " to another conversation"
            ) from exc

    async def upsert_link(self, link: Link) -> None:
        await self.upsert_links([link])

    async def get_link(self, conversation_id: str) -> Link | None:
        rows = await self._fetch(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE conversation_id = ?", (conversation_id,)
        )
        return _link(rows[0]) if rows else None

    async def get_links(self, conversation_ids: Iterable[str]) -> dict[str, Link]:
        """Links for these conversations, by conversation id."""
        rows = await self._fetch(
            f"SELECT {_LINK_COLUMNS} FROM links"
            " WHERE conversation_id IN (SELECT value FROM json_each(?))",
            (_json_list(conversation_ids),),
        )
        return {row[0]: _link(row) for row in rows}

    async def links_by_prospect(self, prospect_ids: Iterable[str]) -> dict[str, Link]:
        """Links for these ResMan prospects, by prospect id (one query per poll batch)."""
        rows = await self._fetch(
            f"SELECT {_LINK_COLUMNS} FROM links"
            " WHERE prospect_id IN (SELECT value FROM json_each(?))",
            (_json_list(prospect_ids),),
        )
        return {row[1]: _link(row) for row in rows}

    # ----------------------------------------------------------------- outbox

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> list[int]:
        """Add items; one whose `dedupe_key` is already queued is not added twice.

        Returns the id of each item, in order, whether new or already there.
        """
        if not items:
            return []
        now = _ts(self._now())
        rows = [
            (
                item.conversation_id,
                item.direction.value,
                item.sync_type.value,
                _to_json(item.payload),
                item.dedupe_key,
                _ts(item.next_attempt_at) if item.next_attempt_at else now,
                now,
                now,
            )
            for item in items
        ]

        async def work() -> list[int]:
            await self._conn.executemany(
                "INSERT INTO outbox (conversation_id, direction, sync_type, payload,"
                " dedupe_key, status, attempts, next_attempt_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                rows,
            )
            found = await self._conn.execute_fetchall(
                "SELECT dedupe_key, id FROM outbox"
                " WHERE dedupe_key IN (SELECT value FROM json_each(?))",
                (_json_list(item.dedupe_key for item in items),),
            )
            ids: dict[str, int] = {key: item_id for key, item_id in found}
            return [ids[item.dedupe_key] for item in items]

        return await self._write(work)

    async def claim_due(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Mark up to `limit` due items `in_flight` and return them, oldest due first.

        Only the head of each lane (conversation, direction) is due: while an earlier
        item of the lane is pending, in flight or parked, later ones wait, so two changes
        to one lead never race or overtake each other. An item last touched in our
        future was scheduled before our clock stepped back (`CLOCK_STEP`): it is due
        now, not after the length of the step.
        """

        async def work() -> list[OutboxItem]:
            rows = await self._conn.execute_fetchall(
                "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1,"
                " updated_at = :now WHERE id IN ("
                "  SELECT o.id FROM outbox o"
                "  WHERE o.status = 'pending'"
                "  AND (o.next_attempt_at <= :now OR o.updated_at > :stepped_back)"
                "  AND NOT EXISTS (SELECT 1 FROM outbox e"
                "   WHERE e.conversation_id = o.conversation_id"
                "   AND e.direction = o.direction AND e.id < o.id)"
                "  ORDER BY o.next_attempt_at, o.id LIMIT :limit)"
                f"{self._fenced()} RETURNING {_OUTBOX_COLUMNS}",
                {
                    "now": _ts(now),
                    "stepped_back": _ts(now + CLOCK_STEP),
                    "limit": limit,
                    "lease": self.lease_token,
                },
            )
            items = [_outbox_item(row) for row in rows]
            items.sort(key=lambda item: (item.next_attempt_at, item.id))
            return items

        return await self._write(work)

    async def complete(self, item_id: int) -> bool:
        """The other side confirmed: the item leaves the outbox. False if it was gone."""
        cursor = await self._write(
            lambda: self._conn.execute(
                f"DELETE FROM outbox WHERE id = :id{self._fenced()}",
                {"id": item_id, "lease": self.lease_token},
            )
        )
        return cursor.rowcount > 0

    async def fail(
        self, item_id: int, error: str, next_attempt_at: datetime, *, park: bool = False
    ) -> bool:
        """Record a failed attempt: retry from `next_attempt_at`, or park it (`failed`)."""
        status = OutboxStatus.FAILED if park else OutboxStatus.PENDING
        cursor = await self._write(
            lambda: self._conn.execute(
                "UPDATE outbox SET status = :status, last_error = :error,"
                " next_attempt_at = :next, updated_at = :now"
                f" WHERE id = :id{self._fenced()}",
                {
                    "status": status.value,
                    "error": error,
                    "next": _ts(next_attempt_at),
                    "now": _ts(self._now()),
                    "id": item_id,
                    "lease": self.lease_token,
                },
            )
        )
        return cursor.rowcount > 0

    async def retry_failed(self, ids: Iterable[int] | None = None) -> list[OutboxItem]:
        """Put parked items (all, or those of `ids`) back in the queue, due now, with their
        attempts reset. Returns the items re-armed; ids not parked are left alone."""
        sql = (
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = :now,"
            " updated_at = :now WHERE status = 'failed'"
        )
        params: dict[str, Any] = {"now": _ts(self._now())}
        if ids is not None:
            sql += " AND id IN (SELECT value FROM json_each(:ids))"
            params["ids"] = _json_list(ids)
        rows = await self._write(
            lambda: self._conn.execute_fetchall(f"{sql} RETURNING {_OUTBOX_COLUMNS}", params)
        )
        return sorted((_outbox_item(row) for row in rows), key=lambda item: item.id)

    async def requeue_in_flight(self) -> int:
        """Put items a dead run left `in_flight` back to `pending`, due now.

        Only safe when no other engine may be sending them: `take_engine` calls it in
        the transaction that takes the lease over from a gone holder."""
        now = _ts(self._now())
        cursor = await self._write(
            lambda: self._conn.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, updated_at = ?"
                " WHERE status = 'in_flight'",
                (now, now),
            )
        )
        return cursor.rowcount

    def _fenced(self) -> str:
        """` AND <this engine holds the lease>` once an engine holds it, else nothing."""
        return "" if self.lease_token is None else f" AND {_HOLDS_LEASE}"

    async def outbox_counts(self) -> OutboxCounts:
        rows = await self._fetch("SELECT status, count(*) FROM outbox GROUP BY status")
        return OutboxCounts(**{status: count for status, count in rows})

    async def outbox_items(
        self,
        *,
        conversation_id: str | None = None,
        status: OutboxStatus | None = None,
        limit: int = 1000,
    ) -> list[OutboxItem]:
        """Items in queue order, optionally for one lead and/or in one status."""
        sql = f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE 1"
        params: list[Any] = []
        if conversation_id is not None:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status.value)
        rows = await self._fetch(sql + " ORDER BY id LIMIT ?", [*params, limit])
        return [_outbox_item(row) for row in rows]

    # ----------------------------------------------------------------- sync log

    async def append_logs(self, logs: Sequence[LeadSyncLog]) -> None:
        """Append attempts; a log id already stored is kept as it was."""
        if not logs:
            return
        rows = [_log_row(log) for log in logs]

        async def work() -> None:
            await self._conn.executemany(
                f"INSERT INTO sync_log ({_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                rows,
            )
            await self._feed(FeedKind.LOG, [log.id for log in logs])

        await self._write(work)

    async def logs_for(self, conversation_id: str, limit: int = 100) -> list[LeadSyncLog]:
        """The lead's `limit` most recent attempts, oldest first."""
        rows = await self._fetch(
            f"SELECT {_LOG_COLUMNS} FROM sync_log WHERE conversation_id = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (conversation_id, limit),
        )
        return [_log(row) for row in reversed(rows)]

    async def get_logs(self, log_ids: Iterable[str]) -> list[LeadSyncLog]:
        """The sync-log entries with these ids, oldest first."""
        rows = await self._fetch(
            f"SELECT {_LOG_COLUMNS} FROM sync_log WHERE id IN (SELECT value FROM json_each(?))"
            " ORDER BY created_at, rowid",
            (_json_list(log_ids),),
        )
        return [_log(row) for row in rows]

    async def recent_logs(self, since: datetime) -> list[LeadSyncLog]:
        """Every attempt at or after `since`, oldest first (the metrics window)."""
        rows = await self._fetch(
            f"SELECT {_LOG_COLUMNS} FROM sync_log WHERE created_at >= ? ORDER BY created_at, rowid",
            (_ts(since),),
        )
        return [_log(row) for row in rows]

    # ----------------------------------------------------------------- conflicts

    async def upsert_conflicts(self, conflicts: Sequence[LeadSyncConflict]) -> None:
        """Insert or replace conflicts by id."""
        if not conflicts:
            return
        rows = [_conflict_row(conflict) for conflict in conflicts]

        async def work() -> None:
            await self._conn.executemany(
                f"INSERT INTO conflicts ({_CONFLICT_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET"
                " conversation_id = excluded.conversation_id, field = excluded.field,"
                " resman_value = excluded.resman_value, domiq_value = excluded.domiq_value,"
                " base_value = excluded.base_value, conflict_type = excluded.conflict_type,"
                " conflict_severity = excluded.conflict_severity,"
                " resolution_status = excluded.resolution_status,"
                " detected_at = excluded.detected_at, resolution = excluded.resolution",
                rows,
            )
            await self._feed(FeedKind.CONFLICT, [conflict.id for conflict in conflicts])

        await self._write(work)

    async def update_conflict(
        self,
        conflict: LeadSyncConflict,
        *,
        resolved_by: str | None = None,
        resolved_at: datetime | None = None,
    ) -> bool:
        """Store a conflict's new status and resolution (and who decided, and when)."""

        async def work() -> bool:
            cursor = await self._conn.execute(
                "UPDATE conflicts SET resolution_status = ?, resolution = ?,"
                " resolved_by = ?, resolved_at = ? WHERE id = ?",
                (
                    conflict.resolution_status.value,
                    None if conflict.resolution is None else conflict.resolution.model_dump_json(),
                    resolved_by,
                    _ts_or_none(resolved_at),
                    conflict.id,
                ),
            )
            if cursor.rowcount <= 0:
                return False
            await self._feed(FeedKind.CONFLICT, [conflict.id])
            return True

        return await self._write(work)

    async def get_conflict(self, conflict_id: str) -> LeadSyncConflict | None:
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE id = ?", (conflict_id,)
        )
        return _conflict(rows[0]) if rows else None

    async def get_conflicts(self, conflict_ids: Iterable[str]) -> list[LeadSyncConflict]:
        """The conflicts with these ids that exist, open or not."""
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts"
            " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY detected_at, id",
            (_json_list(conflict_ids),),
        )
        return [_conflict(row) for row in rows]

    async def open_conflicts(self) -> list[LeadSyncConflict]:
        """Conflicts that still need someone, oldest first."""
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts"
            f" WHERE resolution_status IN {_OPEN_STATUSES} ORDER BY detected_at, id"
        )
        return [_conflict(row) for row in rows]

    async def conflicts_for(self, conversation_id: str) -> list[LeadSyncConflict]:
        """Every conflict of one lead, open or not, oldest first."""
        rows = await self._fetch(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE conversation_id = ?"
            " ORDER BY detected_at, id",
            (conversation_id,),
        )
        return [_conflict(row) for row in rows]

    async def conflict_decision(self, conflict_id: str) -> tuple[str | None, datetime | None]:
        """Who resolved a conflict and when ((None, None) while it is open)."""
        rows = await self._fetch(
            "SELECT resolved_by, resolved_at FROM conflicts WHERE id = ?", (conflict_id,)
        )
        if not rows:
            return None, None
        return rows[0][0], _dt_or_none(rows[0][1])

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

    async def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: it changes when another connection (of this
        process or another) commits to the file, never for this connection's commits."""
        rows = await self._fetch("PRAGMA data_version")
        return int(rows[0][0])

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

    # ----------------------------------------------------------------- cursors

    async def get_cursor(self, name: str) -> str | None:
        rows = await self._fetch("SELECT value FROM cursors WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    async def set_cursor(self, name: str, value: str) -> None:
        await self._write(
            lambda: self._conn.execute(
                "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                (name, value, _ts(self._now())),
            )
        )

    # ----------------------------------------------------------------- engine record

    async def engine_record(self, slot: str = "sync") -> EngineRecord | None:
        """Who runs (or last ran) the engine on this store; None if none ever did."""
        rows = await self._fetch(f"SELECT {_ENGINE_COLUMNS} FROM engine WHERE slot = ?", (slot,))
        return _engine(rows[0]) if rows else None

    async def swap_engine(self, record: EngineRecord, expected_token: str | None) -> bool:
        """Write `record` only if the slot still holds `expected_token` (None: is empty),
        atomically; False when another process changed it meanwhile."""
        row = _engine_row(record)

        async def swap() -> bool:
            if expected_token is None:
                cursor = await self._conn.execute(
                    f"INSERT OR IGNORE INTO engine ({_ENGINE_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            else:
                cursor = await self._conn.execute(
                    "UPDATE engine SET slot = ?, host = ?, pid = ?, token = ?, mode = ?,"
                    " started_at = ?, heartbeat_at = ?, expires_at = ?, stopped_at = ?,"
                    " generation = ? WHERE slot = ? AND token = ?",
                    (*row, record.slot, expected_token),
                )
            return cursor.rowcount == 1

        return await self._write(swap)

    async def take_engine(self, record: EngineRecord, expected_token: str | None) -> int | None:
        """Take the slot over for a new holder (`swap_engine`) and, in the same
        transaction, put every item the previous holder left `in_flight` back to
        `pending`: it is gone, so they would never finish. None when another process
        changed the slot meanwhile; else how many items were put back."""
        async with self.transaction():
            if not await self.swap_engine(record, expected_token):
                return None
            return await self.requeue_in_flight()

    # ----------------------------------------------------------------- audit

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit entries (their `id` is ignored; the database assigns one)."""
        if not entries:
            return
        rows = [
            (
                _ts(entry.at),
                entry.actor,
                entry.action,
                entry.target,
                None if entry.before is None else _to_json(entry.before),
                None if entry.after is None else _to_json(entry.after),
                entry.reason,
            )
            for entry in entries
        ]
        await self._write(
            lambda: self._conn.executemany(
                "INSERT INTO audit (at, actor, action, target, before, after, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        )

    async def audit_entries(
        self, since: datetime | None = None, *, target: str | None = None, limit: int = 1000
    ) -> list[AuditEntry]:
        """Entries at or after `since` (all if None), optionally about one target, oldest
        first, at most `limit` of the most recent."""
        sql = f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE 1"
        params: list[Any] = []
        if since is not None:
            sql += " AND at >= ?"
            params.append(_ts(since))
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        rows = await self._fetch(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [_audit(row) for row in reversed(rows)]


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
