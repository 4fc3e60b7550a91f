"""Live updates across connections (#14): what one store commits to a SQLite file reaches
another store on the same file, by key, as the same changes its subscribers get for
their own actions; its own commits are not news to it.

Two `Database` connections on one real store stand for two windows (the engine's and a
watcher), on a SQLite file (the watch polls `PRAGMA data_version`) and on PostgreSQL
(it LISTENs for the writers' NOTIFY), as in the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from leadsync_tui.models import (
    ConflictResolution,
    Resolution,
    ResolutionStatus,
    SyncStatus,
)
from leadsync_tui.store import db_connection
from leadsync_tui.store.actions import ConflictsDetected, LogsAppended
from leadsync_tui.store.change_watch import PgChangeWatch, SqliteChangeWatch, follow, watch_for
from leadsync_tui.store.changes import ConflictsChanged, LeadsChanged, LogsChanged
from leadsync_tui.store.db import Database
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.store_location import StoreLocation
from tests.store.conftest import FrozenClock, Recorder, make_conflict, make_lead, make_log
from tests.waiting import eventually


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def shared(request: pytest.FixtureRequest, db_path: Path) -> StoreLocation:
    """The store the windows share: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return StoreLocation.sqlite(db_path)
    return StoreLocation.postgresql(request.getfixturevalue("pg_url"))


@asynccontextmanager
async def window(where: StoreLocation, clock: FrozenClock) -> AsyncIterator[LeadSyncStore]:
    """A store loaded and following what others commit to `where` (like a TUI window)."""
    async with await open_database(where, now=clock) as db:
        store = LeadSyncStore(db, now=clock, metrics_window=timedelta(minutes=15))
        watch = watch_for(db)
        await watch.start()
        await store.fetch_leads()
        await store.fetch_conflicts()
        task = asyncio.create_task(follow(store, watch))
        try:
            yield store
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_a_resolution_in_one_window_shows_in_the_other(
    shared: StoreLocation, clock: FrozenClock
) -> None:
    async with window(shared, clock) as engine_side:
        await engine_side.merge_leads([make_lead("c1"), make_lead("c2", first_name="Grace")])
        await engine_side.dispatch(ConflictsDetected([make_conflict("k1", "c1")]))
        async with window(shared, clock) as watcher:
            assert watcher.state.open_conflicts[0].id == "k1"
            seen = Recorder()
            watcher.subscribe(seen)

            await engine_side.resolve_conflict(
                "k1",
                ConflictResolution(resolution=Resolution.DOMIQ_WINS, reason="called them"),
                "maria",
            )

            await eventually(
                lambda: (
                    not watcher.state.open_conflicts
                    and watcher.state.leads["c1"].resman_sync_status is SyncStatus.SYNCING
                ),
                10,
            )
            conflict = watcher.conflict("k1")
            assert conflict is not None
            assert conflict.resolution_status is ResolutionStatus.RESOLVED
            assert watcher.state.leads["c1"].resman_sync_status is SyncStatus.SYNCING
            assert ConflictsChanged(frozenset({"k1"})) in seen.changes
            assert LeadsChanged(frozenset({"c1"})) in seen.changes  # the row repaints
            assert all(
                "c2" not in change.keys
                for change in seen.changes
                if isinstance(change, LeadsChanged)
            )


async def test_the_engines_syncs_and_logs_reach_a_watcher_and_a_watchers_retry_the_engine(
    shared: StoreLocation, clock: FrozenClock
) -> None:
    async with window(shared, clock) as engine_side:
        await engine_side.merge_leads([make_lead("c1")])
        async with window(shared, clock) as watcher:
            engine_seen = Recorder()
            engine_side.subscribe(engine_seen)

            await engine_side.update_lead_status("c1", SyncStatus.SYNCED, prospect_id="p-9")
            await engine_side.dispatch(LogsAppended([make_log("log-1", "c1")]))
            await engine_side.merge_leads([make_lead("c3", first_name="Katherine")])

            await eventually(lambda: "c3" in watcher.state.leads, 10)
            await eventually(lambda: "c1" in watcher.state.sync_logs, 10)
            lead = watcher.state.leads["c1"]
            assert (lead.resman_sync_status, lead.resman_prospect_id) == (SyncStatus.SYNCED, "p-9")
            assert [log.id for log in watcher.state.sync_logs["c1"]] == ["log-1"]

            # The other way: a watcher's decision shows in the engine's window.
            engine_seen.clear()
            await watcher.update_lead_status("c1", SyncStatus.FAILED)
            await eventually(
                lambda: engine_side.state.leads["c1"].resman_sync_status is SyncStatus.FAILED, 10
            )
            # Its own writes were never read back as news (no second copy of its log).
            assert [log.id for log in engine_side.state.sync_logs["c1"]] == ["log-1"]
            assert LeadsChanged(frozenset({"c1"})) in engine_seen.changes
            assert not any(isinstance(change, LogsChanged) for change in engine_seen.changes)


async def test_a_window_behind_the_pruned_feed_reads_everything_again(
    db_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_connection, "FEED_KEEP", 3)
    async with window(StoreLocation.sqlite(db_path), clock) as engine_side:
        await engine_side.merge_leads([make_lead("c0")])
        async with await Database.open(db_path, now=clock) as db:
            watcher = LeadSyncStore(db, now=clock)
            watch = SqliteChangeWatch(db, poll_s=0.01)
            await watch.start()
            for number in range(1, 8):  # one row each: the first ones are pruned
                await engine_side.merge_leads([make_lead(f"c{number}")])
            committed = await watch.next_changes()
            assert committed.gap
            await watcher.apply_committed(committed)
            assert set(watcher.state.leads) == {f"c{n}" for n in range(8)}


@pytest.mark.postgresql
async def test_on_postgresql_a_commit_wakes_the_watch_by_notify(
    pg_url: str, clock: FrozenClock
) -> None:
    """The watch waits for NOTIFY, not for its once-a-while read: with that read 60 s
    away, a lead another connection commits is still reported at once."""
    where = StoreLocation.postgresql(pg_url)
    async with await open_database(where, now=clock) as watcher_db:
        watch = PgChangeWatch(watcher_db, safety_s=60)
        await watch.start()
        try:
            waiting = asyncio.create_task(watch.next_changes())
            await asyncio.sleep(0.2)  # the watch is inside its wait
            async with await open_database(where, now=clock) as engine_db:
                await engine_db.upsert_leads([make_lead("c7")])
            committed = await asyncio.wait_for(waiting, 10)
        finally:
            await watch.close()
    assert committed.lead_keys == frozenset({"c7"})
