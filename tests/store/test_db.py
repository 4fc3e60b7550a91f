"""The SQLite store: migrations, the outbox's guarantees, batching and concurrent writers."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from leadsync_tui.models import (
    ConflictResolution,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncStatus,
)
from leadsync_tui.store import db as db_module
from leadsync_tui.store.db import SCHEMA_VERSION, Database, DatabaseTooNew, DuplicateLink
from leadsync_tui.store.payloads import FieldWrite, LinkWrite
from leadsync_tui.store.records import (
    AuditEntry,
    Cursor,
    EngineRecord,
    Link,
    OutboxCounts,
    OutboxStatus,
)
from leadsync_tui.store.sqlite_link import SqliteLink
from tests.store.conftest import (
    T0,
    FrozenClock,
    make_conflict,
    make_item,
    make_lead,
    make_log,
)

TABLES = {"leads", "links", "outbox", "sync_log", "conflicts", "cursors", "audit"}


def _raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Look at the file with the stdlib driver, as another tool would."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --------------------------------------------------------------------------- migrations


async def test_open_migrates_an_empty_file_to_the_current_schema(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == SCHEMA_VERSION

    tables = {row[0] for row in _raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= TABLES
    assert _raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _raw(db_path, "PRAGMA journal_mode") == [("wal",)]


async def test_reopening_keeps_data_and_applies_nothing(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        await db.upsert_leads([make_lead("c1")])
        await db.set_cursor(Cursor.DOMIQ_LAST_EVENT_ID, "41")

    async with await Database.open(db_path) as db:
        assert await db.schema_version() == SCHEMA_VERSION
        assert [lead.conversation_id for lead in await db.load_leads()] == ["c1"]
        assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) == "41"


async def test_a_schema_newer_than_the_code_is_refused(db_path: Path) -> None:
    _raw(db_path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    with pytest.raises(DatabaseTooNew) as refused:
        await Database.open(db_path)

    assert str(refused.value) == (
        f"database schema v{SCHEMA_VERSION + 1} is newer than this leadsync"
        f" (v{SCHEMA_VERSION}); upgrade leadsync"
    )
    assert _raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'") == []


async def test_a_failing_migration_leaves_the_previous_version_intact(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await Database.open(db_path):
        pass
    broken = (*db_module.MIGRATIONS, ("CREATE TABLE half_done (a)", "THIS IS NOT SQL"))
    monkeypatch.setattr(db_module, "MIGRATIONS", broken)

    with pytest.raises(sqlite3.OperationalError):
        await Database.open(db_path)

    assert _raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _raw(db_path, "SELECT name FROM sqlite_master WHERE name = 'half_done'") == []


# --------------------------------------------------------------------------- leads


async def test_upsert_of_10k_leads_is_one_transaction_and_loads_back(db: Database) -> None:
    statements: list[str] = []
    if not isinstance(db._conn, SqliteLink):
        pytest.skip("counts SQLite's statements (its trace callback)")
    await db._conn.raw.set_trace_callback(statements.append)
    leads = [
        make_lead(f"c{i:05}", updated_at=T0 + timedelta(seconds=i), property_id=f"p{i % 7}")
        for i in range(10_000)
    ]

    await db.upsert_leads(leads)

    assert statements.count("BEGIN IMMEDIATE") == 1
    assert statements.count("COMMIT") == 1
    loaded = await db.load_leads()
    assert len(loaded) == 10_000
    assert loaded[0].conversation_id == "c09999"  # most recently updated first
    assert loaded[-1] == leads[0]


async def test_an_older_version_never_overwrites_a_newer_one(db: Database) -> None:
    await db.upsert_leads([make_lead("c1", version=3, first_name="New")])
    await db.upsert_leads([make_lead("c1", version=2, first_name="Old")])

    lead = await db.get_lead("c1")
    assert lead is not None
    assert (lead.version, lead.first_name) == (3, "New")


async def test_leads_are_found_by_ids_and_by_prospect(db: Database) -> None:
    await db.upsert_leads(
        [make_lead("c1"), make_lead("c2", resman_prospect_id="P-2"), make_lead("c3")]
    )

    assert set(await db.get_leads(["c1", "c3", "missing"])) == {"c1", "c3"}
    by_prospect = await db.lead_by_prospect("P-2")
    assert by_prospect is not None
    assert by_prospect.conversation_id == "c2"
    assert await db.get_lead("missing") is None


# --------------------------------------------------------------------------- links


async def test_links_round_trip_with_their_snapshot(db: Database) -> None:
    await db.upsert_leads([make_lead("c1"), make_lead("c2")])
    link = Link(
        conversation_id="c1",
        prospect_id="P-1",
        person_id="R-1",
        property_id="p1",
        snapshot={"phone": "+15125550100", "desired_move_in": date(2026, 5, 1), "pets": None},
        agreed_at=T0,
    )

    await db.upsert_link(link)

    stored = await db.get_link("c1")
    assert stored is not None
    assert stored.snapshot == {
        "phone": "+15125550100",
        "desired_move_in": "2026-05-01",
        "pets": None,
    }
    assert set(await db.links_by_prospect(["P-1", "P-9"])) == {"P-1"}
    assert set(await db.get_links(["c1", "c2"])) == {"c1"}
    with pytest.raises(DuplicateLink):
        await db.upsert_link(link.model_copy(update={"conversation_id": "c2"}))


async def test_rows_about_a_lead_need_the_lead(db: Database) -> None:
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.IntegrityError)):
        await db.enqueue([make_item("k", "nobody")])
    assert await db.outbox_counts() == OutboxCounts()


# --------------------------------------------------------------------------- outbox


async def test_enqueue_is_idempotent_by_dedupe_key(db: Database) -> None:
    await db.upsert_leads([make_lead("c1")])

    first = await db.enqueue([make_item("push:c1:v1"), make_item("push:c1:v1")])
    again = await db.enqueue([make_item("push:c1:v1", payload=LinkWrite(version=1))])

    assert first[0] == first[1] == again[0]
    items = await db.outbox_items()
    assert len(items) == 1
    # the first enqueue is kept
    assert items[0].payload == FieldWrite(fields={"key": "push:c1:v1"}, version=1)


async def test_outbox_survives_close_and_reopen(db_path: Path, clock: FrozenClock) -> None:
    async with await Database.open(db_path, now=clock) as db:
        await db.upsert_leads([make_lead("c1"), make_lead("c2")])
        await db.enqueue(
            [
                make_item("a", "c1"),
                make_item("b", "c2", payload=FieldWrite(fields={"n": [1, 2]}, version=2)),
            ]
        )

    async with await Database.open(db_path, now=clock) as db:
        items = await db.outbox_items()
        assert [(i.dedupe_key, i.status, i.payload) for i in items] == [
            ("a", OutboxStatus.PENDING, FieldWrite(fields={"key": "a"}, version=1)),
            ("b", OutboxStatus.PENDING, FieldWrite(fields={"n": [1, 2]}, version=2)),
        ]
        assert items[0].created_at == T0


async def test_claim_complete_and_counts(db: Database, clock: FrozenClock) -> None:
    await db.upsert_leads([make_lead("c1"), make_lead("c2")])
    ids = await db.enqueue([make_item("a", "c1"), make_item("b", "c2")])

    claimed = await db.claim_due(clock(), limit=10)

    assert [item.id for item in claimed] == ids
    assert all(i.status is OutboxStatus.IN_FLIGHT and i.attempts == 1 for i in claimed)
    assert await db.claim_due(clock(), limit=10) == []
    assert await db.outbox_counts() == OutboxCounts(in_flight=2)
    assert await db.complete(ids[0]) is True
    assert await db.complete(ids[0]) is False
    assert await db.outbox_counts() == OutboxCounts(in_flight=1)


async def test_claim_honours_due_time_limit_and_lane_order(
    db: Database, clock: FrozenClock
) -> None:
    await db.upsert_leads([make_lead("c1"), make_lead("c2"), make_lead("c3")])
    first, second, other_way, later, third = await db.enqueue(
        [
            make_item("c1-first", "c1"),
            make_item("c1-second", "c1"),
            make_item("c1-back", "c1", direction=SyncDirection.RESMAN_TO_DOMIQ),
            make_item("c2-later", "c2", due=T0 + timedelta(minutes=5)),
            make_item("c3", "c3"),
        ]
    )

    assert [i.id for i in await db.claim_due(clock(), limit=2)] == [first, other_way]
    assert [i.id for i in await db.claim_due(clock(), limit=10)] == [third]
    await db.complete(first)
    assert [i.id for i in await db.claim_due(clock(), limit=10)] == [second]
    clock.advance(minutes=5)
    assert [i.id for i in await db.claim_due(clock(), limit=10)] == [later]


async def test_fail_retries_later_or_parks_and_retry_failed_rearms(
    db: Database, clock: FrozenClock
) -> None:
    await db.upsert_leads([make_lead("c1"), make_lead("c2")])
    retried, parked, behind = await db.enqueue(
        [make_item("r", "c1"), make_item("p", "c2"), make_item("p2", "c2")]
    )
    await db.claim_due(clock(), limit=10)

    await db.fail(retried, "503 from ResMan", T0 + timedelta(seconds=30))
    await db.fail(parked, "ResMan: unknown property", T0, park=True)

    assert await db.outbox_counts() == OutboxCounts(pending=2, failed=1)
    assert await db.claim_due(clock(), limit=10) == []  # r not due; p2 waits behind p
    clock.advance(seconds=30)
    [again] = await db.claim_due(clock(), limit=10)
    assert (again.id, again.attempts, again.last_error) == (retried, 2, "503 from ResMan")

    rearmed = await db.retry_failed([parked, retried])

    assert [(i.id, i.status, i.attempts) for i in rearmed] == [(parked, OutboxStatus.PENDING, 0)]
    assert [i.id for i in await db.claim_due(clock(), limit=10)] == [parked]
    assert behind not in {i.id for i in await db.outbox_items(status=OutboxStatus.IN_FLIGHT)}


def _holder(token: str, clock: FrozenClock, generation: int = 1) -> EngineRecord:
    return EngineRecord(
        host="box",
        pid=1,
        token=token,
        mode="run",
        started_at=clock(),
        heartbeat_at=clock(),
        expires_at=clock() + timedelta(seconds=15),
        generation=generation,
    )


async def test_opening_leaves_items_in_flight_and_a_lease_takeover_reclaims_them(
    db_path: Path, clock: FrozenClock
) -> None:
    async with await Database.open(db_path, now=clock) as db:
        await db.upsert_leads([make_lead("c1")])
        [item_id] = await db.enqueue([make_item("a")])
        await db.claim_due(clock(), limit=1)
    # The process died mid-send, or it is still sending: opening cannot tell, so it
    # leaves the item alone (a second process once reset a live engine's items here).

    async with await Database.open(db_path, now=clock) as second:
        assert await second.outbox_counts() == OutboxCounts(in_flight=1)
        assert await second.claim_due(clock(), limit=1) == []

    async with await Database.open(db_path, now=clock) as db:
        assert await db.take_engine(_holder("new", clock), None) == 1
        assert await db.take_engine(_holder("late", clock), None) is None  # lost the race
        [item] = await db.claim_due(clock(), limit=1)
        assert (item.id, item.attempts) == (item_id, 2)


async def test_an_engine_that_lost_the_lease_can_neither_claim_nor_settle_items(
    db_path: Path, clock: FrozenClock
) -> None:
    async with (
        await Database.open(db_path, now=clock) as old,
        await Database.open(db_path, now=clock) as new,
    ):
        await old.upsert_leads([make_lead("c1"), make_lead("c2")])
        await old.enqueue([make_item("a", "c1"), make_item("b", "c2")])
        assert await old.take_engine(_holder("old", clock), None) == 0
        old.lease_token = "old"
        [claimed] = await old.claim_due(clock(), limit=1)
        assert await new.take_engine(_holder("new", clock, 2), "old") == 1
        new.lease_token = "new"

        assert await old.claim_due(clock(), limit=10) == []
        assert not await old.complete(claimed.id)
        assert not await old.fail(claimed.id, "late", clock())
        assert {i.id for i in await new.claim_due(clock(), limit=10)} == {
            claimed.id,
            claimed.id + 1,
        }
        assert await new.complete(claimed.id)


# --------------------------------------------------------------------------- transactions


async def test_a_transaction_is_all_or_nothing(db: Database) -> None:
    await db.upsert_leads([make_lead("c1")])

    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.enqueue([make_item("a")])
            await db.append_logs([make_log("l1")])
            await db.set_cursor("x", "1")
            raise RuntimeError("crash before commit")

    assert await db.outbox_counts() == OutboxCounts()
    assert await db.logs_for("c1") == []
    assert await db.get_cursor("x") is None


async def test_another_task_does_not_join_or_lose_to_an_open_transaction(db: Database) -> None:
    await db.upsert_leads([make_lead("c1")])
    inside = asyncio.Event()

    async def doomed() -> None:
        async with db.transaction():
            await db.set_cursor("doomed", "1")
            inside.set()
            await asyncio.sleep(0.01)
            raise RuntimeError("rolled back")

    async def bystander() -> None:
        await inside.wait()
        await db.set_cursor("bystander", "1")

    results = await asyncio.gather(doomed(), bystander(), return_exceptions=True)

    assert isinstance(results[0], RuntimeError)
    assert await db.get_cursor("doomed") is None
    assert await db.get_cursor("bystander") == "1"


async def test_concurrent_writers_on_one_file_lose_nothing(db_path: Path) -> None:
    async with await Database.open(db_path) as setup:
        await setup.upsert_leads([make_lead(f"c{i}") for i in range(10)])
    first = await Database.open(db_path)
    second = await Database.open(db_path)

    async def writer(db: Database, n: int) -> None:
        async with db.transaction():
            await db.enqueue([make_item(f"item-{n}", f"c{n % 10}")])
            await db.append_logs([make_log(f"log-{n}", f"c{n % 10}")])
            await db.set_cursor(f"writer-{n}", str(n))

    try:
        await asyncio.gather(*(writer(first if n % 2 else second, n) for n in range(120)))
        counts = await first.outbox_counts()
        logs = await second.recent_logs(T0 - timedelta(days=1))
        cursors = [await first.get_cursor(f"writer-{n}") for n in range(120)]
    finally:
        await first.close()
        await second.close()

    assert counts == OutboxCounts(pending=120)
    assert len(logs) == 120
    assert cursors == [str(n) for n in range(120)]


# --------------------------------------------------------------------------- log, conflicts, audit


async def test_sync_log_appends_once_and_reads_recent_first_window(db: Database) -> None:
    logs = [make_log(f"l{i}", at=T0 + timedelta(minutes=i)) for i in range(5)]
    await db.append_logs(logs)
    await db.append_logs(logs[:2])  # replayed: not doubled

    assert [log.id for log in await db.logs_for("c1", limit=3)] == ["l2", "l3", "l4"]
    assert [log.id for log in await db.recent_logs(T0 + timedelta(minutes=3))] == ["l3", "l4"]
    assert await db.logs_for("c1", limit=10) == logs


async def test_conflicts_round_trip_and_leave_the_open_list_when_resolved(
    db: Database,
) -> None:
    await db.upsert_leads([make_lead("c1")])
    moved = make_conflict("k1", field="desired_move_in", domiq_value=date(2026, 5, 1))
    other = make_conflict("k2", resman_value=None, base_value=["a", 1])
    await db.upsert_conflicts([moved, other])

    assert [c.id for c in await db.open_conflicts()] == ["k1", "k2"]
    stored = await db.get_conflict("k2")
    assert stored == other
    k1 = await db.get_conflict("k1")
    assert k1 is not None
    assert k1.domiq_value == "2026-05-01"

    decided = other.model_copy(
        update={
            "resolution_status": ResolutionStatus.RESOLVED,
            "resolution": ConflictResolution(
                resolution=Resolution.DOMIQ_WINS, final_value="+1", reason="chat is newer"
            ),
        }
    )
    assert await db.update_conflict(decided, resolved_by="maria", resolved_at=T0) is True

    assert [c.id for c in await db.open_conflicts()] == ["k1"]
    assert await db.get_conflict("k2") == decided
    assert await db.conflict_decision("k2") == ("maria", T0)
    assert [c.id for c in await db.conflicts_for("c1")] == ["k1", "k2"]


async def test_cursors_are_overwritten_in_place(db: Database) -> None:
    await db.set_cursor(Cursor.RESMAN_MODIFIED_THROUGH, "2026-03-02T09:00:00Z")
    await db.set_cursor(Cursor.RESMAN_MODIFIED_THROUGH, "2026-03-02T09:30:00Z")

    assert await db.get_cursor(Cursor.RESMAN_MODIFIED_THROUGH) == "2026-03-02T09:30:00Z"
    assert await db.get_cursor(Cursor.DOMIQ_UPDATED_SINCE) is None


async def test_audit_entries_by_time_and_target(db: Database) -> None:
    entries = [
        AuditEntry(at=T0, actor="maria", action="escalate_conflict", target="k1", reason="?"),
        AuditEntry(
            at=T0 + timedelta(minutes=1),
            actor="li",
            action="resolve_conflict",
            target="k1",
            before={"resolution_status": "escalated"},
            after={"resolution_status": "resolved"},
            reason="checked with the prospect",
        ),
        AuditEntry(at=T0 + timedelta(minutes=2), actor="li", action="push_lead", target="c9"),
    ]
    await db.append_audit(entries)

    recent = await db.audit_entries(T0 + timedelta(minutes=1))
    assert [(e.id, e.action) for e in recent] == [(2, "resolve_conflict"), (3, "push_lead")]
    assert recent[0].model_copy(update={"id": None}) == entries[1]
    assert [e.actor for e in await db.audit_entries(target="k1")] == ["maria", "li"]


async def test_lead_columns_follow_the_lead(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        await db.upsert_leads([make_lead("c1", resman_sync_status=SyncStatus.SYNCED)])
    assert _raw(db_path, "SELECT resman_sync_status, property_id FROM leads") == [("synced", "p1")]
