"""One writer by lease (#14): on one store exactly one engine sends; a killed
holder is replaced and what it had in flight is sent once; a stale holder that wakes up
after another took over sends nothing more and steps down.

Real simulators (in this process), real SQLite files (and, for the killed and the
stale holder, a real PostgreSQL database), real `leadsync sync --headless` processes
where killing or stopping a process is the point.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadsync_tui.models import Qualification
from leadsync_tui.store.opening import open_database
from leadsync_tui.store_location import StoreLocation
from leadsync_tui.sync.lease import LeaseHeld
from tests.engine.conftest import Rig, Truth, read_truth, sim_rig
from tests.team_store import BOTH, store_block, team_store
from tests.waiting import eventually

LEADSYNC = (sys.executable, "-m", "leadsync_tui.cli")


def assert_no_duplicates(truth: Truth) -> None:
    """Every qualified lead has its prospect; no prospect twice, no person twice."""
    for lead in truth.leads.values():
        if lead.qualification is Qualification.QUALIFIED:
            assert lead.resman_prospect_id in truth.prospects, lead.conversation_id
    assert max(truth.claimed.values()) == 1
    assert set(truth.claimed) == set(truth.prospects)
    emails = Counter(p.email.lower() for p in truth.prospects.values() if p.email)
    assert emails.most_common(1)[0][1] == 1


async def outbox_in_flight(where: Path | StoreLocation) -> int:
    location = where if isinstance(where, StoreLocation) else StoreLocation.sqlite(where)
    async with await open_database(location) as db:
        return (await db.outbox_counts()).in_flight


async def resman_posts(rig: Rig) -> int:
    """PostLeadManagement requests ResMan has served (every create and update)."""
    async with httpx.AsyncClient() as client:
        stats = (await client.get(f"{rig.sims.resman_url}/_sim/stats")).json()
    return sum(n for method, n in stats["requests_by_method"].items() if "PostLead" in method)


async def start_headless(rig: Rig, tmp_path: Path) -> asyncio.subprocess.Process:
    """`leadsync sync --headless` on the rig's simulators and database."""
    config = tmp_path / "leadsync.toml"
    config.write_text(
        rig.sims.config_toml()
        + f'\n[sync]\ndatabase = "{rig.settings.sync.database}"\n'
        + f"lease_expiry = {rig.settings.sync.lease_expiry}\npoll_interval = 3600\n"
        + store_block(rig.settings.store_location)
    )
    config.chmod(0o600)
    return await asyncio.create_subprocess_exec(
        *LEADSYNC,
        "sync",
        "--headless",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def until_in_flight(rig: Rig, at_least: int = 2) -> int:
    """Wait until the headless engine has creates in flight (ResMan is slow)."""
    path = rig.settings.store_location
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while (count := await outbox_in_flight(path)) < at_least:
        assert loop.time() < deadline, "no items in flight within 60 s"
        await asyncio.sleep(0.05)
    return count


def lines_of(output: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]


async def test_two_engines_on_one_file_one_sends_and_the_other_waits(tmp_path: Path) -> None:
    async with sim_rig(tmp_path, leads=40, lease_expiry=3, poll_interval=3600) as rig:
        async with rig.engine() as first, rig.engine() as second:
            running = asyncio.create_task(first.run())
            await eventually(lambda: first.lease.held, 10)
            with pytest.raises(LeaseHeld) as held:
                await second.run_once(max_wait=1)
            assert held.value.holder.token == first.lease.token
            waiting = asyncio.create_task(second.wait_for_lease())
            await eventually(lambda: any(e["event"] == "reconcile" for e in rig.events), 30)
            await eventually(lambda: first.worker.sent > 0 and not first.worker.in_flight, 30)
            said = [e for e in rig.events if e["event"] == "lease_held"]
            assert [(e["host"], e["pid"]) for e in said] == [(first.lease.host, os.getpid())]
            assert not waiting.done() and second.worker.sent == 0

            await first.stop()
            await running
            assert await asyncio.wait_for(waiting, 10)  # the lease is free: taken at once
            result = await second.run_once(max_wait=5)
        assert result.complete
        assert_no_duplicates(await read_truth(rig))


@pytest.mark.parametrize("kind", BOTH)
async def test_a_killed_holders_items_in_flight_are_sent_once_by_the_next(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = team_store(kind, request, tmp_path)
    async with sim_rig(tmp_path, leads=40, lease_expiry=2, store=store) as rig:
        rig.sims.resman_faults.update({"latency_ms": 2500})
        holder = await start_headless(rig, tmp_path)
        try:
            in_flight = await until_in_flight(rig)
        finally:
            holder.kill()
            await holder.wait()
        async with rig.engine() as taker:
            # Opening the file (as a second process does) left the dead one's items alone.
            assert await outbox_in_flight(store) >= in_flight
            loop = asyncio.get_running_loop()
            started = loop.time()
            assert await taker.wait_for_lease()
            took = loop.time() - started
            rig.sims.resman_faults.update({"latency_ms": 0})
            result = await taker.run_once(max_wait=10)
        [taken] = [e for e in rig.events if e["event"] == "lease_taken"]
        assert taken["reclaimed"] >= in_flight and taken["previous"].endswith(f"pid {holder.pid}")
        assert result.complete
        assert_no_duplicates(await read_truth(rig))
        print(f"takeover after SIGKILL (same host): {took:.3f} s; reclaimed {taken['reclaimed']}")


@pytest.mark.parametrize("kind", BOTH)
async def test_a_stale_holder_sends_nothing_after_waking_and_steps_down(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = team_store(kind, request, tmp_path)
    async with sim_rig(tmp_path, leads=40, lease_expiry=2, store=store) as rig:
        rig.sims.resman_faults.update({"latency_ms": 1500})
        holder = await start_headless(rig, tmp_path)
        assert holder.pid is not None
        await until_in_flight(rig)
        os.kill(holder.pid, signal.SIGSTOP)
        try:
            async with rig.engine() as taker:
                loop = asyncio.get_running_loop()
                started = loop.time()
                assert await taker.wait_for_lease()  # its pid lives: only the expiry frees it
                took = loop.time() - started
                rig.sims.resman_faults.update({"latency_ms": 0})
                result = await taker.run_once(max_wait=10)
                assert result.complete
                posts = await resman_posts(rig)
                truth = await read_truth(rig)
        finally:
            os.kill(holder.pid, signal.SIGCONT)
        output, _ = await asyncio.wait_for(holder.communicate(), 60)
        events = lines_of(output)
        assert holder.returncode == 3  # stepped down
        assert any(e["event"] == "lease_lost" for e in events)
        assert await resman_posts(rig) == posts  # not one post after waking
        assert_no_duplicates(truth)
        assert_no_duplicates(await read_truth(rig))
        print(f"takeover of a stopped holder: {took:.3f} s after the stop (expiry 2 s)")


async def test_once_with_the_lease_held_elsewhere_exits_3_and_sends_nothing(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=10, lease_expiry=30) as rig, rig.engine() as first:
        assert await first.lease.take("run")
        config = tmp_path / "leadsync.toml"
        config.write_text(
            rig.sims.config_toml() + f'\n[sync]\ndatabase = "{rig.settings.sync.database}"\n'
        )
        config.chmod(0o600)
        once = await asyncio.create_subprocess_exec(
            *LEADSYNC,
            "sync",
            "--headless",
            "--once",
            "--config",
            str(config),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        output, err = await asyncio.wait_for(once.communicate(), 60)
        assert once.returncode == 3
        assert "another engine holds the sync lease (" in err.decode()
        assert f" pid {os.getpid()})" in err.decode()
        assert [e["event"] for e in lines_of(output)][-1] == "done"
        assert await resman_posts(rig) == 0
        await first.lease.release()


async def _window_with_the_lease_elsewhere(
    tmp_path: Path, *, watch_only: bool, shared: StoreLocation | None = None
) -> None:
    from leadsync_tui.commands.tui_session import open_tui
    from leadsync_tui.sync.journal import Journal, ignore
    from leadsync_tui.sync.lease import SyncLease
    from leadsync_tui.sync.outbox_worker import precise_now

    async with (
        sim_rig(tmp_path, leads=10, lease_expiry=30, store=shared) as rig,
        await open_database(rig.settings.store_location) as db,
    ):
        async with rig.engine() as earlier:  # a first run filled the store
            await earlier.run_once(max_wait=5)
        other = SyncLease(db, Journal(ignore, precise_now), precise_now, host="jumpbox-2", pid=4121)
        assert await other.take("run")
        async with (
            open_tui(rig.settings, watch_only=watch_only) as app,
            app.run_test(size=(120, 24)) as pilot,
        ):
            line = "engine: sync@jumpbox-2 pid 4121, heartbeat "
            await eventually(lambda: line in app.sub_title, 20)
            assert app.engine_setup is not None
            lease = app.engine_setup.engine.lease
            assert app.watching and not lease.held
            store = app.store
            assert store is not None
            await eventually(lambda: len(store.state.leads) == 10, 10)  # the dashboard's rows
            if watch_only:  # ctrl+e while the holder lives: refused, the holder named
                await pilot.press("ctrl+e")
                await pilot.pause(0.3)
                assert app.watching and not lease.held
                record = await db.engine_record()
                assert record is not None and record.token == other.token
            await other.release()  # the holder is gone
            if watch_only:
                none = "engine: none — take over with ctrl+e"
                await eventually(lambda: none in app.sub_title, 10)
                assert not lease.held
                await pilot.press("M")  # masking: the header says so, and keeps the engine
                await pilot.pause()
                assert "◌ masked" in app.sub_title
                assert none in app.sub_title
                await pilot.press("ctrl+e")  # the only way in a watch-only window
                await eventually(lambda: lease.held and not app.watching, 10)
                assert "engine:" not in app.sub_title
                record = await db.engine_record()
                assert record is not None and record.token == lease.token
            else:
                await eventually(lambda: lease.held and not app.watching, 10)
                assert "engine:" not in app.sub_title
                record = await db.engine_record()
                assert record is not None and record.token == lease.token
            await pilot.press("ctrl+q")


@pytest.mark.parametrize("kind", BOTH)
async def test_a_window_without_the_lease_names_the_holder_and_takes_over(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    shared = team_store(kind, request, tmp_path)
    await _window_with_the_lease_elsewhere(tmp_path, watch_only=False, shared=shared)


async def test_a_watch_only_window_never_runs_the_engine(tmp_path: Path) -> None:
    await _window_with_the_lease_elsewhere(tmp_path, watch_only=True)
