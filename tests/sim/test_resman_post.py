"""PostLeadManagement4_0 (full and Lite) over HTTP: creates, updates and every refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from tests.sim.resman_fixtures import (
    API_KEY,
    LITE,
    PARTNER,
    POST,
    T0,
    World,
    client,
    create,
    creds,
    customer_xml,
    error,
    event_xml,
    first_contact,
    ids_kw,
    ids_of,
    lead_doc,
    make_app,
    make_world,
    new_lead,
    ok,
    post,
    prospects_of,
    search,
    xml_of,
)


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = make_app(world)
    async with client(app) as http_client:
        yield http_client


async def test_create_answers_the_echo_with_resman_ids(
    world: World, http: httpx.AsyncClient
) -> None:
    document = lead_doc(
        [customer_xml(phones=[("cell", "(512) 555-0101"), ("home", "512-555-0100")])],
        [first_contact(world, comments="Asked about 2BR")],
        preferences=(
            '<TargetMoveInDate>2026-05-01</TargetMoveInDate><DesiredRent Exact="1500"/>'
            '<DesiredNumBedrooms Exact="2"/><DesiredNumBathrooms Min="1" Max="2"/>'
            '<Pets PetType="Cat" Count="1"/><Comments>Needs parking</Comments>'
        ),
    )
    root = ok(await post(http, world, document))
    assert root.findtext("MethodName") == "PostLeadManagement4_0"
    assert root.findtext("AccountID") == "400"
    assert root.findtext("PropertyID") == world.prop.property_id
    (echo,) = prospects_of(root)
    customer = echo.find("Customers/Customer")
    assert customer is not None
    ids = ids_of(customer)
    assert set(ids) == {"ProspectID", "PersonID"}
    event_id = echo.find("Events/Event/EventID")
    assert event_id is not None and event_id.get("IDValue")
    assert echo.find("CustomerPreferences/DesiredRent") is not None

    prospect = world.state.get_prospect(ids["ProspectID"])
    assert prospect is not None
    assert prospect.main.person_id == ids["PersonID"]
    assert prospect.main.phones == {"Home": "512-555-0100", "Mobile": "(512) 555-0101"}
    assert prospect.agent_id == world.agent.employee_id
    assert prospect.source_id == world.source.source_id
    assert prospect.preferences.max_rent == 1500
    assert (prospect.preferences.bedrooms_min, prospect.preferences.bedrooms_max) == (2, 2)
    assert prospect.preferences.target_move_in_date == date(2026, 5, 1)
    assert prospect.last_modified == T0 == prospect.main.last_modified
    assert prospect.events[0].event_id == event_id.get("IDValue")
    assert prospect.events[0].comments == "Asked about 2BR"


async def test_identifications_come_back_in_varying_order(
    world: World, http: httpx.AsyncClient
) -> None:
    orders = set()
    for n in range(12):
        root = ok(await post(http, world, new_lead(world, first=f"Ada{n}", email=f"a{n}@x.com")))
        customer = root.find(".//Customer")
        assert customer is not None
        orders.add(tuple(i.get("IDType") for i in customer.findall("Identification")))
    assert orders == {("ProspectID", "PersonID"), ("PersonID", "ProspectID")}


async def test_same_seed_same_requests_give_byte_identical_answers() -> None:
    answers = []
    for _ in range(2):
        world = make_world(seed=21)
        app, _ = make_app(world)
        async with client(app) as http:
            first = await http.post(POST, data=creds(world, Xml=new_lead(world)))
            second = await http.post(POST, data=creds(world, Xml=new_lead(world, first="Bo")))
            answers.append((first.content, second.content))
    assert answers[0] == answers[1]
    other_world = make_world(seed=22)
    app, _ = make_app(other_world)
    async with client(app) as http:
        other = await http.post(POST, data=creds(other_world, Xml=new_lead(other_world)))
    assert other.content != answers[0][0]


def _other_agent(world: World) -> str:
    event = event_xml(
        "WalkIn",
        agent_id=world.other_agent.employee_id,
        source=world.source.source_id,
        first_contact=True,
    )
    return lead_doc([customer_xml()], [event])


@pytest.mark.parametrize(
    ("build", "description"),
    [
        (lambda w: new_lead(w, first=None), "FirstName is required"),
        (lambda w: new_lead(w, last=""), "LastName is required"),
        (
            lambda w: lead_doc([customer_xml()], [event_xml("Other")]),
            "A first contact Event (FirstContact true, with an Agent AgentID and a "
            "TransactionSource) is required to create a prospect",
        ),
        (
            lambda w: lead_doc(
                [customer_xml()],
                [event_xml("WalkIn", source=w.source.source_id, first_contact=True)],
            ),
            "A first contact Event (FirstContact true, with an Agent AgentID and a "
            "TransactionSource) is required to create a prospect",
        ),
        (_other_agent, "Agent could not be found"),
        (
            lambda w: lead_doc(
                [customer_xml()],
                [
                    event_xml(
                        "WalkIn",
                        agent_id=w.agent.employee_id,
                        source=w.other_source.source_id,
                        first_contact=True,
                    )
                ],
            ),
            "Transaction Source could not be found",
        ),
        (
            lambda w: lead_doc(
                [customer_xml()],
                [
                    event_xml(
                        "WalkIn",
                        agent_id=w.agent.employee_id,
                        source="not-a-source",
                        first_contact=True,
                    )
                ],
            ),
            "Transaction Source could not be found",
        ),
        (lambda w: new_lead(w, first="A" * 36), "FirstName exceeds 35 characters"),
        (
            lambda w: new_lead(w, phones=[("cell", "call me")]),
            "Phone number 'call me' is not valid",
        ),
        (
            lambda w: new_lead(w, phones=[("cell", "5125550101"), ("mobile", "5125550102")]),
            "Phone type Mobile is given more than once",
        ),
        (
            lambda w: new_lead(w, phones=[("", f"512555010{n}") for n in range(4)]),
            "A Customer can have at most 3 phones (Home, Mobile, Work)",
        ),
        (
            lambda w: lead_doc([], [first_contact(w)]),
            "A Prospect needs at least one Customer",
        ),
    ],
)
async def test_create_refusals_are_http_200_status_error_and_write_nothing(
    world: World, http: httpx.AsyncClient, build: Callable[[World], str], description: str
) -> None:
    root = await post(http, world, build(world))
    assert error(root) == description
    assert root.findtext("AccountID") == "400"
    assert world.state.prospects == []


async def test_update_overwrites_present_fields_keeps_omitted_and_appends_events(
    world: World, http: httpx.AsyncClient
) -> None:
    ids = await create(http, world)
    world.clock.advance(120)
    document = lead_doc(
        [
            customer_xml(
                first="Ada",
                last="Lovelace",
                email="ada@new.example",
                phones=[("home", "512-555-0199")],
                prospect_id=ids["ProspectID"],
                person_id=ids["PersonID"],
            )
        ],
        [
            event_xml(
                "CallFromProspect",
                agent_id=world.agent_twin.employee_id,
                comments="Called back",
                reasons="Follow-up",
            )
        ],
        preferences='<DesiredRent Max="1700"/>',
    )
    root = ok(await post(http, world, document))
    customer = root.find(".//Customer")
    assert customer is not None
    assert ids_of(customer) == ids  # the same prospect and person, not a new card
    prospect = world.state.get_prospect(ids["ProspectID"])
    assert prospect is not None
    assert (prospect.main.first_name, prospect.main.last_name) == ("Ada", "Lovelace")
    assert prospect.main.email == "ada@new.example"
    assert prospect.main.phones == {"Home": "512-555-0199", "Mobile": "(512) 555-0101"}
    assert prospect.preferences.max_rent == 1700
    assert [e.event_type for e in prospect.events] == ["WalkIn", "CallFromProspect"]
    assert prospect.agent_id == world.agent.employee_id  # not a first contact: unchanged
    assert prospect.main.last_modified == world.clock.at == prospect.last_modified
    assert len(world.state.prospects) == 1


async def test_empty_elements_clear_and_a_new_first_contact_changes_the_agent(
    world: World, http: httpx.AsyncClient
) -> None:
    ids = await create(http, world)
    document = lead_doc(
        [
            customer_xml(
                first="Ada",
                last="Lovelace",
                email="",
                phones=[("cell", "")],
                prospect_id=ids["ProspectID"],
                person_id=ids["PersonID"],
            )
        ],
        [
            event_xml(
                "Other",
                agent_id=world.agent_twin.employee_id,
                source=world.source.source_id,
                first_contact=True,
            )
        ],
    )
    ok(await post(http, world, document))
    prospect = world.state.get_prospect(ids["ProspectID"])
    assert prospect is not None
    assert prospect.main.email == ""
    assert prospect.main.phones == {}
    assert prospect.agent_id == world.agent_twin.employee_id


async def test_known_event_id_updates_in_place_and_unknown_is_refused(
    world: World, http: httpx.AsyncClient
) -> None:
    ids = await create(http, world)
    prospect = world.state.get_prospect(ids["ProspectID"])
    assert prospect is not None
    event_id = prospect.events[0].event_id
    customer = customer_xml(first="Ada", last="Lovelace", email=None, phones=[], **ids_kw(ids))
    root = ok(
        await post(
            http, world, lead_doc([customer], [event_xml("", event_id=event_id, comments="Edited")])
        )
    )
    assert root.find(".//EventID") is not None
    assert len(prospect.events) == 1
    assert prospect.events[0].comments == "Edited"
    assert prospect.events[0].event_type == "WalkIn"
    unknown = lead_doc([customer], [event_xml("Other", event_id="0" * 32, comments="x")])
    assert error(await post(http, world, unknown)) == "Event could not be found"


async def test_unknown_prospect_person_or_foreign_prospect_is_refused(
    world: World, http: httpx.AsyncClient
) -> None:
    ids = await create(http, world)
    missing_prospect = lead_doc([customer_xml(prospect_id="11111111-1111-4111-8111-111111111111")])
    assert error(await post(http, world, missing_prospect)) == "Prospect could not be found"
    missing_person = lead_doc(
        [
            customer_xml(
                prospect_id=ids["ProspectID"], person_id="22222222-2222-4222-8222-222222222222"
            )
        ]
    )
    assert error(await post(http, world, missing_person)) == "Person could not be found"
    # The right IDs, posted against the other property: not found there.
    elsewhere = lead_doc([customer_xml(**ids_kw(ids))])
    root = await post(http, world, elsewhere, PropertyID=world.other_prop.property_id)
    assert error(root) == "Prospect could not be found"
    orphan_person = lead_doc([customer_xml(person_id=ids["PersonID"])])
    assert error(await post(http, world, orphan_person)) == (
        "A PersonID Identification needs the ProspectID Identification"
    )


async def test_customer_with_prospect_id_and_no_person_id_adds_a_roommate(
    world: World, http: httpx.AsyncClient
) -> None:
    ids = await create(http, world)
    document = lead_doc(
        [
            customer_xml(**ids_kw(ids), first="Ada", last="Lovelace", email=None, phones=[]),
            customer_xml(
                "Charles",
                "Babbage",
                email="cb@example.com",
                phones=[("cell", "512-555-0142")],
                prospect_id=ids["ProspectID"],
            ),
        ]
    )
    root = ok(await post(http, world, document))
    main, roommate = root.findall(".//Customer")
    roommate_ids = ids_of(roommate)
    assert roommate_ids["ProspectID"] == ids["ProspectID"]
    assert roommate_ids["PersonID"] not in (ids["PersonID"], "")
    prospect = world.state.get_prospect(ids["ProspectID"])
    assert prospect is not None
    assert [p.first_name for p in prospect.persons] == ["Ada", "Charles"]
    # The roommate is searchable and its own PersonID updates it.
    found = await search(http, world, LastName="Babbage")
    assert len(found) == 1 and len(found[0].findall(".//Customer")) == 2
    rename = lead_doc(
        [customer_xml("Charlie", "Babbage", email=None, phones=[], **ids_kw(roommate_ids))]
    )
    ok(await post(http, world, rename))
    assert prospect.roommates[0].first_name == "Charlie"
    assert ids_of(main) == ids


async def test_roommate_without_a_name_is_refused(world: World, http: httpx.AsyncClient) -> None:
    ids = await create(http, world)
    document = lead_doc([customer_xml(None, "Babbage", prospect_id=ids["ProspectID"])])
    assert error(await post(http, world, document)) == "FirstName is required"


async def test_cancel_marks_lost_and_reactivate_restores(
    world: World, http: httpx.AsyncClient
) -> None:
    ids = await create(http, world)
    customer = customer_xml(
        first="Ada", last="Lovelace", email=None, phones=[], customer_type="lost", **ids_kw(ids)
    )
    wrong_reason = lead_doc(
        [customer],
        [event_xml("cancel", agent_id=world.agent.employee_id, source=world.source.source_id)],
    )
    assert error(await post(http, world, wrong_reason)) == "Lost Prospect Reason could not be found"
    no_reason = lead_doc([customer], [event_xml("Cancel", agent_id=world.agent.employee_id)])
    assert error(await post(http, world, no_reason)) == (
        "A Cancel Event needs a lost prospect reason ID in TransactionSource"
    )
    world.clock.advance(60)
    cancel = lead_doc(
        [customer],
        [
            event_xml(
                "Cancel",
                agent_id=world.agent.employee_id,
                source=world.lost_reason.reason_id,
                date="2026-03-02T09:01:00",
            )
        ],
    )
    ok(await post(http, world, cancel))
    prospect = world.state.get_prospect(ids["ProspectID"])
    assert prospect is not None
    assert prospect.lost_date == datetime(2026, 3, 2, 9, 1, tzinfo=UTC)
    assert prospect.lost_reason_id == world.lost_reason.reason_id
    (found,) = await search(http, world, ProspectID=ids["ProspectID"])
    lost_customer = found.find(".//Customer")
    assert lost_customer is not None and lost_customer.get("Type") == "lost"
    reasons = [e.findtext("EventReasons") for e in found.findall(".//Event")]
    assert "Prospect Lost: Inactive (Lack of Response)" in reasons

    reactivate = lead_doc(
        [customer_xml(first="Ada", last="Lovelace", email=None, phones=[], **ids_kw(ids))],
        [event_xml("REACTIVATE", agent_id=world.agent.employee_id)],
    )
    ok(await post(http, world, reactivate))
    again = world.state.get_prospect(ids["ProspectID"])
    assert again is not None
    assert again.lost_date is None and again.lost_reason_id is None
    (found,) = await search(http, world, ProspectID=ids["ProspectID"])
    active = found.find(".//Customer")
    assert active is not None and active.get("Type") == "prospect"


async def test_lowercase_document_and_event_types_are_accepted(
    world: World, http: httpx.AsyncClient
) -> None:
    document = (
        "<leadmanagement><prospects><prospect><customers><customer type='prospect'>"
        "<name><firstname>Low</firstname><lastname>Case</lastname></name>"
        "<email>low@case.example</email></customer></customers>"
        "<events><event eventtype='walkin' eventdate='2026-03-01T10:00:00Z'>"
        f"<agent><agentid idvalue='{world.agent.employee_id.upper()}'/></agent>"
        f"<firstcontact>TRUE</firstcontact><transactionsource>{world.source.source_id}"
        "</transactionsource></event></events></prospect></prospects></leadmanagement>"
    )
    root = ok(await post(http, world, document))
    event = root.find(".//Event")
    assert event is not None and event.get("EventType") == "WalkIn"
    (prospect,) = world.state.prospects
    assert prospect.main.first_name == "Low"
    assert prospect.agent_id == world.agent.employee_id


async def test_parameter_names_bind_case_insensitively(
    world: World, http: httpx.AsyncClient
) -> None:
    params = {
        "integrationpartnerid": PARTNER,
        "APIKey": API_KEY,
        "accountId": "400",
        "PROPERTYID": world.prop.property_id,
        "xml": new_lead(world),
    }
    ok(xml_of(await http.post(POST, data=params)))
    assert len(world.state.prospects) == 1


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"IntegrationPartnerID": ""}, "IntegrationPartnerID is required"),
        ({"ApiKey": ""}, "ApiKey is required"),
        ({"ApiKey": API_KEY.lower()}, "Invalid IntegrationPartnerID or ApiKey"),
        ({"IntegrationPartnerID": "someone-else"}, "Invalid IntegrationPartnerID or ApiKey"),
        ({"AccountID": ""}, "AccountID is required"),
        ({"AccountID": "four hundred"}, "AccountID must be an integer"),
        ({"AccountID": "401"}, "Account could not be found"),
        ({"PropertyID": ""}, "PropertyID is required"),
        ({"PropertyID": "33333333-3333-4333-8333-333333333333"}, "Property could not be found"),
        ({"Xml": ""}, "Xml is required"),
    ],
)
async def test_credential_and_scope_errors(
    world: World, http: httpx.AsyncClient, changes: dict[str, str], description: str
) -> None:
    data = creds(world, Xml=new_lead(world))
    data.update(changes)
    root = xml_of(await http.post(POST, data=data))
    assert error(root) == description
    assert world.state.prospects == []


async def test_property_of_another_account_is_not_found(
    world: World, http: httpx.AsyncClient
) -> None:
    foreign = world.state.add_property("Elsewhere", account_id=999)
    root = await post(http, world, new_lead(world), PropertyID=foreign.property_id)
    assert error(root) == "Property could not be found"


@pytest.mark.parametrize(
    "payload",
    [
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<LeadManagement><Prospects><Prospect><Customers><Customer><Name><FirstName>&b;"
        "</FirstName></Name></Customer></Customers></Prospect></Prospects></LeadManagement>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<LeadManagement>&e;</LeadManagement>",
        "<!DOCTYPE LeadManagement><LeadManagement><Prospects/></LeadManagement>",
    ],
)
async def test_hostile_xml_gets_an_error_answer(
    world: World, http: httpx.AsyncClient, payload: str
) -> None:
    root = await post(http, world, payload)
    assert error(root) == "Xml must not contain a DTD, entity declarations or external references"
    assert "root:" not in (root.findtext("ErrorDescription") or "")


async def test_malformed_xml_gets_an_error_answer(world: World, http: httpx.AsyncClient) -> None:
    root = await post(http, world, "<LeadManagement><Prospects><Prospect>")
    assert error(root).startswith("Xml is not well-formed")


async def test_oversized_xml_and_oversized_bodies_get_error_answers(world: World) -> None:
    app, _ = make_app(world, max_xml_bytes=4096)
    padding = "<Comments>" + "x" * 5000 + "</Comments>"
    document = lead_doc([customer_xml(extra=padding)], [first_contact(world)])
    async with client(app) as http:
        root = await post(http, world, document)
        assert error(root) == "Xml exceeds the maximum size of 4096 bytes"
        huge = "x" * (4096 * 3 + 64 * 1024 + 1)
        response = await http.post(POST, data=creds(world, Xml=huge))
        assert error(xml_of(response)).startswith("Request exceeds the maximum size")
    assert world.state.prospects == []


async def test_one_bad_prospect_refuses_the_whole_post(
    world: World, http: httpx.AsyncClient
) -> None:
    good = lead_doc([customer_xml()], [first_contact(world)])
    bad = lead_doc([customer_xml(first=None)], [first_contact(world)])

    def inner(doc: str) -> str:
        return doc.removeprefix("<LeadManagement><Prospects>").removesuffix(
            "</Prospects></LeadManagement>"
        )

    both = f"<LeadManagement><Prospects>{inner(good)}{inner(bad)}</Prospects></LeadManagement>"
    assert error(await post(http, world, both)) == "FirstName is required"
    assert world.state.prospects == []
    two_good = f"<LeadManagement><Prospects>{inner(good)}{inner(good)}</Prospects></LeadManagement>"
    assert len(prospects_of(ok(await post(http, world, two_good)))) == 2


async def test_strict_duplicates_refuse_a_matching_create(world: World) -> None:
    app, _ = make_app(world, strict_duplicates=True)
    async with client(app) as http:
        await create(http, world)
        clashes: list[dict[str, Any]] = [
            {"email": "ADA@example.com", "first": "Other", "phones": []},
            {"email": None, "first": "Other", "phones": [("home", "512.555.0101")]},
            {"email": None, "phones": []},
        ]
        for clash in clashes:
            root = await post(http, world, new_lead(world, **clash))
            assert error(root) == (
                "A prospect with the same name, email or phone already exists at this property"
            )
        ok(
            await post(
                http, world, new_lead(world, first="Grace", last="Hopper", email=None, phones=[])
            )
        )
        # Another property is another matcher scope.
        other = lead_doc(
            [customer_xml()],
            [
                event_xml(
                    "WalkIn",
                    agent_id=world.other_agent.employee_id,
                    source=world.other_source.source_id,
                    first_contact=True,
                )
            ],
        )
        ok(await post(http, world, other, PropertyID=world.other_prop.property_id))
    assert len(world.state.prospects) == 3


async def test_without_strict_mode_a_duplicate_is_created(
    world: World, http: httpx.AsyncClient
) -> None:
    first = await create(http, world)
    second = await create(http, world)
    assert first["ProspectID"] != second["ProspectID"]


# -- MITSLite ---------------------------------------------------------------------------


async def test_lite_takes_query_string_credentials_and_a_raw_body(
    world: World, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        LITE,
        params={"IntegrationPartnerID": PARTNER, "apikey": API_KEY},
        content=new_lead(world).encode(),
        headers={"Content-Type": "text/xml"},
    )
    root = ok(xml_of(response))
    assert root.findtext("PropertyID") == world.prop.property_id  # the account's first
    (prospect,) = world.state.prospects
    assert prospect.property_id == world.prop.property_id


async def test_lite_accepts_the_xml_form_field_and_a_property_identification(
    world: World, http: httpx.AsyncClient
) -> None:
    document = lead_doc(
        [
            customer_xml(
                extra='<Identification IDType="PropertyID" '
                f'IDValue="{world.other_prop.property_id}"/>'
            )
        ],
        [
            event_xml(
                "WalkIn",
                agent_id=world.other_agent.employee_id,
                source=world.other_source.source_id,
                first_contact=True,
            )
        ],
    )
    data = {"IntegrationPartnerID": PARTNER, "ApiKey": API_KEY, "Xml": document}
    root = ok(xml_of(await http.post(LITE, data=data)))
    assert root.findtext("PropertyID") == world.other_prop.property_id
    (prospect,) = world.state.prospects
    assert prospect.property_id == world.other_prop.property_id


async def test_lite_is_add_only_and_checks_credentials(
    world: World, http: httpx.AsyncClient
) -> None:
    ids = await create(http, world)
    update = lead_doc([customer_xml(**ids_kw(ids))], [first_contact(world)])
    auth = {"IntegrationPartnerID": PARTNER, "ApiKey": API_KEY}
    root = xml_of(await http.post(LITE, params=auth, content=update.encode()))
    assert error(root) == (
        "MITSLite only adds prospects: remove the ProspectID and PersonID Identifications"
    )
    root = xml_of(await http.post(LITE, params={"IntegrationPartnerID": PARTNER}, content=b"<x/>"))
    assert error(root) == "ApiKey is required"
    root = xml_of(await http.post(LITE, params=auth, content=b""))
    assert error(root) == "Xml is required"
    unknown = lead_doc(
        [customer_xml(extra='<Identification IDType="PropertyID" IDValue="nope"/>')],
        [first_contact(world)],
    )
    root = xml_of(await http.post(LITE, params=auth, content=unknown.encode()))
    assert error(root) == "Property could not be found"
    assert len(world.state.prospects) == 1


@pytest.mark.parametrize(
    "customer",
    [
        {"first": None, "last": None},  # a lost/reactivate post without Name
        {"first": "Ada", "last": None},  # a partial name
    ],
)
async def test_an_update_whose_customer_has_no_name_is_refused_by_default(
    world: World, http: httpx.AsyncClient, customer: dict[str, Any]
) -> None:
    """Real integrations name the Customer in every post; the simulator holds us to it
    unless `require_customer_name` is switched off."""
    ids = await create(http, world)
    unnamed = lead_doc(
        [customer_xml(**customer, email="ada@new.example", phones=[], **ids_kw(ids))]
    )
    refused = await post(http, world, unnamed)
    assert error(refused) == "Customer Name (FirstName and LastName) is required"
    prospect = world.state.get_prospect(ids["ProspectID"])
    assert prospect is not None and prospect.main.email == "ada@example.com"  # untouched
    assert (await http.put("/_sim/settings", json={"require_customer_name": False})).is_success
    ok(await post(http, world, unnamed))
    assert prospect.main.email == "ada@new.example"


async def test_search_answers_always_carry_event_comments(
    world: World, http: httpx.AsyncClient
) -> None:
    """Integrators index `Event/Comments` unguarded: present even when empty."""
    await create(http, world)
    (found,) = await search(http, world)
    (event,) = found.findall(".//Event")
    comments = event.find("Comments")
    assert comments is not None and not (comments.text or "")
