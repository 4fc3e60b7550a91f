"""A team on one store (#14): three `leadsync sync --headless` on one store (a SQLite
file, and a PostgreSQL database), the
simulators failing one request in ten, the lease holder SIGKILLed ten times at random
moments while both sides change. Each time another engine takes over within the lease
expiry + 5 s; no engine sends before it holds the lease; at the end one `--once`
finishes and nothing is lost, doubled or applied twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadsync_tui.config import Settings, load_settings
from leadsync_tui.store.opening import open_database
from leadsync_tui.store.records import EngineRecord
from leadsync_tui.store_location import StoreLocation
from tests.engine.conftest import assert_converged, truth_of
from tests.engine.test_crash_safety import (
    LEADSYNC,
    Ledger,
    make_work,
    outbox_state,
    sim_process,
)
from tests.team_store import BOTH, store_block, team_store

pytestmark = [pytest.mark.slow]

SEED = 20261205
KILLS = 10
ENGINES = 3
EXPIRY_S = 3
SENDING = {"attempt", "status"}
"""Events only a sending engine writes (an attempt on DomIQ or ResMan, a status it set)."""


async def holder(where: StoreLocation) -> EngineRecord | None:
    db = await open_database(where)
    try:
        return await db.engine_record()
    finally:
        await db.close()


def events_of(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines if line.startswith("{")]


def start(config: Path, events: Path) -> subprocess.Popen[bytes]:
    with events.open("w") as out:
        return subprocess.Popen(
            [*LEADSYNC, "sync", "--headless", "--config", str(config)],
            stdout=out,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )


def live_holder(database: StoreLocation, engines: dict[int, subprocess.Popen[bytes]]) -> int:
    """The pid of the running engine that holds the lease (waits up to 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        exists = database.is_postgresql or database.sqlite_path.exists()
        record = asyncio.run(holder(database)) if exists else None
        if (
            record is not None
            and record.stopped_at is None
            and record.pid in engines
            and engines[record.pid].poll() is None
        ):
            return record.pid
        time.sleep(0.05)
    raise AssertionError("no running engine took the lease within 60 s")


@contextmanager
def faults_off(settings: Settings) -> Iterator[None]:
    """The test's own edits are made with the faults off (a lost answer would leave the
    test unsure what it made); the engines meet them the rest of the time."""
    urls = [str(settings.domiq.base_url), str(settings.resman.base_url)]
    saved = [httpx.get(f"{url.rstrip('/')}/_sim/faults").json() for url in urls]
    for url, knobs in zip(urls, saved, strict=True):
        off = {key: 0 for key, value in knobs.items() if key.endswith("_rate")}
        httpx.put(f"{url.rstrip('/')}/_sim/faults", json=off).raise_for_status()
    try:
        yield
    finally:
        for url, knobs in zip(urls, saved, strict=True):
            on = {key: value for key, value in knobs.items() if key.endswith("_rate")}
            httpx.put(f"{url.rstrip('/')}/_sim/faults", json=on).raise_for_status()


@pytest.mark.parametrize("kind", BOTH)
def test_three_engines_one_store_ten_kills_of_the_holder(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    database = team_store(kind, request, tmp_path)
    with sim_process("--fault-rate=0.1") as block:
        config = tmp_path / "leadsync.toml"
        config.write_text(
            block + f'\n[sync]\ndatabase = "{tmp_path / "leadsync.db"}"\npoll_interval = 1\n'
            f"request_timeout = 5\nlease_expiry = {EXPIRY_S}\n" + store_block(database)
        )
        config.chmod(0o600)
        settings = load_settings(config).settings
        with faults_off(settings):
            before = asyncio.run(truth_of(settings))
        ledger = Ledger()
        engines: dict[int, subprocess.Popen[bytes]] = {}
        files: dict[int, Path] = {}
        for n in range(ENGINES):
            process = start(config, tmp_path / f"engine-{n}.jsonl")
            engines[process.pid], files[process.pid] = process, tmp_path / f"engine-{n}.jsonl"
        takeovers: list[float] = []
        try:
            current = live_holder(database, engines)
            for round_ in range(KILLS):
                with faults_off(settings):
                    asyncio.run(make_work(settings, rng, ledger, round_))
                time.sleep(rng.uniform(0.3, 1.5))
                engines[current].send_signal(signal.SIGKILL)
                engines[current].wait(timeout=10)
                killed_at = time.monotonic()
                current = live_holder(database, engines)
                takeovers.append(time.monotonic() - killed_at)
                replacement = start(config, tmp_path / f"engine-r{round_}.jsonl")
                engines[replacement.pid] = replacement
                files[replacement.pid] = tmp_path / f"engine-r{round_}.jsonl"
        finally:
            for process in engines.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in engines.values():
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        with faults_off(settings):  # the last pass finishes the job it could not
            final = subprocess.run(
                [*LEADSYNC, "sync", "--headless", "--once", "--config", str(config)],
                capture_output=True,
                text=True,
                timeout=180,
                env=dict(os.environ),
            )
        assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-2000:]
        left, open_fields = asyncio.run(outbox_state(database))
        with faults_off(settings):
            truth = asyncio.run(truth_of(settings))

    # every kill was followed by a takeover within the expiry + 5 s
    assert len(takeovers) == KILLS
    assert max(takeovers) <= EXPIRY_S + 5, takeovers
    # no engine sent anything before it held the lease
    for pid, path in files.items():
        events = events_of(path)
        taken = next((i for i, e in enumerate(events) if e["event"] == "lease_taken"), None)
        sent_early = [e for e in events[:taken] if e["event"] in SENDING]
        assert not sent_early, (pid, sent_early[:3])
    # nothing lost, nothing doubled, nothing left
    assert left == 0
    assert_converged(truth, open_fields)
    resman_only = set(before.prospects) - set(before.claimed)
    made = len(resman_only) + len(ledger.walk_ins) + len(ledger.new_leads)
    assert len(truth.leads) == len(before.leads) + made
    assert len(truth.prospects) == len(truth.claimed)
    emails = Counter(lead.email for lead in truth.leads.values() if lead.email)
    assert all(emails[email] == 1 for email in ledger.walk_ins)
    for cid, note in ledger.domiq_notes.items():
        assert truth.leads[cid].notes == note
    for cid in ledger.new_leads:
        assert truth.leads[cid].resman_prospect_id in truth.prospects
    print(f"{kind}: takeover after SIGKILL: max {max(takeovers):.2f} s, all {takeovers}")
