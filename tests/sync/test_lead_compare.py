"""One lead on both sides, against the real simulators: what the lead detail screen shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import ConflictResolution, Resolution
from leadsync_tui.sync.lead_compare import (
    ResmanSide,
    ResmanUnavailable,
    UnknownLead,
    compare_lead,
    local_comparison,
)
from leadsync_tui.sync.mapping import normalise_field
from tests.sync.desk_fixtures import desk_rig, impatient, seed_new_lead


async def test_a_seeded_pair_is_read_by_domiqs_prospect_id_before_any_link(
    tmp_path: Path,
) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.reconcile_once()  # the leads reach the store; nothing is sent yet
        change = next(c for c in rig.world.changes if c.side == "both")
        assert await rig.desk.db.get_link(change.conversation_id) is None

        comparison = await compare_lead(rig.desk, change.conversation_id)

        assert comparison.resman_side is ResmanSide.FOUND
        assert comparison.prospect_id == change.prospect_id
        assert comparison.differing == (change.field,)
        row = next(f for f in comparison.fields if f.field == change.field)
        assert row.domiq == normalise_field(change.field, change.domiq_value)
        assert row.resman == normalise_field(change.field, change.resman_value)
        assert not row.has_agreed and not row.domiq_moved  # no snapshot without a link


async def test_after_a_sync_the_last_agreed_values_show_which_side_moved(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.run_once(max_wait=10)
        carried = next(c for c in rig.world.changes if c.side != "both")

        settled = await compare_lead(rig.desk, carried.conversation_id)
        assert settled.resman_side is ResmanSide.FOUND and settled.differing == ()
        assert [f.field for f in settled.fields] == list(SYNCED_FIELDS)
        for field in settled.fields:
            assert field.has_agreed and field.domiq == field.resman == field.agreed, field

        # Both sides change the rent differently after the sync (nothing synced since).
        agreed_rent = next(f.agreed for f in settled.fields if f.field == "max_rent")
        rig.world.domiq.edit_lead(carried.conversation_id, {"max_rent": 3100})
        rig.world.resman.edit_prospect(carried.prospect_id, max_rent=3300)
        await rig.engine.reconcile_once()  # DomIQ's side reaches the store; queued, unsent

        moved = await compare_lead(rig.desk, carried.conversation_id)
        assert moved.differing == ("max_rent",)
        [row] = [f for f in moved.fields if f.differs]
        assert (row.domiq, row.resman, row.agreed) == (3100, 3300, agreed_rent)
        assert row.domiq_moved and row.resman_moved


async def test_a_conflict_found_at_the_first_sync_has_no_agreed_value(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.run_once(max_wait=10)
        conflicting = next(c for c in rig.world.changes if c.side == "both")

        comparison = await compare_lead(rig.desk, conflicting.conversation_id)

        assert comparison.link is not None
        assert comparison.differing == (conflicting.field,)
        [row] = [f for f in comparison.fields if f.differs]
        assert not row.has_agreed and not row.domiq_moved and not row.resman_moved
        assert [c.field for c in comparison.conflicts] == [conflicting.field]
        assert all(f.has_agreed for f in comparison.fields if not f.differs)


async def test_a_lead_without_a_prospect_is_not_in_resman_yet(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        lead = seed_new_lead(rig.world)
        await rig.engine.run_once(max_wait=10)  # a new lead is not sent to ResMan

        comparison = await compare_lead(rig.desk, lead.conversation_id)

        assert comparison.resman_side is ResmanSide.NOT_LINKED
        assert comparison.link is None and comparison.prospect_id is None
        assert comparison.differing == ()
        by_field = {f.field: f for f in comparison.fields}
        assert by_field["first_name"].domiq == "Rosa"
        assert by_field["first_name"].resman is None


async def test_a_prospect_resman_does_not_have_is_missing(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        lead = seed_new_lead(rig.world)
        await rig.engine.reconcile_once()
        gone = "0b5e1c2d-0000-4000-8000-000000000000"
        claimed = lead.model_copy(update={"version": 2, "resman_prospect_id": gone})
        await rig.desk.store.merge_leads([claimed])

        comparison = await compare_lead(rig.desk, lead.conversation_id)

        assert comparison.resman_side is ResmanSide.MISSING
        assert comparison.prospect_id == gone and comparison.prospect is None


async def test_resman_down_is_a_retryable_typed_error_and_the_local_side_still_reads(
    tmp_path: Path,
) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.run_once(max_wait=10)
        conflicting = set(rig.world.conflicting_pairs)
        cid = next(c for c in rig.world.linked_pairs if c not in conflicting)
        rig.rig.sims.resman_faults.update({"error_rate": 1.0})
        async with impatient(rig.desk) as desk:
            with pytest.raises(ResmanUnavailable) as failed:
                await compare_lead(desk, cid)
        assert failed.value.retryable
        assert failed.value.message.startswith("Could not read the prospect: ResMan")

        local = await local_comparison(rig.desk.store, cid)
        assert local.resman_side is ResmanSide.NOT_READ and local.link is not None
        assert all(f.resman is None and not f.differs for f in local.fields)
        assert all(f.has_agreed and f.domiq == f.agreed for f in local.fields)


async def test_a_claimed_prospect_on_an_unmapped_property_names_the_setting(
    tmp_path: Path,
) -> None:
    async with desk_rig(tmp_path) as rig:
        lead = seed_new_lead(rig.world)
        await rig.engine.reconcile_once()
        moved = lead.model_copy(
            update={
                "version": 2,
                "property_id": "prop_nowhere",
                "resman_prospect_id": "0b5e1c2d-0000-4000-8000-000000000001",
            }
        )
        await rig.desk.store.merge_leads([moved])

        with pytest.raises(ResmanUnavailable) as failed:
            await compare_lead(rig.desk, lead.conversation_id)

        assert not failed.value.retryable
        assert "[resman.properties.prop_nowhere]" in failed.value.message


async def test_an_unknown_lead_is_a_typed_error(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        with pytest.raises(UnknownLead):
            await compare_lead(rig.desk, "cnv_nobody")
        with pytest.raises(UnknownLead):
            await local_comparison(rig.desk.store, "cnv_nobody", stored=False)


async def test_the_audit_trail_holds_the_leads_own_and_its_conflicts_entries(
    tmp_path: Path,
) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.run_once(max_wait=10)
        change = next(c for c in rig.world.changes if c.side == "both")
        store = rig.desk.store
        [conflict] = store.open_conflicts_for(change.conversation_id)
        other = next(c for c in rig.world.changes if c.conversation_id != change.conversation_id)
        await store.push_lead(other.conversation_id, actor="sam")  # another lead's entry
        await store.resolve_conflict(
            conflict.id,
            ConflictResolution(resolution=Resolution.DOMIQ_WINS, reason="agent confirmed"),
            "dana",
        )
        await store.push_lead(change.conversation_id, actor="dana")

        comparison = await compare_lead(rig.desk, change.conversation_id)

        trail = [(e.action, e.actor, e.target) for e in comparison.audit]
        assert trail == [
            ("resolve_conflict", "dana", conflict.id),
            ("push_lead", "dana", change.conversation_id),
        ]
        assert comparison.audit[0].reason == "agent confirmed"
        assert comparison.conflicts == ()


async def test_without_a_database_the_store_alone_gives_domiqs_side(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.run_once(max_wait=10)
        change = next(c for c in rig.world.changes if c.side == "both")

        local = await local_comparison(rig.desk.store, change.conversation_id, stored=False)

        assert local.link is None and local.audit == ()
        assert local.prospect_id == change.prospect_id  # DomIQ's own claim
        assert [c.field for c in local.conflicts] == [change.field]
        assert all(not f.has_agreed and f.resman is None for f in local.fields)
