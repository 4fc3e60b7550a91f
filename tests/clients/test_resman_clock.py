"""ResMan's time as the client learns it: the `Date` of each answer, carried forward on the
monotonic clock, and open Modified windows that report the ResMan time they cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadsync_tui.clients.resman_clock import ResmanClock, parse_http_date
from tests.clients.sim_fixtures import T0, resman_client, resman_world, sim_stats
from tests.clocks import FrozenClock


def test_http_dates_are_read_and_a_bad_one_is_ignored() -> None:
    assert parse_http_date("Tue, 24 Nov 2026 09:00:00 GMT") == T0
    assert parse_http_date("Tue, 24 Nov 2026 10:00:00 +0100") == T0
    assert parse_http_date("Tuesday, 24-Nov-26 09:00:00 GMT") == T0  # RFC 850, obsolete
    for bad in (None, "", "yesterday", "Tue, 99 Nov 2026 09:00:00 GMT", "a, b"):
        assert parse_http_date(bad) is None


def test_resmans_time_moves_on_with_the_monotonic_clock_not_with_a_wall_step() -> None:
    wall = FrozenClock(T0 + timedelta(minutes=2))
    ticks = [100.0]
    clock = ResmanClock(wall=wall, monotonic=lambda: ticks[0])
    assert clock.now() is None and clock.skew() is None
    clock.observe("Tue, 24 Nov 2026 09:00:00 GMT")
    assert clock.skew() == timedelta(minutes=2)
    wall.at -= timedelta(hours=1)  # a step back of our wall clock changes nothing
    ticks[0] += 7.5
    assert clock.now() == T0 + timedelta(seconds=7.5)
    clock.observe(None)  # an answer without a Date keeps the last reading
    assert clock.answered_at is None and clock.now() == T0 + timedelta(seconds=7.5)


async def test_an_open_window_reads_every_edit_up_to_resmans_time() -> None:
    world = resman_world()
    pid = world.prop.property_id
    early = world.state.seed_prospect(pid, "Early", "Guest", last_modified=T0)
    world.clock.advance(90)
    late = world.state.seed_prospect(pid, "Late", "Guest")
    async with resman_client(world) as resman:
        window = await resman.search_modified_through(pid, T0 - timedelta(seconds=1))
        since = await resman.search_modified_through(pid, T0 + timedelta(seconds=30))
    assert {p.prospect_id for p in window.prospects} == {early.prospect_id, late.prospect_id}
    assert window.through == T0 + timedelta(seconds=90)
    assert [p.prospect_id for p in since.prospects] == [late.prospect_id]


async def test_an_open_window_too_wide_is_halved_up_to_resmans_time() -> None:
    world = resman_world(search_limit=6)
    pid = world.prop.property_id
    for i in range(30):
        world.state.seed_prospect(pid, f"P{i}", "Many", last_modified=T0 + timedelta(hours=i))
    world.clock.advance(30 * 3600)
    async with resman_client(world) as resman:
        window = await resman.search_modified_through(pid, datetime(2000, 1, 1, tzinfo=UTC))
    assert len({p.prospect_id for p in window.prospects}) == len(window.prospects) == 30
    assert window.through is not None and window.through >= T0 + timedelta(hours=29)
    assert (await sim_stats(world.app))["buffer_overflows"] > 0
