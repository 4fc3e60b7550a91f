"""A SQLite store with something in every table, written through the Database API, and
what a store holds read back through it: to compare a migrated store with its source."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync_tui.models import (
    AttemptStatus,
    ConflictResolution,
    Resolution,
    ResolutionStatus,
)
from leadsync_tui.store.db import Database
from leadsync_tui.store.operator_commands import OperatorCommands, Pull, Qualify, Reconnect
from leadsync_tui.store.records import AuditEntry, EngineRecord, Link
from tests.store.conftest import T0, FrozenClock, make_conflict, make_item, make_lead, make_log

LEADS = 40
HIGHEST_ITEM = 9
"""The outbox id handed out last (its item completed: deleted)."""
CURSORS = {"domiq.feed": "event-981", "engine.foreign": "", "resman.changed_since": "2026-03-01"}


def lead_ids(count: int = LEADS) -> list[str]:
    # Written in an order that is neither by id nor by time: the rowid order must survive.
    return [f"c{(i * 7) % count:03d}" for i in range(count)]


async def fill(path: Path, *, leads: int = LEADS, logs_per_lead: int = 2) -> None:
    """`leads` (10 at least; many share an updated_at, so only rowid orders them), links
    (one shared), outbox items pending, in flight, failed and completed (deleted: a used id), open
    and resolved conflicts, logs, audit, cursors, commands and a stopped engine."""
    clock = FrozenClock()
    async with await Database.open(path, now=clock) as db:
        ids = lead_ids(leads)
        await db.upsert_leads(
            [make_lead(cid, updated_at=T0 + timedelta(minutes=i % 3)) for i, cid in enumerate(ids)]
        )
        await db.upsert_links(
            [
                Link(
                    conversation_id=cid,
                    prospect_id=f"P{i}" if i != 5 else "P4",
                    person_id=f"person-{i}",
                    property_id="p1",
                    snapshot={"phone": "+15125550100", "max_rent": 1800 + i},
                    agreed_at=T0,
                    shared_by="k-dup" if i == 5 else None,
                )
                for i, cid in enumerate(ids[:10])
            ]
        )
        await _outbox(db, clock, ids)
        await db.upsert_conflicts(
            [
                make_conflict(f"k{i}", ids[i], detected_at=T0 + timedelta(seconds=i))
                for i in range(4)
            ]
        )
        resolved = make_conflict("k1", ids[1], detected_at=T0 + timedelta(seconds=1)).model_copy(
            update={
                "resolution_status": ResolutionStatus.RESOLVED,
                "resolution": ConflictResolution(
                    resolution=Resolution.DOMIQ_WINS, final_value="+15125550199", reason="called"
                ),
            }
        )
        assert await db.update_conflict(resolved, resolved_by="alice", resolved_at=T0)
        await db.append_logs(
            [
                make_log(
                    f"log-{cid}-{n}",
                    cid,
                    status=AttemptStatus.FAILED if n else AttemptStatus.SUCCESS,
                    at=T0,
                    latency_ms=None if n else 12.5,
                )
                for cid in ids
                for n in range(logs_per_lead)
            ]
        )
        await db.append_audit(
            [
                AuditEntry(at=T0, actor="alice", action="resolve", target="k1",
                           before={"phone": "a"}, after={"phone": "b"}, reason="called"),
                AuditEntry(at=T0, actor="bob", action="retry", target="outbox-3"),
                AuditEntry(at=T0 + timedelta(hours=1), actor="carol", action="export",
                           target="leads.csv", after={"rows": 12}),
            ]
        )  # fmt: skip
        for name, value in CURSORS.items():
            await db.set_cursor(name, value)
        commands = OperatorCommands(db)
        await commands.submit(Pull(full=True), "alice")
        cancelled = await commands.submit(Reconnect(), "bob")
        await commands.cancel(cancelled)
        await commands.submit(Qualify(conversation_id=ids[0], reason="called back"), "carol")
        gone = EngineRecord(
            host="old-box", pid=4242, token="t0", mode="run", started_at=T0,
            heartbeat_at=T0, expires_at=T0 + timedelta(seconds=15), stopped_at=T0,
        )  # fmt: skip
        assert await db.swap_engine(gone, None)


async def _outbox(db: Database, clock: FrozenClock, ids: list[str]) -> None:
    """Items pending, in flight, failed (parked), retrying with an error; one completed."""
    item_ids = await db.enqueue([make_item(f"key-{cid}", cid) for cid in ids[:8]])
    early = clock() - timedelta(minutes=1)
    [last] = await db.enqueue([make_item("key-last", ids[8], due=early)])
    claimed = await db.claim_due(clock(), limit=4)
    assert claimed[0].id == last == HIGHEST_ITEM
    assert await db.complete(last)  # gone: the highest id, used all the same
    assert await db.fail(claimed[1].id, "ResMan 503", clock() + timedelta(minutes=1), park=True)
    assert await db.fail(claimed[2].id, "timeout", clock() + timedelta(minutes=5))
    assert len(item_ids) == 8  # claimed[3] stays in flight, the rest pending


async def everything(db: Database, conversation_ids: list[str]) -> dict[str, Any]:
    """What a store holds, read through its API (each list in the API's own order)."""
    leads, page = await db.load_leads_page(None, 100_000)
    assert page is None
    commands = OperatorCommands(db)
    found = [await commands.get(n) for n in range(1, 50)]
    logs = [log for cid in conversation_ids for log in await db.logs_for(cid, limit=1000)]
    return {
        "leads": leads,
        "links": await db.get_links(conversation_ids),
        "outbox": await db.outbox_items(limit=100_000),
        "counts": await db.outbox_counts(),
        "conflicts": [c for cid in conversation_ids for c in await db.conflicts_for(cid)],
        "decisions": [await db.conflict_decision(f"k{i}") for i in range(4)],
        "logs": logs,
        "audit": await db.audit_entries(None, limit=100_000),
        "cursors": {name: await db.get_cursor(name) for name in CURSORS},
        "commands": [record for record in found if record is not None],
    }
