"""ResmanClient against the real ResMan simulator: MITS posts and searches, Leasing lists,
ResMan's ways of failing, the window halving and the property mapping."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from leadsync_tui.clients import mits
from leadsync_tui.clients.errors import (
    AuthError,
    MalformedResponse,
    RemoteRejected,
    SearchTooBroad,
    SyncError,
    TransientError,
    ValidationFailed,
)
from leadsync_tui.clients.mits import FirstContact, ProspectFields, ProspectIds
from leadsync_tui.clients.resman import (
    MappingMissing,
    PostOutcomeUnknown,
    PropertyMapping,
    ResmanClient,
)
from leadsync_tui.clients.resman_answers import names_prospect
from leadsync_tui.config import ResmanProperty, ResmanSettings
from leadsync_tui.phones import phone_search_forms
from leadsync_tui.sim.faults import FaultSettings
from tests.clients.sim_fixtures import (
    API_KEY,
    T0,
    RecordingSleep,
    ResmanWorld,
    crash_screen,
    fast_retry,
    heal_after,
    method_count,
    resman_client,
    resman_world,
    served,
    sim_stats,
)

POST = "PostLeadManagement4_0"
SEARCH = "SearchProspects"


def create_xml(world: ResmanWorld, **fields: object) -> str:
    values: dict[str, object] = {
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": "maya.okafor@example.com",
        "phone": "(512) 555-0143",
        "target_move_in": None,
        "desired_rent": 1850,
        "bedrooms": 2,
    }
    values.update(fields)
    return mits.build_create(
        ProspectFields.model_validate(values),
        FirstContact(
            agent_id=world.agent.employee_id, source_id=world.source.source_id, event_date=T0
        ),
    )


# ---------------------------------------------------------------------- posts


async def test_create_then_update_round_trip() -> None:
    world = resman_world()
    pid = world.prop.property_id
    async with resman_client(world) as resman:
        created = await resman.post_lead(pid, create_xml(world))
        assert created.person_id is not None
        [found] = await resman.search_prospects(pid, prospect_id=created.prospect_id)
        assert (found.first_name, found.email, found.max_rent) == (
            "Maya",
            "maya.okafor@example.com",
            1850,
        )
        ids = ProspectIds(prospect_id=created.prospect_id, person_id=created.person_id)
        maya = mits.ProspectName(first_name="Maya", last_name="Okafor")
        update = mits.build_update(
            ids, ProspectFields(email="maya@new.example", bedrooms=3), name=maya
        )
        updated = await resman.post_lead(pid, update)
        assert (updated.prospect_id, updated.person_id) == (created.prospect_id, created.person_id)
        [after] = await resman.search_prospects(pid, prospect_id=created.prospect_id)
    assert after.email == "maya@new.example"
    assert (after.bedrooms.min, after.bedrooms.max) == (3, 3)  # ResMan keeps beds as min/max
    assert after.first_name == "Maya"
    assert world.state.counts()["prospects"] == 1


async def test_lost_and_reactivate_round_trip() -> None:
    world = resman_world()
    pid = world.prop.property_id
    async with resman_client(world) as resman:
        created = await resman.post_lead(pid, create_xml(world))
        assert created.person_id is not None
        ids = ProspectIds(prospect_id=created.prospect_id, person_id=created.person_id)
        name = mits.ProspectName(first_name="Maya", last_name="Okafor")
        lost = mits.build_lost(
            ids,
            name=name,
            reason_id=world.lost_reason.reason_id,
            event_date=T0,
            agent_id=world.agent.employee_id,
        )
        await resman.post_lead(pid, lost)
        [prospect] = await resman.search_prospects(pid, prospect_id=created.prospect_id)
        assert prospect.is_lost
        back = mits.build_reactivate(
            ids, name=name, event_date=T0, agent_id=world.agent.employee_id
        )
        await resman.post_lead(pid, back)
        [prospect] = await resman.search_prospects(pid, prospect_id=created.prospect_id)
    assert not prospect.is_lost


async def test_status_error_is_remote_rejected_with_the_description() -> None:
    world = resman_world()
    bad = mits.build_create(
        ProspectFields(first_name="Ana", last_name="Lima"),
        FirstContact(agent_id=world.agent.employee_id, source_id="not-a-source", event_date=T0),
    )
    async with resman_client(world, retry=fast_retry(attempts=5)) as resman:
        with pytest.raises(RemoteRejected) as refused:
            await resman.post_lead(world.prop.property_id, bad)
    assert "Transaction Source could not be found" in refused.value.error_description
    assert isinstance(refused.value, ValidationFailed)
    assert refused.value.field == "source_id"
    assert not refused.value.retryable
    assert method_count(await sim_stats(world.app), POST) == 1


async def test_a_wrong_api_key_is_an_auth_error_that_never_shows_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = resman_world()
    wrong = "wrong-key-5f5f5f"
    async with resman_client(world, api_key=wrong) as resman:
        with pytest.raises(AuthError) as refused:
            await resman.search_prospects(world.prop.property_id, email="x@example.com")
        assert wrong not in repr(resman)
    assert "Invalid IntegrationPartnerID or ApiKey" in str(refused.value)
    assert wrong not in str(refused.value)
    assert wrong not in caplog.text and API_KEY not in caplog.text
    assert method_count(await sim_stats(world.app), SEARCH) == 1


async def test_a_traceback_with_locals_never_holds_the_api_key() -> None:
    """Only the tiny helper that builds the request holds the key; it has returned
    before anything can fail, so no frame of a failed call shows it."""
    world = resman_world(faults=FaultSettings(seed=1, malformed_rate=1.0))
    failures: list[BaseException] = []
    async with resman_client(world, retry=fast_retry(attempts=2)) as resman:
        calls = (
            resman.lost_reasons(),  # a JSON route, failing in its parse
            resman.search_prospects(world.prop.property_id, email="x@example.com"),
            resman.post_lead(world.prop.property_id, create_xml(world)),
        )
        for call in calls:
            with pytest.raises(SyncError) as failed:  # a create's is `PostOutcomeUnknown`
                await call
            failures.append(failed.value)
    for failure in failures:
        shown = crash_screen(failure)
        assert "_send" in shown and "fields" in shown  # the frames and their locals are there
        assert API_KEY not in shown and API_KEY[:12] not in shown
        assert "ApiKey" not in shown


# ---------------------------------------------------------------------- searches


async def test_search_modified_halves_the_window_and_finds_each_prospect_once() -> None:
    world = resman_world(search_limit=6)
    pid = world.prop.property_id
    start = T0
    for i in range(40):
        world.state.seed_prospect(
            pid, f"P{i}", "Many", last_modified=start + timedelta(minutes=30 * i)
        )
    # One prospect matches both halves: its person changed late, the prospect early.
    early = world.state.seed_prospect(pid, "Split", "Stamps", last_modified=start)
    world.state.edit_prospect(
        early.prospect_id, at=start + timedelta(hours=19), email="split@example.com"
    )
    async with resman_client(world) as resman:
        found = await resman.search_modified(pid, start, start + timedelta(hours=20))
    ids = [p.prospect_id for p in found]
    assert len(ids) == len(set(ids)) == 41
    assert {p.first_name for p in found} == {f"P{i}" for i in range(40)} | {"Split"}
    stats = await sim_stats(world.app)
    assert stats["buffer_overflows"] > 0


async def test_a_window_that_cannot_shrink_further_raises_search_too_broad() -> None:
    world = resman_world(search_limit=2)
    pid = world.prop.property_id
    for i in range(5):
        world.state.seed_prospect(pid, f"Same{i}", "Second", last_modified=T0)
    async with resman_client(world, retry=fast_retry(attempts=5)) as resman:
        with pytest.raises(SearchTooBroad) as too_broad:
            await resman.search_modified(pid, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert too_broad.value.window_seconds is not None
    assert too_broad.value.window_seconds <= 60
    assert not too_broad.value.retryable


async def test_find_matches_by_email_then_phone_then_name() -> None:
    world = resman_world()
    pid = world.prop.property_id
    by_email = world.state.seed_prospect(pid, "Eve", "Mail", email="eve@example.com")
    national = world.state.seed_prospect(pid, "Nat", "Phone", phones={"Mobile": "(512) 555-0101"})
    eleven = world.state.seed_prospect(pid, "Elle", "Ven", phones={"Home": "1-512-555-0199"})
    by_name = world.state.seed_prospect(pid, "Nora", "Name")
    async with resman_client(world) as resman:
        email_hit = await resman.find_matches(
            pid, "EVE@example.com", "+15125550101", "Nora", "Name"
        )
        phone_hit = await resman.find_matches(pid, "nobody@example.com", "+15125550101", None, None)
        eleven_hit = await resman.find_matches(pid, None, "+1 (512) 555-0199", None, None)
        name_hit = await resman.find_matches(pid, None, "+15125550000", "nora", "NAME")
        nothing = await resman.find_matches(pid, "x@example.com", "+15125550000", "No", "One")
    assert [p.prospect_id for p in email_hit] == [by_email.prospect_id]
    assert [p.prospect_id for p in phone_hit] == [national.prospect_id]
    assert [p.prospect_id for p in eleven_hit] == [eleven.prospect_id]
    assert [p.prospect_id for p in name_hit] == [by_name.prospect_id]
    assert nothing == []


# ---------------------------------------------------------------------- Leasing / Account


async def test_reference_lists() -> None:
    world = resman_world()
    pid = world.prop.property_id
    async with resman_client(world) as resman:
        sources = await resman.prospect_sources(pid)
        employees = await resman.employees(pid)
        reasons = await resman.lost_reasons()
        properties = await resman.properties()
    assert [(s.id, s.name, s.is_active) for s in sources] == [
        (world.source.source_id, "DomIQ Chat", True)
    ]
    assert [(e.id, e.email) for e in employees] == [(world.agent.employee_id, "jane@oak.example")]
    assert [(r.id, r.name) for r in reasons] == [
        (world.lost_reason.reason_id, "Inactive (Lack of Response)")
    ]
    assert {p.property_id for p in properties} == {pid, world.other_prop.property_id}


async def test_an_unknown_property_is_refused_in_a_json_answer_too() -> None:
    world = resman_world()
    async with resman_client(world) as resman:
        with pytest.raises(AuthError, match="Property could not be found"):
            await resman.employees("00000000-0000-4000-8000-000000000000")


# ---------------------------------------------------------------------- retries


async def test_503_waits_as_long_as_retry_after_says() -> None:
    faults = FaultSettings(seed=3, rate_limit_rate=1.0, retry_after_s=3)
    world = resman_world(faults=faults)
    sleep = RecordingSleep(then=heal_after(faults, 2))
    async with resman_client(world, retry=fast_retry(sleep=sleep)) as resman:
        assert await resman.search_prospects(world.prop.property_id, email="a@b.example") == []
    assert sleep.waits == [3.0, 3.0]
    assert method_count(await sim_stats(world.app), SEARCH) == 3


async def test_500_pages_are_retried_until_the_server_recovers() -> None:
    faults = FaultSettings(seed=3, error_rate=1.0)
    world = resman_world(faults=faults)
    sleep = RecordingSleep(then=heal_after(faults, 2))
    async with resman_client(world, retry=fast_retry(sleep=sleep)) as resman:
        assert len(await resman.properties()) == 2
    stats = await sim_stats(world.app)
    assert stats["faults_injected"]["error"] == 2
    assert stats["requests_served"] == 3


async def test_cut_off_xml_is_retried_then_fails_as_malformed() -> None:
    world = resman_world(faults=FaultSettings(seed=3, malformed_rate=1.0))
    async with resman_client(world, retry=fast_retry(attempts=3)) as resman:
        with pytest.raises(MalformedResponse):
            await resman.search_prospects(world.prop.property_id, last_name="Anyone")
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            await resman.lost_reasons()
    stats = await sim_stats(world.app)
    assert method_count(stats, SEARCH) == 3
    assert method_count(stats, "GetLostProspectReasons") == 3


async def test_a_create_whose_answer_is_lost_is_not_resent() -> None:
    world = resman_world(faults=FaultSettings(seed=3, error_rate=1.0))
    async with resman_client(world, retry=fast_retry(attempts=5)) as resman:
        with pytest.raises(PostOutcomeUnknown, match="look it up") as unknown:
            await resman.post_lead(world.prop.property_id, create_xml(world))
    assert unknown.value.retryable
    assert isinstance(unknown.value.__cause__, TransientError)
    assert method_count(await sim_stats(world.app), POST) == 1


async def test_a_create_refused_at_the_door_is_resent_and_made_once() -> None:
    faults = FaultSettings(seed=3, rate_limit_rate=1.0, retry_after_s=1)
    world = resman_world(faults=faults)
    sleep = RecordingSleep(then=heal_after(faults, 2))
    async with resman_client(world, retry=fast_retry(sleep=sleep)) as resman:
        created = await resman.post_lead(world.prop.property_id, create_xml(world))
    assert created.prospect_id
    assert world.state.counts()["prospects"] == 1
    assert method_count(await sim_stats(world.app), POST) == 3


async def test_an_update_is_retried_after_a_server_error() -> None:
    world = resman_world()
    seeded = world.state.seed_prospect(world.prop.property_id, "Up", "Date")
    ids = ProspectIds(prospect_id=seeded.prospect_id, person_id=seeded.main.person_id)
    world.faults.update({"error_rate": 1.0})
    sleep = RecordingSleep(then=heal_after(world.faults, 1))
    async with resman_client(world, retry=fast_retry(sleep=sleep)) as resman:
        result = await resman.post_lead(
            world.prop.property_id,
            mits.build_update(
                ids,
                ProspectFields(email="up@example.com"),
                name=mits.ProspectName(first_name="Up", last_name="Date"),
            ),
        )
    assert result.prospect_id == seeded.prospect_id
    stored = world.state.get_prospect(seeded.prospect_id)
    assert stored is not None and stored.main.email == "up@example.com"
    assert method_count(await sim_stats(world.app), POST) == 2


async def test_a_slow_answer_times_out() -> None:
    world = resman_world(faults=FaultSettings(seed=3, latency_ms=300))
    async with resman_client(world, timeout=0.05, retry=fast_retry(attempts=2)) as resman:
        with pytest.raises(TransientError, match=r"0\.05 s"):
            await resman.lost_reasons()
    assert method_count(await sim_stats(world.app), "GetLostProspectReasons") == 2


async def test_over_a_real_socket() -> None:
    world = resman_world()
    pid = world.prop.property_id
    async with served(world.app) as base_url, resman_client(world, base_url=base_url) as resman:
        created = await resman.post_lead(pid, create_xml(world))
        matches = await resman.find_matches(pid, "maya.okafor@example.com", None, None, None)
    assert [m.prospect_id for m in matches] == [created.prospect_id]


# ---------------------------------------------------------------------- mapping


def test_mapping_names_what_is_missing_and_where_to_set_it() -> None:
    mapping = PropertyMapping(
        {
            "prop_oakridge": ResmanProperty(property_id="OAK-GUID", source_id="SRC"),
            "prop_pine": ResmanProperty(property_id="PINE-GUID"),
            "prop_full": ResmanProperty(property_id="FULL", source_id="S", agent_id="A"),
        }
    )
    with pytest.raises(MappingMissing) as no_agent:
        mapping.for_create("prop_oakridge")
    assert str(no_agent.value) == (
        "no ResMan agent for property prop_oakridge: set [resman.properties.prop_oakridge] agent_id"
    )
    assert no_agent.value.field == "resman.properties.prop_oakridge.agent_id"
    assert isinstance(no_agent.value, ValidationFailed) and not no_agent.value.retryable
    with pytest.raises(
        MappingMissing,
        match="no ResMan prospect source and no ResMan agent for "
        r"property prop_pine: set \[resman.properties.prop_pine\] source_id and agent_id",
    ):
        mapping.for_create("prop_pine")
    with pytest.raises(
        MappingMissing, match=r"add \[resman.properties.prop_elm\] with property_id"
    ):
        mapping.property_id("prop_elm")
    with pytest.raises(MappingMissing, match=r'\[resman.properties."prop.dotted"\]'):
        mapping.property_id("prop.dotted")
    target = mapping.for_create("prop_full")
    assert (target.property_id, target.source_id, target.agent_id) == ("FULL", "S", "A")
    assert mapping.property_id("prop_pine") == "PINE-GUID"  # enough for reads and updates
    assert mapping.domiq_property_id("oak-guid") == "prop_oakridge"
    assert mapping.domiq_property_id("nope") is None


async def test_check_mapping_against_resman() -> None:
    world = resman_world()
    settings = ResmanSettings(
        properties={
            "prop_ok": ResmanProperty(
                property_id=world.prop.property_id,
                source_id=world.source.source_id,
                agent_id=world.agent.employee_id,
            ),
            "prop_wrong": ResmanProperty(
                property_id=world.other_prop.property_id,
                source_id=world.source.source_id,  # Oak's source, not Pine's
                agent_id=world.agent.employee_id,  # Oak's agent
            ),
            "prop_gone": ResmanProperty(
                property_id="no-such-property", source_id="s", agent_id="a"
            ),
        }
    )
    async with resman_client(world) as resman:
        problems = await resman.check_mapping(PropertyMapping.from_settings(settings))
    assert problems == [
        f"[resman.properties.prop_wrong] source_id {world.source.source_id} is not linked to it",
        f"[resman.properties.prop_wrong] agent_id {world.agent.employee_id} is not an employee "
        "there",
        "[resman.properties.prop_gone] property_id no-such-property is not in this account",
    ]


# ---------------------------------------------------------------------- pure helpers


def test_names_prospect_tells_creates_from_updates() -> None:
    ids = ProspectIds(prospect_id="P", person_id="Q")
    name = mits.ProspectName(first_name="A", last_name="B")
    assert names_prospect(mits.build_update(ids, ProspectFields(email="a@b.example"), name=name))
    assert not names_prospect(
        mits.build_create(
            ProspectFields(first_name="A", last_name="B"),
            FirstContact(agent_id="x", source_id="y", event_date=T0),
        )
    )
    with pytest.raises(ValueError):
        names_prospect("<LeadManagement>")


def test_phone_search_forms() -> None:
    assert phone_search_forms("+15125550143") == ["5125550143", "15125550143"]
    assert phone_search_forms("(512) 555-0143") == ["5125550143", "15125550143"]
    assert phone_search_forms("+44 20 7946 0958") == ["442079460958"]
    assert phone_search_forms("n/a") == []


def test_from_settings_needs_the_whole_section() -> None:
    with pytest.raises(ValueError, match="account_id"):
        ResmanClient.from_settings(ResmanSettings(base_url="https://api.myresman.com"))
