"""The reactive store: each action's effect on state, on disk, and on subscribers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from leadsync_tui.models import (
    AttemptStatus,
    ConflictResolution,
    EventType,
    Lead,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncEvent,
    SyncMetrics,
    SyncStatus,
    SyncType,
)
from leadsync_tui.store.actions import (
    ConflictsDetected,
    ConnectionChanged,
    LogsAppended,
    MergeOrigin,
    MetricsUpdated,
    SetError,
    SetLoading,
)
from leadsync_tui.store.changes import (
    Change,
    ConflictsChanged,
    ConnectionStateChanged,
    EngineRequest,
    EngineRequestKind,
    ErrorChanged,
    LeadsChanged,
    LoadingChanged,
    LogsChanged,
    MetricsChanged,
)
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import LinkWrite, ResolutionWrite
from leadsync_tui.store.records import Cursor, OutboxCounts, OutboxStatus
from leadsync_tui.store.store import ActionRefused, LeadSyncStore
from tests.store.conftest import (
    T0,
    FrozenClock,
    Recorder,
    make_conflict,
    make_item,
    make_lead,
    make_log,
)


def _event(event_id: int | None, kind: EventType, lead: Lead | None = None) -> SyncEvent:
    data: dict[str, Any] = {} if lead is None else lead.model_dump(mode="json")
    return SyncEvent(id=event_id, type=kind, at=T0, data=data)


def _resolution(kind: Resolution, value: Any = None, reason: str = "checked") -> ConflictResolution:
    return ConflictResolution(resolution=kind, final_value=value, reason=reason)


def _status(store: LeadSyncStore, conversation_id: str) -> SyncStatus:
    return store.state.leads[conversation_id].resman_sync_status


async def _with_conflicts(store: LeadSyncStore, *conflicts: Any) -> None:
    await store.merge_leads([make_lead("c1"), make_lead("c2")])
    await store.dispatch(ConflictsDetected(conflicts))


# --------------------------------------------------------------------------- leads


async def test_fetch_leads_loads_what_was_persisted(db: Database, clock: FrozenClock) -> None:
    await db.upsert_leads([make_lead("c1"), make_lead("c2")])
    store = LeadSyncStore(db, now=clock)
    recorder = Recorder()
    store.subscribe(recorder)

    await store.fetch_leads()

    assert set(store.state.leads) == {"c1", "c2"}
    assert recorder.batches == [(LeadsChanged(frozenset({"c1", "c2"})),)]


async def test_merge_persists_and_reports_only_changed_keys(
    store: LeadSyncStore, db: Database, recorder: Recorder
) -> None:
    await store.merge_leads([make_lead("c1"), make_lead("c2")])
    await store.merge_leads([make_lead("c1"), make_lead("c2", version=2, first_name="Bea")])

    assert recorder.changes == [
        LeadsChanged(frozenset({"c1", "c2"})),
        LeadsChanged(frozenset({"c2"})),
    ]
    assert store.state.leads["c2"].first_name == "Bea"
    assert {lead.conversation_id: lead.version for lead in await db.load_leads()} == {
        "c1": 1,
        "c2": 2,
    }


async def test_a_stale_version_is_ignored(
    store: LeadSyncStore, db: Database, recorder: Recorder
) -> None:
    await store.merge_leads([make_lead("c1", version=3, first_name="Current")])
    recorder.clear()

    await store.merge_leads([make_lead("c1", version=2, first_name="Late")])

    assert store.state.leads["c1"].first_name == "Current"
    assert recorder.batches == []
    stored = await db.get_lead("c1")
    assert stored is not None
    assert stored.first_name == "Current"


async def test_domiq_copies_keep_the_local_sync_fields(store: LeadSyncStore) -> None:
    await store.merge_leads([make_lead("c1"), make_lead("c2")])
    await store.update_lead_status("c1", SyncStatus.SYNCED, prospect_id="P-1")

    await store.merge_leads(
        [
            make_lead("c1", version=2, phone="+15125550143"),
            make_lead("c2", resman_sync_status=SyncStatus.SYNCED, resman_prospect_id="P-2"),
        ]
    )

    c1, c2 = store.state.leads["c1"], store.state.leads["c2"]
    assert (c1.phone, c1.resman_sync_status, c1.resman_prospect_id) == (
        "+15125550143",
        SyncStatus.SYNCED,
        "P-1",
    )
    assert (c2.resman_sync_status, c2.resman_prospect_id) == (SyncStatus.SYNCED, "P-2")


async def test_engine_copies_are_taken_whole(store: LeadSyncStore) -> None:
    await store.merge_leads([make_lead("c1", resman_prospect_id="P-1")])

    await store.merge_leads(
        [make_lead("c1", resman_prospect_id="P-1", resman_sync_status=SyncStatus.FAILED)],
        MergeOrigin.ENGINE,
    )

    assert _status(store, "c1") is SyncStatus.FAILED


async def test_update_lead_status_records_the_sync(
    store: LeadSyncStore, db: Database, clock: FrozenClock, recorder: Recorder
) -> None:
    await store.merge_leads([make_lead("c1")])
    clock.advance(minutes=1)

    await store.update_lead_status("c1", SyncStatus.SYNCED, prospect_id="P-1")

    lead = store.state.leads["c1"]
    assert (lead.resman_sync_status, lead.resman_prospect_id, lead.last_sync_at) == (
        SyncStatus.SYNCED,
        "P-1",
        T0 + timedelta(minutes=1),
    )
    assert await db.get_lead("c1") == lead
    assert recorder.changes[-1] == LeadsChanged(frozenset({"c1"}))
    with pytest.raises(ActionRefused, match="lead nobody is not known"):
        await store.update_lead_status("nobody", SyncStatus.FAILED)


async def test_push_lead_enqueues_once_and_marks_syncing(
    store: LeadSyncStore, db: Database, recorder: Recorder
) -> None:
    await store.merge_leads([make_lead("c1", version=4)])
    recorder.clear()

    await store.push_lead("c1", actor="maria")
    await store.push_lead("c1", actor="maria")

    [item] = await db.outbox_items()
    assert (item.direction, item.sync_type, item.dedupe_key, item.payload) == (
        SyncDirection.DOMIQ_TO_RESMAN,
        SyncType.CREATE,
        "push:c1:v4",
        LinkWrite(version=4),
    )
    assert _status(store, "c1") is SyncStatus.SYNCING
    stored = await db.get_lead("c1")
    assert stored is not None
    assert stored.resman_sync_status is SyncStatus.SYNCING
    request = EngineRequest(
        EngineRequestKind.PUSH, conversation_ids=frozenset({"c1"}), outbox_ids=(item.id,)
    )
    assert recorder.batches == [(LeadsChanged(frozenset({"c1"})), request), (request,)]
    audit = await db.audit_entries(target="c1")
    assert [(e.actor, e.action, e.after) for e in audit] == [
        ("maria", "push_lead", {"resman_sync_status": "syncing", "outbox_id": item.id})
    ] * 2
    with pytest.raises(ActionRefused):
        await store.push_lead("nobody")


async def test_push_lead_rearms_a_parked_push(store: LeadSyncStore, db: Database) -> None:
    await store.merge_leads([make_lead("c1", resman_prospect_id="P-1")])
    await store.push_lead("c1")
    [item] = await db.claim_due(T0, limit=1)
    await db.fail(item.id, "ResMan: agent missing", T0, park=True)
    await store.update_lead_status("c1", SyncStatus.FAILED)

    await store.push_lead("c1")

    [again] = await db.outbox_items()
    assert (again.id, again.status, again.sync_type) == (
        item.id,
        OutboxStatus.PENDING,
        SyncType.UPDATE,
    )
    assert _status(store, "c1") is SyncStatus.SYNCING


async def test_retry_failed_rearms_items_and_their_leads(
    store: LeadSyncStore, db: Database, recorder: Recorder
) -> None:
    await store.merge_leads([make_lead("c1")])
    [item_id] = await db.enqueue([make_item("a")])
    await db.claim_due(T0, limit=1)
    await db.fail(item_id, "boom", T0, park=True)
    await store.update_lead_status("c1", SyncStatus.FAILED)
    recorder.clear()

    await store.retry_failed(actor="li")

    assert await db.outbox_counts() == OutboxCounts(pending=1)
    assert _status(store, "c1") is SyncStatus.SYNCING
    assert recorder.changes == [
        LeadsChanged(frozenset({"c1"})),
        EngineRequest(
            EngineRequestKind.RETRY, conversation_ids=frozenset({"c1"}), outbox_ids=(item_id,)
        ),
    ]
    assert [(e.action, e.target) for e in await db.audit_entries()] == [("retry_failed", "c1")]
    recorder.clear()
    await store.retry_failed()  # nothing parked any more
    assert recorder.batches == []


# --------------------------------------------------------------------------- live feed


async def test_lead_events_merge_and_advance_the_persisted_cursor(
    store: LeadSyncStore, db: Database, clock: FrozenClock, recorder: Recorder
) -> None:
    clock.advance(seconds=5)

    await store.handle_message(_event(7, EventType.LEAD_CREATED, make_lead("c1")))
    await store.handle_messages(
        [
            _event(8, EventType.LEAD_UPDATED, make_lead("c1", version=2, notes="2 cats")),
            _event(9, EventType.CONVERSATION_QUALIFIED, make_lead("c2")),
        ]
    )

    assert store.state.leads["c1"].notes == "2 cats"
    assert set(store.state.leads) == {"c1", "c2"}
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) == "9"
    assert {lead.conversation_id for lead in await db.load_leads()} == {"c1", "c2"}
    assert store.state.last_ping == T0 + timedelta(seconds=5)
    assert recorder.changes == [
        LeadsChanged(frozenset({"c1"})),
        ConnectionStateChanged(False, T0 + timedelta(seconds=5), 0),
        LeadsChanged(frozenset({"c1", "c2"})),
    ]


async def test_replayed_events_do_not_move_the_cursor_back(
    store: LeadSyncStore, db: Database
) -> None:
    await store.handle_message(_event(9, EventType.LEAD_CREATED, make_lead("c1")))
    await store.handle_message(_event(4, EventType.LEAD_CREATED, make_lead("c1")))

    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) == "9"


async def test_heartbeats_update_last_ping_but_not_the_cursor(
    store: LeadSyncStore, db: Database, clock: FrozenClock, recorder: Recorder
) -> None:
    clock.advance(seconds=5)

    await store.handle_message(_event(120, EventType.HEARTBEAT))

    assert store.state.last_ping == clock()
    assert recorder.changes == [ConnectionStateChanged(False, clock(), 0)]
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) is None


async def test_resync_required_asks_the_engine_for_a_full_pull(
    store: LeadSyncStore, recorder: Recorder
) -> None:
    await store.handle_message(SyncEvent(type=EventType.RESYNC_REQUIRED))

    assert EngineRequest(EngineRequestKind.PULL, full=True) in recorder.changes


async def test_a_malformed_event_is_reported_and_the_rest_applied(
    store: LeadSyncStore, recorder: Recorder
) -> None:
    broken = SyncEvent(id=3, type=EventType.LEAD_UPDATED, data={"conversation_id": "c9"})

    await store.handle_messages([broken, _event(4, EventType.LEAD_CREATED, make_lead("c1"))])

    assert set(store.state.leads) == {"c1"}
    assert store.state.error == "ignored a malformed lead.updated event (id 3)"
    assert ErrorChanged(store.state.error) in recorder.changes


async def test_connection_requests_go_to_the_engine_and_reports_to_state(
    store: LeadSyncStore, recorder: Recorder
) -> None:
    await store.connect()
    await store.disconnect()
    await store.pull_leads()
    assert recorder.changes == [
        EngineRequest(EngineRequestKind.RECONNECT),
        EngineRequest(EngineRequestKind.DISCONNECT),
        EngineRequest(EngineRequestKind.PULL),
    ]
    assert store.state.real_time_connected is False
    recorder.clear()

    await store.dispatch(ConnectionChanged(True, T0, 0))
    await store.dispatch(ConnectionChanged(True, T0, 0))
    await store.dispatch(ConnectionChanged(False, None, 2))

    assert (store.state.real_time_connected, store.state.last_ping) == (False, T0)
    assert recorder.changes == [
        ConnectionStateChanged(True, T0, 0),
        ConnectionStateChanged(False, T0, 2),
    ]


# --------------------------------------------------------------------------- subscriptions


async def test_a_raising_subscriber_does_not_break_the_store_or_others(
    store: LeadSyncStore, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(changes: Sequence[Change]) -> None:
        raise RuntimeError("widget gone")

    store.subscribe(broken)
    after = Recorder()
    store.subscribe(after)

    with caplog.at_level(logging.ERROR, logger="leadsync_tui.store.store"):
        await store.merge_leads([make_lead("c1")])

    assert "c1" in store.state.leads
    assert after.changes == [LeadsChanged(frozenset({"c1"}))]
    assert "widget gone" in caplog.text


async def test_unsubscribe_stops_notifications(store: LeadSyncStore) -> None:
    recorder = Recorder()
    unsubscribe = store.subscribe(recorder)
    await store.merge_leads([make_lead("c1")])

    unsubscribe()
    unsubscribe()
    await store.merge_leads([make_lead("c2")])

    assert recorder.changes == [LeadsChanged(frozenset({"c1"}))]


async def test_concurrent_dispatches_apply_one_at_a_time(store: LeadSyncStore) -> None:
    await asyncio.gather(
        *(store.merge_leads([make_lead(f"c{i}", version=2)]) for i in range(30)),
        *(store.merge_leads([make_lead(f"c{i}", version=1)]) for i in range(30)),
    )

    assert {lead.version for lead in store.state.leads.values()} == {2}


async def test_simple_reports_change_state_once(store: LeadSyncStore, recorder: Recorder) -> None:
    metrics = SyncMetrics(sync_success_rate=0.5)

    await store.dispatch(SetLoading(True))
    await store.dispatch(SetLoading(True))
    await store.dispatch(SetError("ResMan is down"))
    await store.dispatch(MetricsUpdated(metrics))

    assert (store.state.loading, store.state.error, store.state.metrics) == (
        True,
        "ResMan is down",
        metrics,
    )
    assert recorder.changes == [
        LoadingChanged(True),
        ErrorChanged("ResMan is down"),
        MetricsChanged(metrics),
    ]


# --------------------------------------------------------------------------- logs and metrics


async def test_logs_are_persisted_kept_per_lead_and_refetched(
    db: Database, clock: FrozenClock
) -> None:
    store = LeadSyncStore(db, now=clock, logs_per_lead=2)
    recorder = Recorder()
    store.subscribe(recorder)
    logs = [make_log(f"l{i}", "c1", at=T0 + timedelta(seconds=i)) for i in range(3)]

    await store.dispatch(LogsAppended([*logs, make_log("m1", "c2")]))

    assert [log.id for log in store.state.sync_logs["c1"]] == ["l1", "l2"]
    assert recorder.changes == [LogsChanged(frozenset({"c1", "c2"}))]
    fresh = LeadSyncStore(db, now=clock)
    await fresh.fetch_logs("c1", limit=10)
    assert fresh.state.sync_logs["c1"] == logs


async def test_refresh_metrics_reads_the_log_window_and_the_outbox(
    store: LeadSyncStore, db: Database, clock: FrozenClock, recorder: Recorder
) -> None:
    await store.merge_leads([make_lead("c1")])
    await db.enqueue([make_item("a")])
    await store.dispatch(
        LogsAppended(
            [
                make_log("old", status=AttemptStatus.FAILED, at=T0 - timedelta(hours=1)),
                make_log("ok", latency_ms=100.0),
                make_log("clash", status=AttemptStatus.CONFLICT, latency_ms=300.0),
            ]
        )
    )
    recorder.clear()

    await store.refresh_metrics()
    await store.refresh_metrics()

    expected = SyncMetrics(
        sync_success_rate=0.5,
        avg_sync_latency=200.0,
        conflict_rate=0.5,
        failed_syncs=0,
        pending_queue=1,
        p95_sync_latency=300.0,
    )
    assert store.state.metrics == expected
    assert recorder.changes == [MetricsChanged(expected)]


# --------------------------------------------------------------------------- conflicts


async def test_detected_conflicts_are_persisted_and_put_the_lead_in_conflict(
    store: LeadSyncStore, db: Database, recorder: Recorder
) -> None:
    await store.merge_leads([make_lead("c1")])
    recorder.clear()

    await store.dispatch(ConflictsDetected([make_conflict("k1")]))

    assert [c.id for c in store.state.open_conflicts] == ["k1"]
    assert [c.id for c in await db.open_conflicts()] == ["k1"]
    assert _status(store, "c1") is SyncStatus.CONFLICT
    assert recorder.changes == [
        ConflictsChanged(frozenset({"k1"})),
        LeadsChanged(frozenset({"c1"})),
    ]
    # While the conflict is open, neither DomIQ nor the engine can clear the status.
    await store.update_lead_status("c1", SyncStatus.SYNCED)
    await store.merge_leads([make_lead("c1", version=2)], MergeOrigin.ENGINE)
    assert _status(store, "c1") is SyncStatus.CONFLICT


async def test_conflicts_and_their_hold_survive_a_restart(db: Database, clock: FrozenClock) -> None:
    first = LeadSyncStore(db, now=clock)
    await _with_conflicts(first, make_conflict("k1"))

    second = LeadSyncStore(db, now=clock)
    await second.fetch_leads()
    await second.fetch_conflicts()

    assert [c.id for c in second.state.conflicts] == ["k1"]
    assert [c.id for c in second.open_conflicts_for("c1")] == ["k1"]
    await second.update_lead_status("c1", SyncStatus.SYNCED)
    assert _status(second, "c1") is SyncStatus.CONFLICT


async def test_redetecting_an_open_conflict_keeps_its_status(store: LeadSyncStore) -> None:
    await _with_conflicts(store, make_conflict("k1"))
    await store.escalate_conflict("k1", "maria", "VIP prospect")

    await store.dispatch(ConflictsDetected([make_conflict("k1", resman_value="+15125550111")]))

    conflict = store.conflict("k1")
    assert conflict is not None
    assert (conflict.resolution_status, conflict.resman_value) == (
        ResolutionStatus.ESCALATED,
        "+15125550111",
    )


@pytest.mark.parametrize(
    ("kind", "final", "writes"),
    [
        (
            Resolution.DOMIQ_WINS,
            None,
            [(SyncDirection.DOMIQ_TO_RESMAN, "+15125550199")],
        ),
        (
            Resolution.RESMAN_WINS,
            "+15125550100",
            [(SyncDirection.RESMAN_TO_DOMIQ, "+15125550100")],
        ),
        (
            Resolution.MERGED,
            "+15125550123",
            [
                (SyncDirection.DOMIQ_TO_RESMAN, "+15125550123"),
                (SyncDirection.RESMAN_TO_DOMIQ, "+15125550123"),
            ],
        ),
    ],
)
async def test_each_resolution_enqueues_its_writes_and_is_audited(
    store: LeadSyncStore,
    db: Database,
    recorder: Recorder,
    kind: Resolution,
    final: str | None,
    writes: list[tuple[SyncDirection, str]],
) -> None:
    await _with_conflicts(store, make_conflict("k1"))
    recorder.clear()

    await store.resolve_conflict("k1", _resolution(kind, final, "called the prospect"), "maria")

    items = await db.outbox_items()
    payloads = [i.payload for i in items if isinstance(i.payload, ResolutionWrite)]
    assert [(i.direction, p.value) for i, p in zip(items, payloads, strict=True)] == writes
    assert all(i.sync_type is SyncType.RESOLUTION for i in items)
    assert all(p.conflict_id == "k1" and p.field == "phone" for p in payloads)
    resolved = store.conflict("k1")
    assert resolved is not None
    assert resolved.resolution_status is ResolutionStatus.RESOLVED
    assert resolved.resolution == _resolution(kind, writes[0][1], "called the prospect")
    assert await db.get_conflict("k1") == resolved
    assert await db.conflict_decision("k1") == ("maria", T0)
    [entry] = await db.audit_entries(target="k1")
    assert (entry.actor, entry.action, entry.reason) == (
        "maria",
        "resolve_conflict",
        "called the prospect",
    )
    assert entry.before is not None and entry.after is not None
    assert (entry.before["resolution_status"], entry.after["resolution_status"]) == (
        "unresolved",
        "resolved",
    )
    assert _status(store, "c1") is SyncStatus.SYNCING
    assert recorder.changes == [
        ConflictsChanged(frozenset({"k1"})),
        LeadsChanged(frozenset({"c1"})),
        EngineRequest(
            EngineRequestKind.PUSH,
            conversation_ids=frozenset({"c1"}),
            conflict_ids=frozenset({"k1"}),
            outbox_ids=tuple(i.id for i in items),
        ),
    ]


async def test_manual_review_writes_nothing_and_keeps_the_lead_held(
    store: LeadSyncStore, db: Database, recorder: Recorder
) -> None:
    await _with_conflicts(store, make_conflict("k1"))
    recorder.clear()

    await store.resolve_conflict("k1", _resolution(Resolution.MANUAL_REVIEW), "maria")

    assert await db.outbox_items() == []
    conflict = store.conflict("k1")
    assert conflict is not None
    assert conflict.resolution_status is ResolutionStatus.MANUAL_REVIEW
    assert [c.id for c in await db.open_conflicts()] == ["k1"]
    assert await db.conflict_decision("k1") == (None, None)
    assert _status(store, "c1") is SyncStatus.CONFLICT
    assert recorder.changes == [ConflictsChanged(frozenset({"k1"}))]
    assert [e.action for e in await db.audit_entries()] == ["resolve_conflict"]


async def test_the_lead_leaves_conflict_only_with_its_last_open_conflict(
    store: LeadSyncStore,
) -> None:
    await _with_conflicts(store, make_conflict("k1"), make_conflict("k2", field="email"))

    await store.resolve_conflict("k1", _resolution(Resolution.DOMIQ_WINS), "maria")
    assert _status(store, "c1") is SyncStatus.CONFLICT

    await store.resolve_conflict("k2", _resolution(Resolution.RESMAN_WINS), "maria")
    assert _status(store, "c1") is SyncStatus.SYNCING
    assert store.state.open_conflicts == []


@pytest.mark.parametrize(
    ("conflict_id", "resolution", "actor", "message"),
    [
        ("k9", _resolution(Resolution.DOMIQ_WINS), "maria", "there is no conflict k9"),
        ("done", _resolution(Resolution.DOMIQ_WINS), "maria", "conflict done is already resolved"),
        ("k1", _resolution(Resolution.MERGED), "maria", "merged resolution of phone needs a final"),
        ("k1", _resolution(Resolution.DOMIQ_WINS, reason="  "), "maria", "needs a reason"),
        ("k1", _resolution(Resolution.DOMIQ_WINS), " ", "who decided"),
        ("k1", _resolution(Resolution.DOMIQ_WINS, "+1999"), "maria", "choose merged"),
    ],
)
async def test_refused_resolutions_change_nothing(
    store: LeadSyncStore,
    db: Database,
    recorder: Recorder,
    conflict_id: str,
    resolution: ConflictResolution,
    actor: str,
    message: str,
) -> None:
    done = make_conflict("done", resolution_status=ResolutionStatus.RESOLVED)
    await _with_conflicts(store, make_conflict("k1"), done)
    recorder.clear()

    with pytest.raises(ActionRefused, match=message):
        await store.resolve_conflict(conflict_id, resolution, actor)

    assert recorder.batches == []
    assert await db.outbox_items() == []
    assert await db.audit_entries() == []
    assert [c.id for c in await db.open_conflicts()] == ["k1"]


async def test_escalation_keeps_the_conflict_open_and_is_audited(
    store: LeadSyncStore, db: Database, recorder: Recorder
) -> None:
    await _with_conflicts(store, make_conflict("k1"))
    recorder.clear()

    await store.escalate_conflict("k1", "maria", "prospect disputes both numbers")

    conflict = store.conflict("k1")
    assert conflict is not None
    assert conflict.resolution_status is ResolutionStatus.ESCALATED
    assert [c.resolution_status for c in await db.open_conflicts()] == [ResolutionStatus.ESCALATED]
    assert _status(store, "c1") is SyncStatus.CONFLICT
    [entry] = await db.audit_entries(target="k1")
    assert (entry.actor, entry.action, entry.reason) == (
        "maria",
        "escalate_conflict",
        "prospect disputes both numbers",
    )
    assert recorder.changes == [ConflictsChanged(frozenset({"k1"}))]
    with pytest.raises(ActionRefused, match="already escalated"):
        await store.escalate_conflict("k1", "maria")
    await store.resolve_conflict("k1", _resolution(Resolution.RESMAN_WINS), "li")
    with pytest.raises(ActionRefused, match="already resolved"):
        await store.escalate_conflict("k1", "maria")
