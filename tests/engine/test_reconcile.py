"""Pairing and planning: the pure rules, then the cases a user meets on real simulators."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync_tui.clients.mits import Prospect, ProspectEvent
from leadsync_tui.config import ResmanProperty
from leadsync_tui.models import (
    ConflictType,
    Lead,
    Qualification,
    SyncDirection,
    SyncStatus,
    SyncType,
    utc_now,
)
from leadsync_tui.sim.resman import Preferences
from leadsync_tui.sim.world_records import PropertyLink
from leadsync_tui.sim.world_values import prospect_values
from leadsync_tui.store.payloads import FieldWrite
from leadsync_tui.store.records import OutboxStatus
from leadsync_tui.sync.plan import (
    created_for,
    inferred_base,
    plan_items,
    plan_pair,
    resync_item,
)
from leadsync_tui.sync.reconcile import drifted
from tests.engine.conftest import Rig, read_truth, sim_rig

AGREED: dict[str, Any] = {
    "first_name": "Maya",
    "last_name": "Okafor",
    "email": "maya@example.com",
    "phone": "+15125550143",
    "desired_move_in": "2027-01-15",
    "desired_bedrooms": 2,
    "desired_bathrooms": 1.5,
    "max_rent": 1850,
    "pets": True,
    "notes": None,
    "qualification": "active",
}


# --------------------------------------------------------------------------- pure rules


def test_a_domiq_change_is_planned_for_resman_and_agreed_only_once_written() -> None:
    domiq = {**AGREED, "phone": "+15125550199"}
    plan = plan_pair(AGREED, domiq, AGREED)
    assert plan.result.to_resman == {"phone": "+15125550199"}
    assert plan.snapshot["phone"] == "+15125550143"  # not agreed until ResMan confirms
    (item,) = plan_items("cnv_1", 4, plan)
    assert item.direction is SyncDirection.DOMIQ_TO_RESMAN
    assert item.sync_type is SyncType.UPDATE
    assert item.payload == FieldWrite(fields={"phone": "+15125550199"}, version=4)
    assert plan_items("cnv_1", 4, plan_pair(AGREED, domiq, AGREED))[0].dedupe_key == (
        item.dedupe_key
    )
    assert plan_items("cnv_1", 5, plan)[0].dedupe_key != item.dedupe_key


def test_a_resman_lost_event_is_planned_as_a_status_write_to_domiq() -> None:
    plan = plan_pair(AGREED, AGREED, {**AGREED, "qualification": "lost"})
    (item,) = plan_items("cnv_1", 4, plan)
    assert item.direction is SyncDirection.RESMAN_TO_DOMIQ
    assert item.sync_type is SyncType.STATUS
    assert isinstance(item.payload, FieldWrite)
    assert item.payload.fields == {"qualification": "lost"}


def test_both_sides_changing_one_field_is_a_conflict_and_nothing_is_written() -> None:
    plan = plan_pair(
        AGREED, {**AGREED, "max_rent": 1900}, {**AGREED, "max_rent": 1700, "notes": "Dog"}
    )
    (conflict,) = plan.result.conflicts
    assert (conflict.field, conflict.type) == ("max_rent", ConflictType.VALUE_MISMATCH)
    assert plan.result.to_resman == {}
    assert plan.result.to_domiq == {"notes": "Dog"}
    assert plan.snapshot["max_rent"] == 1850
    # while the conflict is open the field is left alone
    again = plan_pair(
        AGREED,
        {**AGREED, "max_rent": 1900},
        {**AGREED, "max_rent": 1700},
        open_fields={"max_rent"},
    )
    assert not again.result.conflicts and not again.has_writes


def test_a_first_link_takes_its_base_from_the_side_that_did_not_move() -> None:
    domiq_moved = {**AGREED, "max_rent": 1900}
    base = inferred_base(domiq_moved, AGREED, domiq_changed=True, resman_changed=False)
    assert plan_pair(base, domiq_moved, AGREED).result.to_resman == {"max_rent": 1900}
    resman_moved = {**AGREED, "phone": "+15125550100"}
    base = inferred_base(AGREED, resman_moved, domiq_changed=False, resman_changed=True)
    assert plan_pair(base, AGREED, resman_moved).result.to_domiq == {"phone": "+15125550100"}
    base = inferred_base(domiq_moved, resman_moved, domiq_changed=True, resman_changed=True)
    assert base is None
    both = plan_pair(base, {**AGREED, "max_rent": 1900}, {**AGREED, "max_rent": 1700})
    assert [c.field for c in both.result.conflicts] == ["max_rent"]


def test_our_marker_names_the_conversation_a_prospect_was_made_for() -> None:
    event = ProspectEvent(first_contact=True, comments="DomIQ conversation cnv_01ABC")
    assert created_for(Prospect(prospect_id="p1", events=(event,))) == "cnv_01ABC"
    stranger = ProspectEvent(first_contact=True, comments="Walked in on Saturday")
    assert created_for(Prospect(prospect_id="p2", events=(stranger,))) is None


def test_a_resman_change_to_a_busy_lead_is_kept_as_one_resync_item() -> None:
    assert drifted(AGREED, {**AGREED, "max_rent": 1700})
    assert not drifted(AGREED, dict(AGREED))
    lead = _lead("cnv_1", "prop_a")
    first = resync_item(lead, {**AGREED, "max_rent": 1700})
    assert first.dedupe_key == resync_item(lead, {**AGREED, "max_rent": 1700}).dedupe_key
    assert first.dedupe_key != resync_item(lead, {**AGREED, "max_rent": 1600}).dedupe_key


# --------------------------------------------------------------------------- on the simulators


def _lead(cid: str, property_id: str, **values: Any) -> Lead:
    now = utc_now()
    fields: dict[str, Any] = {
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": "maya.okafor@example.com",
        "phone": "+15125550143",
        "qualification": Qualification.QUALIFIED,
        **values,
    }
    return Lead(
        conversation_id=cid,
        created_at=now - timedelta(days=2),
        updated_at=now - timedelta(days=2),
        property_id=property_id,
        **fields,
    )


def _place(rig: Rig, index: int = 0) -> PropertyLink:
    return rig.sims.world.properties[index]


async def _prospects_at(rig: Rig, place: PropertyLink) -> list[Any]:
    return [p for p in rig.sims.world.resman.prospects if p.property_id == place.property_id]


async def test_a_prospect_whose_create_answer_was_lost_is_adopted_not_doubled(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=0) as rig:
        place = _place(rig)
        world = rig.sims.world
        world.domiq.seed_lead(_lead("cnv_lost_answer", place.domiq_id))
        # the create reached ResMan, its answer never reached us
        made = world.resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor",
            email="maya.okafor@example.com",
            phones={"Mobile": "(512) 555-0143"},
            source_id=place.source_id,
            agent_id=place.agent_id,
            first_contact_comments="DomIQ conversation cnv_lost_answer",
        )
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=5)).complete
            link = await engine.db.get_link("cnv_lost_answer")
        assert link is not None and link.prospect_id == made.prospect_id
        assert len(await _prospects_at(rig, place)) == 1
        assert world.domiq.get_lead("cnv_lost_answer").resman_prospect_id == made.prospect_id


async def test_a_matching_walk_in_is_adopted_and_each_side_fills_the_others_gaps(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=0) as rig:
        place = _place(rig)
        world = rig.sims.world
        world.domiq.seed_lead(_lead("cnv_chat", place.domiq_id, max_rent=None))
        walk_in = world.resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor",
            email="Maya.Okafor@example.com",
            preferences=Preferences(max_rent=1500),
        )
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=5)).complete
            logs = await engine.db.logs_for("cnv_chat")
        assert len(await _prospects_at(rig, place)) == 1
        assert len(world.domiq.all_leads()) == 1
        assert world.domiq.get_lead("cnv_chat").max_rent == 1500
        assert prospect_values(walk_in)["phone"] == "+15125550143"
        assert logs[0].sync_type is SyncType.CREATE


async def test_a_walk_in_named_like_a_waiting_lead_elsewhere_gets_its_own_lead(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=0) as rig:
        here, there = _place(rig, 0), _place(rig, 1)
        world = rig.sims.world
        world.domiq.seed_lead(_lead("cnv_here", here.domiq_id))
        world.resman.seed_prospect(
            there.property_id, "Maya", "Okafor", email="m.okafor@elsewhere.example"
        )
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=5)).complete
        truth = await read_truth(rig)
        assert len(truth.prospects) == 2 and len(truth.leads) == 2
        assert sorted(truth.claimed.values()) == [1, 1]


async def test_only_qualified_leads_are_sent_and_a_disqualification_marks_the_prospect_lost(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=0) as rig:
        place = _place(rig)
        world = rig.sims.world
        now = utc_now()
        world.domiq.seed_lead(
            _lead("cnv_new", place.domiq_id, qualification=Qualification.NEW, email="a@x.example")
        )
        world.domiq.seed_lead(
            _lead(
                "cnv_out",
                place.domiq_id,
                qualification=Qualification.DISQUALIFIED,
                email="b@x.example",
                phone=None,
                first_name="Bo",
            )
        )
        linked = world.resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor",
            email="maya.okafor@example.com",
            phones={"Mobile": "(512) 555-0143"},
            source_id=place.source_id,
            agent_id=place.agent_id,
            last_modified=now - timedelta(days=1, minutes=5),
            first_contact_comments="DomIQ conversation cnv_linked",
        )
        synced = _lead("cnv_linked", place.domiq_id).model_copy(
            update={
                "resman_prospect_id": linked.prospect_id,
                "resman_sync_status": SyncStatus.SYNCED,
                "last_sync_at": now - timedelta(days=1),
            }
        )
        world.domiq.seed_lead(synced)
        world.domiq.edit_lead("cnv_linked", {"qualification": "disqualified"})
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=5)).complete
        assert [p.prospect_id for p in await _prospects_at(rig, place)] == [linked.prospect_id]
        assert linked.lost_date is not None
        assert any(e.event_type == "Cancel" for e in linked.events)
        assert world.domiq.get_lead("cnv_new").resman_prospect_id is None
        assert world.domiq.get_lead("cnv_out").resman_prospect_id is None


async def test_a_create_without_a_prospect_source_is_parked_until_fixed_and_retried(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=0) as rig:
        place = _place(rig)
        fixed = rig.settings
        props = dict(rig.settings.resman.properties)
        props[place.domiq_id] = ResmanProperty(
            property_id=place.property_id, agent_id=place.agent_id
        )
        resman = rig.settings.resman.model_copy(update={"properties": props})
        rig.settings = rig.settings.model_copy(update={"resman": resman})
        rig.sims.world.domiq.seed_lead(_lead("cnv_nosource", place.domiq_id))
        async with rig.engine() as engine:
            result = await engine.run_once(max_wait=2)
            (parked,) = await engine.db.outbox_items()
            lead = engine.store.state.leads["cnv_nosource"]
        assert not result.complete and result.failed == 1
        assert parked.status is OutboxStatus.FAILED
        assert f"[resman.properties.{place.domiq_id}] source_id" in (parked.last_error or "")
        assert lead.resman_sync_status is SyncStatus.FAILED
        assert rig.sims.world.resman.prospects == []
        # the operator sets source_id, then `leadsync sync --headless --once --retry-failed`
        rig.settings = fixed
        async with rig.engine() as engine:
            assert await engine.retry_failed(actor="cli") == 1
            assert (await engine.run_once(max_wait=2)).complete
        (made,) = rig.sims.world.resman.prospects
        assert rig.sims.world.domiq.get_lead("cnv_nosource").resman_prospect_id == made.prospect_id
