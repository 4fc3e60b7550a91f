"""`leadsync drift` against both simulators: in step after a sync, and each edit made
behind the engine's back (engine stopped) found, then repaired through the outbox."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadsync_tui.cli import main
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.mits import (
    Prospect,
    ProspectFields,
    ProspectIds,
    ProspectName,
    build_update,
)
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.commands.drift_run import run_drift
from leadsync_tui.commands.status_run import run_status
from leadsync_tui.models import utc_now
from leadsync_tui.sim.world_values import lead_values, prospect_values
from leadsync_tui.store.changes import Change, DriftProgress
from leadsync_tui.store.records import OutboxStatus
from leadsync_tui.sync.plan import report_item
from tests.engine.conftest import Rig, sim_rig


async def drift(rig: Rig, *args: str) -> tuple[int, dict[str, Any], str]:
    """`leadsync drift --json [--repair]` on the rig's settings: exit code, the JSON
    object (last line), and stderr. Run in a thread: the simulators serve on this loop."""
    out, err = StringIO(), StringIO()
    code = await asyncio.to_thread(
        run_drift,
        rig.settings,
        repair="--repair" in args,
        as_json=True,
        max_wait=10,
        out=out,
        err=err,
    )
    return code, json.loads(out.getvalue().splitlines()[-1]), err.getvalue()


async def synced(rig: Rig) -> int:
    """One `sync --headless --once`; how many linked pairs it leaves."""
    async with rig.engine() as engine:
        assert (await engine.run_once(max_wait=10)).complete
        return len(await engine.db.get_links(engine.store.state.leads))


@dataclass(frozen=True)
class Pair:
    conversation_id: str
    prospect_id: str


async def quiet_pairs(rig: Rig, count: int) -> list[Pair]:
    """Linked pairs with no open conflict (their drift is all the test's doing)."""
    async with rig.engine() as engine:
        conflicted = {c.conversation_id for c in await engine.db.open_conflicts()}
        links = await engine.db.get_links(engine.store.state.leads)
    pairs = [Pair(cid, link.prospect_id) for cid, link in sorted(links.items())]
    return [pair for pair in pairs if pair.conversation_id not in conflicted][:count]


async def test_a_converged_world_is_in_step(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=60) as rig:
        linked = await synced(rig)
        code, report, err = await drift(rig)
        assert code == 0, err
        assert report["pairs_checked"] == linked > 10
        assert report["out_of_step"] == 0 and report["findings"] == []
        assert report["last_agreement_at"] == report["at"]


async def test_edits_made_while_the_engine_was_stopped_are_found_and_repaired(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=60) as rig:
        world = rig.sims.world
        await synced(rig)
        in_domiq, in_resman, in_both = await quiet_pairs(rig, 3)
        # engine stopped: an agent edits each side; ResMan's clock says it was long ago,
        # so no poll window would ever show it
        long_ago = utc_now() - timedelta(days=30)
        world.domiq.edit_lead(in_domiq.conversation_id, {"notes": "Wants a corner unit."})
        world.resman.edit_prospect(in_resman.prospect_id, at=long_ago, max_rent=2345)
        world.domiq.edit_lead(in_both.conversation_id, {"max_rent": 1111})
        world.resman.edit_prospect(in_both.prospect_id, at=long_ago, max_rent=2222)

        code, report, _ = await drift(rig)
        assert code == 1
        kinds = {f["conversation_id"]: (f["kind"], f["fields"]) for f in report["findings"]}
        assert kinds == {
            in_domiq.conversation_id: ("domiq_changed", ["notes"]),
            in_resman.conversation_id: ("resman_changed", ["max_rent"]),
            in_both.conversation_id: ("both_changed", ["max_rent"]),
        }
        assert report["out_of_step"] == 3 and report["repaired"] == 0
        assert report["unrepaired"] == 3  # report only
        # nothing was written without --repair
        prospect = world.resman.get_prospect(in_domiq.prospect_id)
        assert prospect is not None and prospect_values(prospect)["notes"] != "Wants a corner unit."

        code, report, _ = await drift(rig, "--repair")
        assert code == 1  # it found drift (and repaired it)
        assert sorted(report["repaired_ids"]) == sorted(
            [in_domiq.conversation_id, in_resman.conversation_id]
        )
        assert report["conflict_ids"] == [in_both.conversation_id]
        assert report["unrepaired"] == 0
        prospect = world.resman.get_prospect(in_domiq.prospect_id)
        assert prospect is not None and prospect_values(prospect)["notes"] == "Wants a corner unit."
        assert lead_values(world.domiq.get_lead(in_resman.conversation_id))["max_rent"] == 2345
        async with rig.engine() as engine:
            (conflict,) = [
                c
                for c in await engine.db.open_conflicts()
                if c.conversation_id == in_both.conversation_id
            ]
            assert (conflict.field, conflict.domiq_value, conflict.resman_value) == (
                "max_rent",
                1111,
                2222,
            )
            assert (await engine.db.outbox_counts()).pending == 0

        code, report, _ = await drift(rig)
        assert code == 0, report
        assert report["out_of_step"] == 0


async def test_drift_found_and_not_repaired_makes_status_degraded(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        await synced(rig)
        (pair,) = await quiet_pairs(rig, 1)
        rig.sims.world.resman.edit_prospect(
            pair.prospect_id, at=utc_now() - timedelta(days=3), max_rent=3456
        )
        code, _, _ = await drift(rig)
        assert code == 1
        out = StringIO()
        assert await asyncio.to_thread(run_status, rig.settings, as_json=True, out=out) == 1
        status = json.loads(out.getvalue())
        assert status["drift"]["out_of_step"] == 1 and status["drift"]["unrepaired"] == 1
        assert any("drift" in problem for problem in status["problems"])

        code, _, _ = await drift(rig, "--repair")
        assert code == 1
        out = StringIO()
        assert await asyncio.to_thread(run_status, rig.settings, as_json=False, out=out) == 0
        assert "1 out of step (1 repaired, 0 conflict(s), 0 unrepaired)" in out.getvalue()


async def test_drift_leaves_the_items_another_engine_has_in_flight_alone(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        await synced(rig)
        (pair,) = await quiet_pairs(rig, 1)
        async with rig.engine() as engine:  # another engine, mid-send
            await engine.db.enqueue([report_item(pair.conversation_id)])
            (claimed,) = await engine.db.claim_due(utc_now() + timedelta(seconds=1), 10)
            code, report, _ = await drift(rig, "--repair")
            assert code == 0 and report["busy"] == 1  # its lead is left to that engine
            (item,) = await engine.db.outbox_items(limit=10)
            assert (item.id, item.status, item.attempts) == (
                claimed.id,
                OutboxStatus.IN_FLIGHT,
                1,
            )


def test_a_bad_max_wait_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--repair", "--max-wait", "nan"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "leadsync drift: --max-wait must be 0 or more seconds, e.g. --max-wait 60"
    )


def test_the_demo_syncs_its_new_world_and_proves_it_in_step() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", "drift", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["pairs_checked"] > 0 and report["out_of_step"] == 0
    assert "Traceback" not in run.stderr


async def test_edits_made_through_both_apis_while_stopped_are_found_and_repaired(
    tmp_path: Path,
) -> None:
    """The same, with the edits made as people make them: a PATCH to DomIQ's API and an
    agent's MITS update post to ResMan (stamped now, as ResMan stamps it)."""
    async with sim_rig(tmp_path, leads=40) as rig:
        world = rig.sims.world
        await synced(rig)
        in_domiq, in_resman, in_both = await quiet_pairs(rig, 3)
        await edit_in_domiq(rig, in_domiq.conversation_id, {"email": "corner.unit@example.net"})
        await edit_in_resman(rig, in_resman, ProspectFields(desired_rent=2345))
        await edit_in_domiq(rig, in_both.conversation_id, {"max_rent": 3333})
        await edit_in_resman(rig, in_both, ProspectFields(desired_rent=2222))

        code, report, _ = await drift(rig, "--repair")
        assert code == 1
        kinds = {f["conversation_id"]: f["kind"] for f in report["findings"]}
        assert kinds == {
            in_domiq.conversation_id: "domiq_changed",
            in_resman.conversation_id: "resman_changed",
            in_both.conversation_id: "both_changed",
        }
        assert report["conflict_ids"] == [in_both.conversation_id]
        prospect = world.resman.get_prospect(in_domiq.prospect_id)
        assert prospect is not None
        assert prospect_values(prospect)["email"] == "corner.unit@example.net"
        assert lead_values(world.domiq.get_lead(in_resman.conversation_id))["max_rent"] == 2345

        code, report, _ = await drift(rig)
        assert (code, report["out_of_step"]) == (0, 0)


async def edit_in_domiq(rig: Rig, cid: str, changes: dict[str, Any]) -> None:
    """Someone edits the lead in DomIQ: `PATCH /v1/leads/{id}` with If-Match."""
    async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
        lead = await domiq.get_lead(cid)
        await domiq.patch_lead(cid, changes, if_match=lead.version)


async def edit_in_resman(rig: Rig, pair: Pair, fields: ProspectFields) -> None:
    """An agent edits the guest card in ResMan (a MITS update post)."""
    async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
        lead = await domiq.get_lead(pair.conversation_id)
    property_id = rig.settings.resman.properties[lead.property_id].property_id
    async with ResmanClient.from_settings(rig.settings.resman) as resman:
        [prospect] = await resman.search_prospects(property_id, prospect_id=pair.prospect_id)
        assert prospect.person_id is not None
        ids = ProspectIds(prospect_id=prospect.prospect_id, person_id=prospect.person_id)
        await resman.post_lead(property_id, build_update(ids, fields, name=_name(prospect)))


async def test_a_scan_rides_out_resman_and_domiq_faults_with_the_clients_retries(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=60) as rig:
        linked = await synced(rig)
        for faults in (rig.sims.domiq_faults, rig.sims.resman_faults):
            faults.update({"error_rate": 0.15, "rate_limit_rate": 0.1, "retry_after_s": 0})
        code, report, err = await drift(rig)
        assert code == 0, err
        assert (report["pairs_checked"], report["out_of_step"]) == (linked, 0)
        async with httpx.AsyncClient() as http:
            stats = (await http.get(f"{rig.sims.resman_url}/_sim/stats")).json()
        assert sum(stats["faults_injected"].values()) > 0  # it did meet faults


async def test_a_property_too_big_for_any_search_window_is_read_pair_by_pair(
    tmp_path: Path,
) -> None:
    """Prospects our own sync stamped in the same second overflow even ResMan's narrowest
    window: the scan reads that property's pairs by ProspectID and still sees them all."""
    async with sim_rig(tmp_path, leads=60) as rig:
        world = rig.sims.world
        linked = await synced(rig)
        (pair,) = await quiet_pairs(rig, 1)
        world.resman.edit_prospect(pair.prospect_id, at=utc_now(), max_rent=2999)
        async with httpx.AsyncClient() as http:
            answer = await http.put(
                f"{rig.sims.resman_url}/_sim/settings", json={"search_limit": 2}
            )
            assert answer.status_code == 200
        code, report, err = await drift(rig, "--repair")
        assert (code, report["error"]) == (1, None), err
        assert report["pairs_checked"] == linked
        assert [(f["conversation_id"], f["kind"]) for f in report["findings"]] == [
            (pair.conversation_id, "resman_changed")
        ]
        assert lead_values(world.domiq.get_lead(pair.conversation_id))["max_rent"] == 2999


async def test_a_prospect_gone_from_resman_is_reported_and_left_for_a_person(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        await synced(rig)
        (pair,) = await quiet_pairs(rig, 1)
        gone = "0b7e4c1a-9d2f-4e55-8a51-3c9e2f1d7a60"  # a guest card purged in ResMan
        async with rig.engine() as engine:
            link = await engine.db.get_link(pair.conversation_id)
            assert link is not None
            await engine.db.upsert_links([link.model_copy(update={"prospect_id": gone})])
        code, report, _ = await drift(rig, "--repair")
        assert code == 1
        assert report["findings"] == [
            {
                "conversation_id": pair.conversation_id,
                "prospect_id": gone,
                "kind": "missing",
                "fields": [],
                "missing_in": "resman",
            }
        ]
        assert report["unrepaired_ids"] == [pair.conversation_id] and report["repaired"] == 0
        out = StringIO()
        assert await asyncio.to_thread(run_status, rig.settings, as_json=True, out=out) == 1
        assert json.loads(out.getvalue())["drift"]["unrepaired_ids"] == [pair.conversation_id]


async def test_a_pair_that_came_back_in_step_during_the_scan_is_no_drift(tmp_path: Path) -> None:
    """Read out of step, but in step again before the scan ends (the running engine
    synced it meanwhile): the pair is read again before it counts, and left alone."""
    async with sim_rig(tmp_path, leads=40) as rig:
        world = rig.sims.world
        await synced(rig)
        (pair,) = await quiet_pairs(rig, 1)
        prospect = world.resman.get_prospect(pair.prospect_id)
        assert prospect is not None
        before = prospect_values(prospect)["max_rent"]
        world.resman.edit_prospect(pair.prospect_id, at=utc_now(), max_rent=2999)
        async with rig.engine() as engine:

            def put_back(changes: Sequence[Change]) -> None:
                for change in changes:
                    if isinstance(change, DriftProgress) and change.out_of_step:
                        world.resman.edit_prospect(pair.prospect_id, max_rent=before)

            engine.store.subscribe(put_back)
            report = await engine.drift.scan(repair=True)
        assert (report.error, report.findings, report.repaired) == (None, [], [])
        assert lead_values(world.domiq.get_lead(pair.conversation_id))["max_rent"] == before


def _name(prospect: Prospect) -> ProspectName:
    """The name every post carries, as ResMan holds it."""
    assert prospect.first_name and prospect.last_name
    return ProspectName(first_name=prospect.first_name, last_name=prospect.last_name)
