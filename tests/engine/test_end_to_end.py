"""The engine against both simulators over loopback: convergence, conflicts, live running."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from leadsync_tui.config import PolicySettings
from leadsync_tui.models import (
    ConflictResolution,
    Qualification,
    Resolution,
    ResolutionStatus,
    SyncStatus,
    SyncType,
    utc_now,
)
from leadsync_tui.sim.world_values import lead_values, prospect_values
from leadsync_tui.sync.engine_state import ENGINE_CURSOR
from leadsync_tui.sync.mapping import lead_to_fields, prospect_to_fields
from tests.engine.conftest import Rig, assert_converged, read_truth, sim_rig
from tests.waiting import eventually


async def _open_fields(rig: Rig) -> dict[str, set[str]]:
    async with rig.engine() as engine:
        found: dict[str, set[str]] = {}
        for conflict in await engine.db.open_conflicts():
            found.setdefault(conflict.conversation_id, set()).add(conflict.field)
        return found


async def test_once_pairs_every_qualified_lead_with_exactly_one_prospect(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=80) as rig:
        world = rig.sims.world
        async with rig.engine() as engine:
            result = await engine.run_once(max_wait=10)
        assert result.complete, result
        open_fields = await _open_fields(rig)
        truth = await read_truth(rig)
        assert_converged(truth, open_fields)

        # the seeded conflicts, and only they, wait for a person (manual_review default)
        assert open_fields == {
            c.conversation_id: {c.field} for c in world.changes if c.side == "both"
        }
        for cid in world.conflicting_pairs:
            assert truth.leads[cid].resman_sync_status is SyncStatus.CONFLICT
        # a change made on one side since the last sync reached the other side
        for change in world.changes:
            if change.side == "domiq":
                prospect = world.resman.get_prospect(change.prospect_id)
                assert prospect is not None
                assert prospect_values(prospect)[change.field] == change.domiq_value
            elif change.side == "resman":
                lead = world.domiq.get_lead(change.conversation_id)
                assert lead_values(lead)[change.field] == change.resman_value
        # every walk-in got a DomIQ lead; a lost one is a disqualified lead
        by_prospect = {lead.resman_prospect_id: lead for lead in truth.leads.values()}
        for pid in world.walk_ins:
            lead = by_prospect[pid]
            lost = truth.prospects[pid].is_lost
            assert (lead.qualification is Qualification.DISQUALIFIED) == lost
        # DomIQ was told where each linked lead stands
        for lead in truth.leads.values():
            if lead.resman_prospect_id and lead.conversation_id not in world.conflicting_pairs:
                assert lead.resman_sync_status is SyncStatus.SYNCED, lead.conversation_id


async def test_a_second_once_is_a_no_op(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=60) as rig:
        world = rig.sims.world
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
            logged = len(await engine.db.recent_logs(utc_now() - timedelta(hours=1)))
        versions = {lead.conversation_id: lead.version for lead in world.domiq.all_leads()}
        prospects = world.resman.counts()
        rig.events.clear()
        async with rig.engine() as engine:  # a new process on the same database
            result = await engine.run_once(max_wait=10)
            assert len(await engine.db.recent_logs(utc_now() - timedelta(hours=1))) == logged
        assert result.complete and result.sent == 0
        assert not [e for e in rig.events if e["event"] == "attempt"]
        assert {lead.conversation_id: lead.version for lead in world.domiq.all_leads()} == versions
        assert world.resman.counts() == prospects


async def test_domiq_wins_policy_settles_the_seeded_conflicts_on_both_sides(
    tmp_path: Path,
) -> None:
    policy = PolicySettings(default=Resolution.DOMIQ_WINS)
    async with sim_rig(tmp_path, leads=80, policy=policy) as rig:
        world = rig.sims.world
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
            assert await engine.db.open_conflicts() == []
            for cid in world.conflicting_pairs:
                (conflict,) = await engine.db.conflicts_for(cid)
                assert conflict.resolution_status is ResolutionStatus.RESOLVED
                assert conflict.resolution is not None
                assert conflict.resolution.resolution is Resolution.DOMIQ_WINS
                who, when = await engine.db.conflict_decision(conflict.id)
                assert who == "policy:domiq_wins" and when is not None
                logs = await engine.db.logs_for(cid)
                assert any(log.conflict_resolution is Resolution.DOMIQ_WINS for log in logs)
        truth = await read_truth(rig)
        assert_converged(truth, {})
        for change in world.changes:
            if change.side == "both":  # DomIQ's value won on both sides
                prospect = world.resman.get_prospect(change.prospect_id)
                assert prospect is not None
                assert prospect_values(prospect)[change.field] == change.domiq_value
                lead = world.domiq.get_lead(change.conversation_id)
                assert lead_values(lead)[change.field] == change.domiq_value
                assert lead.resman_sync_status is SyncStatus.SYNCED


def _another_value(field: str, current: Any) -> Any:
    if field == "phone":
        return "+15125550199" if current != "+15125550199" else "+15125550198"
    if field == "desired_move_in":
        return (date.today() + timedelta(days=200)).isoformat()
    return 1234 if current != 1234 else 1235


async def test_resolving_a_conflict_in_the_store_writes_the_value_to_both_sides(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=80) as rig:
        world = rig.sims.world
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
            conflict = (await engine.db.open_conflicts())[0]
            chosen = _another_value(conflict.field, conflict.domiq_value)
            await engine.store.fetch_conflicts()
            await engine.store.resolve_conflict(
                conflict.id,
                ConflictResolution(
                    resolution=Resolution.MERGED, final_value=chosen, reason="called them"
                ),
                actor="maria",
            )
            assert await engine.drain(max_wait=5)
            lead = engine.store.state.leads[conflict.conversation_id]
            assert lead.resman_sync_status is SyncStatus.SYNCED
            logs = await engine.db.logs_for(conflict.conversation_id)
            applied = [log for log in logs if log.sync_type is SyncType.RESOLUTION]
            assert {log.sync_direction.value for log in applied} == {
                "domiq_to_resman",
                "resman_to_domiq",
            }
            assert all(log.conflict_resolution is Resolution.MERGED for log in applied)
            who, _ = await engine.db.conflict_decision(conflict.id)
            assert who == "maria"
        domiq_lead = world.domiq.get_lead(conflict.conversation_id)
        assert lead_to_fields(domiq_lead)[conflict.field] == chosen
        assert domiq_lead.resman_sync_status is SyncStatus.SYNCED
        truth = await read_truth(rig)
        prospect = truth.prospects[truth.leads[conflict.conversation_id].resman_prospect_id or ""]
        assert prospect_to_fields(prospect)[conflict.field] == chosen
        # and the next pass leaves it alone: both sides agree on the new value
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=5)).sent == 0


async def test_the_running_engine_carries_live_edits_both_ways_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=40, poll_interval=0.3) as rig:
        world = rig.sims.world
        async with rig.engine(watcher=True) as engine:
            runner = asyncio.create_task(engine.run())
            linked = world.linked_pairs[0]

            async def settled() -> bool:
                """The first pass is over (the engine's cursor is set: before it, an edit
                can meet the pair with no snapshot yet, a conflict), nothing queued."""
                counts = await engine.db.outbox_counts()
                lead = engine.store.state.leads.get(linked)
                return (
                    await engine.db.get_cursor(ENGINE_CURSOR) is not None
                    and counts.pending + counts.in_flight == 0
                    and lead is not None
                    and (lead.resman_sync_status is SyncStatus.SYNCED)
                )

            await _until(settled, 60)  # a hang detector: a loaded machine is slow
            prospect_id = world.domiq.get_lead(linked).resman_prospect_id
            assert prospect_id is not None
            # DomIQ edit -> the live feed -> ResMan, without waiting for a poll
            world.domiq.edit_lead(linked, {"notes": "Asked for a top floor."})
            await eventually(
                lambda: (
                    prospect_values(world.resman.get_prospect(prospect_id))["notes"]  # type: ignore[arg-type]
                    == "Asked for a top floor."
                ),
                within_s=10,
            )
            # ResMan edit -> the next poll -> DomIQ
            world.resman.edit_prospect(prospect_id, at=utc_now(), max_rent=2345)
            await eventually(lambda: world.domiq.get_lead(linked).max_rent == 2345, within_s=10)
            await engine.stop()
            await asyncio.wait_for(runner, 20)
            assert (await engine.db.outbox_counts()).in_flight == 0


async def _until(check: Any, within_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
