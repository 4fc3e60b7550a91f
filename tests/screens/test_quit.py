"""`ctrl+q` with writes in flight (issue 12, 4.1): the grace is honoured, the database
closes after the last writer, nothing is logged as crashed, and what did not finish is
sent on the next start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import OutboxStatus
from leadsync_tui.widgets import LeadsTable
from tests.engine.conftest import Rig, sim_rig
from tests.screens.test_flows_on_simulators import (
    as_manager,
    domiq_lead,
    edit_in_domiq,
    engine_of,
    quiet_linked_lead,
    resman_max_rent,
    settled,
)
from tests.waiting import eventually, until


async def quit_during_a_write(rig: Rig, latency_ms: float) -> tuple[str, int]:
    """Edit a synced lead in DomIQ with ResMan this slow, press ctrl+q once its write is
    in flight; the lead and the value written."""
    async with (
        open_tui(as_manager(rig.settings), live_timers=False, actor="dana") as app,
        app.run_test(size=(120, 30)) as pilot,
    ):
        await eventually(lambda: app.screen.query(LeadsTable).first().row_count >= 5, 30)
        await until(lambda: settled(app), 30)
        cid = quiet_linked_lead(rig, app)
        rig.sims.resman_faults.latency_ms = latency_ms
        rent = 4321
        await edit_in_domiq(rig, cid, {"max_rent": rent})

        async def its_write_in_flight() -> bool:
            # This lead's write, not any: quitting while another item was in flight
            # left the edit unseen, and the test read ResMan's old value (2075).
            db = app.store.db
            return bool(await db.outbox_items(conversation_id=cid, status=OutboxStatus.IN_FLIGHT))

        await until(its_write_in_flight, 15)
        await eventually(lambda: engine_of(app).worker.in_flight > 0, 15)
        await pilot.press("ctrl+q")
        await eventually(lambda: not app.is_running, 30)
    assert app._exception is None
    return cid, rent


async def outbox_left(rig: Rig) -> int:
    db = await Database.open(rig.settings.sync.database)
    try:
        counts = await db.outbox_counts()
    finally:
        await db.close()
    return counts.pending + counts.in_flight


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and not r.name.startswith("leadsync_tui.sim")
    ]


async def test_quitting_lets_a_write_in_flight_finish_within_the_grace(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with sim_rig(tmp_path, leads=10, seed=7) as rig:
        cid, rent = await quit_during_a_write(
            rig, latency_ms=700
        )  # a read and a post: ~1.4 s of a 5 s grace
        assert await outbox_left(rig) == 0
        rig.sims.resman_faults.latency_ms = 0
        assert await resman_max_rent(rig, await domiq_lead(rig, cid)) == rent
    assert errors(caplog) == []


async def test_a_write_longer_than_the_grace_is_sent_on_the_next_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with sim_rig(tmp_path, leads=10, seed=7) as rig:
        cid, rent = await quit_during_a_write(rig, latency_ms=8000)
        assert await outbox_left(rig) == 1
        assert errors(caplog) == []
        rig.sims.resman_faults.latency_ms = 0
        async with rig.engine() as engine:
            assert (await engine.run_once(10)).complete
        assert await outbox_left(rig) == 0
        assert await resman_max_rent(rig, await domiq_lead(rig, cid)) == rent
