"""The activity generator: seeded steps that change what they claim, at the chosen rate."""

from __future__ import annotations

import asyncio
import math
import statistics

import pytest

from leadsync_tui.models import EventType, Qualification
from leadsync_tui.sim.activity import WEIGHTS, ActivityGenerator, ActivityKind
from leadsync_tui.sim.world import build_world, dump_world
from leadsync_tui.sim.world_records import (
    CONFLICT_FIELDS,
    DOMIQ_EDIT_FIELDS,
    RESMAN_EDIT_FIELDS,
    World,
)
from leadsync_tui.sim.world_values import lead_values, prospect_values
from tests.clocks import FrozenClock
from tests.sim.domiq_fixtures import T0
from tests.waiting import eventually


class Sim:
    """A world on a frozen clock and a generator over it."""

    def __init__(self, leads: int = 60, rng_seed: int = 1, rate: float = 30.0) -> None:
        self.clock = FrozenClock(T0)
        self.world = build_world(7, leads, T0, clock=self.clock)
        self.generator = ActivityGenerator(self.world, rate, rng_seed)

    def run(self, steps: int) -> list[str]:
        """`steps` drawn actions, two seconds apart; their records as text."""
        records = []
        for _ in range(steps):
            records.append(repr(self.generator.step()))
            self.clock.advance(2)
        return records


def make(leads: int = 60, rng_seed: int = 1, rate: float = 30.0) -> tuple[World, ActivityGenerator]:
    sim = Sim(leads, rng_seed, rate)
    return sim.world, sim.generator


def new_events(world: World, since: int) -> list[EventType]:
    events = world.domiq.events_since(since)
    assert events is not None
    return [event.type for event in events]


def test_steps_are_deterministic_for_a_seed() -> None:
    first, second = Sim(), Sim()
    assert first.run(150) == second.run(150)
    assert dump_world(first.world) == dump_world(second.world)
    assert first.world.domiq.last_event_id == second.world.domiq.last_event_id > 0


def test_another_seed_does_other_things() -> None:
    assert Sim(rng_seed=1).run(30) != Sim(rng_seed=2).run(30)


def test_a_new_chat_qualifies_into_a_lead_with_its_events() -> None:
    world, generator = make()
    leads, since = world.domiq.lead_count, world.domiq.last_event_id
    record = generator.step(ActivityKind.NEW_CHAT_QUALIFIED)
    assert record.kind is ActivityKind.NEW_CHAT_QUALIFIED and record.conversation_id
    lead = world.domiq.get_lead(record.conversation_id)
    assert lead.qualification is Qualification.QUALIFIED and lead.created_at == T0
    assert world.domiq.lead_count == leads + 1
    assert world.domiq.transcript(lead.conversation_id)[-1].at == T0
    assert new_events(world, since) == [EventType.LEAD_CREATED, EventType.CONVERSATION_QUALIFIED]


def test_a_started_chat_waits_without_events() -> None:
    world, generator = make()
    pending, since = len(world.domiq.pending_conversations()), world.domiq.last_event_id
    record = generator.step(ActivityKind.CHAT_STARTED)
    assert record.conversation_id in world.domiq.pending_conversations()
    assert len(world.domiq.pending_conversations()) == pending + 1
    assert world.domiq.last_event_id == since


def test_a_pending_chat_qualifies() -> None:
    world, generator = make()
    pending, since = set(world.domiq.pending_conversations()), world.domiq.last_event_id
    record = generator.step(ActivityKind.PENDING_CHAT_QUALIFIED)
    assert record.kind is ActivityKind.PENDING_CHAT_QUALIFIED
    assert record.conversation_id in pending
    assert record.conversation_id not in world.domiq.pending_conversations()
    assert world.domiq.has_lead(record.conversation_id)
    assert new_events(world, since) == [EventType.LEAD_CREATED, EventType.CONVERSATION_QUALIFIED]


def test_the_bot_edits_a_lead_field() -> None:
    world, generator = make()
    before = {lead.conversation_id: lead for lead in world.domiq.all_leads()}
    since = world.domiq.last_event_id
    record = generator.step(ActivityKind.BOT_EDITS_LEAD)
    assert record.conversation_id is not None and record.field in DOMIQ_EDIT_FIELDS
    old, new = before[record.conversation_id], world.domiq.get_lead(record.conversation_id)
    assert getattr(new, record.field) != getattr(old, record.field)
    assert (new.version, new.updated_at) == (old.version + 1, T0)
    assert new_events(world, since) == [EventType.LEAD_UPDATED]


def test_an_agent_edits_a_prospect_without_touching_domiq() -> None:
    world, generator = make()
    before = {p.prospect_id: prospect_values(p) for p in world.resman.prospects}
    since = world.domiq.last_event_id
    record = generator.step(ActivityKind.AGENT_EDITS_PROSPECT)
    assert record.prospect_id is not None and record.field in RESMAN_EDIT_FIELDS
    prospect = world.resman.get_prospect(record.prospect_id)
    assert prospect is not None
    assert prospect_values(prospect)[record.field] != before[record.prospect_id][record.field]
    assert T0 in (prospect.last_modified, prospect.main.last_modified)
    assert world.domiq.last_event_id == since


def test_a_lead_is_disqualified() -> None:
    world, generator = make()
    since = world.domiq.last_event_id
    record = generator.step(ActivityKind.LEAD_DISQUALIFIED)
    assert record.conversation_id is not None
    lead = world.domiq.get_lead(record.conversation_id)
    assert lead.qualification is Qualification.DISQUALIFIED
    assert new_events(world, since) == [EventType.LEAD_UPDATED]


def test_a_prospect_is_marked_lost() -> None:
    world, generator = make()
    since = world.domiq.last_event_id
    record = generator.step(ActivityKind.PROSPECT_LOST)
    prospect = world.resman.get_prospect(record.prospect_id or "")
    assert prospect is not None and prospect.lost_date == T0
    assert prospect.lost_reason_id in {r.reason_id for r in world.resman.lost_reasons}
    assert prospect.events[-1].event_type == "Cancel"
    assert world.domiq.last_event_id == since


def test_a_conflict_changes_one_field_differently_on_both_sides_of_a_linked_pair() -> None:
    world, generator = make()
    since = world.domiq.last_event_id
    leads_before = {lead.conversation_id: lead_values(lead) for lead in world.domiq.all_leads()}
    record = generator.step(ActivityKind.CONFLICT)
    assert record.conversation_id in world.linked_pairs and record.field in CONFLICT_FIELDS
    lead = world.domiq.get_lead(record.conversation_id)
    prospect = world.resman.get_prospect(record.prospect_id or "")
    assert prospect is not None and prospect.prospect_id == lead.resman_prospect_id
    before = leads_before[lead.conversation_id][record.field]
    ours, theirs = lead_values(lead)[record.field], prospect_values(prospect)[record.field]
    assert len({before, ours, theirs}) == 3
    assert lead.updated_at == T0 and T0 in (prospect.last_modified, prospect.main.last_modified)
    assert new_events(world, since) == [EventType.LEAD_UPDATED]


@pytest.mark.parametrize("kind", list(ActivityKind))
def test_a_kind_without_a_target_falls_back_to_a_new_chat(kind: ActivityKind) -> None:
    world, generator = make(leads=0)
    record = generator.step(kind)
    if kind is ActivityKind.CHAT_STARTED:
        assert world.domiq.pending_conversations() == [record.conversation_id]
    else:
        assert record.kind is ActivityKind.NEW_CHAT_QUALIFIED
        assert world.domiq.lead_count == 1


def test_kinds_come_in_their_weights_and_conflicts_are_about_ten_percent() -> None:
    sim = Sim(leads=100)
    sim.run(2_000)
    generator = sim.generator
    assert sum(WEIGHTS.values()) == 100
    share = generator.counts[ActivityKind.CONFLICT] / 2_000
    assert 0.07 <= share <= 0.13
    assert set(generator.counts) == set(ActivityKind)


def test_intervals_are_exponential_with_mean_sixty_over_rate() -> None:
    _, generator = make(rate=30)
    delays = [generator.next_delay() for _ in range(5_000)]
    assert 1.9 <= statistics.fmean(delays) <= 2.1
    assert abs(statistics.median(delays) - 2 * math.log(2)) < 0.1  # exponential, not uniform


async def test_rate_zero_never_runs() -> None:
    world, generator = make(rate=0)
    before = dump_world(world)
    await asyncio.wait_for(generator.run(), 1)
    assert dump_world(world) == before and not generator.counts


def test_a_negative_rate_is_refused() -> None:
    world, _ = make()
    with pytest.raises(ValueError, match="rate_per_min"):
        ActivityGenerator(world, -1, 1)


async def test_run_steps_until_cancelled() -> None:
    world, generator = make(rate=60_000)  # a mean of 1 ms between actions
    task = asyncio.create_task(generator.run())
    await eventually(lambda: sum(generator.counts.values()) >= 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    done = sum(generator.counts.values())
    await asyncio.sleep(0.02)
    assert sum(generator.counts.values()) == done
    assert world.domiq.last_event_id > 0
