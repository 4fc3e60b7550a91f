"""Who a new lead is in ResMan when its search finds someone: people who share a phone or
a name get their own prospect (the possible duplicate noted), the same person is adopted,
and the same person already held by another conversation is a decision for a person
(link this conversation too, a new prospect, or manual review), never a park.

On the real simulators: the first lead is synced in one engine run, the second lead is
seeded in DomIQ afterwards and synced in the next (a restart), so the order is fixed.
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
from leadsync_tui.sim.world_records import PropertyLink
from leadsync_tui.sim.world_values import prospect_values
from leadsync_tui.store.retry_note import nothing_to_retry
from leadsync_tui.sync.merge import LINKED_DUPLICATE_FIELD, candidate_ids, candidate_owners
from leadsync_tui.sync.plan import link_item
from tests.engine.conftest import Rig, sim_rig

SHARED_PHONE = "+15125550101"


def _lead(
    cid: str,
    place: PropertyLink,
    first: str,
    last: str,
    *,
    email: str | None = None,
    phone: str | None = None,
) -> Lead:
    now = utc_now()
    return Lead(
        conversation_id=cid,
        created_at=now - timedelta(hours=1),
        updated_at=now - timedelta(hours=1),
        property_id=place.domiq_id,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        max_rent=1850,
        qualification=Qualification.QUALIFIED,
    )


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip("{}").lower() == (b or "").strip("{}").lower()


def _count(rig: Rig, place: PropertyLink) -> int:
    return sum(1 for p in rig.sims.world.resman.prospects if p.property_id == place.property_id)


async def _run(rig: Rig) -> None:
    """One engine process, one complete run."""
    async with rig.engine() as engine:
        assert (await engine.run_once(max_wait=5)).complete


async def _prospect_of(rig: Rig, cid: str) -> str:
    async with rig.engine() as engine:
        link = await engine.db.get_link(cid)
    assert link is not None, f"{cid} has no prospect"
    return link.prospect_id


@asynccontextmanager
async def _world(tmp_path: Path) -> AsyncIterator[tuple[Rig, PropertyLink]]:
    async with sim_rig(tmp_path, leads=0) as rig:
        yield rig, rig.sims.world.properties[0]


async def _first_synced(rig: Rig, place: PropertyLink, lead: Lead) -> str:
    """`lead` synced on its own: its new prospect's id."""
    rig.sims.world.domiq.seed_lead(lead)
    await _run(rig)
    return await _prospect_of(rig, lead.conversation_id)


# --------------------------------------------------------------------------- possible only


async def test_a_family_sharing_a_phone_gets_two_prospects_and_the_log_notes_it(
    tmp_path: Path,
) -> None:
    async with _world(tmp_path) as (rig, place):
        ana = _lead("cnv_ana", place, "Ana", "Lopez", email="ana@example.com", phone=SHARED_PHONE)
        held = await _first_synced(rig, place, ana)
        ben = _lead("cnv_ben", place, "Ben", "Kim", email="ben@example.com", phone=SHARED_PHONE)
        rig.sims.world.domiq.seed_lead(ben)
        await _run(rig)
        async with rig.engine() as engine:
            link = await engine.db.get_link("cnv_ben")
            logs = await engine.db.logs_for("cnv_ben")
            conflicts = await engine.db.open_conflicts()
            outbox = await engine.db.outbox_items()
            lead = engine.store.state.leads["cnv_ben"]
        assert link is not None and not _same(link.prospect_id, held)
        assert _count(rig, place) == 2 and conflicts == [] and outbox == []
        assert lead.resman_sync_status is SyncStatus.SYNCED
        created = [
            log
            for log in logs
            if log.sync_type is SyncType.CREATE and log.sync_status is AttemptStatus.SUCCESS
        ]
        assert len(created) == 1
        note = created[0].error_message or ""
        assert "possible duplicate" in note and "same phone" in note
        assert held.strip("{}").lower() in note.lower() and "cnv_ana" in note
        made = rig.sims.world.resman.get_prospect(link.prospect_id)
        assert made is not None and prospect_values(made)["email"] == "ben@example.com"


async def test_a_namesake_gets_a_prospect_of_their_own(tmp_path: Path) -> None:
    async with _world(tmp_path) as (rig, place):
        first = _lead("cnv_maya1", place, "Maya", "Okafor", email="m1@example.com")
        held = await _first_synced(rig, place, first)
        second = _lead(
            "cnv_maya2", place, "Maya", "Okafor", email="m2@example.com", phone="+15125550177"
        )
        rig.sims.world.domiq.seed_lead(second)
        await _run(rig)
        linked = await _prospect_of(rig, "cnv_maya2")
        async with rig.engine() as engine:
            logs = await engine.db.logs_for("cnv_maya2")
        assert not _same(linked, held) and _count(rig, place) == 2
        assert any("same name" in (log.error_message or "") for log in logs)
        domiq = rig.sims.world.domiq.get_lead("cnv_maya2")
        assert _same(domiq.resman_prospect_id, linked)
        assert domiq.resman_sync_status is SyncStatus.SYNCED


async def test_a_walk_in_who_only_shares_the_phone_is_not_adopted(tmp_path: Path) -> None:
    async with _world(tmp_path) as (rig, place):
        mother = rig.sims.world.resman.seed_prospect(
            place.property_id,
            "Ana",
            "Lopez",
            phones={"Home": "(512) 555-0101"},
            last_modified=utc_now() - timedelta(days=2),
        )
        son = _lead("cnv_son", place, "Ben", "Kim", email="ben@example.com", phone=SHARED_PHONE)
        rig.sims.world.domiq.seed_lead(son)
        await _run(rig)
        await _run(rig)  # the walk-in waited a pass for the lead that might adopt it
        linked = await _prospect_of(rig, "cnv_son")
        assert not _same(linked, mother.prospect_id)
        claims = [
            lead.conversation_id
            for lead in rig.sims.world.domiq.all_leads()
            if _same(lead.resman_prospect_id, mother.prospect_id)
        ]
        assert len(claims) == 1 and claims != ["cnv_son"]  # imported as its own lead


# --------------------------------------------------------------------------- strong, free


async def test_a_free_prospect_with_the_same_email_is_adopted(tmp_path: Path) -> None:
    async with _world(tmp_path) as (rig, place):
        card = rig.sims.world.resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor",
            email="maya@example.com",
            phones={"Mobile": "(512) 555-0143"},
            last_modified=utc_now() - timedelta(days=2),
        )
        rig.sims.world.domiq.seed_lead(
            _lead("cnv_maya", place, "Maya", "Okafor", email="maya@example.com")
        )
        await _run(rig)
        assert _same(await _prospect_of(rig, "cnv_maya"), card.prospect_id)
        assert _count(rig, place) == 1


async def test_a_free_prospect_with_the_same_phone_and_last_name_is_adopted(
    tmp_path: Path,
) -> None:
    async with _world(tmp_path) as (rig, place):
        card = rig.sims.world.resman.seed_prospect(
            place.property_id,
            "Andrea",
            "Lopez",
            phones={"Mobile": "512-555-0101"},
            last_modified=utc_now() - timedelta(days=2),
        )
        rig.sims.world.domiq.seed_lead(
            _lead("cnv_andy", place, "Andy", "Lopez", email="andy@example.com", phone=SHARED_PHONE)
        )
        await _run(rig)
        assert _same(await _prospect_of(rig, "cnv_andy"), card.prospect_id)
        assert _count(rig, place) == 1
        async with rig.engine() as engine:
            conflicts = await engine.db.open_conflicts()
        # a stranger's card has no agreed base: the names that differ wait for a person
        assert [c.field for c in conflicts] == ["first_name"]


# --------------------------------------------------------------------------- strong, held


@asynccontextmanager
async def _held_elsewhere(
    tmp_path: Path,
) -> AsyncIterator[tuple[Rig, PropertyLink, str, LeadSyncConflict]]:
    """Maya's first conversation holds her prospect; her second conversation (same email,
    new phone) is asked about, with nothing created or parked."""
    async with _world(tmp_path) as (rig, place):
        first = _lead("cnv_first", place, "Maya", "Okafor", email="maya@example.com")
        held = await _first_synced(rig, place, first)
        again = _lead(
            "cnv_again", place, "Maya", "Okafor", email="maya@example.com", phone=SHARED_PHONE
        )
        rig.sims.world.domiq.seed_lead(again)
        async with rig.engine() as engine:
            result = await engine.run_once(max_wait=5)
            conflicts = await engine.db.open_conflicts()
            outbox = await engine.db.outbox_items()
            logs = await engine.db.logs_for("cnv_again")
            lead = engine.store.state.leads["cnv_again"]
            link = await engine.db.get_link("cnv_again")
        assert result.complete
        assert outbox == [] and link is None  # not parked, not retrying
        (conflict,) = conflicts
        assert conflict.conversation_id == "cnv_again"
        assert conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE
        assert conflict.field == LINKED_DUPLICATE_FIELD
        assert [i.lower() for i in candidate_ids(conflict.resman_value)] == [
            held.strip("{}").lower()
        ]
        assert list(candidate_owners(conflict.resman_value).values()) == ["cnv_first"]
        assert lead.resman_sync_status is SyncStatus.CONFLICT
        asked = [log for log in logs if log.sync_status is AttemptStatus.CONFLICT]
        assert len(asked) == 1
        reason = asked[0].error_message or ""
        assert "already holds this person" in reason and "cnv_first" in reason
        assert "(same email and name, held by conversation cnv_first)" in reason
        assert "merge the conversations" not in reason
        assert _count(rig, place) == 1
        yield rig, place, held, conflict


async def _resolve(rig: Rig, conflict: LeadSyncConflict, choice: Resolution, value: Any) -> None:
    async with rig.engine() as engine:
        await engine.store.resolve_conflict(
            conflict.id,
            ConflictResolution(resolution=choice, final_value=value, reason="same person"),
            actor="maria",
        )


async def test_a_strong_match_held_by_another_conversation_is_asked_not_parked(
    tmp_path: Path,
) -> None:
    async with _held_elsewhere(tmp_path) as (rig, place, _held, conflict):
        await _run(rig)  # another pass: the same question, nothing searched or made again
        async with rig.engine() as engine:
            (still,) = await engine.db.open_conflicts()
            outbox = await engine.db.outbox_items()
        assert still.id == conflict.id and outbox == [] and _count(rig, place) == 1


async def test_link_too_makes_both_conversations_sync_with_one_prospect(tmp_path: Path) -> None:
    async with _held_elsewhere(tmp_path) as (rig, place, held, conflict):
        await _resolve(rig, conflict, Resolution.RESMAN_WINS, None)
        await _run(rig)
        async with rig.engine() as engine:
            first = await engine.db.get_link("cnv_first")
            second = await engine.db.get_link("cnv_again")
            decided = [c for c in await engine.db.conflicts_for("cnv_again") if c.id == conflict.id]
        assert first is not None and second is not None
        assert _same(first.prospect_id, held) and _same(second.prospect_id, held)
        assert first.shared_by is None and second.shared_by == conflict.id
        assert decided[0].resolution_status is ResolutionStatus.RESOLVED
        assert _count(rig, place) == 1
        domiq = rig.sims.world.domiq
        assert _same(domiq.get_lead("cnv_again").resman_prospect_id, held)
        assert _same(domiq.get_lead("cnv_first").resman_prospect_id, held)
        card = rig.sims.world.resman.get_prospect(held)
        assert card is not None and prospect_values(card)["phone"] == SHARED_PHONE  # filled in
        # an agent's edit in ResMan reaches both conversations
        rig.sims.world.resman.edit_prospect(held, max_rent=2100)
        await _run(rig)
        assert domiq.get_lead("cnv_first").max_rent == 2100
        assert domiq.get_lead("cnv_again").max_rent == 2100


async def test_new_prospect_creates_a_second_card_only_when_a_person_says_so(
    tmp_path: Path,
) -> None:
    async with _held_elsewhere(tmp_path) as (rig, place, held, conflict):
        await _resolve(rig, conflict, Resolution.DOMIQ_WINS, None)
        await _run(rig)
        linked = await _prospect_of(rig, "cnv_again")
        assert not _same(linked, held) and _count(rig, place) == 2
        assert _same(rig.sims.world.domiq.get_lead("cnv_again").resman_prospect_id, linked)


async def test_manual_review_creates_and_links_nothing(tmp_path: Path) -> None:
    async with _held_elsewhere(tmp_path) as (rig, place, _held, conflict):
        await _resolve(rig, conflict, Resolution.MANUAL_REVIEW, None)
        await _run(rig)
        async with rig.engine() as engine:
            (still,) = await engine.db.open_conflicts()
            link = await engine.db.get_link("cnv_again")
            lead = engine.store.state.leads["cnv_again"]
        assert still.id == conflict.id and link is None
        assert still.resolution_status is ResolutionStatus.MANUAL_REVIEW
        assert lead.resman_sync_status is SyncStatus.CONFLICT
        assert _count(rig, place) == 1


async def test_a_retry_creates_nothing_and_says_why(tmp_path: Path) -> None:
    async with _held_elsewhere(tmp_path) as (rig, place, _held, conflict):
        async with rig.engine() as engine:
            retried = await engine.store.retry_leads(["cnv_again"], actor="maria")
            said = nothing_to_retry(engine.store, ["cnv_again"])
            # a write parked by an older version, retried: asked again, not created
            await engine.db.enqueue([link_item(engine.store.state.leads["cnv_again"])])
            assert (await engine.run_once(max_wait=5)).complete
            (still,) = await engine.db.open_conflicts()
            outbox = await engine.db.outbox_items()
        assert retried == 0
        assert "waits for a decision" in said and "already be in ResMan" in said
        assert still.id == conflict.id and outbox == []
        assert _count(rig, place) == 1


async def test_two_conversations_naming_one_prospect_in_domiq_are_asked_not_parked(
    tmp_path: Path,
) -> None:
    async with _world(tmp_path) as (rig, place):
        card = rig.sims.world.resman.seed_prospect(
            place.property_id,
            "Maya",
            "Okafor",
            email="maya@example.com",
            last_modified=utc_now() - timedelta(days=2),
        )
        first = _lead("cnv_first", place, "Maya", "Okafor", email="maya@example.com")
        rig.sims.world.domiq.seed_lead(
            first.model_copy(update={"resman_prospect_id": card.prospect_id})
        )
        await _run(rig)
        assert _same(await _prospect_of(rig, "cnv_first"), card.prospect_id)
        second = _lead("cnv_second", place, "Maya", "Okafor", email="maya@example.com")
        rig.sims.world.domiq.seed_lead(
            second.model_copy(update={"resman_prospect_id": card.prospect_id})
        )
        await _run(rig)
        async with rig.engine() as engine:
            (conflict,) = await engine.db.open_conflicts()
            outbox = await engine.db.outbox_items()
            logs = await engine.db.logs_for("cnv_second")
        assert conflict.conversation_id == "cnv_second" and outbox == []
        assert conflict.field == LINKED_DUPLICATE_FIELD
        assert candidate_owners(conflict.resman_value) == {
            candidate_ids(conflict.resman_value)[0]: "cnv_first"
        }
        assert not any("merge the" in (log.error_message or "") for log in logs)
        await _resolve(rig, conflict, Resolution.RESMAN_WINS, None)
        await _run(rig)
        assert _same(await _prospect_of(rig, "cnv_second"), card.prospect_id)
        assert _count(rig, place) == 1
