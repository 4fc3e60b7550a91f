"""A team's PostgreSQL store that stops answering for a while (a restart, a failover).

Found by trying it as a team: a restart of the database ended every TUI window with
"internal error" (the dashboard's metrics timer met the refused connection), a window
whose engine failed kept saying "this window runs the engine", and `sync --headless`
exited 2. Now every window says the store is not answering, keeps trying, and runs (or
watches) the engine again once it answers; the service waits for it and goes on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.engine_seat import STORE_DOWN_LINE, STORE_STALL_S
from leadsync_tui.models import utc_now
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.records import EngineRecord
from leadsync_tui.store_location import StoreLocation
from leadsync_tui.sync.engine_presence import HOLDER_LINE
from tests.engine.conftest import sim_rig
from tests.engine.test_crash_safety import LEADSYNC, sim_process
from tests.engine.test_team_takeover import events_of
from tests.pg_server import PostgresServer
from tests.screens.test_flows_on_simulators import (
    domiq_lead,
    edit_in_domiq,
    quiet_linked_lead,
    record_notes,
    resman_max_rent,
    settled,
    toasts,
)
from tests.team_store import postgres_location, store_block
from tests.waiting import eventually, until

pytestmark = pytest.mark.postgresql

OUTAGE_S = 4.0
"""Longer than the dashboard's metrics refresh (2 s) and the seat's poll (1 s)."""


def database_name(pg_url: str) -> str:
    return urlsplit(pg_url).path.lstrip("/")


async def test_a_window_rides_out_its_store_not_answering_and_syncs_after(
    tmp_path: Path, pg_url: str, postgres_server: PostgresServer
) -> None:
    name = database_name(pg_url)
    async with (
        sim_rig(tmp_path, leads=20, store=postgres_location(pg_url)) as rig,
        open_tui(rig.settings, actor="dana") as app,
        app.run_test(size=(120, 30), notifications=True) as pilot,
    ):
        record_notes(app)
        seat = app.seat
        assert seat is not None
        await eventually(lambda: app._engine_note[0] == HOLDER_LINE[0], 30)
        await until(lambda: settled(app), 30)

        postgres_server.refuse_connections(name)
        try:
            await eventually(lambda: app._engine_note[0] == STORE_DOWN_LINE, 15)
            await pilot.pause(OUTAGE_S)  # the metrics timer meets the refusal too
            assert app.is_running and app._exception is None
            assert any("The store is not answering" in text for text in toasts(app))
        finally:
            postgres_server.refuse_connections(name, refuse=False)

        await eventually(lambda: app._engine_note[0] == HOLDER_LINE[0], 30)
        assert not seat.watching
        assert any("The store answers again" in text for text in toasts(app))
        # The engine sends again: a DomIQ edit reaches ResMan.
        cid = quiet_linked_lead(rig, app)
        await edit_in_domiq(rig, cid, {"max_rent": 3456})

        async def in_resman() -> bool:
            return await resman_max_rent(rig, await domiq_lead(rig, cid)) == 3456

        await until(in_resman, 30)
        assert app.is_running and app._exception is None


@pytest.mark.parametrize(
    ("watch_only", "elsewhere"),
    [(True, False), (False, True), (False, False)],
    ids=["watch-only", "may-take-over", "runs-the-engine"],
)
async def test_a_window_says_when_its_store_stops_answering(
    tmp_path: Path, pg_url: str, watch_only: bool, elsewhere: bool
) -> None:
    """A frozen server (SIGSTOP, a hung failover) neither answers nor refuses: the
    watcher's read just waits. Its header said "heartbeat 1s ago" all the while; now it
    says the store is not answering, and goes back once it answers. A lock held on the
    lease's table freezes this one database the same way, without stopping the server
    the other tests on this worker share. A window that may take over tries the lease
    each turn (another box holds it here); a watch-only one only reads who holds it; the
    window running the engine sees its renewal of the lease not come back."""
    where = postgres_location(pg_url)
    expected = (
        "engine: none"
        if watch_only
        else "engine: sync@other-box pid 4242"
        if elsewhere
        else HOLDER_LINE[0]
    )
    async with sim_rig(tmp_path, leads=5, store=where) as rig:
        if elsewhere:
            await hold_lease_elsewhere(where)
        async with (
            open_tui(rig.settings, actor="dana", watch_only=watch_only) as app,
            app.run_test(size=(120, 30)),
        ):
            await eventually(lambda: app._engine_note[0].startswith(expected), 30)
            holder = await psycopg.AsyncConnection.connect(pg_url)
            try:
                await holder.execute("LOCK TABLE engine IN ACCESS EXCLUSIVE MODE")
                await eventually(lambda: app._engine_note[0] == STORE_DOWN_LINE, STORE_STALL_S + 15)
                assert app.is_running and app._exception is None
            finally:
                await holder.rollback()  # the lock goes with the transaction
                await holder.close()
            await eventually(lambda: app._engine_note[0].startswith(expected), 30)
            assert app.is_running and app._exception is None


async def hold_lease_elsewhere(where: StoreLocation) -> None:
    """The sync lease held by a live engine on another box, for the next five minutes."""
    async with await open_database(where) as db:
        now = utc_now()
        elsewhere = EngineRecord(
            host="other-box", pid=4242, token="elsewhere", mode="run", started_at=now,
            heartbeat_at=now, expires_at=now + timedelta(minutes=5), generation=1,
        )  # fmt: skip
        old = await db.engine_record()
        assert await db.swap_engine(elsewhere, None if old is None else old.token)


def test_the_service_waits_for_its_store_and_goes_on(
    tmp_path: Path, pg_url: str, postgres_server: PostgresServer
) -> None:
    name = database_name(pg_url)
    where = postgres_location(pg_url)
    events = tmp_path / "events.jsonl"
    with sim_process() as block:
        config = tmp_path / "leadsync.toml"
        config.write_text(block + "\n[sync]\npoll_interval = 1\n" + store_block(where))
        config.chmod(0o600)
        with events.open("w") as out:
            engine = subprocess.Popen(
                [*LEADSYNC, "sync", "--headless", "--config", str(config)],
                stdout=out,
                stderr=subprocess.PIPE,
                env=dict(os.environ),
            )
        try:
            wait_for(events, "lease_taken", engine)
            postgres_server.refuse_connections(name)
            try:
                wait_for(events, "store_unanswered", engine)
                time.sleep(OUTAGE_S)
                assert engine.poll() is None, "the service ended while its store was down"
            finally:
                postgres_server.refuse_connections(name, refuse=False)
            taken = count(events, "lease_taken")
            deadline = time.monotonic() + 60
            while count(events, "lease_taken") == taken or count(events, "reconcile") == 0:
                assert engine.poll() is None, "the service ended after its store came back"
                assert time.monotonic() < deadline, "the engine never ran again"
                time.sleep(0.1)
            assert engine.poll() is None
        finally:
            engine.send_signal(signal.SIGTERM)
            _, err = engine.communicate(timeout=30)
    assert engine.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err


def count(events: Path, kind: str) -> int:
    return sum(1 for line in events_of(events) if line.get("event") == kind)


def wait_for(events: Path, kind: str, engine: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not count(events, kind):
        if engine.poll() is not None:
            said = engine.stderr.read().decode() if engine.stderr else ""
            raise AssertionError(f"the engine exited before {kind}: {said[-1500:]}")
        assert time.monotonic() < deadline, f"no {kind} within 60 s"
        time.sleep(0.05)
