"""A ResMan read older than our own write must never be written back to DomIQ.

The race behind the crash-safety failures: a pass reads ResMan (before taking the
engine's lock), our write of a newer DomIQ edit lands in ResMan and moves the snapshot,
then the pass plans with the old read. Against the moved snapshot, ResMan's old value
looked like a ResMan edit: it was written to DomIQ over the person's newer one, and
across a SIGKILL then pushed back to ResMan too, so both sides ended on the older note.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.sync.resman_poller import PolledProspect, PollResult
from tests.engine.conftest import sim_rig

NEW_NOTE = "Round 9: asked about parking."


@pytest.mark.parametrize(
    "read_time_known",
    [True, False],
    ids=["the-pass-knows-when-it-read", "a-read-of-unknown-age-is-checked-when-sent"],
)
async def test_a_resman_read_older_than_our_write_never_undoes_a_domiq_edit(
    tmp_path: Path, read_time_known: bool
) -> None:
    async with sim_rig(tmp_path, leads=20) as rig, rig.engine() as engine:
        assert (await engine.run_once(max_wait=10)).complete
        open_for = {c.conversation_id for c in await engine.db.open_conflicts()}
        links = await engine.db.get_links(list(engine.store.state.leads))
        cid, link = next((c, k) for c, k in links.items() if c not in open_for)
        lead = engine.store.state.leads[cid]
        assert lead.notes != NEW_NOTE

        async with (
            ResmanClient.from_settings(rig.settings.resman) as resman,
            DomiqClient.from_settings(rig.settings.domiq) as domiq,
        ):
            # A pass reads ResMan: the prospect still holds the old note ...
            read_at = datetime.now(UTC)
            found = await resman.search_prospects(link.property_id, prospect_id=link.prospect_id)
            old_read = PollResult(
                {
                    found[0].prospect_id: PolledProspect(
                        found[0], link.property_id, lead.property_id
                    )
                },
                read_at=read_at if read_time_known else None,
            )
            # ... while a person edits the note in DomIQ and the engine carries it over.
            await domiq.patch_lead(cid, {"notes": NEW_NOTE}, lead.version)
            await engine.reconciler.pull_domiq()
            await engine.reconciler.reconcile(pull=False, poll=False, only={cid})
            assert await engine.drain(max_wait=10)
            assert (await _prospect_note(resman, link.property_id, link.prospect_id)) == (NEW_NOTE)

            # Then the pass plans with what it read before that write.
            await engine.reconciler.reconcile(pull=False, poll=False, only={cid}, read=old_read)
            assert await engine.drain(max_wait=10)
            assert rig.sims.world.domiq.get_lead(cid).notes == NEW_NOTE

            assert (await engine.run_once(max_wait=10)).complete
            assert rig.sims.world.domiq.get_lead(cid).notes == NEW_NOTE
            assert (await _prospect_note(resman, link.property_id, link.prospect_id)) == (NEW_NOTE)
            assert not engine.store.open_conflicts_for(cid)


async def _prospect_note(resman: ResmanClient, property_id: str, prospect_id: str) -> str | None:
    found = await resman.search_prospects(property_id, prospect_id=prospect_id)
    return found[0].comments
