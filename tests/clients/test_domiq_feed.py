"""DomiqFeed against the real DomIQ simulator over loopback WebSockets."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

from leadsync_tui.clients.domiq_feed import DomiqFeed, FeedState
from leadsync_tui.clients.domiq_frames import decode_frame, events_url
from leadsync_tui.models import EventType, SyncEvent
from leadsync_tui.sim.faults import FaultSettings
from tests.clients.sim_fixtures import (
    TOKEN,
    DomiqSim,
    WsCounter,
    domiq_sim,
    lead_data,
    served,
    sim_stats,
)
from tests.waiting import eventually


@dataclass
class Recorder:
    events: list[SyncEvent] = field(default_factory=list)
    states: list[FeedState] = field(default_factory=list)

    async def on_event(self, event: SyncEvent) -> None:
        self.events.append(event)

    def on_state(self, state: FeedState) -> None:
        self.states.append(state)

    @property
    def ids(self) -> list[int | None]:
        return [e.id for e in self.events if e.type is not EventType.RESYNC_REQUIRED]

    @property
    def connected(self) -> bool:
        return bool(self.states) and self.states[-1].connected


@asynccontextmanager
async def running(feed: DomiqFeed) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(feed.run())
    try:
        yield task
    finally:
        feed.stop()
        await asyncio.wait_for(task, 5)


def new_feed(base_url: str, recorder: Recorder, **options: Any) -> DomiqFeed:
    settings: dict[str, Any] = {
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "stale_after": 5.0,
    }
    settings.update(options)
    token = settings.pop("token", TOKEN)
    return DomiqFeed(
        base_url,
        SecretStr(token),
        on_event=recorder.on_event,
        on_state=recorder.on_state,
        **settings,
    )


def make_events(sim: DomiqSim, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        sim.state.create_lead(lead_data(first_name=f"P{i}", email=None), f"feed-{i}")


async def test_live_events_are_delivered_in_order() -> None:
    sim = domiq_sim()
    recorder = Recorder()
    async with served(sim.app) as base_url:
        feed = new_feed(base_url, recorder)
        async with running(feed):
            await eventually(lambda: sim.state.subscriber_count == 1)
            await eventually(lambda: recorder.connected)
            make_events(sim, 5)
            [cid] = [sim.state.all_leads()[0].conversation_id]
            sim.state.edit_lead(cid, {"notes": "updated"})
            await eventually(lambda: len(recorder.events) == 6)
    assert recorder.ids == [1, 2, 3, 4, 5, 6]
    assert [e.type for e in recorder.events] == [EventType.LEAD_CREATED] * 5 + [
        EventType.LEAD_UPDATED
    ]
    lead = recorder.events[-1].lead()
    assert lead is not None and lead.notes == "updated"
    assert feed.last_event_id == 6
    assert recorder.states[0].connected
    assert not recorder.states[-1].connected  # stop() reports the disconnect


async def test_heartbeats_update_last_ping_and_are_not_events() -> None:
    sim = domiq_sim(heartbeat_interval=0.05)
    make_events(sim, 3)  # before we connect: the feed starts from now
    recorder = Recorder()
    async with served(sim.app) as base_url:
        feed = new_feed(base_url, recorder)
        async with running(feed):
            await eventually(lambda: feed.state.last_ping is not None)
            assert feed.state.connected
    assert recorder.events == []
    assert feed.last_event_id == 3  # adopted from the heartbeat: the resume point
    assert any(s.last_ping is not None for s in recorder.states)


async def test_a_stale_socket_is_treated_as_dropped() -> None:
    sim = domiq_sim(heartbeat_interval=30.0)
    recorder = Recorder()
    async with served(sim.app) as base_url:
        feed = new_feed(base_url, recorder, stale_after=0.1)
        async with running(feed):
            await eventually(
                lambda: any("no frame" in (s.last_error or "") for s in recorder.states)
            )
            await eventually(lambda: recorder.connected)
    assert any(s.reconnect_attempts >= 1 for s in recorder.states)


async def test_drops_reconnect_and_resume_without_missing_or_repeating() -> None:
    faults = FaultSettings(seed=11, ws_drop_rate=0.25)
    sim = domiq_sim(faults=faults)
    recorder = Recorder()
    async with served(sim.app) as base_url:
        feed = new_feed(base_url, recorder, since=0)
        async with running(feed):
            await eventually(lambda: recorder.connected)
            make_events(sim, 40)
            await eventually(lambda: len(recorder.events) >= 40, within_s=10)
            await asyncio.sleep(0.05)  # anything extra (a duplicate) would arrive by now
        stats = await sim_stats(sim.app)
    assert recorder.ids == list(range(1, 41))
    assert stats["faults"]["ws_drop"] > 0
    assert stats["ws_connections"] > 1
    assert max(s.reconnect_attempts for s in recorder.states) >= 1
    assert any(s.last_error == "connection dropped" for s in recorder.states)


async def test_resync_required_is_delivered_when_since_is_too_old() -> None:
    sim = domiq_sim(event_window=3)
    make_events(sim, 10)  # events 1..10; only 8..10 are kept
    recorder = Recorder()
    async with served(sim.app) as base_url:
        feed = new_feed(base_url, recorder, since=2)
        async with running(feed):
            await eventually(lambda: len(recorder.events) == 1)
            make_events(sim, 2, start=10)
            await eventually(lambda: len(recorder.events) == 3)
    assert recorder.events[0].type is EventType.RESYNC_REQUIRED
    assert recorder.ids == [11, 12]
    assert feed.last_event_id == 12


async def test_a_bad_token_parks_the_feed_instead_of_looping() -> None:
    sim = domiq_sim()
    counted = WsCounter(sim.app)
    recorder = Recorder()
    wrong = "wrong-token-0bad"
    async with served(counted) as base_url:
        feed = new_feed(base_url, recorder, token=wrong, backoff_initial=0.001)
        async with running(feed):
            await eventually(lambda: feed.state.auth_failed)
            await asyncio.sleep(0.3)  # a tight loop would reconnect dozens of times here
            assert counted.attempts == 1
            feed.request_reconnect()  # the UI's key: one more try
            await eventually(lambda: counted.attempts == 2)
            await asyncio.sleep(0.05)
            assert counted.attempts == 2
    assert feed.state.auth_failed
    assert not feed.state.connected
    assert recorder.events == []
    last_error = feed.state.last_error or ""
    assert "refused the token" in last_error
    assert wrong not in last_error


async def test_request_reconnect_forces_a_new_connection_and_resumes() -> None:
    sim = domiq_sim()
    recorder = Recorder()
    async with served(sim.app) as base_url:
        feed = new_feed(base_url, recorder, backoff_initial=5.0, backoff_max=5.0)
        async with running(feed):
            await eventually(lambda: sim.state.subscriber_count == 1)
            make_events(sim, 2)
            await eventually(lambda: len(recorder.events) == 2)
            feed.request_reconnect()
            await eventually(lambda: sim.app.state.stats.ws_connections == 2, within_s=2)
            make_events(sim, 2, start=2)
            await eventually(lambda: len(recorder.events) == 4, within_s=2)  # no 5 s backoff
        stats = await sim_stats(sim.app)
    assert recorder.ids == [1, 2, 3, 4]
    assert stats["ws_connections"] == 2


async def test_bad_frames_are_counted_and_skipped() -> None:
    sim = domiq_sim()
    counted = WsCounter(sim.app, garbage=["not json", '{"type": "lead.exploded", "id": 1}'])
    recorder = Recorder()
    async with served(counted) as base_url:
        feed = new_feed(base_url, recorder)
        async with running(feed):
            await eventually(lambda: sim.state.subscriber_count == 1)
            make_events(sim, 2)
            await eventually(lambda: len(recorder.events) == 2)
    assert recorder.ids == [1, 2]
    assert feed.state.bad_frames == 2
    assert counted.attempts == 1  # skipped, not a reason to reconnect


async def test_an_unreachable_server_backs_off_and_reports_attempts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = Recorder()
    feed = new_feed(f"http://127.0.0.1:{port}", recorder, backoff_initial=0.01, backoff_max=0.02)
    async with running(feed):
        await eventually(lambda: feed.state.reconnect_attempts >= 3)
    assert not any(s.connected for s in recorder.states)
    assert "cannot connect" in (feed.state.last_error or "")


async def test_an_engine_failure_stops_the_feed_without_advancing() -> None:
    sim = domiq_sim()

    async def failing(event: SyncEvent) -> None:
        raise RuntimeError("engine bug")

    states: list[FeedState] = []
    async with served(sim.app) as base_url:
        feed = DomiqFeed(base_url, SecretStr(TOKEN), on_event=failing, on_state=states.append)
        task = asyncio.create_task(feed.run())
        await eventually(lambda: sim.state.subscriber_count == 1)
        make_events(sim, 1)
        with pytest.raises(RuntimeError, match="engine bug"):
            await asyncio.wait_for(task, 5)
    assert feed.last_event_id is None
    assert not feed.state.connected


async def test_the_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sim = domiq_sim()
    recorder = Recorder()
    async with served(sim.app) as base_url:
        feed = new_feed(base_url, recorder)
        async with running(feed):
            await eventually(lambda: sim.state.subscriber_count == 1)
    assert TOKEN not in caplog.text


def test_decode_frame_refuses_what_is_not_an_event() -> None:
    assert decode_frame(b"\xff\xfe") is None
    assert decode_frame("[]") is None
    assert decode_frame('{"type": "lead.updated"}') is None  # an event needs an id
    assert decode_frame('{"id": "x", "type": "lead.updated"}') is None
    assert decode_frame('{"type": "resync_required"}') == SyncEvent(type=EventType.RESYNC_REQUIRED)
    beat = decode_frame('{"id": 4, "type": "heartbeat", "at": "2026-11-24T09:00:00Z"}')
    assert beat is not None and (beat.id, beat.type) == (4, EventType.HEARTBEAT)


def test_events_url() -> None:
    assert (
        events_url("https://api.domiq.example/", 42) == "wss://api.domiq.example/v1/events?since=42"
    )
    assert events_url("http://127.0.0.1:8000", None) == "ws://127.0.0.1:8000/v1/events"
    with pytest.raises(ValueError):
        events_url("ftp://nope", None)
