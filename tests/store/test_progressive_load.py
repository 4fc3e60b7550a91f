"""The progressive load at start-up: every lead arrives, chunk by chunk, with progress;
what changes meanwhile ends as its newest version; the engine waits for the last chunk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from leadsync_tui.models import EventType, Lead, SyncEvent, SyncStatus
from leadsync_tui.store.changes import Change, LeadsChanged, LoadProgress
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from tests.engine.conftest import sim_rig
from tests.store.conftest import T0, Recorder, make_lead

LEADS = 2_500
CHUNK = 1_000


def _leads(count: int = LEADS) -> list[Lead]:
    """Lead `c0` is the newest, `c{count-1}` the oldest (so it is in the last chunk)."""
    return [
        make_lead(f"c{n:04d}", updated_at=T0 - timedelta(minutes=n), version=1)
        for n in range(count)
    ]


@pytest.fixture
async def file_db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "leadsync.db") as database:
        yield database


async def test_every_lead_arrives_in_chunks_newest_first_with_progress(
    file_db: Database,
) -> None:
    await file_db.upsert_leads(_leads())
    store = LeadSyncStore(file_db)
    recorder = Recorder()
    store.subscribe(recorder)

    await store.load_leads_progressively(chunk=CHUNK)

    assert len(store.state.leads) == LEADS
    assert list(store.state.leads)[:3] == ["c0000", "c0001", "c0002"]
    progress = [c for c in recorder.changes if isinstance(c, LoadProgress)]
    assert progress == [
        LoadProgress(0, LEADS),
        LoadProgress(1_000, LEADS),
        LoadProgress(2_000, LEADS),
        LoadProgress(2_500, LEADS, done=True),
    ]
    chunks = [c.keys for c in recorder.changes if isinstance(c, LeadsChanged)]
    assert [len(keys) for keys in chunks] == [1_000, 1_000, 500]
    assert frozenset().union(*chunks) == frozenset(store.state.leads)
    assert not store.loading_leads
    await store.wait_loaded()


async def test_a_feed_event_for_a_lead_not_loaded_yet_ends_as_its_newest_version(
    file_db: Database,
) -> None:
    leads = _leads()
    oldest = leads[-1]
    # ResMan's side is known locally: a DomIQ update must not wipe it.
    leads[-1] = oldest.model_copy(
        update={"resman_prospect_id": "P-77", "resman_sync_status": SyncStatus.SYNCED}
    )
    await file_db.upsert_leads(leads)
    store = LeadSyncStore(file_db)
    newer = oldest.model_copy(update={"version": 2, "phone": "+15125550123"})
    event = SyncEvent(id=1, type=EventType.LEAD_UPDATED, at=T0, data=newer.model_dump(mode="json"))
    sent: list[asyncio.Task[Any]] = []
    shown_during_load: list[bool] = []

    def on_changes(changes: Sequence[Change]) -> None:
        for change in changes:
            if isinstance(change, LoadProgress) and change.loaded == CHUNK and not sent:
                assert oldest.conversation_id not in store.state.leads
                sent.append(asyncio.create_task(store.handle_message(event)))
            if isinstance(change, LeadsChanged) and oldest.conversation_id in change.keys:
                shown_during_load.append(store.loading_leads)

    store.subscribe(on_changes)
    await store.load_leads_progressively(chunk=CHUNK)
    await asyncio.gather(*sent)

    held = store.state.leads[oldest.conversation_id]
    assert held.version == 2
    assert held.phone == "+15125550123"
    assert held.resman_prospect_id == "P-77"
    assert held.resman_sync_status is SyncStatus.SYNCED
    assert await file_db.get_lead(oldest.conversation_id) == held
    assert shown_during_load[0] is True  # the table hears of it at once, not at the end
    assert len(store.state.leads) == LEADS


async def test_a_stale_event_during_the_load_does_not_replace_the_stored_lead(
    file_db: Database,
) -> None:
    leads = _leads()
    stored = leads[-1].model_copy(update={"version": 5, "phone": "+15125550100"})
    leads[-1] = stored
    await file_db.upsert_leads(leads)
    store = LeadSyncStore(file_db)
    stale = stored.model_copy(update={"version": 3, "phone": "+15125550999"})
    event = SyncEvent(id=1, type=EventType.LEAD_UPDATED, at=T0, data=stale.model_dump(mode="json"))
    sent: list[asyncio.Task[Any]] = []

    def on_changes(changes: Sequence[Change]) -> None:
        if not sent and any(isinstance(c, LoadProgress) and c.loaded for c in changes):
            sent.append(asyncio.create_task(store.handle_message(event)))

    store.subscribe(on_changes)
    await store.load_leads_progressively(chunk=CHUNK)
    await asyncio.gather(*sent)

    assert store.state.leads[stored.conversation_id] == stored
    assert len(store.state.leads) == LEADS


async def test_the_engine_does_not_reconcile_before_the_load_ends(tmp_path: Path) -> None:
    from leadsync_tui.wiring import open_engine

    async with sim_rig(tmp_path, leads=20) as rig:
        events: list[dict[str, Any]] = []
        async with open_engine(
            rig.settings, on_event=events.append, watcher=False, progressive=True
        ) as setup:
            engine, store = setup.engine, setup.engine.store
            running = asyncio.create_task(engine.run())
            await asyncio.sleep(0.5)
            assert store.loading_leads
            assert not [e for e in events if e.get("event") == "reconcile"], events

            await store.load_leads_progressively(chunk=CHUNK)
            for _ in range(200):
                if any(e.get("event") == "reconcile" for e in events):
                    break
                await asyncio.sleep(0.05)
            await engine.stop()
            await asyncio.wait_for(running, 10)
        assert any(e.get("event") == "reconcile" for e in events), events
