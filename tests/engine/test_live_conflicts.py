"""Both sides edit a linked lead between two polls: the write to ResMan reads it first.

The feed's quick pass (`reconcile(poll=False)`) plans from DomIQ's change alone, taking
the snapshot as ResMan's side; the sender reads the prospect before it posts and merges
again, so an agent's edit not yet polled is never overwritten."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from leadsync_tui.models import ConflictType, SyncStatus, utc_now
from leadsync_tui.sim.world_values import lead_values, prospect_values
from leadsync_tui.store.records import Link
from leadsync_tui.sync.engine import SyncEngine
from tests.engine.conftest import Rig, sim_rig


def quiet_pairs(rig: Rig, engine: SyncEngine, count: int) -> list[str]:
    """Linked leads that are synced, with nothing open."""
    world = rig.sims.world
    found = [
        cid
        for cid in world.linked_pairs
        if cid not in world.conflicting_pairs
        and engine.store.state.leads[cid].resman_sync_status is SyncStatus.SYNCED
        and not engine.store.open_conflicts_for(cid)
    ]
    assert len(found) >= count, found
    return found[:count]


def prospect_id_of(rig: Rig, cid: str) -> str:
    prospect_id = rig.sims.world.domiq.get_lead(cid).resman_prospect_id
    assert prospect_id is not None
    return prospect_id


def in_resman(rig: Rig, cid: str) -> dict[str, Any]:
    prospect = rig.sims.world.resman.get_prospect(prospect_id_of(rig, cid))
    assert prospect is not None
    return prospect_values(prospect)


def in_domiq(rig: Rig, cid: str) -> dict[str, Any]:
    return lead_values(rig.sims.world.domiq.get_lead(cid))


async def link_of(engine: SyncEngine, cid: str) -> Link:
    link = await engine.db.get_link(cid)
    assert link is not None
    return link


def new_rent(*values: Any) -> int:
    """A rent neither side holds."""
    rent = 2222
    while rent in values:
        rent += 111
    return rent


async def until(check: Callable[[], Awaitable[bool]], within_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_the_quick_pass_write_meets_an_unpolled_resman_edit_and_raises_a_conflict(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        world = rig.sims.world
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
            both, domiq_only, same = quiet_pairs(rig, engine, 3)
            agreed = (await link_of(engine, both)).snapshot
            theirs = new_rent(agreed["max_rent"])
            ours = new_rent(agreed["max_rent"], theirs)
            beds = (agreed["desired_bedrooms"] or 0) + 1
            # an agent edits the rent in ResMan; no poll runs after it
            world.resman.edit_prospect(prospect_id_of(rig, both), at=utc_now(), max_rent=theirs)
            world.resman.edit_prospect(prospect_id_of(rig, same), at=utc_now(), max_rent=ours)
            # the bot edits the same rent (and, for `both`, the bedrooms) in DomIQ
            world.domiq.edit_lead(both, {"max_rent": ours, "desired_bedrooms": beds})
            world.domiq.edit_lead(domiq_only, {"max_rent": ours})
            world.domiq.edit_lead(same, {"max_rent": ours})
            await engine.reconciler.pull_domiq()  # what the feed would deliver

            report = await engine.reconciler.reconcile(
                pull=False, poll=False, only={both, domiq_only, same}
            )
            assert report.queued == 3  # the quick pass sees DomIQ changes only
            assert await engine.drain(max_wait=10)

            # both changed the rent: a conflict holding both values, neither side written
            (conflict,) = engine.store.open_conflicts_for(both)
            assert conflict.field == "max_rent"
            assert conflict.conflict_type is ConflictType.VALUE_MISMATCH
            assert (conflict.domiq_value, conflict.resman_value) == (ours, theirs)
            assert conflict.base_value == agreed["max_rent"]
            assert in_resman(rig, both)["max_rent"] == theirs
            assert in_domiq(rig, both)["max_rent"] == ours
            assert engine.store.state.leads[both].resman_sync_status is SyncStatus.CONFLICT
            # the bedrooms, changed in DomIQ only, went through in the same item
            assert in_resman(rig, both)["desired_bedrooms"] == beds
            snapshot = (await link_of(engine, both)).snapshot
            assert snapshot["max_rent"] == agreed["max_rent"]
            assert snapshot["desired_bedrooms"] == beds

            # a DomIQ-only change still syncs
            assert in_resman(rig, domiq_only)["max_rent"] == ours
            assert (await link_of(engine, domiq_only)).snapshot["max_rent"] == ours
            assert not engine.store.open_conflicts_for(domiq_only)
            assert engine.store.state.leads[domiq_only].resman_sync_status is SyncStatus.SYNCED

            # both sides made the same change (or an earlier post landed): agreed
            assert not engine.store.open_conflicts_for(same)
            assert (await link_of(engine, same)).snapshot["max_rent"] == ours
            assert engine.store.state.leads[same].resman_sync_status is SyncStatus.SYNCED

            # the next full pass leaves the open conflict alone: still nothing lost
            await engine.run_once(max_wait=10)
            assert [c.id for c in engine.store.open_conflicts_for(both)] == [conflict.id]
            assert in_resman(rig, both)["max_rent"] == theirs
            assert in_domiq(rig, both)["max_rent"] == ours


async def test_the_running_engine_raises_a_live_conflict_and_keeps_both_values(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=40, poll_interval=3600) as rig:
        world = rig.sims.world
        async with rig.engine(watcher=True) as engine:
            runner = asyncio.create_task(engine.run())

            async def settled() -> bool:
                """The first pass is done: every seeded pair linked here, nothing queued
                (DomIQ says "synced" for seeded pairs before this engine links them)."""
                counts = await engine.db.outbox_counts()
                links = await engine.db.get_links(list(world.linked_pairs))
                return counts.pending + counts.in_flight == 0 and set(links) >= set(
                    world.linked_pairs
                )

            await until(settled, 60)
            both, domiq_only = quiet_pairs(rig, engine, 2)
            agreed = (await link_of(engine, both)).snapshot
            theirs = new_rent(agreed["max_rent"])
            ours = new_rent(agreed["max_rent"], theirs)
            world.resman.edit_prospect(prospect_id_of(rig, both), at=utc_now(), max_rent=theirs)
            world.domiq.edit_lead(both, {"max_rent": ours})
            world.domiq.edit_lead(domiq_only, {"notes": "Asked for a top floor."})

            async def acted() -> bool:
                return bool(engine.store.open_conflicts_for(both)) and (
                    in_resman(rig, domiq_only)["notes"] == "Asked for a top floor."
                )

            await until(acted, 45)
            (conflict,) = engine.store.open_conflicts_for(both)
            assert conflict.field == "max_rent"
            assert (conflict.domiq_value, conflict.resman_value) == (ours, theirs)
            assert in_resman(rig, both)["max_rent"] == theirs
            assert in_domiq(rig, both)["max_rent"] == ours
            await engine.stop()
            await asyncio.wait_for(runner, 10)
