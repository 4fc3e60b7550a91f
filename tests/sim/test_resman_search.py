"""SearchProspects over HTTP: each filter, the answer's shape, the 502 buffer overflow."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest

from leadsync_tui.sim.resman import Address, Preferences
from tests.sim.resman_fixtures import (
    SEARCH,
    T0,
    World,
    client,
    creds,
    error,
    ids_of,
    make_app,
    make_world,
    search,
    xml_of,
)


@pytest.fixture
def world() -> World:
    world = make_world()
    state, prop = world.state, world.prop.property_id
    ada = state.seed_prospect(
        prop,
        "Ada",
        "Lovelace",
        email="ada@example.com",
        phones={"Mobile": "(512) 555-0101", "Home": "512-555-0100"},
        address=Address(line1="12 Analytical Way", city="Austin", state="TX"),
        preferences=Preferences(
            target_move_in_date=date(2026, 5, 1),
            max_rent=1500,
            bedrooms_min=1,
            bedrooms_max=2,
            bathrooms_min=1,
            bathrooms_max=1.5,
        ),
        last_modified=T0 - timedelta(days=2),
        first_contact_date=T0 - timedelta(days=2),
    )
    state.add_roommate(
        ada.prospect_id,
        "Charles",
        "Babbage",
        email="cb@example.com",
        last_modified=T0 - timedelta(days=2),
    )
    state.seed_prospect(
        prop, "Bob", "Smith", email="bob@example.com", last_modified=T0 - timedelta(days=30)
    )
    state.seed_prospect(world.other_prop.property_id, "Ada", "Lovelace")
    return world


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = make_app(world, search_limit=5)
    async with client(app) as http_client:
        yield http_client


def _names(found: list[ET.Element]) -> list[str]:
    """The main contacts' first names, in answer order."""
    return [p.findtext("Customers/Customer/Name/FirstName") or "" for p in found]


async def test_answer_shape_matches_what_integrators_parse(
    world: World, http: httpx.AsyncClient
) -> None:
    (found,) = await search(http, world, Email="ada@example.com")
    main, roommate = found.findall("Customers/Customer")
    assert main.get("Type") == "prospect"
    assert set(ids_of(main)) == {"ProspectID", "PersonID"}
    assert ids_of(main)["ProspectID"] == ids_of(roommate)["ProspectID"]
    assert main.findtext("Name/LastName") == "Lovelace"
    assert {p.get("PhoneType"): p.findtext("PhoneNumber") for p in main.findall("Phone")} == {
        "Mobile": "(512) 555-0101",
        "Home": "512-555-0100",
    }
    assert main.findtext("Email") == "ada@example.com"
    assert main.findtext("Address/AddressLine1") == "12 Analytical Way"
    prefs = found.find("CustomerPreferences")
    assert prefs is not None
    assert prefs.findtext("TargetMoveInDate") == "2026-05-01"
    rent = prefs.find("DesiredRent")
    assert rent is not None and rent.get("Max") == "1500" and rent.get("Exact") is None
    beds = prefs.find("DesiredNumBedrooms")
    assert beds is not None and (beds.get("Min"), beds.get("Max")) == ("1", "2")
    baths = prefs.find("DesiredNumBathrooms")
    assert baths is not None and (baths.get("Min"), baths.get("Max")) == ("1", "1.5")
    (event,) = found.findall("Events/Event")
    assert event.get("EventType") == "WalkIn"
    assert event.get("EventDate") == "2026-02-28T09:00:00"  # UTC, no offset
    assert event.findtext("Agent/AgentName/FirstName") == "Jane"
    assert event.findtext("Agent/AgentName/LastName") == "Agent"
    event_id = event.find("EventID")
    assert event_id is not None and event_id.get("IDValue")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Ada", "Bob"]),
        ({"FirstName": "ada"}, ["Ada"]),
        ({"LastName": "Babbage"}, ["Ada"]),  # a roommate's name finds the prospect
        ({"Email": "BOB@example.com"}, ["Bob"]),
        ({"Email": "bob@"}, []),
        ({"Phone": "5125550101"}, ["Ada"]),  # stored "(512) 555-0101", compared digits-only
        ({"Phone": "5125550100"}, ["Ada"]),
        # ResMan's stored procedure does not normalise the parameter: a formatted number
        # finds nothing, so a client that sends one is caught here.
        ({"Phone": "512.555.0101"}, []),
        ({"Phone": "(512) 555-0101"}, []),
        ({"Phone": "+1 512 555 0101"}, []),
        ({"Address": "12 analytical way"}, ["Ada"]),
        ({"FirstName": "Ada", "LastName": "Smith"}, []),
        ({"firstname": "Bob", "LASTNAME": "smith"}, ["Bob"]),
        ({"FirstName": ""}, ["Ada", "Bob"]),  # blank = not given
    ],
)
async def test_filters(
    world: World, http: httpx.AsyncClient, filters: dict[str, str], expected: list[str]
) -> None:
    assert _names(await search(http, world, **filters)) == expected


async def test_id_filters(world: World, http: httpx.AsyncClient) -> None:
    ada = world.state.prospects[0]
    by_prospect = await search(http, world, ProspectID=ada.prospect_id.upper())
    by_roommate = await search(http, world, PersonID=ada.roommates[0].person_id)
    assert _names(by_prospect) == _names(by_roommate) == ["Ada"]
    assert await search(http, world, ProspectID="44444444-4444-4444-8444-444444444444") == []


async def test_modified_window_and_event_window(world: World, http: httpx.AsyncClient) -> None:
    window = {
        "ModifiedStartDateTime": (T0 - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S"),
        "ModifiedEndDateTime": (T0 - timedelta(days=1)).isoformat(),
    }
    assert _names(await search(http, world, **window)) == ["Ada"]
    # An agent edits Bob now (both stamps move to T0). A date-only end is midnight.
    world.state.edit_prospect(world.state.prospects[1].prospect_id, email="b@x.com", max_rent=900)
    recent = {"ModifiedStartDateTime": "3/2/2026 8:00:00 AM", "ModifiedEndDateTime": "3/2/2026"}
    assert _names(await search(http, world, **recent)) == []  # end is midnight
    recent["ModifiedEndDateTime"] = "3/2/2026 10:00 AM"
    assert _names(await search(http, world, **recent)) == ["Bob"]
    # StartDate/EndDate filter the events returned, not the prospects.
    later = {"StartDate": "2026-03-01"}
    found = await search(http, world, **later)
    assert _names(found) == ["Ada", "Bob"]
    assert all(p.find("Events") is None for p in found)
    whole_day = await search(http, world, StartDate="2026-02-28", EndDate="2026-02-28")
    assert [len(p.findall("Events/Event")) for p in whole_day] == [1, 0]


async def test_only_employee_made_events_are_returned(
    world: World, http: httpx.AsyncClient
) -> None:
    ada = world.state.prospects[0]
    world.state.add_event(ada.prospect_id, "Email", comments="system note")
    world.state.add_event(
        ada.prospect_id, "CallToProspect", agent_id=world.agent_twin.employee_id, comments="hi"
    )
    (found,) = await search(http, world, FirstName="Ada")
    types = [e.get("EventType") for e in found.findall("Events/Event")]
    assert types == ["WalkIn", "CallToProspect"]


async def test_bad_dates_and_scope_errors(world: World, http: httpx.AsyncClient) -> None:
    response = await http.post(SEARCH, data=creds(world, ModifiedStartDateTime="soon"))
    assert error(xml_of(response)) == "Invalid ModifiedStartDateTime: 'soon'"
    response = await http.post(SEARCH, data=creds(world, PropertyID=""))
    assert error(xml_of(response)) == "PropertyID is required"
    # MITS answers XML even to a client asking for JSON.
    response = await http.post(SEARCH, data=creds(world), headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("application/xml")


async def test_too_many_matches_is_a_502_buffer_overflow(world: World) -> None:
    for n in range(6):
        world.state.seed_prospect(world.prop.property_id, f"P{n}", "Many")
    app, _ = make_app(world, search_limit=5)
    async with client(app) as http:
        response = await http.post(SEARCH, data=creds(world, LastName="Many"))
        assert response.status_code == 502
        assert "buffer overflow" in response.text
        assert response.headers["content-type"].startswith("text/html")
        # Narrowing the query is how a client gets through.
        assert len(await search(http, world, FirstName="P1")) == 1
        stats = (await http.get("/_sim/stats")).json()
        assert stats["buffer_overflows"] == 1
