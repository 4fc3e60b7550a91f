"""`leadsync sync --headless` under a service manager: SIGHUP reloads the configuration,
SIGTERM stops cleanly. Real processes: a `leadsync sim` and the engine, JSON lines read
as journald would get them."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from leadsync_tui.config import load_settings
from leadsync_tui.sim.command import CONFIG_BEGIN, CONFIG_END
from leadsync_tui.sim.world_records import DOMIQ_TOKEN, RESMAN_API_KEY
from leadsync_tui.store.db import Database
from tests.engine.conftest import truth_of

LEADSYNC = (sys.executable, "-m", "leadsync_tui.cli")
Event = dict[str, Any]


@contextmanager
def sim_process(*options: str) -> Iterator[str]:
    """`leadsync sim` on free ports; yields its printed config block."""
    process = subprocess.Popen(
        [*LEADSYNC, "sim", "--domiq-port=0", "--resman-port=0", "--activity-per-min=0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert process.stdout is not None
    try:
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith(CONFIG_END):
                break
        block = lines[lines.index(CONFIG_BEGIN) + 1 : lines.index(CONFIG_END)]
        yield "\n".join(block) + "\n"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)


class Engine:
    """A running `leadsync sync --headless`, its JSON lines read as they come."""

    def __init__(self, config: Path) -> None:
        self.process = subprocess.Popen(
            [*LEADSYNC, "sync", "--headless", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        self.events: list[Event] = []
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)

    def until(self, done: Callable[[list[Event]], bool], what: str, within: float = 90) -> None:
        """Read lines until `done(events)`; a hang fails after `within` seconds."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + within
        while not done(self.events):
            assert time.monotonic() < deadline, f"no {what} within {within} s: {self.events[-5:]}"
            assert self.process.poll() is None, f"engine exited: {self.process.stderr}"
            if self._selector.select(timeout=1):
                line = self.process.stdout.readline()
                if line:
                    self.events.append(json.loads(line))

    def after(self, event: str) -> list[Event]:
        """The events after the last `event` line."""
        names = [e["event"] for e in self.events]
        last = len(names) - 1 - names[::-1].index(event)
        return self.events[last + 1 :]

    def stop(self) -> tuple[int, list[Event], str]:
        """SIGTERM; (exit code, every line, stderr)."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=60)
        self._selector.close()
        self.events += [json.loads(line) for line in out.splitlines()]
        return self.process.returncode, self.events, err


def full_passes(events: list[Event]) -> int:
    """Reconcile passes that polled ResMan (the `poll_interval` rhythm)."""
    return sum(1 for e in events if e["event"] == "reconcile" and "prospects_polled" in e)


def write_config(path: Path, block: str, **sync: object) -> None:
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in sync.items())
    path.write_text(f"{block}\n[sync]\n{lines}")
    path.chmod(0o600)


def test_sighup_applies_a_changed_poll_interval_and_names_what_needs_a_restart(
    tmp_path: Path,
) -> None:
    config = tmp_path / "leadsync.toml"
    database = str(tmp_path / "leadsync.db")
    with sim_process("--leads=40") as block:
        write_config(config, block, database=database, poll_interval=3600)
        engine = Engine(config)
        try:
            engine.until(lambda events: full_passes(events) >= 1, "first reconcile pass")
            write_config(
                config,
                block,
                database=str(tmp_path / "elsewhere.db"),
                poll_interval=0.5,
                max_attempts=3,
            )
            engine.process.send_signal(signal.SIGHUP)
            engine.until(lambda events: any(e["event"] == "reloaded" for e in events), "reload")
            # an hour between passes before; now they come every half second
            engine.until(lambda _: full_passes(engine.after("reloaded")) >= 3, "new rhythm")
        finally:
            code, events, err = engine.stop()

    (reloaded,) = [e for e in events if e["event"] == "reloaded"]
    assert reloaded["path"] == str(config)
    assert reloaded["applied"] == ["sync.max_attempts", "sync.poll_interval"]
    assert reloaded["poll_interval"] == 0.5
    assert reloaded["needs_restart"] == ["sync.database"]
    assert "systemctl restart leadsync-sync" in reloaded["hint"]
    assert code == 0, err
    assert events[-1]["event"] == "stopped"
    assert not (tmp_path / "elsewhere.db").exists()  # the running store stayed
    for secret in (DOMIQ_TOKEN, RESMAN_API_KEY):
        assert secret not in json.dumps(events) + err


def test_sighup_with_a_broken_config_keeps_the_running_one_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "leadsync.toml"
    database = str(tmp_path / "leadsync.db")
    with sim_process("--leads=40") as block:
        write_config(config, block, database=database, poll_interval=0.5)
        engine = Engine(config)
        try:
            engine.until(lambda events: full_passes(events) >= 1, "first reconcile pass")
            config.write_text(block + "\n[sync\npoll_interval = 3600\n")  # not TOML
            engine.process.send_signal(signal.SIGHUP)
            engine.until(lambda es: any(e["event"] == "reload_refused" for e in es), "refusal")
            # still syncing, at the old rhythm
            engine.until(lambda _: full_passes(engine.after("reload_refused")) >= 2, "passes")
            write_config(config, block, database=database, poll_interval=-1)  # invalid
            engine.process.send_signal(signal.SIGHUP)
            engine.until(
                lambda es: sum(e["event"] == "reload_refused" for e in es) == 2, "second refusal"
            )
            engine.until(lambda _: full_passes(engine.after("reload_refused")) >= 2, "passes")
        finally:
            code, events, err = engine.stop()

    refused = [e for e in events if e["event"] == "reload_refused"]
    assert "not valid TOML" in " ".join(refused[0]["problems"])
    assert "sync.poll_interval" in " ".join(refused[1]["problems"])
    assert all(e["kept"] == "the running configuration" for e in refused)
    assert all(e["path"] == str(config) for e in refused)
    assert not any(e["event"] == "reloaded" for e in events)
    assert code == 0, err
    assert events[-1]["event"] == "stopped"


async def outbox_counts(path: Path) -> tuple[int, int, int]:
    """(pending, in flight, failed), read as a second process would."""
    db = await Database.open(path)
    try:
        counts = await db.outbox_counts()
        return counts.pending, counts.in_flight, counts.failed
    finally:
        await db.close()


@pytest.mark.slow
def test_sigterm_mid_run_lets_writes_in_flight_finish_and_exits_0(tmp_path: Path) -> None:
    config = tmp_path / "leadsync.toml"
    database = tmp_path / "leadsync.db"
    with sim_process("--leads=60", "--latency-ms=200", "--seed=11") as block:
        write_config(config, block, database=str(database), request_timeout=5, concurrency=4)
        settings = load_settings(config).settings
        before = asyncio.run(truth_of(settings))
        engine = Engine(config)
        try:  # stop it once the first writes have landed: more are in flight, more queued
            engine.until(lambda events: sum(e["event"] == "attempt" for e in events) >= 3, "writes")
        finally:
            code, events, err = engine.stop()
        pending, in_flight, failed = asyncio.run(outbox_counts(database))
        assert code == 0, err
        assert events[-1]["event"] == "stopped"
        assert in_flight == 0  # every write it had started ended: confirmed or back in the queue
        assert pending > 0  # it claimed nothing more after the signal: work was left
        assert failed == 0

        finish = subprocess.run(
            [*LEADSYNC, "sync", "--headless", "--once", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=300,
            env=dict(os.environ),
        )
        assert finish.returncode == 0, finish.stdout[-2000:] + finish.stderr[-2000:]
        truth = asyncio.run(truth_of(settings))

    # nothing doubled: one prospect per linked lead, no lead made twice
    assert len(truth.prospects) == len(truth.claimed)
    assert all(count == 1 for count in truth.claimed.values())
    assert len(truth.leads) == len(before.leads) + len(set(before.prospects) - set(before.claimed))
