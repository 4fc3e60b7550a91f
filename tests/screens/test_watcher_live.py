"""A window that watches (another engine holds the sync lease) is live (#14): what the
engine syncs and what another window decides shows in its dashboard as it lands, and a
decision taken in it shows in the engine's window.

Real simulators on loopback, one real SQLite file; the holder is a real engine running
in this process on its own connection (its window's store following the file as the
app does), the watcher a real app under Pilot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from leadsync_tui.app import LeadSyncApp
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.models import ConflictResolution, Resolution, ResolutionStatus, SyncStatus
from leadsync_tui.screens.conflict_modal import ConflictResolutionModal
from leadsync_tui.store.change_watch import SqliteChangeWatch, follow
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.widgets.realtime_indicator import FeedState
from tests.engine.conftest import Rig, sim_rig
from tests.screens.test_flows_on_simulators import (
    AppPilot,
    as_manager,
    banner_of,
    edit_in_domiq,
    indicator_of,
    modal_done,
    row_status,
    table_of,
)
from tests.typing_keys import type_text
from tests.waiting import eventually

LEADS = 20


@asynccontextmanager
async def holder_on(rig: Rig, *, feed: bool = False) -> AsyncIterator[SyncEngine]:
    """The engine holding the lease, its first pass done, its store following the file
    (with `feed`, its DomIQ live feed connected too)."""
    async with rig.engine(watcher=feed) as engine:
        runner = asyncio.create_task(engine.run())
        watch = SqliteChangeWatch(engine.store.db, poll_s=0.05)
        await watch.start()
        follower = asyncio.create_task(follow(engine.store, watch))
        seeded = set(rig.sims.world.conflicting_pairs)
        try:
            await eventually(
                lambda: {c.conversation_id for c in engine.store.state.open_conflicts} == seeded,
                30,
            )
            yield engine
        finally:
            follower.cancel()
            await engine.stop()
            await asyncio.gather(follower, runner, return_exceptions=True)


@asynccontextmanager
async def watcher_on(rig: Rig, engine: SyncEngine) -> AsyncIterator[tuple[LeadSyncApp, AppPilot]]:
    async with (
        open_tui(as_manager(rig.settings), live_timers=False, actor="dana") as app,
        app.run_test(size=(160, 48)) as pilot,
    ):
        await eventually(lambda: app.watching, 20)
        assert app.store is not None
        store = app.store
        await eventually(
            lambda: (
                len(store.state.leads) == LEADS
                and len(store.state.open_conflicts) == len(engine.store.state.open_conflicts)
            ),
            20,
        )
        await pilot.pause()
        yield app, pilot
        await pilot.press("ctrl+q")


@asynccontextmanager
async def two_windows(
    tmp_path: Path, *, feed: bool = False
) -> AsyncIterator[tuple[Rig, SyncEngine, LeadSyncApp, AppPilot]]:
    """The holder's engine and a watching window on one file, both caught up."""
    async with (
        sim_rig(tmp_path, leads=LEADS, lease_expiry=30) as rig,
        holder_on(rig, feed=feed) as engine,
        watcher_on(rig, engine) as (app, pilot),
    ):
        yield rig, engine, app, pilot


async def test_the_holders_resolution_and_syncs_show_in_a_watching_window(
    tmp_path: Path,
) -> None:
    async with two_windows(tmp_path, feed=True) as (rig, engine, app, _pilot):
        assert app.store is not None
        store = app.store
        count = len(store.state.open_conflicts)
        assert f"{count} unresolved conflicts" in banner_of(app).label
        conflict = engine.store.state.open_conflicts[0]

        await engine.store.resolve_conflict(
            conflict.id,
            ConflictResolution(resolution=Resolution.DOMIQ_WINS, reason="called them"),
            "maria",
        )

        def resolved() -> bool:
            held = store.conflict(conflict.id)
            return held is not None and held.resolution_status is ResolutionStatus.RESOLVED

        await eventually(resolved, 10)
        await eventually(lambda: f"{count - 1} unresolved" in banner_of(app).label, 10)
        # The holder's engine sends the resolution; the row follows it to synced.
        cid = conflict.conversation_id
        await eventually(lambda: row_status(app, cid) is SyncStatus.SYNCED, 30)

        # Someone edits a lead in DomIQ: the holder's live feed takes it in, and the
        # watcher's row shows the new name.
        other = next(
            key
            for key, lead in store.state.leads.items()
            if key != cid and lead.resman_sync_status is SyncStatus.SYNCED
        )
        await edit_in_domiq(rig, other, {"first_name": "Zenobia"})

        def renamed() -> bool:
            lead = table_of(app).get_lead(other)
            return lead is not None and lead.first_name == "Zenobia"

        await eventually(renamed, 30)
        assert engine.lease.held  # the holder still holds it
        assert app.watching


async def test_a_resolution_in_a_watching_window_shows_in_the_holders(tmp_path: Path) -> None:
    async with two_windows(tmp_path) as (_rig, engine, app, pilot):
        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConflictResolutionModal)
        conflict = modal.conflict
        await pilot.press("1")  # DomIQ wins
        await type_text(pilot, "called them")
        await pilot.press("ctrl+s")
        await modal_done(pilot)

        def resolved_there() -> bool:
            held = engine.store.conflict(conflict.id)
            return held is not None and held.resolution_status is ResolutionStatus.RESOLVED

        await eventually(resolved_there, 10)
        # The holder executes it (the watcher sends nothing); both show it synced.
        cid = conflict.conversation_id
        await eventually(
            lambda: engine.store.state.leads[cid].resman_sync_status is SyncStatus.SYNCED, 30
        )
        await pilot.press("escape")
        await eventually(lambda: row_status(app, cid) is SyncStatus.SYNCED, 30)


async def test_a_watching_window_shows_the_engines_live_feed_not_its_own(
    tmp_path: Path,
) -> None:
    """It runs no feed: "offline · last ping never" there was a stale fact shown as live."""
    async with two_windows(tmp_path, feed=True) as (_rig, engine, app, _pilot):
        await eventually(lambda: engine.store.state.real_time_connected, 30)
        await eventually(lambda: indicator_of(app).state is FeedState.LIVE, 30)
        assert indicator_of(app).last_ping is not None
        assert app.watching  # still no feed of its own
