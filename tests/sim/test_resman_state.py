"""ResmanState on its own: deterministic IDs, seeding, agent edits, search rules."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from leadsync_tui.sim.resman import Preferences, ResmanState, ResmanStateError
from tests.sim.resman_fixtures import T0, World, make_world


def _world_ids(world: World) -> list[str]:
    prospect = world.state.seed_prospect(world.prop.property_id, "Ada", "Lovelace")
    return [
        world.prop.property_id,
        world.source.source_id,
        world.agent.employee_id,
        world.lost_reason.reason_id,
        prospect.prospect_id,
        prospect.main.person_id,
        prospect.events[0].event_id,
    ]


def test_same_seed_same_guids_and_different_seed_different_guids() -> None:
    first, again, other = (
        _world_ids(make_world(3)),
        _world_ids(make_world(3)),
        _world_ids(make_world(4)),
    )
    assert first == again
    assert set(first).isdisjoint(other)
    assert all(uuid.UUID(value).version == 4 for value in first)
    assert len(set(first)) == len(first)


def test_seed_prospect_defaults_to_first_source_and_agent_with_a_first_contact_event() -> None:
    world = make_world()
    stamp = T0 - timedelta(days=3)
    prospect = world.state.seed_prospect(
        world.prop.property_id,
        "Ada",
        "Lovelace",
        email="ada@example.com",
        phones={"mobile": "512-555-0101"},
        preferences=Preferences(max_rent=1500, bedrooms_min=2, bedrooms_max=2),
        last_modified=stamp,
    )
    assert prospect.source_id == world.source.source_id
    assert prospect.agent_id == world.agent.employee_id
    assert prospect.last_modified == stamp == prospect.main.last_modified
    assert prospect.main.phones == {"Mobile": "512-555-0101"}
    (event,) = prospect.events
    assert event.first_contact and event.event_date == stamp
    assert world.state.get_prospect(prospect.prospect_id.upper()) is prospect
    assert world.state.find_person(prospect.main.person_id) == (prospect, prospect.main)
    assert world.state.prospects == [prospect]


def test_seeding_refuses_references_from_another_property() -> None:
    world = make_world()
    with pytest.raises(ResmanStateError, match="not linked"):
        world.state.seed_prospect(
            world.prop.property_id, "A", "B", source_id=world.other_source.source_id
        )
    with pytest.raises(ResmanStateError, match="does not work"):
        world.state.seed_prospect(
            world.prop.property_id, "A", "B", agent_id=world.other_agent.employee_id
        )
    empty = world.state.add_property("Empty")
    with pytest.raises(ResmanStateError, match="add_source"):
        world.state.seed_prospect(empty.property_id, "A", "B")
    with pytest.raises(ResmanStateError, match="phone type"):
        world.state.seed_prospect(world.prop.property_id, "A", "B", phones={"Fax": "1"})


def test_duplicate_employee_names_are_listed_twice() -> None:
    world = make_world()
    names = [e.name for e in world.state.employees(world.prop.property_id)]
    assert names == ["Jane Agent", "Jane Agent"]


def test_edit_prospect_bumps_the_person_or_the_prospect_stamp() -> None:
    world = make_world()
    prospect = world.state.seed_prospect(
        world.prop.property_id, "Ada", "Lovelace", phones={"Home": "512-555-0100"}, last_modified=T0
    )
    later = world.clock.advance(60)
    world.state.edit_prospect(prospect.prospect_id, email="new@example.com", phones={"Mobile": "5"})
    assert prospect.main.email == "new@example.com"
    assert prospect.main.phones == {"Home": "512-555-0100", "Mobile": "5"}
    assert prospect.main.last_modified == later
    assert prospect.last_modified == T0
    latest = world.clock.advance(60)
    world.state.edit_prospect(
        prospect.prospect_id, max_rent=1800, target_move_in_date=date(2026, 5, 1)
    )
    assert prospect.preferences.max_rent == 1800
    assert prospect.last_modified == latest
    assert prospect.main.last_modified == later
    world.state.edit_prospect(prospect.prospect_id, phones={"Home": ""})
    assert prospect.main.phones == {"Mobile": "5"}
    with pytest.raises(ResmanStateError, match="unknown field"):
        world.state.edit_prospect(prospect.prospect_id, favourite_colour="blue")


def test_mark_lost_and_reactivate_record_events() -> None:
    world = make_world()
    prospect = world.state.seed_prospect(world.prop.property_id, "Ada", "Lovelace")
    world.state.mark_lost(prospect.prospect_id, world.lost_reason.reason_id)
    assert prospect.effective_customer_type == "lost"
    assert prospect.lost_reason_id == world.lost_reason.reason_id
    assert prospect.events[-1].event_type == "Cancel"
    world.state.reactivate(prospect.prospect_id)
    assert prospect.effective_customer_type == "prospect"
    assert prospect.lost_date is None
    assert [e.event_type for e in prospect.events] == ["WalkIn", "Cancel", "ReActivate"]


def _searchable(world: World) -> tuple[str, str, str]:
    state = world.state
    ada = state.seed_prospect(
        world.prop.property_id,
        "Ada",
        "Lovelace",
        email="Ada@Example.com",
        phones={"Mobile": "(512) 555-0101"},
    )
    roommate = state.add_roommate(
        ada.prospect_id,
        "Charles",
        "Babbage",
        email="cb@example.com",
        phones={"Work": "512.555.0199"},
    )
    bob = state.seed_prospect(world.prop.property_id, "Bob", "Smith", email="bob@example.com")
    state.seed_prospect(world.other_prop.property_id, "Ada", "Lovelace")
    return ada.prospect_id, roommate.person_id, bob.prospect_id


def test_search_filters_match_main_person_or_roommate_like_sql_server() -> None:
    world = make_world()
    ada, roommate, bob = _searchable(world)
    prop = world.prop.property_id

    def ids(**filters: Any) -> list[str]:
        return [p.prospect_id for p in world.state.search(prop, **filters)]

    assert ids() == [ada, bob]  # the other property's Ada is out of scope
    assert ids(first_name="ada ") == [ada]  # case and trailing spaces ignored
    assert ids(last_name="babbage") == [ada]  # a roommate matches
    assert ids(first_name="Ada", last_name="Babbage") == [ada]  # each filter on its own
    assert ids(email="ada@example.COM") == [ada]
    assert ids(email="ada@example") == []  # exact, not a prefix
    assert ids(phone="5125550101") == [ada]  # stored digits against the param as given
    assert ids(phone="512-555-0101") == []  # the param is not normalised (RM-SQL)
    assert ids(phone="5125550199") == [ada]
    assert ids(phone="+1 512 555 0101") == []  # digits must be equal, no country code magic
    assert ids(prospect_id=bob.upper()) == [bob]
    assert ids(person_id=roommate) == [ada]
    assert ids(first_name="Ada", email="bob@example.com") == []


def test_modified_window_ors_prospect_and_person_stamps_per_bound() -> None:
    world = make_world()
    state = world.state
    day = timedelta(days=1)
    # The prospect was touched long after the window, the person long before it: each
    # bound is satisfied by a different stamp, so RM-SQL's split OR still matches it.
    split = state.seed_prospect(
        world.prop.property_id, "Split", "Stamps", last_modified=T0 - 10 * day
    )
    split.last_modified = T0 + 10 * day
    inside = state.seed_prospect(world.prop.property_id, "In", "Side", last_modified=T0)
    person_only = state.seed_prospect(
        world.prop.property_id, "Per", "Son", last_modified=T0 - 5 * day
    )
    person_only.main.last_modified = T0 + timedelta(hours=1)
    outside = state.seed_prospect(world.prop.property_id, "Out", "Side", last_modified=T0 - 5 * day)

    found = state.search(world.prop.property_id, modified_start=T0 - day, modified_end=T0 + day)
    assert [p.prospect_id for p in found] == [
        split.prospect_id,
        inside.prospect_id,
        person_only.prospect_id,
    ]
    assert outside not in found
    # Both bounds are inclusive: a zero-width window at T0 still finds `inside`; the two
    # prospects whose stamps straddle T0 come along through the split OR.
    at_t0 = state.search(world.prop.property_id, modified_start=T0, modified_end=T0)
    assert [p.prospect_id for p in at_t0] == [
        split.prospect_id,
        inside.prospect_id,
        person_only.prospect_id,
    ]
    narrow = state.search(
        world.prop.property_id, modified_start=T0 + 20 * day, modified_end=T0 + 30 * day
    )
    assert narrow == []


def test_visible_events_hide_non_employee_entries_and_honour_the_window() -> None:
    world = make_world()
    prospect = world.state.seed_prospect(world.prop.property_id, "Ada", "L", first_contact_date=T0)
    world.state.add_event(prospect.prospect_id, "Email", event_date=T0 + timedelta(days=1))
    world.state.add_event(
        prospect.prospect_id,
        "CallToProspect",
        event_date=T0 + timedelta(days=2),
        agent_id=world.agent.employee_id,
    )
    visible = world.state.visible_events(prospect)
    assert [e.event_type for e in visible] == ["WalkIn", "CallToProspect"]
    windowed = world.state.visible_events(prospect, start=T0 + timedelta(hours=1))
    assert [e.event_type for e in windowed] == ["CallToProspect"]


def test_duplicates_follow_the_get_matching_prospects_rule() -> None:
    world = make_world()
    ada = world.state.seed_prospect(
        world.prop.property_id,
        "Ada",
        "Lovelace",
        email="ada@x.com",
        phones={"Home": "512 555 0101"},
    )
    prop = world.prop.property_id
    assert world.state.duplicates_of(prop, [("ADA", "lovelace", "", [])]) is ada
    assert world.state.duplicates_of(prop, [("Other", "Person", "ADA@x.com", [])]) is ada
    assert world.state.duplicates_of(prop, [("Other", "Person", "", ["(512) 555-0101"])]) is ada
    assert world.state.duplicates_of(prop, [("Ada", "Byron", "", [])]) is None
    assert (
        world.state.duplicates_of(world.other_prop.property_id, [("Ada", "Lovelace", "", [])])
        is None
    )


def test_clock_is_injectable_and_naive_times_are_utc() -> None:
    from datetime import datetime

    state = ResmanState(now=lambda: datetime(2026, 1, 1, 12, 0))
    assert state.now().tzinfo is not None
    assert state.now().hour == 12
