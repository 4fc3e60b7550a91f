"""The live feed, WebSocket `/v1/events`, over a real loopback socket."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from leadsync_tui.sim.faults import FaultSettings
from tests.sim.domiq_fixtures import (
    TOKEN,
    feed,
    frame,
    lead_data,
    make_sim,
    served,
)
from tests.waiting import eventually


async def test_a_live_reader_gets_events_as_they_happen() -> None:
    sim = make_sim()
    sim.state.create_lead(lead_data(), "before")  # before connecting: not replayed
    async with served(sim) as base_url, feed(base_url) as ws:
        await eventually(lambda: sim.state.subscriber_count == 1)
        lead, _ = sim.state.create_lead(lead_data(first_name="Liam"), "k")
        sim.state.edit_lead(lead.conversation_id, {"notes": "asked about parking"})
        created, updated = await frame(ws), await frame(ws)
    assert created["id"] == 2
    assert created["type"] == "lead.created"
    assert created["at"] == "2026-11-24T09:00:00Z"
    assert created["data"]["first_name"] == "Liam"
    assert (updated["id"], updated["type"]) == (3, "lead.updated")
    assert updated["data"]["version"] == 2
    assert updated["data"]["notes"] == "asked about parking"


async def test_resuming_with_since_replays_every_later_event_then_goes_live() -> None:
    sim = make_sim()
    for i in range(4):
        sim.state.create_lead(lead_data(first_name=f"P{i}"), f"k{i}")
    async with served(sim) as base_url, feed(base_url, since=2) as ws:
        replayed = [await frame(ws), await frame(ws)]
        sim.state.create_lead(lead_data(first_name="Live"), "live")
        live = await frame(ws)
    assert [f["id"] for f in replayed] == [3, 4]
    assert [f["data"]["first_name"] for f in replayed] == ["P2", "P3"]
    assert (live["id"], live["data"]["first_name"]) == (5, "Live")


async def test_since_older_than_the_window_asks_for_a_resync_then_continues_live() -> None:
    sim = make_sim(event_window=5)
    for i in range(8):  # events 1..8; only 4..8 are kept
        sim.state.create_lead(lead_data(first_name=f"P{i}"), f"k{i}")
    assert sim.state.events_since(3) is not None
    async with served(sim) as base_url:
        async with feed(base_url, since=3) as ws:
            assert (await frame(ws))["id"] == 4  # 3 is the last seen: still resumable
        async with feed(base_url, since=2) as ws:
            first = await frame(ws)
            await eventually(lambda: sim.state.subscriber_count == 1)
            sim.state.create_lead(lead_data(first_name="Live"), "live")
            nxt = await frame(ws)
    assert first == {"type": "resync_required"}
    assert (nxt["id"], nxt["data"]["first_name"]) == (9, "Live")


async def test_since_ahead_of_the_server_asks_for_a_resync() -> None:
    sim = make_sim()  # e.g. the simulator restarted and ids began again
    async with served(sim) as base_url, feed(base_url, since=42) as ws:
        assert await frame(ws) == {"type": "resync_required"}


async def test_heartbeats_carry_the_last_event_id() -> None:
    sim = make_sim(heartbeat_interval=0.05)
    async with served(sim) as base_url, feed(base_url) as ws:
        beat = await frame(ws)
        sim.state.create_lead(lead_data(), "k")
        event = await frame(ws)
        while event["type"] == "heartbeat":  # one may have been on its way already
            event = await frame(ws)
        later = await frame(ws)
    assert beat == {"id": 0, "type": "heartbeat", "at": "2026-11-24T09:00:00Z", "data": {}}
    assert (event["id"], event["type"]) == (1, "lead.created")
    assert (later["id"], later["type"], later["data"]) == (1, "heartbeat", {})


async def test_the_token_can_come_as_a_query_parameter() -> None:
    sim = make_sim()
    async with served(sim) as base_url, feed(base_url, headers={}, since=0, token=TOKEN) as ws:
        sim.state.create_lead(lead_data(), "k")
        assert (await frame(ws))["type"] == "lead.created"


@pytest.mark.parametrize(
    ("headers", "params"),
    [({}, {}), ({"Authorization": "Bearer nope"}, {}), ({}, {"token": "nope"})],
    ids=["missing", "wrong-header", "wrong-query"],
)
async def test_a_missing_or_wrong_token_closes_with_4401(
    headers: dict[str, str], params: dict[str, str]
) -> None:
    sim = make_sim()
    async with served(sim) as base_url, feed(base_url, headers=headers, **params) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await frame(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    assert sim.state.subscriber_count == 0


async def test_a_bad_since_closes_with_4400() -> None:
    sim = make_sim()
    async with served(sim) as base_url, feed(base_url, since="last") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await frame(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
    assert "since" in closed.value.rcvd.reason


async def test_a_dropped_socket_loses_no_event() -> None:
    faults = FaultSettings(seed=3, ws_drop_rate=1.0)
    sim = make_sim(faults=faults)
    sim.state.create_lead(lead_data(), "k")
    async with served(sim) as base_url:
        async with feed(base_url, since=0) as ws:
            with pytest.raises(ConnectionClosedError) as cut:
                await frame(ws)
        assert cut.value.rcvd is None  # no close frame: the TCP connection just ended
        faults.update({"ws_drop_rate": 0.0})
        async with feed(base_url, since=0) as ws:
            resumed = await frame(ws)
    assert (resumed["id"], resumed["type"]) == (1, "lead.created")


async def test_a_reader_that_falls_behind_is_closed_and_can_resume() -> None:
    sim = make_sim(queue_size=2)
    async with served(sim) as base_url:
        async with feed(base_url) as ws:
            await eventually(lambda: sim.state.subscriber_count == 1)
            for i in range(5):  # no await in between: the queue of 2 overflows
                sim.state.create_lead(lead_data(first_name=f"P{i}"), f"k{i}")
            seen: list[int] = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    seen.append((await frame(ws))["id"])
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1013
        assert sim.state.subscriber_count == 0
        async with feed(base_url, since=seen[-1] if seen else 0) as ws:
            rest = [(await frame(ws))["id"] for _ in range(5 - len(seen))]
    assert seen + rest == [1, 2, 3, 4, 5]


async def test_closing_the_client_unsubscribes_it() -> None:
    sim = make_sim()
    async with served(sim) as base_url:
        async with feed(base_url):
            await eventually(lambda: sim.state.subscriber_count == 1)
        await eventually(lambda: sim.state.subscriber_count == 0)
        sim.state.create_lead(lead_data(), "k")  # nobody left to deliver to
    assert sim.state.last_event_id == 1
