"""A watching window shows the holder's stop for a second deployment (#14): the error bar
of every window on the store says it, not just the holder's, and goes once it is
cleared."""

from __future__ import annotations

import json
from pathlib import Path

from leadsync_tui.store.db import Database
from leadsync_tui.sync.foreign_deployment import ERROR_BAR, FOREIGN_CURSOR
from leadsync_tui.sync.journal import Journal, ignore
from leadsync_tui.sync.lease import SyncLease
from leadsync_tui.sync.outbox_worker import precise_now
from tests.engine.conftest import sim_rig
from tests.waiting import eventually


async def test_a_watcher_shows_the_holders_stop_and_its_clearing(tmp_path: Path) -> None:
    from leadsync_tui.commands.tui_session import open_tui

    async with (
        sim_rig(tmp_path, leads=5, lease_expiry=30) as rig,
        await Database.open(rig.settings.sync.database) as db,
    ):
        holder = SyncLease(db, Journal(ignore, precise_now), precise_now, host="box-2", pid=77)
        assert await holder.take("run")
        async with open_tui(rig.settings) as app, app.run_test(size=(120, 24)):
            await eventually(lambda: app.watching, 20)
            assert app.store.state.error is None

            stop = {"active": True, "at": "2026-12-05T10:00:00Z", "leads": ["c1"], "count": 1}
            await db.set_cursor(FOREIGN_CURSOR, json.dumps(stop))  # as the holder records it
            await eventually(lambda: app.store.state.error == ERROR_BAR, 10)

            cleared = {"active": False, "at": "2026-12-05T11:00:00Z", "cleared_by": "dana"}
            await db.set_cursor(FOREIGN_CURSOR, json.dumps(cleared))
            await eventually(lambda: app.store.state.error is None, 10)
        await holder.release()
