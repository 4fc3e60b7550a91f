"""A new DomIQ lead that several ResMan prospects could be: a `duplicate_candidate` for a
person, nothing created meanwhile, and each resolution doing what the dialog says.

On the real simulators: two guest cards with the lead's email are seeded in ResMan, the
engine runs once, then a manager resolves the conflict through the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync_tui.models import (
    AttemptStatus,
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    Lead,
    LeadSyncConflict,
    Qualification,
    Resolution,
    ResolutionStatus,
    SyncStatus,
    SyncType,
    utc_now,
)
from leadsync_tui.sim.resman import Prospect as SimProspect
from leadsync_tui.sim.world_records import PropertyLink
from leadsync_tui.sim.world_values import prospect_values
from leadsync_tui.sync.merge import DUPLICATE_FIELD, candidate_ids
from tests.engine.conftest import Rig, sim_rig

CID = "cnv_twice"
EMAIL = "maya.okafor@example.com"


def _lead(property_id: str) -> Lead:
    now = utc_now()
    return Lead(
        conversation_id=CID,
        created_at=now - timedelta(hours=1),
        updated_at=now - timedelta(hours=1),
        property_id=property_id,
        first_name="Maya",
        last_name="Okafor",
        email=EMAIL,
        max_rent=1850,
        qualification=Qualification.QUALIFIED,
    )


@asynccontextmanager
async def _two_matches(tmp_path: Path) -> AsyncIterator[tuple[Rig, PropertyLink, list[str]]]:
    """A new qualified lead and two older guest cards with its email (no phone on the
    lead: the one a resolution links fills it in)."""
    async with sim_rig(tmp_path, leads=0) as rig:
        place = rig.sims.world.properties[0]
        resman = rig.sims.world.resman
        earlier = utc_now() - timedelta(days=3)
        first = resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor",
            email=EMAIL,
            phones={"Mobile": "(512) 555-0143"},
            last_modified=earlier,
        )
        second = resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor-Reyes",
            email=EMAIL,
            phones={"Mobile": "(512) 555-0199"},
            last_modified=earlier,
        )
        rig.sims.world.domiq.seed_lead(_lead(place.domiq_id))
        yield rig, place, [first.prospect_id, second.prospect_id]


def _at(rig: Rig, place: PropertyLink) -> list[SimProspect]:
    return [p for p in rig.sims.world.resman.prospects if p.property_id == place.property_id]


def _same(a: str, b: str) -> bool:
    return a.strip("{}").lower() == b.strip("{}").lower()


async def _raise_conflict(rig: Rig, place: PropertyLink, ids: list[str]) -> LeadSyncConflict:
    """Run the engine once; check the conflict, and that nothing was created or left."""
    async with rig.engine() as engine:
        result = await engine.run_once(max_wait=5)
        (conflict,) = await engine.db.open_conflicts()
        lead = engine.store.state.leads[CID]
        outbox = await engine.db.outbox_items()
        logs = await engine.db.logs_for(CID)
        link = await engine.db.get_link(CID)
    assert result.complete and result.open_conflicts == 1
    assert outbox == []  # not parked, not retrying: the conflict holds what is pending
    assert link is None
    assert len(_at(rig, place)) == 2  # no third guest card for the same person
    assert (conflict.conversation_id, conflict.field) == (CID, DUPLICATE_FIELD)
    assert conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE
    assert conflict.conflict_severity is ConflictSeverity.HIGH
    assert conflict.resolution_status is ResolutionStatus.MANUAL_REVIEW
    assert "Maya Okafor" in conflict.domiq_value and EMAIL in conflict.domiq_value
    shown = candidate_ids(conflict.resman_value)
    assert sorted(i.lower() for i in shown) == sorted(i.lower() for i in ids)
    assert "Okafor-Reyes" in conflict.resman_value
    assert lead.resman_sync_status is SyncStatus.CONFLICT
    held = [log for log in logs if log.sync_status is AttemptStatus.CONFLICT]
    assert len(held) == 1 and "2 ResMan prospects could be this lead" in (
        held[0].error_message or ""
    )
    domiq = rig.sims.world.domiq.get_lead(CID)
    assert domiq.resman_sync_status is SyncStatus.CONFLICT and domiq.resman_prospect_id is None
    assert len(rig.sims.world.domiq.all_leads()) == 1  # the candidates wait, not imported
    return conflict


async def _resolve(rig: Rig, conflict: LeadSyncConflict, choice: Resolution, value: Any) -> None:
    """A manager's decision in one engine process; the work is sent by the next one."""
    async with rig.engine() as engine:
        await engine.store.resolve_conflict(
            conflict.id,
            ConflictResolution(resolution=choice, final_value=value, reason="checked ResMan"),
            actor="maria",
        )


async def _linked_after_restart(
    rig: Rig, choice: Resolution, *, differing: tuple[str, ...] = ()
) -> str:
    """Restart, run once: the lead ends linked to exactly one prospect; returns its id.
    `differing`: fields the lead and the linked guest card disagree on, which become
    conflicts of their own (a stranger's card has no agreed base)."""
    async with rig.engine() as engine:
        assert (await engine.run_once(max_wait=5)).complete
        link = await engine.db.get_link(CID)
        lead = engine.store.state.leads[CID]
        logs = await engine.db.logs_for(CID)
        conflicts = await engine.db.conflicts_for(CID)
        (duplicate,) = [c for c in conflicts if c.field == DUPLICATE_FIELD]
        who, _ = await engine.db.conflict_decision(duplicate.id)
    assert link is not None
    assert lead.resman_prospect_id == link.prospect_id
    assert duplicate.resolution_status is ResolutionStatus.RESOLVED and who == "maria"
    others = [c for c in conflicts if c is not duplicate]
    assert sorted(c.field for c in others) == sorted(differing)
    assert all(c.conflict_type is ConflictType.VALUE_MISMATCH and c.is_open for c in others)
    expected = SyncStatus.CONFLICT if differing else SyncStatus.SYNCED
    assert lead.resman_sync_status is expected
    applied = [log for log in logs if log.sync_type is SyncType.RESOLUTION]
    assert [log.conflict_resolution for log in applied] == [choice]
    domiq = rig.sims.world.domiq.get_lead(CID)
    assert domiq.resman_prospect_id == link.prospect_id
    assert domiq.resman_sync_status is expected
    claims = [
        lead.conversation_id
        for lead in rig.sims.world.domiq.all_leads()
        if lead.resman_prospect_id and _same(lead.resman_prospect_id, link.prospect_id)
    ]
    assert claims == [CID]
    return link.prospect_id


async def test_several_matches_raise_a_conflict_and_create_nothing_across_restarts(
    tmp_path: Path,
) -> None:
    async with _two_matches(tmp_path) as (rig, place, ids):
        conflict = await _raise_conflict(rig, place, ids)
        # a restart and another pass: the same conflict, still nothing created or queued
        async with rig.engine() as engine:
            result = await engine.run_once(max_wait=5)
            (again,) = await engine.db.open_conflicts()
            outbox = await engine.db.outbox_items()
        assert result.complete and again.id == conflict.id
        assert outbox == [] and len(_at(rig, place)) == 2


async def test_domiq_wins_creates_a_new_prospect(tmp_path: Path) -> None:
    async with _two_matches(tmp_path) as (rig, place, ids):
        conflict = await _raise_conflict(rig, place, ids)
        await _resolve(rig, conflict, Resolution.DOMIQ_WINS, None)
        linked = await _linked_after_restart(rig, Resolution.DOMIQ_WINS)
        assert all(not _same(linked, i) for i in ids)
        made = rig.sims.world.resman.get_prospect(linked)
        assert made is not None and prospect_values(made)["email"] == EMAIL
        assert len(_at(rig, place)) == 3  # the two candidates and the new one, once


async def test_a_create_whose_answer_was_lost_is_adopted_not_made_twice(tmp_path: Path) -> None:
    async with _two_matches(tmp_path) as (rig, place, ids):
        conflict = await _raise_conflict(rig, place, ids)
        await _resolve(rig, conflict, Resolution.DOMIQ_WINS, None)
        # the create reached ResMan, then the process died before it was committed
        landed = rig.sims.world.resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor",
            email=EMAIL,
            source_id=place.source_id,
            agent_id=place.agent_id,
            first_contact_comments=f"DomIQ conversation {CID}",
        )
        linked = await _linked_after_restart(rig, Resolution.DOMIQ_WINS)
        assert _same(linked, landed.prospect_id)
        assert len(_at(rig, place)) == 3


async def test_resman_wins_links_the_first_candidate_and_syncs_its_fields(
    tmp_path: Path,
) -> None:
    async with _two_matches(tmp_path) as (rig, place, ids):
        conflict = await _raise_conflict(rig, place, ids)
        first = candidate_ids(conflict.resman_value)[0]
        differing = () if _same(first, ids[0]) else ("last_name",)  # Okafor-Reyes
        await _resolve(rig, conflict, Resolution.RESMAN_WINS, None)
        linked = await _linked_after_restart(rig, Resolution.RESMAN_WINS, differing=differing)
        assert _same(linked, first)
        assert len(_at(rig, place)) == 2  # nothing created
        chosen = rig.sims.world.resman.get_prospect(linked)
        assert chosen is not None
        domiq = rig.sims.world.domiq.get_lead(CID)
        assert domiq.phone == prospect_values(chosen)["phone"]  # ResMan filled DomIQ's gap
        assert prospect_values(chosen)["max_rent"] == 1850  # and DomIQ filled ResMan's


async def test_merged_links_the_chosen_candidate(tmp_path: Path) -> None:
    async with _two_matches(tmp_path) as (rig, place, ids):
        conflict = await _raise_conflict(rig, place, ids)
        second = candidate_ids(conflict.resman_value)[1]
        differing = () if _same(second, ids[0]) else ("last_name",)
        await _resolve(rig, conflict, Resolution.MERGED, "{" + second.upper() + "}")
        linked = await _linked_after_restart(rig, Resolution.MERGED, differing=differing)
        assert _same(linked, second)
        assert len(_at(rig, place)) == 2
        domiq = rig.sims.world.domiq.get_lead(CID)
        chosen = rig.sims.world.resman.get_prospect(linked)
        assert chosen is not None and domiq.phone == prospect_values(chosen)["phone"]


async def test_a_chosen_prospect_that_is_gone_asks_again_instead_of_guessing(
    tmp_path: Path,
) -> None:
    async with _two_matches(tmp_path) as (rig, place, ids):
        conflict = await _raise_conflict(rig, place, ids)
        await _resolve(rig, conflict, Resolution.MERGED, "not-a-prospect")
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=5)).complete
            (reopened,) = await engine.db.open_conflicts()
            link = await engine.db.get_link(CID)
            logs = await engine.db.logs_for(CID)
        assert reopened.id == conflict.id and link is None
        assert len(_at(rig, place)) == 2
        assert any("not-a-prospect cannot be linked" in (log.error_message or "") for log in logs)


async def test_manual_review_writes_nothing_and_keeps_the_lead_waiting(tmp_path: Path) -> None:
    async with _two_matches(tmp_path) as (rig, place, ids):
        conflict = await _raise_conflict(rig, place, ids)
        await _resolve(rig, conflict, Resolution.MANUAL_REVIEW, None)
        async with rig.engine() as engine:
            result = await engine.run_once(max_wait=5)
            (still,) = await engine.db.open_conflicts()
            lead = engine.store.state.leads[CID]
            outbox = await engine.db.outbox_items()
            link = await engine.db.get_link(CID)
        assert result.complete and outbox == [] and link is None
        assert still.id == conflict.id
        assert still.resolution_status is ResolutionStatus.MANUAL_REVIEW
        assert lead.resman_sync_status is SyncStatus.CONFLICT
        assert len(_at(rig, place)) == 2
        assert rig.sims.world.domiq.get_lead(CID).resman_prospect_id is None
