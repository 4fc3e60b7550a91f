"""A ResMan change whose write to DomIQ lost a race with a DomIQ edit is merged again
from the outbox, not from memory: a crash before the next pass must not forget it (the
poll cursor has already moved past the ResMan edit)."""

from __future__ import annotations

from pathlib import Path

from leadsync_tui.clients.mits import ProspectFields, ProspectIds, ProspectName, build_update
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.models import SyncDirection, SyncType
from leadsync_tui.store.payloads import FieldWrite
from leadsync_tui.store.records import NewOutboxItem
from tests.engine.conftest import sim_rig

RENT = 1837


async def test_a_superseded_write_to_domiq_is_merged_again_from_the_outbox(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=20) as rig:
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
            open_for = {c.conversation_id for c in await engine.db.open_conflicts()}
            links = await engine.db.get_links(list(engine.store.state.leads))
            cid, link = next((c, k) for c, k in links.items() if c not in open_for)
            lead = engine.store.state.leads[cid]
            assert lead.max_rent != RENT

            # A ResMan agent changes the rent; the poll planned its write to DomIQ while
            # DomIQ moved on (the planned version is one behind).
            async with ResmanClient.from_settings(rig.settings.resman) as resman:
                found = await resman.search_prospects(
                    link.property_id, prospect_id=link.prospect_id
                )
                prospect = found[0]
                assert prospect.person_id is not None
                ids = ProspectIds(prospect_id=prospect.prospect_id, person_id=prospect.person_id)
                name = ProspectName(
                    first_name=prospect.first_name or "", last_name=prospect.last_name or ""
                )
                xml = build_update(ids, ProspectFields(desired_rent=RENT), name=name)
                await resman.post_lead(link.property_id, xml)
            await engine.db.enqueue(
                [
                    NewOutboxItem(
                        conversation_id=cid,
                        direction=SyncDirection.RESMAN_TO_DOMIQ,
                        sync_type=SyncType.UPDATE,
                        payload=FieldWrite(fields={"max_rent": RENT}, version=lead.version - 1),
                        dedupe_key=f"test:stale:{cid}",
                    )
                ]
            )
            assert await engine.drain(max_wait=10)  # no reconcile pass: the outbox alone

        assert rig.sims.world.domiq.get_lead(cid).max_rent == RENT
