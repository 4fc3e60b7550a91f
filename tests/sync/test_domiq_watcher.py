"""The read half of the engine against the real DomIQ simulator over loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.domiq_feed import FeedState
from leadsync_tui.models import EventType, Lead, SyncEvent
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Cursor
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.domiq_watcher import EVENT_BATCH, DomiqWatcher
from tests.waiting import eventually


@dataclass
class Rig:
    sims: RunningSims
    store: LeadSyncStore
    watcher: DomiqWatcher


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    options = SimOptions(
        domiq_port=0, resman_port=0, leads=40, activity_per_min=0, heartbeat_interval=0.1
    )
    async with run_simulators(options) as sims:
        db = await Database.open(tmp_path / "leadsync.db")
        store = LeadSyncStore(db)
        token = SecretStr(sims.world.token)
        async with DomiqClient(sims.domiq_url, token, timeout=5) as client:
            watcher = DomiqWatcher(
                store, client, base_url=sims.domiq_url, token=token, backoff_initial=0.05
            )
            task = asyncio.create_task(watcher.run())
            try:
                yield Rig(sims, store, watcher)
            finally:
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
        await db.close()


async def test_every_domiq_lead_reaches_the_store_and_the_feed_connects(rig: Rig) -> None:
    domiq = rig.sims.world.domiq
    await eventually(lambda: len(rig.store.state.leads) == domiq.lead_count, within_s=10)
    await eventually(lambda: rig.store.state.real_time_connected)
    for lead in domiq.all_leads():
        held = rig.store.state.leads[lead.conversation_id]
        assert (held.version, held.email, held.phone) == (lead.version, lead.email, lead.phone)
    await eventually(lambda: rig.store.state.last_ping is not None)


async def test_a_live_edit_in_domiq_shows_up_in_the_store(rig: Rig) -> None:
    domiq = rig.sims.world.domiq
    await eventually(lambda: len(rig.store.state.leads) == domiq.lead_count, within_s=10)
    await eventually(lambda: rig.store.state.real_time_connected)
    target = domiq.all_leads()[0]
    edited = domiq.edit_lead(target.conversation_id, {"notes": "Asked for a top floor."})
    await eventually(
        lambda: rig.store.state.leads[target.conversation_id].version == edited.version
    )
    assert rig.store.state.leads[target.conversation_id].notes == "Asked for a top floor."
    assert await rig.store.last_event_id() is not None


async def test_a_dropped_feed_is_reported_and_recovers(rig: Rig) -> None:
    domiq = rig.sims.world.domiq
    await eventually(lambda: rig.store.state.real_time_connected)
    seen: list[bool] = []
    rig.store.subscribe(lambda _: seen.append(rig.store.state.real_time_connected))
    rig.sims.domiq_faults.update({"ws_drop_rate": 1.0})
    target = domiq.all_leads()[1]
    domiq.edit_lead(target.conversation_id, {"notes": "first"})
    await eventually(lambda: False in seen)
    rig.sims.domiq_faults.update({"ws_drop_rate": 0.0})
    await eventually(lambda: rig.store.state.real_time_connected)
    latest = domiq.get_lead(target.conversation_id)
    await eventually(
        lambda: rig.store.state.leads[target.conversation_id].version == latest.version
    )


# --------------------------------------------------------------------------- batching
# The watcher's own buffering, without sockets: events go in through the callback the
# feed calls (`_on_event`), and the store is real (a SQLite file).


def _event(event_id: int, key: str, version: int) -> SyncEvent:
    lead = Lead(
        conversation_id=key,
        version=version,
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
        updated_at=datetime(2026, 11, 2, tzinfo=UTC),
        property_id="prop_001",
        first_name="Maya",
        last_name="Okafor",
        notes=f"event {event_id}",
    )
    return SyncEvent(id=event_id, type=EventType.LEAD_UPDATED, data=lead.model_dump(mode="json"))


class _CountingStore(LeadSyncStore):
    """A real store that records the batches handed to it (and can be made to fail)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.batches: list[int] = []
        self.fail = False

    async def handle_messages(self, events: Sequence[SyncEvent]) -> None:
        if self.fail:
            raise RuntimeError("the disk is full")
        self.batches.append(len(events))
        await super().handle_messages(events)


@pytest.fixture
async def quiet(tmp_path: Path) -> AsyncIterator[tuple[_CountingStore, DomiqWatcher, Database]]:
    db = await Database.open(tmp_path / "leadsync.db")
    store = _CountingStore(db)
    token = SecretStr("unused")
    async with DomiqClient("http://127.0.0.1:9", token, timeout=1) as client:
        watcher = DomiqWatcher(store, client, base_url="http://127.0.0.1:9", token=token)
        flusher = asyncio.create_task(watcher._flush_events_every_while())
        try:
            yield store, watcher, db
        finally:
            flusher.cancel()
            with pytest.raises(asyncio.CancelledError):
                await flusher
    await db.close()


async def test_live_events_reach_the_store_in_batches_with_the_cursor_after_them(
    quiet: tuple[_CountingStore, DomiqWatcher, Database],
) -> None:
    store, watcher, db = quiet
    for event_id in range(1, 11):
        await watcher._on_event(_event(event_id, f"conv_{event_id % 3}", event_id))
    # Buffered, not applied yet: the resume point has not moved past them.
    assert store.batches == []
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) is None
    await eventually(lambda: store.batches == [10], within_s=2)
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) == "10"
    assert await store.last_event_id() == 10
    held = store.state.leads
    assert {key: held[key].version for key in held} == {"conv_0": 9, "conv_1": 10, "conv_2": 8}


async def test_a_full_batch_is_applied_at_once(
    quiet: tuple[_CountingStore, DomiqWatcher, Database],
) -> None:
    store, watcher, db = quiet
    for event_id in range(1, EVENT_BATCH + 1):
        await watcher._on_event(_event(event_id, f"conv_{event_id}", 1))
    # The 500th event's callback returned only after the batch was stored.
    assert store.batches == [EVENT_BATCH]
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) == str(EVENT_BATCH)
    assert len(store.state.leads) == EVENT_BATCH


async def test_a_failed_batch_loses_nothing(
    quiet: tuple[_CountingStore, DomiqWatcher, Database],
) -> None:
    store, watcher, db = quiet
    store.fail = True
    for event_id in range(1, 4):
        await watcher._on_event(_event(event_id, f"conv_{event_id}", 1))
    with pytest.raises(RuntimeError):
        await watcher._flush_events()
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) is None
    store.fail = False
    await watcher._on_event(_event(4, "conv_4", 1))
    await eventually(lambda: len(store.state.leads) == 4, within_s=2)
    assert store.batches == [4]
    assert await db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID) == "4"


async def test_only_the_latest_feed_state_is_reported(
    quiet: tuple[_CountingStore, DomiqWatcher, Database],
) -> None:
    store, watcher, _ = quiet
    seen: list[int] = []
    store.subscribe(lambda _changes: seen.append(store.state.reconnect_attempts))
    for attempts in range(1, 1001):
        watcher._on_feed_state(FeedState(connected=False, reconnect_attempts=attempts))
    reporter = asyncio.create_task(watcher._report_states())
    try:
        await eventually(lambda: store.state.reconnect_attempts == 1000, within_s=2)
        assert seen == [1000]
    finally:
        reporter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reporter
