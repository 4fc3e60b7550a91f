"""Stores in fixed states, for dashboard flows and snapshots."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from leadsync_tui.models import (
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    ResolutionStatus,
    SyncDirection,
    SyncMetrics,
    SyncType,
)
from leadsync_tui.store.actions import (
    ConflictsDetected,
    ConnectionChanged,
    MetricsUpdated,
    SetError,
)
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import NewOutboxItem
from leadsync_tui.store.store import LeadSyncStore
from tests.widgets.sample_leads import NOW, frozen_clock, sample_leads

__all__ = [
    "close_opened_databases",
    "frozen_clock",
    "outbox_status",
    "park_failed_write",
    "sample_conflicts",
    "sample_store",
    "sample_store_sync",
]

_opened: list[Database] = []
"""Databases the fixtures opened; closed after each test (see conftest.py)."""


def close_opened_databases() -> None:
    """Close what the fixtures opened, so no aiosqlite thread outlives its test."""
    while _opened:
        db = _opened.pop()
        asyncio.run(db.close())


def sample_conflicts(count: int) -> list[LeadSyncConflict]:
    """Open conflicts on the sample leads in `conflict` status (conv_004, conv_009, ...)."""
    fields = (
        ("phone", "+15125550143", "+15125550100", "+15125550199", ConflictSeverity.HIGH),
        ("desired_move_in", "2027-01-15", "2027-02-01", "2026-12-20", ConflictSeverity.MEDIUM),
        ("max_rent", 1850, 1900, 1800, ConflictSeverity.MEDIUM),
    )
    conflicts = []
    for n in range(count):
        field, domiq, resman, base, severity = fields[n % len(fields)]
        conflicts.append(
            LeadSyncConflict(
                id=f"cfl_{n:03d}",
                conversation_id=f"conv_{4 + 5 * n:03d}",
                field=field,
                domiq_value=domiq,
                resman_value=resman,
                base_value=base,
                conflict_type=ConflictType.VALUE_MISMATCH,
                conflict_severity=severity,
                resolution_status=ResolutionStatus.MANUAL_REVIEW,
                detected_at=NOW - timedelta(minutes=10 * (n + 1)),
            )
        )
    return conflicts


async def sample_store(
    *,
    empty: bool = False,
    conflicts: int = 0,
    connected: bool = True,
    error: str | None = None,
) -> LeadSyncStore:
    """An in-memory store with the 30 sample leads (or none) in a chosen state."""
    db = await Database.open(":memory:", now=frozen_clock)
    _opened.append(db)
    store = LeadSyncStore(db, now=frozen_clock)
    if not empty:
        await store.merge_leads(sample_leads())
    if conflicts:
        await store.dispatch(ConflictsDetected(sample_conflicts(conflicts)))
    await store.dispatch(
        ConnectionChanged(
            connected=connected,
            last_ping=NOW - timedelta(seconds=3 if connected else 95),
            reconnect_attempts=0 if connected else 2,
        )
    )
    await store.dispatch(
        MetricsUpdated(
            SyncMetrics(
                sync_success_rate=0.962,
                avg_sync_latency=182.0,
                p95_sync_latency=640.0,
                conflict_rate=0.031,
                failed_syncs=6,
                pending_queue=12,
            )
        )
    )
    if error:
        await store.dispatch(SetError(error))
    return store


def sample_store_sync(
    *,
    empty: bool = False,
    conflicts: int = 0,
    connected: bool = True,
    error: str | None = None,
) -> LeadSyncStore:
    """The same, built outside any running loop (for the synchronous `snap_compare`).

    aiosqlite runs the connection on its own thread and makes each future on the loop
    that awaits it, so the store works on the snapshot's loop afterwards.
    """
    return asyncio.run(
        sample_store(empty=empty, conflicts=conflicts, connected=connected, error=error)
    )


async def park_failed_write(conversation_id: str) -> int:
    """Put a parked (failed) outbox item for this lead in the newest fixture store."""
    db = _opened[-1]
    [item_id] = await db.enqueue(
        [
            NewOutboxItem(
                conversation_id=conversation_id,
                direction=SyncDirection.DOMIQ_TO_RESMAN,
                sync_type=SyncType.UPDATE,
                dedupe_key=f"test:{conversation_id}",
            )
        ]
    )
    await db.claim_due(NOW, 10)
    await db.fail(item_id, "Transaction Source could not be found", NOW, park=True)
    return item_id


async def outbox_status(item_id: int) -> str:
    """The status of one outbox item in the newest fixture store."""
    [item] = [i for i in await _opened[-1].outbox_items() if i.id == item_id]
    return item.status.value
