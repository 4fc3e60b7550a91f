"""A team's PostgreSQL store cut from under a running engine (#14): a server restart or a
failover drops every connection, five times at random moments while both sides change
and the simulators fail one request in ten. The engine connects again and keeps
running; a cut that lands inside a multi-step transaction (or its commit) ends that
run of the engine, and the service waits for the store and runs it again (it used to
exit 2 for systemd to restart it: should it still exit, the test starts it again as
`Restart=on-failure` does). At the end nothing is lost, doubled or left."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from leadsync_tui.config import load_settings
from tests.engine.conftest import assert_converged, truth_of
from tests.engine.test_crash_safety import LEADSYNC, Ledger, make_work, outbox_state, sim_process
from tests.engine.test_team_takeover import events_of, faults_off, live_holder, start
from tests.store.test_pg_reconnect import cut_every_connection
from tests.team_store import postgres_location, store_block

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]

SEED = 20261206
CUTS = 5


def cut_once_connected(pg_url: str) -> int:
    """Cut every connection to the database, once there are some (the engine may be
    between two tries of its store, with none open)."""
    deadline = time.monotonic() + 10
    while True:
        cut = asyncio.run(cut_every_connection(pg_url))
        if cut or time.monotonic() > deadline:
            return cut
        time.sleep(0.1)


def test_an_engine_keeps_syncing_through_five_cuts_of_its_store(
    pg_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    database = postgres_location(pg_url)
    with sim_process("--fault-rate=0.1") as block:
        config = tmp_path / "leadsync.toml"
        config.write_text(
            block + f'\n[sync]\ndatabase = "{tmp_path / "unused.db"}"\npoll_interval = 1\n'
            "request_timeout = 5\nlease_expiry = 3\n" + store_block(database)
        )
        config.chmod(0o600)
        settings = load_settings(config).settings
        with faults_off(settings):
            before = asyncio.run(truth_of(settings))
        ledger = Ledger()
        events = tmp_path / "engine.jsonl"
        engine = start(config, events)
        cut = 0
        restarts: list[str] = []
        try:
            live_holder(database, {engine.pid: engine})
            for round_ in range(CUTS):
                with faults_off(settings):
                    asyncio.run(make_work(settings, rng, ledger, round_))
                time.sleep(rng.uniform(0.3, 1.5))
                cut += cut_once_connected(pg_url)
                time.sleep(1)
                if engine.poll() is not None:  # as systemd would: started again
                    assert engine.returncode == 2, events.read_text()[-2000:]
                    said = [e["error"] for e in events_of(events) if e["event"] == "error"]
                    restarts.append(said[-1] if said else "(no error line)")
                    events = tmp_path / f"engine-{round_}.jsonl"
                    engine = start(config, events)
            time.sleep(2)
        finally:
            engine.send_signal(signal.SIGTERM)
            try:
                engine.wait(timeout=30)
            except subprocess.TimeoutExpired:
                engine.kill()
        with faults_off(settings):
            final = subprocess.run(
                [*LEADSYNC, "sync", "--headless", "--once", "--config", str(config)],
                capture_output=True,
                text=True,
                timeout=180,
            )
        assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-2000:]
        left, open_fields = asyncio.run(outbox_state(database))
        with faults_off(settings):
            truth = asyncio.run(truth_of(settings))

    assert left == 0
    assert_converged(truth, open_fields)
    resman_only = set(before.prospects) - set(before.claimed)
    made = len(resman_only) + len(ledger.walk_ins) + len(ledger.new_leads)
    assert len(truth.leads) == len(before.leads) + made
    assert len(truth.prospects) == len(truth.claimed)
    for cid, note in ledger.domiq_notes.items():
        assert truth.leads[cid].notes == note
    assert cut >= CUTS  # the engine's connections were there to cut
    assert all("cannot reach the PostgreSQL store" in error for error in restarts), restarts
    assert len(restarts) < CUTS, restarts  # most cuts pass without a restart
    print(f"{CUTS} cuts ({cut} connections): {len(restarts)} restart(s)")
