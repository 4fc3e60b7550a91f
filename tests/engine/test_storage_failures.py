"""The sync database misbehaving under a real engine: a read-only file, a write lock
another process holds, a result that cannot be stored. Each ends in one line naming the
problem and the fix, exit code 2, no traceback, no hang; nothing queued is lost."""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadsync_tui.models import Lead, SyncDirection, SyncStatus, SyncType, utc_now
from leadsync_tui.store import sqlite_link
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import LinkWrite
from leadsync_tui.store.records import NewOutboxItem, OutboxItem, OutboxStatus
from leadsync_tui.sync.send_outcome import Outcome
from leadsync_tui.sync.wait_budget import WaitBudget
from tests.engine.test_outbox_worker import T0, ScriptedSender, make_bench
from tests.waiting import eventually

LIVE = """
[domiq]
base_url = "http://127.0.0.1:9"
token = "t"
[resman]
base_url = "http://127.0.0.1:9"
integration_partner_id = "leadsync"
api_key = "k"
account_id = 400
[sync]
database = "{database}"
"""

# Root ignores file modes; without these capabilities it is held to them like anyone.
_NO_OVERRIDE = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def _config(tmp_path: Path, database: Path) -> Path:
    config = tmp_path / "leadsync.toml"
    config.write_text(LIVE.format(database=database))
    config.chmod(0o600)
    return config


def _make_database(path: Path, queued: int) -> None:
    """A migrated database holding `queued` outbox items (one left `in_flight`)."""

    async def make() -> None:
        db = await Database.open(path)
        try:
            await db.upsert_leads(
                [
                    Lead(
                        conversation_id=f"cnv_{n}",
                        created_at=T0,
                        updated_at=T0,
                        property_id="prop_a",
                        first_name="Ann",
                        last_name="Lee",
                    )
                    for n in range(queued)
                ]
            )
            await db.enqueue(
                [
                    NewOutboxItem(
                        conversation_id=f"cnv_{n}",
                        direction=SyncDirection.DOMIQ_TO_RESMAN,
                        sync_type=SyncType.UPDATE,
                        payload=LinkWrite(version=1),
                        dedupe_key=f"k{n}",
                    )
                    for n in range(queued)
                ]
            )
            await db.claim_due(utc_now(), 1)
        finally:
            await db.close()

    asyncio.run(make())


def _outbox(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return list(conn.execute("SELECT id, status FROM outbox ORDER BY id"))


def _leadsync(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "leadsync_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=90,  # the bug this guards against was a process that never exited
        env=dict(os.environ),
    )


def test_a_read_only_database_is_one_line_and_exit_2_without_hanging(tmp_path: Path) -> None:
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file modes do not apply")
        prefix = _NO_OVERRIDE
    database = tmp_path / "leadsync.db"
    _make_database(database, queued=3)
    before = _outbox(database)
    database.chmod(0o400)
    run = _leadsync(
        "sync", "--headless", "--once", "--config", str(_config(tmp_path, database)), prefix=prefix
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert f"the sync database {database} is read-only" in lines[0]
    assert f"chmod u+w {database}" in lines[0]
    assert _outbox(database) == before  # nothing lost, nothing changed


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[Path]:
    """A database whose write lock this (the test's) process holds."""
    database = tmp_path / "leadsync.db"
    _make_database(database, queued=2)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield database
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_held_write_lock_names_the_process_that_holds_it(tmp_path: Path, held_lock: Path) -> None:
    run = _leadsync("sync", "--headless", "--once", "--config", str(_config(tmp_path, held_lock)))
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert f"holds the sync database {held_lock}" in lines[0]
    if Path("/proc/locks").exists():
        assert f"another process (pid {os.getpid()}" in lines[0]
    assert "permissions and free disk space" not in lines[0]  # not the cause


class LockingSender(ScriptedSender):
    """Sends, then has another connection take the write lock before the worker can
    store the result (once): another process writing to the file at that moment."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.locked = False

    async def send(self, item: OutboxItem) -> Outcome:
        outcome = await super().send(item)
        if len(self.calls) == 1:
            await asyncio.sleep(0.2)  # the worker's loop is idle, waiting on this item
            self.holder.execute("BEGIN IMMEDIATE")
            self.locked = True
        return outcome


async def test_an_item_whose_result_could_not_be_stored_goes_back_to_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_link, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "leadsync.db"
    db = await Database.open(path)
    try:
        bench = make_bench(db)
        sender = LockingSender(path)
        bench.worker._sender = sender
        bench.sender = sender
        (item_id,) = await bench.queue("cnv_a")
        drained = asyncio.create_task(bench.worker.drain(WaitBudget(30)))
        await eventually(
            lambda: any(e["event"] == "result_not_stored" for e in bench.events), within_s=10
        )
        assert [(i.id, i.status) for i in await db.outbox_items()] == [
            (item_id, OutboxStatus.IN_FLIGHT)
        ]
        sender.holder.execute("ROLLBACK")  # the other process is done
        assert await asyncio.wait_for(drained, 30)
        assert await db.outbox_items() == []  # sent again, and stored this time
        assert [call for call, _ in sender.calls if call == item_id] == [item_id, item_id]
        assert bench.status("cnv_a") is SyncStatus.SYNCED
        sender.holder.close()
    finally:
        await db.close()


def _fill(disk: Path) -> None:
    """Write to `disk` until it is full."""
    chunk = b"\0" * 65536
    with (disk / "filler").open("wb") as filler:
        try:
            while True:
                filler.write(chunk)
                filler.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MB file system (tmpfs) to fill; needs root."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr!r}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_disk_that_fills_mid_run_is_one_line_and_exit_2(small_disk: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(small_disk), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync_tui.cli", "sync", "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # the engine is running and writing
            if '"event":"attempt"' in line:
                break
        _fill(small_disk)
        _, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "ExceptionGroup" not in err
    assert "leadsync-demo.db is full" in lines[0] and "free some space" in lines[0]


def _limit_file_size() -> None:  # runs in the child, before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))


def test_a_file_size_limit_hit_during_once_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """The same as a full disk for SQLite, without root: writes past the limit fail."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "leadsync_tui.cli", "sync", "--headless", "--once"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        preexec_fn=_limit_file_size,
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    # SQLite reports EFBIG as a disk I/O error, which does not say the disk is full.
    assert "leadsync-demo.db" in lines[0] and "free disk space" in lines[0]
