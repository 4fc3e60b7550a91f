"""A DomIQ conversation against the real simulators: its transcript, and qualifying it."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync_tui.clients.errors import NotFound
from leadsync_tui.models import Qualification, SyncStatus
from leadsync_tui.sync.conversations import (
    QUALIFY_ACTION,
    AlreadyQualified,
    can_qualify,
    qualify,
    transcript,
)
from tests.sync.desk_fixtures import TRANSCRIPT, desk_rig, seed_new_lead


async def test_the_transcript_is_domiqs_in_order(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        lead = seed_new_lead(rig.world)

        messages = await transcript(rig.desk, lead.conversation_id)

        assert [(m.role, m.text) for m in messages] == list(TRANSCRIPT)
        assert [m.at for m in messages] == sorted(m.at for m in messages)


async def test_an_unknown_conversation_is_not_found(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        with pytest.raises(NotFound):
            await transcript(rig.desk, "cnv_nobody")


async def test_qualifying_a_new_lead_stores_it_audits_it_and_the_engine_syncs_it(
    tmp_path: Path,
) -> None:
    async with desk_rig(tmp_path) as rig:
        lead = seed_new_lead(rig.world)
        await rig.engine.run_once(max_wait=10)
        store, cid = rig.desk.store, lead.conversation_id
        assert store.state.leads[cid].resman_sync_status is SyncStatus.NOT_SYNCED
        assert can_qualify(store.state.leads[cid])

        qualified = await qualify(rig.desk, cid, "dana", reason="tour booked")

        assert qualified.qualification is Qualification.QUALIFIED
        assert rig.world.domiq.get_lead(cid).qualification is Qualification.QUALIFIED
        assert store.state.leads[cid].qualification is Qualification.QUALIFIED
        [entry] = await rig.desk.db.audit_entries(target=cid)
        assert (entry.actor, entry.action, entry.reason) == ("dana", QUALIFY_ACTION, "tour booked")
        assert entry.before == {"qualification": "new", "version": lead.version}
        assert entry.after == {"qualification": "qualified", "version": qualified.version}

        assert (await rig.engine.run_once(max_wait=10)).failed == 0
        synced = store.state.leads[cid]
        assert synced.resman_sync_status is SyncStatus.SYNCED
        assert synced.resman_prospect_id is not None
        prospect = rig.world.resman.get_prospect(synced.resman_prospect_id)
        assert prospect is not None


async def test_qualifying_a_chat_makes_it_a_lead(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        cid = rig.world.domiq.pending_conversations()[0]
        assert cid not in rig.desk.store.state.leads
        assert can_qualify(None)
        assert await transcript(rig.desk, cid)  # a chat is readable before it is a lead

        lead = await qualify(rig.desk, cid, "dana")

        assert rig.desk.store.state.leads[cid] == lead
        assert lead.qualification is Qualification.QUALIFIED
        [entry] = await rig.desk.db.audit_entries(target=cid)
        assert entry.before == {"qualification": None, "version": None}


async def test_a_qualified_lead_is_not_qualified_again(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.reconcile_once()
        store = rig.desk.store
        done = next(
            lead
            for lead in store.state.leads.values()
            if lead.qualification is not Qualification.NEW
        )
        assert not can_qualify(done)

        with pytest.raises(AlreadyQualified):
            await qualify(rig.desk, done.conversation_id, "dana")

        assert rig.world.domiq.get_lead(done.conversation_id).version == done.version
        assert await rig.desk.db.audit_entries(target=done.conversation_id) == []
