"""`leadsync status` tells which engine runs, and shows nothing stale as current (#12 §4.4).

Real processes where "alive" matters: `leadsync sync --headless` (demo, embedded
simulators) is started, read by `leadsync status`, then SIGKILLed or stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

from leadsync_tui.commands.status_run import run_status
from leadsync_tui.config import Settings, SyncSettings
from leadsync_tui.models import Lead, SyncDirection, SyncType
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import EngineRecord, NewOutboxItem
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lease import SyncLease
from tests.engine.conftest import sim_rig
from tests.engine.test_cli_headless import demo_database, leadsync

AT = datetime(2026, 3, 2, tzinfo=UTC)


def start_headless() -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    """`leadsync sync --headless` in demo mode, once its live feed is connected."""
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync_tui.cli", "sync", "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    assert process.stdout is not None
    seen: list[dict[str, Any]] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while not any(e["event"] == "reconcile" for e in seen):
            assert time.monotonic() < deadline, "no reconcile pass within 60 s"
            if selector.select(timeout=1):
                seen.append(json.loads(process.stdout.readline()))
    assert any(e["event"] == "feed" and e["connected"] for e in seen)
    return process, seen


def status_json() -> dict[str, Any]:
    run = leadsync("status", "--json")
    assert run.returncode in (0, 1), run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    return report


def test_status_names_the_running_engine_and_after_sigkill_says_none() -> None:
    process, _ = start_headless()
    host = socket.gethostname()
    try:
        report = status_json()
        assert report["engine"]["alive"] is True
        assert report["engine"]["record"]["pid"] == process.pid
        text = leadsync("status").stdout
        assert f"engine     running: {host} pid {process.pid} (run), since " in text
        assert "live feed  connected since " in text
    finally:
        process.kill()
        process.wait(timeout=10)

    report = status_json()
    assert report["engine"]["alive"] is False
    text = leadsync("status").stdout
    assert f"engine     none (last seen {host} pid {process.pid}, heartbeat " in text
    assert "it did not stop cleanly" in text
    assert "connected since" not in text
    assert "live feed  last known connected at " in text


def test_a_stopped_engine_is_none_and_says_when_it_stopped() -> None:
    process, _ = start_headless()
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == 0
    text = leadsync("status").stdout
    assert f"engine     none (last: {socket.gethostname()} pid {process.pid}, stopped " in text
    assert "connected since" not in text


async def _in_flight_store(path: Path, engine: EngineRecord | None) -> None:
    """A store with one item claimed (in flight) and, maybe, an engine record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await Database.open(path)
    try:
        lead = Lead(
            conversation_id="cnv_x",
            created_at=AT,
            updated_at=AT,
            property_id="p",
            first_name="A",
            last_name="B",
        )
        await db.upsert_leads([lead])
        await db.enqueue(
            [
                NewOutboxItem(
                    conversation_id="cnv_x",
                    direction=SyncDirection.DOMIQ_TO_RESMAN,
                    sync_type=SyncType.CREATE,
                    dedupe_key="push:cnv_x:v1",
                )
            ]
        )
        assert len(await db.claim_due(datetime.now(UTC) + timedelta(seconds=1), 10)) == 1
        if engine is not None:
            assert await db.swap_engine(engine, None)
    finally:
        await db.close()


def _record(pid: int, heartbeat: datetime) -> EngineRecord:
    return EngineRecord(
        host=socket.gethostname(),
        pid=pid,
        token="t" * 32,
        mode="run",
        started_at=heartbeat - timedelta(minutes=5),
        heartbeat_at=heartbeat,
        expires_at=heartbeat + timedelta(seconds=15),
    )


def _status_text() -> str:
    out = StringIO()
    run_status(Settings(), as_json=False, out=out, err=StringIO())
    return out.getvalue()


def test_items_a_gone_engine_left_in_flight_are_shown_as_interrupted() -> None:
    asyncio.run(_in_flight_store(demo_database(), None))
    text = _status_text()
    assert "1 interrupted (sent again on next start)" in text
    assert "in flight" not in text
    assert "engine     none (no engine has run on this database yet)" in text


def test_items_of_a_live_engine_are_in_flight() -> None:
    now = datetime.now(UTC)
    asyncio.run(_in_flight_store(demo_database(), _record(os.getpid(), now)))
    text = _status_text()
    assert "1 in flight" in text and "interrupted" not in text
    assert f"running: {socket.gethostname()} pid {os.getpid()} (run)" in text


def test_a_heartbeat_past_its_expiry_is_no_engine_even_if_the_pid_exists() -> None:
    old = datetime.now(UTC) - timedelta(minutes=3)
    asyncio.run(_in_flight_store(demo_database(), _record(os.getpid(), old)))
    text = _status_text()
    assert f"none (last seen {socket.gethostname()} pid {os.getpid()}" in text
    assert "3m ago; it did not stop cleanly" in text
    assert "1 interrupted (sent again on next start)" in text


async def test_a_once_run_that_exits_1_is_never_recorded_ok(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=10) as rig:
        path = rig.settings.sync.database
        async with rig.engine() as engine:
            # a parked item for a lead neither side has: it waits for a person
            await engine.db.upsert_leads(
                [
                    Lead(
                        conversation_id="cnv_parked",
                        created_at=AT,
                        updated_at=AT,
                        property_id="p",
                        first_name="A",
                        last_name="B",
                    )
                ]
            )
            (item,) = await engine.db.enqueue(
                [
                    NewOutboxItem(
                        conversation_id="cnv_parked",
                        direction=SyncDirection.DOMIQ_TO_RESMAN,
                        sync_type=SyncType.CREATE,
                        dedupe_key="push:cnv_parked:v1",
                    )
                ]
            )
            await engine.db.fail(item, "ResMan refused: no agent", AT, park=True)
            result = await engine.run_once(max_wait=2)
        assert not result.complete and result.error is None  # exits 1, read both sides
        settings = rig.settings.model_copy(update={"sync": SyncSettings(database=path)})
        out = StringIO()
        assert (
            await asyncio.to_thread(run_status, settings, as_json=False, out=out, err=StringIO())
            == 1
        )
    text = out.getvalue()
    last_pass = next(line for line in text.splitlines() if "last pass" in line)
    assert "(once): exited 1: 0 pending, 0 in flight, 1 failed left" in last_pass
    assert ": ok" not in last_pass
    assert "could not read DomIQ or ResMan" not in text


def test_status_json_counts_interrupted_items_under_engine() -> None:
    asyncio.run(_in_flight_store(demo_database(), None))
    out = StringIO()
    run_status(Settings(), as_json=True, out=out, err=StringIO())
    report = json.loads(out.getvalue())
    assert report["outbox"] == {"pending": 0, "in_flight": 1, "failed": 0}
    assert report["engine"] == {
        "alive": False,
        "summary": "none (no engine has run on this database yet)",
        "record": None,
        "interrupted": 1,
    }


async def test_a_second_engine_waits_for_the_lease_and_takes_it_from_a_dead_one(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    async with await Database.open(tmp_path / "leadsync.db") as db:
        events: list[dict[str, Any]] = []
        journal = Journal(events.append, lambda: now)
        first = SyncLease(db, journal, lambda: now)
        second = SyncLease(db, journal, lambda: now, pid=os.getpid() + 1)
        assert await first.take("run")
        assert not await second.take("once")  # the first is alive (this very process)
        held = [e for e in events if e["event"] == "lease_held"]
        assert len(held) == 1 and held[0]["pid"] == os.getpid()
        assert not await second.take("once")
        assert len([e for e in events if e["event"] == "lease_held"]) == 1  # said once
        record = await db.engine_record()
        assert record is not None and record.token == first.token and record.generation == 1
        await first.release()
        assert await second.take("once")  # a stopped holder frees the lease
        record = await db.engine_record()
        assert record is not None and record.token == second.token
        assert record.generation == 2 and record.mode == "once"
        # a holder whose process is gone (same host) frees it too, before its expiry
        dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
        await dead.wait()
        ghost = record.model_copy(update={"pid": dead.pid, "token": "ghost"})
        assert await db.swap_engine(ghost, second.token)
        assert await first.take("run")
        record = await db.engine_record()
        assert record is not None and record.token == first.token and record.generation == 3


async def test_the_tuis_engine_records_itself_and_marks_itself_stopped_on_quit() -> None:
    from leadsync_tui.commands.tui_session import open_tui
    from leadsync_tui.config import load_settings
    from tests.waiting import eventually

    async with open_tui(load_settings().settings) as app, app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: app.engine_setup is not None, 10)
        assert app.engine_setup is not None
        db = app.engine_setup.engine.db
        seen: list[EngineRecord | None] = []

        async def recorded() -> bool:
            seen.append(await db.engine_record())
            return seen[-1] is not None

        deadline = time.monotonic() + 10
        while not await recorded():
            assert time.monotonic() < deadline, "the TUI's engine never recorded itself"
            await asyncio.sleep(0.05)
        record = seen[-1]
        assert record is not None
        assert (record.host, record.pid, record.stopped_at) == (
            socket.gethostname(),
            os.getpid(),
            None,
        )
        await pilot.press("ctrl+q")
    text = await asyncio.to_thread(_status_text)
    assert f"engine     none (last: {socket.gethostname()} pid {os.getpid()}, stopped " in text
