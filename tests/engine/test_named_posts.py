"""Every post leadsync makes to ResMan names the Customer, as real integrations do: a
phone-only change, marking lost and reactivating reach a ResMan (the simulator, which
refuses a Customer without Name by default) and change the guest card."""

from __future__ import annotations

from pathlib import Path

from leadsync_tui.models import Qualification
from leadsync_tui.sim.world_values import prospect_values
from tests.engine.conftest import sim_rig


async def test_phone_only_lost_and_reactivate_posts_are_accepted(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        world = rig.sims.world
        assert rig.sims.world.resman is not None
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
            cid = next(c for c in world.linked_pairs if c not in world.conflicting_pairs)
            prospect_id = world.domiq.get_lead(cid).resman_prospect_id
            assert prospect_id is not None

            def in_resman() -> dict[str, object]:
                prospect = world.resman.get_prospect(prospect_id)
                assert prospect is not None
                return prospect_values(prospect)

            name = (in_resman()["first_name"], in_resman()["last_name"])
            world.domiq.edit_lead(cid, {"phone": "+15125550177"})
            assert (await engine.run_once(max_wait=10)).complete
            assert in_resman()["phone"] == "+15125550177"

            world.domiq.edit_lead(cid, {"qualification": Qualification.DISQUALIFIED.value})
            assert (await engine.run_once(max_wait=10)).complete
            assert in_resman()["qualification"] == "lost"

            world.domiq.edit_lead(cid, {"qualification": Qualification.QUALIFIED.value})
            assert (await engine.run_once(max_wait=10)).complete
            assert in_resman()["qualification"] == "active"
            assert (in_resman()["first_name"], in_resman()["last_name"]) == name
