"""The header says who runs the sync engine, whole, at 80x24 and at 160x48 (#14): a
watching window's header was cut at 80 columns before the engine's holder (or "take
over with ctrl+e"); the window holding the engine did not say so at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._header import HeaderTitle

from leadsync_tui.app import LeadSyncApp
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.store.db import Database
from leadsync_tui.sync.journal import Journal, ignore
from leadsync_tui.sync.lease import SyncLease
from leadsync_tui.sync.outbox_worker import precise_now
from tests.engine.conftest import sim_rig
from tests.waiting import eventually

SIZES = [(80, 24), (160, 48)]


def header_text(app: LeadSyncApp) -> str:
    """The header's title as drawn; it must fit its width (else Textual cuts it with …)."""
    title = app.screen.query_one(HeaderTitle)
    text = str(title.render())
    assert len(text) <= title.size.width, (text, title.size.width)
    return text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_watching_window_names_the_holder_whole(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with (
        sim_rig(tmp_path, leads=5, lease_expiry=30) as rig,
        await Database.open(rig.settings.sync.database) as db,
    ):
        holder = SyncLease(
            db, Journal(ignore, precise_now), precise_now, host="jumpbox-2", pid=4121
        )
        assert await holder.take("run")
        async with (
            open_tui(rig.settings, watch_only=True, mask_pii=True) as app,
            app.run_test(size=size) as pilot,
        ):
            await eventually(lambda: "jumpbox-2 pid 4121" in header_text(app), 20)
            shown = header_text(app)
            assert "◌ masked" in shown and " ago" in shown
            if size[0] >= 160:
                assert "engine: sync@jumpbox-2 pid 4121, heartbeat " in shown
                assert shown.startswith("leadsync — live · operator (")
            await holder.release()
            await eventually(lambda: "engine: none" in header_text(app), 20)
            assert "ctrl+e" in header_text(app) and "◌ masked" in header_text(app)
            await pilot.press("ctrl+q")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_window_holding_the_engine_says_so(tmp_path: Path, size: tuple[int, int]) -> None:
    async with (
        sim_rig(tmp_path, leads=5) as rig,
        open_tui(rig.settings) as app,
        app.run_test(size=size) as pilot,
    ):
        assert app.engine_setup is not None
        lease = app.engine_setup.engine.lease
        await eventually(lambda: lease.held, 20)
        await eventually(lambda: "this window runs the engine" in header_text(app), 20)
        assert header_text(app).startswith(
            "leadsync — live · operator (" if size[0] >= 160 else "live · operator ("
        )
        await pilot.press("ctrl+q")
