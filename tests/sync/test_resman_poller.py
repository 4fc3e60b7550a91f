"""The ResMan poll on the real ResMan simulator with its clock set apart from ours: the
cursor advances on ResMan's time, the overlap's re-reads are dropped, a local clock step
neither raises nor loses an edit, and a large skew is said (log, journal, `status`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.clients.resman_clock import ResmanClock
from leadsync_tui.commands.status_run import run_status
from leadsync_tui.config import ResmanProperty, Settings
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import Cursor
from leadsync_tui.sync.clock_skew import CLOCK_CURSOR
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.resman_poller import PollResult, ResmanPoller
from leadsync_tui.wiring import demo_database_file
from tests.clients.sim_fixtures import (
    ACCOUNT,
    API_KEY,
    PARTNER,
    T0,
    ResmanWorld,
    fast_retry,
    resman_client,
    resman_world,
)
from tests.clocks import FrozenClock


@dataclass
class PollRig:
    world: ResmanWorld
    ours: FrozenClock
    db: Database
    resman: ResmanClient
    poller: ResmanPoller
    events: list[dict[str, Any]] = field(default_factory=list)

    def tick(self, seconds: float) -> None:
        """Time passes, on both clocks alike."""
        self.world.clock.advance(seconds)
        self.ours.advance(seconds)

    async def poll(self) -> PollResult:
        """One poll, applied (as a reconcile pass that had nothing to defer)."""
        result = await self.poller.poll()
        await self.poller.commit(result)
        return result

    async def cursor(self) -> str | None:
        return await self.db.get_cursor(Cursor.RESMAN_MODIFIED_THROUGH)


@asynccontextmanager
async def poll_rig(
    tmp_path: Path,
    ours_ahead_by: timedelta,
    database: Path | None = None,
    *,
    dateless: bool = False,
) -> AsyncIterator[PollRig]:
    """The simulator's clock at T0, ours `ours_ahead_by` from it (negative: behind);
    `dateless`: a front door that strips ResMan's `Date` header."""
    world = resman_world()
    ours = FrozenClock(T0 + ours_ahead_by)
    database = database or tmp_path / "leadsync.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    db = await Database.open(database, now=ours)
    mapping = PropertyMapping({"prop_oak": ResmanProperty(property_id=world.prop.property_id)})
    try:
        async with dateless_client(world) if dateless else resman_client(world) as resman:
            resman.clock = ResmanClock(wall=ours)
            events: list[dict[str, Any]] = []
            poller = ResmanPoller(db, resman, mapping, ours, Journal(events.append, ours))
            yield PollRig(world, ours, db, resman, poller, events)
    finally:
        await db.close()


class NoDate:
    """A proxy in front of ResMan that drops the `Date` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def stripped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"date"]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stripped)


def dateless_client(world: ResmanWorld) -> ResmanClient:
    transport = httpx.ASGITransport(app=NoDate(world.app), client=("127.0.0.1", 40000))
    return ResmanClient(
        "http://api.myresman.test",
        PARTNER,
        SecretStr(API_KEY),
        ACCOUNT,
        retry=fast_retry(),
        transport=transport,
    )


def seed(rig: PollRig, count: int) -> list[str]:
    pid = rig.world.prop.property_id
    return [
        rig.world.state.seed_prospect(
            pid, f"Guest{i}", "Polled", email=f"g{i}@example.com"
        ).prospect_id
        for i in range(count)
    ]


@pytest.mark.parametrize("skew_s", [120, -120, 3600], ids=["ahead", "behind", "hour-ahead"])
async def test_an_agent_edit_is_read_whatever_our_clock_says(tmp_path: Path, skew_s: int) -> None:
    async with poll_rig(tmp_path, timedelta(seconds=skew_s)) as rig:
        [guest, *_] = seed(rig, 3)
        assert len((await rig.poll()).prospects) == 3
        for round_ in range(3):
            rig.tick(5)
            rig.world.state.edit_prospect(guest, email=f"moved{round_}@example.com")
            polled = await rig.poll()
            assert set(polled.prospects) == {guest}
            assert polled.prospects[guest].prospect.email == f"moved{round_}@example.com"
            # the cursor is ResMan's time (its Date), not ours
            assert await rig.cursor() == rig.world.clock.at.isoformat()


async def test_our_clock_stepping_back_an_hour_neither_raises_nor_loses_an_edit(
    tmp_path: Path,
) -> None:
    async with poll_rig(tmp_path, timedelta(0)) as rig:
        [guest, *_] = seed(rig, 2)
        await rig.poll()
        before = await rig.cursor()
        rig.ours.at -= timedelta(hours=1)
        rig.world.clock.advance(5)
        rig.world.state.edit_prospect(guest, email="after.step@example.com")
        polled = await rig.poll()
        assert polled.prospects[guest].prospect.email == "after.step@example.com"
        after = await rig.cursor()
        assert before is not None and after is not None and after > before


async def test_without_resmans_date_the_poll_falls_back_on_our_clock_and_never_goes_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with poll_rig(tmp_path, timedelta(0), dateless=True) as rig:
        [guest, *_] = seed(rig, 2)
        with caplog.at_level(logging.WARNING):
            await rig.poll()
            first = await rig.cursor()
            assert first == rig.ours.at.isoformat()
            rig.ours.at -= timedelta(hours=1)
            rig.world.clock.advance(5)
            rig.world.state.edit_prospect(guest, email="dateless@example.com")
            polled = await rig.poll()  # our clock is an hour behind its own cursor now
        assert polled.prospects[guest].prospect.email == "dateless@example.com"
        assert await rig.cursor() == first
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "ResMan's answers carry no Date header: the poll window follows this machine's "
        "clock, which must then agree with ResMan's"
    ]


async def test_the_overlap_rereads_what_was_applied_and_drops_it(tmp_path: Path) -> None:
    async with poll_rig(tmp_path, timedelta(0)) as rig:
        guests = seed(rig, 4)
        assert set((await rig.poll()).prospects) == set(guests)
        rig.tick(10)  # still inside the overlap: ResMan answers all four again
        again = await rig.poll()
        assert again.prospects == {} and again.dropped == 4
        rig.tick(10)
        rig.world.state.edit_prospect(guests[2], email="changed@example.com")
        changed = await rig.poll()
        assert set(changed.prospects) == {guests[2]} and changed.dropped == 3


async def test_a_poll_not_applied_is_read_again_in_full(tmp_path: Path) -> None:
    async with poll_rig(tmp_path, timedelta(0)) as rig:
        guests = seed(rig, 3)
        await rig.poller.poll()  # read, but the pass deferred: no commit
        rig.tick(5)
        assert set((await rig.poll()).prospects) == set(guests)


async def test_a_cursor_left_in_resmans_future_is_noticed_and_everything_read_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with poll_rig(tmp_path, timedelta(0)) as rig:
        guests = seed(rig, 3)
        # an older leadsync on a clock an hour fast stored its own "now"
        await rig.db.set_cursor(
            Cursor.RESMAN_MODIFIED_THROUGH, (T0 + timedelta(hours=1)).isoformat()
        )
        with caplog.at_level(logging.WARNING):
            polled = await rig.poll()
        assert set(polled.prospects) == set(guests)
        assert await rig.cursor() == T0.isoformat()
    assert "ahead of ResMan's time" in caplog.text


def test_a_large_skew_is_warned_once_journaled_and_named_by_status(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def skewed_then_fixed() -> tuple[PollRig, list[str]]:
        async with poll_rig(tmp_path, timedelta(minutes=2), demo_database_file()) as rig:
            seed(rig, 2)
            with caplog.at_level(logging.INFO):
                await rig.poll()
                rig.tick(5)
                await rig.poll()
            warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            statuses.append(await asyncio.to_thread(status_of))  # a 2nd process
            rig.ours.at = rig.world.clock.at  # NTP set it right
            rig.tick(5)
            await rig.poll()
            return rig, warned

    statuses: list[str] = []
    rig, warned = asyncio.run(skewed_then_fixed())
    assert warned == [
        "this machine's clock is 2 min 0 s ahead of ResMan's: the ResMan poll follows "
        "ResMan's time; set this clock right (NTP)"
    ]
    skews = [e for e in rig.events if e["event"] == "clock_skew"]
    assert [(e["skew_s"], e["in_step"]) for e in skews] == [(120.0, False), (0.0, True)]
    skewed = statuses[0]
    assert "leadsync status: degraded" in skewed
    assert "this machine's clock is 2 min 0 s ahead of ResMan's" in skewed
    assert "endpoints and credentials" not in skewed
    fixed = status_of()
    assert "leadsync status: healthy" in fixed and "clock" not in fixed
    recorded = json.loads(asyncio.run(cursor_of(CLOCK_CURSOR)) or "{}")
    assert recorded["skew_s"] == 0.0


def status_of() -> str:
    out = StringIO()
    run_status(Settings(), as_json=False, out=out, err=StringIO())  # the demo database
    return out.getvalue()


async def cursor_of(name: str) -> str | None:
    db = await Database.open(demo_database_file())
    try:
        return await db.get_cursor(name)
    finally:
        await db.close()
