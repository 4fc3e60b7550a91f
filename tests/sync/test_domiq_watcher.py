"""The read half of the engine against the real DomIQ simulator over loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.sim.runner import RunningSims, SimOptions, run_simulators
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.domiq_watcher import DomiqWatcher
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
