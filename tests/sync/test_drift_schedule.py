"""The running engine's drift scans keep to `[sync] drift_scan_every` (a frozen clock
and a sleep that only moves it: no waiting), and a real engine repairs in the background."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadsync_tui.models import format_utc, utc_now
from leadsync_tui.sim.world_values import lead_values
from leadsync_tui.store.changes import DriftProgress
from leadsync_tui.store.db import Database
from leadsync_tui.sync.drift_report import DRIFT_CURSOR
from leadsync_tui.sync.drift_schedule import drift_loop
from tests.clocks import FrozenClock
from tests.engine.conftest import sim_rig
from tests.waiting import eventually

HOUR = 3600.0
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Stop(Exception):
    """Ends the loop once the test has seen enough scans."""


async def scans_at(db: Database, every: float, clock: FrozenClock, count: int) -> list[datetime]:
    """When the loop scanned, the clock moving only when it sleeps."""
    when: list[datetime] = []

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    async def scan() -> None:
        when.append(clock())
        if len(when) == count:
            raise Stop
        clock.advance(60)  # a scan takes a minute

    with pytest.raises(Stop):
        await drift_loop(db, scan, every, clock, sleep=sleep)
    return when


async def test_a_first_scan_comes_an_interval_after_start_then_one_per_interval(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        clock = FrozenClock(START)
        when = await scans_at(db, 6 * HOUR, clock, 3)
    hours = [(at - START) / timedelta(hours=1) for at in when]
    assert hours == [6, 12 + 1 / 60, 18 + 2 / 60]


async def scanned(db: Database, at: datetime) -> None:
    await db.set_cursor(DRIFT_CURSOR, json.dumps({"at": format_utc(at)}))


async def test_a_stored_last_scan_sets_the_next_one(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite") as db:
        await scanned(db, START - timedelta(hours=2))
        when = await scans_at(db, 6 * HOUR, FrozenClock(START), 1)
        assert when == [START + timedelta(hours=4)]
        # down for a week: what it missed is scanned for at once
        await scanned(db, START - timedelta(days=7))
        assert await scans_at(db, 6 * HOUR, FrozenClock(START), 1) == [START]


async def test_the_running_engine_finds_and_repairs_drift_in_the_background(
    tmp_path: Path,
) -> None:
    # polls are an hour apart and the ResMan edit is back-dated: only the scan sees it
    async with sim_rig(tmp_path, leads=30, poll_interval=3600, drift_scan_every=0.2) as rig:
        world = rig.sims.world
        async with rig.engine() as engine:
            assert (await engine.run_once(max_wait=10)).complete
        async with rig.engine() as engine:
            conflicted = {c.conversation_id for c in await engine.db.open_conflicts()}
            links = await engine.db.get_links(engine.store.state.leads)
            untouched = [  # linked at seed time and never written since: no poll shows them
                c for c in world.linked_pairs if c not in conflicted and not world.change_for(c)
            ]
            cid, link = next((c, li) for c, li in sorted(links.items()) if c in untouched)
            progress: list[DriftProgress] = []
            engine.store.subscribe(
                lambda changes: progress.extend(c for c in changes if isinstance(c, DriftProgress))
            )
            world.resman.edit_prospect(
                link.prospect_id, at=utc_now() - timedelta(days=2), max_rent=2468
            )
            runner = asyncio.create_task(engine.run())
            await eventually(
                lambda: lead_values(world.domiq.get_lead(cid))["max_rent"] == 2468, within_s=20
            )
            await engine.stop()
            await asyncio.wait_for(runner, 20)
        assert any(p.running for p in progress)
        assert any(not p.running and p.out_of_step == 1 for p in progress)
        found = [e for e in rig.events if e["event"] == "drift_finding"]
        assert {(e["conversation_id"], e["kind"]) for e in found} == {(cid, "resman_changed")}
