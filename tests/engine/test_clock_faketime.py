"""A clock that disagrees with ResMan's, as production meets it: `leadsync sync --headless`
runs under libfaketime (its wall clock shifted, or stepped back mid-run) against a
separately started `leadsync sim` on the real clock. Agents edit prospects in ResMan
through the simulator's MITS route; every edit must reach DomIQ, and `leadsync status`
must name the clock, not the endpoints and credentials.

libfaketime is the Debian package `faketime` (`make test` installs it when it can).
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.mits import (
    Prospect,
    ProspectFields,
    ProspectIds,
    ProspectName,
    build_update,
)
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.config import Settings, load_settings
from leadsync_tui.models import Lead
from leadsync_tui.sim.command import CONFIG_BEGIN, CONFIG_END
from leadsync_tui.store.db import Database
from leadsync_tui.sync.mapping import lead_to_fields

LEADSYNC = (sys.executable, "-m", "leadsync_tui.cli")
EDITS = 10


def libfaketime() -> str:
    """The path of libfaketime; skips (with a warning in the summary) when it is absent."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1")) + sorted(
        glob.glob("/usr/lib/faketime/libfaketime.so.1")
    )
    if not found:
        reason = (
            "libfaketime is not installed, so the clock-skew end-to-end tests did NOT run: "
            "install it (Debian: apt-get install faketime; `make test` does it as root)"
        )
        warnings.warn(reason, stacklevel=2)
        pytest.skip(reason)
    return found[0]


def faked(lib: str, **knobs: str) -> dict[str, str]:
    """An environment running under libfaketime. Only the wall clock is faked, as an NTP
    step moves it: the monotonic clock (asyncio's timers) goes on."""
    env = dict(os.environ)
    env.update(LD_PRELOAD=lib, FAKETIME_DONT_FAKE_MONOTONIC="1", **knobs)
    return env


@contextmanager
def sim_process() -> Iterator[str]:
    """`leadsync sim` on free ports and the real clock; yields its printed config block."""
    process = subprocess.Popen(
        [
            *LEADSYNC,
            "sim",
            "--domiq-port=0",
            "--resman-port=0",
            "--leads=30",
            "--activity-per-min=0",
            "--seed=11",
        ],
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


@contextmanager
def rig(tmp_path: Path) -> Iterator[tuple[Path, Settings]]:
    with sim_process() as block:
        config = tmp_path / "leadsync.toml"
        database = tmp_path / "leadsync.db"
        config.write_text(
            block + f'\n[sync]\ndatabase = "{database}"\npoll_interval = 1\nrequest_timeout = 5\n'
        )
        config.chmod(0o600)
        yield config, load_settings(config).settings


def sync_once(config: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    run = subprocess.run(
        [*LEADSYNC, "sync", "--headless", "--once", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    return [_event(line) for line in run.stdout.splitlines()]


def _event(line: str) -> dict[str, Any]:
    try:
        event: dict[str, Any] = json.loads(line)
    except ValueError:
        raise AssertionError(f"not one JSON object: {line!r}") from None
    return event


async def domiq_leads(settings: Settings) -> dict[str, Lead]:
    async with DomiqClient.from_settings(settings.domiq) as domiq:
        return {lead.conversation_id: lead async for lead in domiq.iter_leads(page_size=500)}


async def open_conflicts(settings: Settings) -> set[str]:
    db = await Database.open(settings.sync.database)
    try:
        return {c.conversation_id for c in await db.open_conflicts()}
    finally:
        await db.close()


async def agents_edit_rents(settings: Settings) -> dict[str, int]:
    """An agent changes the desired rent of `EDITS` synced leads' prospects in ResMan
    (a MITS update post, as ResMan's UI would store it); the rent by conversation id."""
    leads = await domiq_leads(settings)
    busy = await open_conflicts(settings)
    chosen = sorted(
        (
            lead
            for lead in leads.values()
            if lead.resman_prospect_id and lead.conversation_id not in busy
        ),
        key=lambda lead: lead.conversation_id,
    )[:EDITS]
    assert len(chosen) == EDITS
    rents: dict[str, int] = {}
    async with ResmanClient.from_settings(settings.resman) as resman:
        for n, lead in enumerate(chosen):
            property_id = settings.resman.properties[lead.property_id].property_id
            [prospect] = await resman.search_prospects(
                property_id, prospect_id=lead.resman_prospect_id
            )
            assert prospect.person_id is not None
            rent = 2001 + 37 * n  # odd figures no seeded lead has
            assert lead_to_fields(lead)["max_rent"] != rent
            ids = ProspectIds(prospect_id=prospect.prospect_id, person_id=prospect.person_id)
            # the name goes with every post, as ResMan's integrators send it
            fields = ProspectFields(
                first_name=prospect.first_name, last_name=prospect.last_name, desired_rent=rent
            )
            await resman.post_lead(property_id, build_update(ids, fields, name=_name(prospect)))
            rents[lead.conversation_id] = rent
    return rents


async def arrived(settings: Settings, rents: dict[str, int]) -> int:
    """How many of the ResMan edits DomIQ shows."""
    leads = await domiq_leads(settings)
    return sum(1 for cid, rent in rents.items() if lead_to_fields(leads[cid])["max_rent"] == rent)


def status_text(config: Path) -> str:
    run = subprocess.run(
        [*LEADSYNC, "status", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert "Traceback" not in run.stderr
    return run.stdout


@pytest.mark.parametrize(("offset", "side"), [("+2m", "ahead of"), ("-2m", "behind")])
def test_every_resman_edit_arrives_with_the_engine_clock_off_by_two_minutes(
    tmp_path: Path, offset: str, side: str
) -> None:
    env = faked(libfaketime(), FAKETIME=offset)
    with rig(tmp_path) as (config, settings):
        sync_once(config, env)
        rents = asyncio.run(agents_edit_rents(settings))
        events = sync_once(config, env)
        assert asyncio.run(arrived(settings, rents)) == EDITS
        assert not [e for e in events if e["event"] == "reconcile_failed"]
        status = status_text(config)
    assert re.search(rf"this machine's clock is (1 min 5\d|2 min \d) s {side} ResMan's", status)
    assert "endpoints and credentials" not in status


class Engine:
    """A long-running `leadsync sync --headless` whose journal lines are read as they come."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*LEADSYNC, "sync", "--headless", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:  # shown by `passes`, not lost with this thread
                self.events.put({"event": "unreadable", "line": line})

    def passes(self, count: int, within_s: float = 90.0) -> None:
        """Wait for `count` more completed reconcile passes."""
        deadline = time.monotonic() + within_s
        while count:
            event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            self.seen.append(event)
            assert event["event"] != "unreadable", f"not one JSON object: {event['line']!r}"
            if event["event"] in ("reconcile", "reconcile_failed"):
                count -= 1

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=30)
        return err


def test_every_resman_edit_arrives_after_the_clock_steps_back_an_hour_mid_run(
    tmp_path: Path,
) -> None:
    clock = tmp_path / "faketime"
    clock.write_text("+0\n")
    env = faked(libfaketime(), FAKETIME_TIMESTAMP_FILE=str(clock), FAKETIME_CACHE_DURATION="1")
    with rig(tmp_path) as (config, settings):
        engine = Engine(config, env)
        try:
            engine.passes(3)  # everything linked and settled on the real time
            clock.write_text("-1h\n")
            time.sleep(1.5)  # libfaketime rereads the file once a second
            engine.passes(2)
            stepped = len(engine.seen)
            rents = asyncio.run(agents_edit_rents(settings))
            deadline = time.monotonic() + 90
            while asyncio.run(arrived(settings, rents)) < EDITS and time.monotonic() < deadline:
                engine.passes(1)
            got = asyncio.run(arrived(settings, rents))
        finally:
            err = engine.stop()
    assert got == EDITS
    assert not [e for e in engine.seen[stepped:] if e["event"] == "reconcile_failed"]
    assert "Traceback" not in err


def _name(prospect: Prospect) -> ProspectName:
    """The name every post carries, as ResMan holds it."""
    assert prospect.first_name and prospect.last_name
    return ProspectName(first_name=prospect.first_name, last_name=prospect.last_name)
