"""Helpers for the ResMan simulator tests: a seeded world, a client, XML builders, readers.

Plain functions rather than pytest fixtures, so each test module builds the world it needs
without a shared conftest.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

import defusedxml.ElementTree as SafeET
import httpx
from starlette.applications import Starlette

from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.resman import (
    Employee,
    LostReason,
    Property,
    ResmanState,
    Source,
    create_resman_app,
)
from tests.clocks import FrozenClock

PARTNER = "leadsync-test"
API_KEY = "s3cret-Key"
ACCOUNT = 400
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
POST = "/MITS/PostLeadManagement4_0"
LITE = "/MITSLite/PostLeadManagement4_0"
SEARCH = "/MITS/SearchProspects"


@dataclass
class World:
    state: ResmanState
    clock: FrozenClock
    prop: Property
    other_prop: Property
    source: Source
    other_source: Source
    agent: Employee
    agent_twin: Employee
    other_agent: Employee
    lost_reason: LostReason


def make_world(seed: int = 7) -> World:
    """Two properties, each with a source and agents, one lost reason, no prospects."""
    clock = FrozenClock(T0)
    state = ResmanState(
        seed=seed, now=clock, integration_partner_id=PARTNER, api_key=API_KEY, account_id=ACCOUNT
    )
    prop = state.add_property(
        "Oak Terrace", street_address="1 Oak St", city="Austin", state="TX", zip_code="78701"
    )
    other = state.add_property("Pine Court", city="Dallas", state="TX")
    source = state.add_source(prop.property_id, "DomIQ Chat")
    other_source = state.add_source(other.property_id, "Pine Website")
    agent = state.add_employee(prop.property_id, "Jane Agent", "jane@oak.example")
    twin = state.add_employee(prop.property_id, "Jane Agent", "jane.agent@oak.example")
    other_agent = state.add_employee(other.property_id, "Pete Pine", "pete@pine.example")
    reason = state.add_lost_reason("Inactive (Lack of Response)")
    return World(state, clock, prop, other, source, other_source, agent, twin, other_agent, reason)


def make_app(
    world: World, faults: FaultSettings | None = None, **options: Any
) -> tuple[Starlette, FaultSettings]:
    faults = faults or FaultSettings(seed=1)
    return create_resman_app(world.state, faults=faults, **options), faults


def client(app: Starlette, host: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(host, 40000)),
        base_url="http://api.myresman.test",
    )


def creds(world: World, **extra: str) -> dict[str, str]:
    """Valid credentials and scope for `world.prop`; `extra` adds or overrides parameters."""
    params = {
        "IntegrationPartnerID": PARTNER,
        "ApiKey": API_KEY,
        "AccountID": str(ACCOUNT),
        "PropertyID": world.prop.property_id,
    }
    params.update(extra)
    return params


# -- XML builders -----------------------------------------------------------------------


def customer_xml(
    first: str | None = "Ada",
    last: str | None = "Lovelace",
    *,
    email: str | None = "ada@example.com",
    phones: Sequence[tuple[str, str]] = (("cell", "(512) 555-0101"),),
    prospect_id: str | None = None,
    person_id: str | None = None,
    customer_type: str = "prospect",
    extra: str = "",
) -> str:
    parts = [f'<Customer Type="{customer_type}">']
    if prospect_id:
        parts.append(f'<Identification IDType="ProspectID" IDValue="{prospect_id}"/>')
    if person_id:
        parts.append(f'<Identification IDType="PersonID" IDValue="{person_id}"/>')
    if first is not None or last is not None:
        parts.append("<Name>")
        if first is not None:
            parts.append(f"<FirstName>{first}</FirstName>")
        if last is not None:
            parts.append(f"<LastName>{last}</LastName>")
        parts.append("</Name>")
    for kind, number in phones:
        parts.append(f'<Phone PhoneType="{kind}"><PhoneNumber>{number}</PhoneNumber></Phone>')
    if email is not None:
        parts.append(f"<Email>{email}</Email>")
    parts.append(extra)
    parts.append("</Customer>")
    return "".join(parts)


def event_xml(
    event_type: str = "Other",
    *,
    agent_id: str | None = None,
    source: str | None = None,
    first_contact: bool = False,
    event_id: str | None = None,
    date: str | None = "2026-03-01T15:00:00Z",
    comments: str | None = None,
    reasons: str | None = None,
) -> str:
    attrs = f' EventType="{event_type}"' if event_type else ""
    if date:
        attrs += f' EventDate="{date}"'
    parts = [f"<Event{attrs}>"]
    if event_id:
        parts.append(f'<EventID IDType="EventID" IDValue="{event_id}"/>')
    if agent_id:
        parts.append(f'<Agent><AgentID IDValue="{agent_id}"/></Agent>')
    parts.append(f"<FirstContact>{'true' if first_contact else 'false'}</FirstContact>")
    if source:
        parts.append(f"<TransactionSource>{source}</TransactionSource>")
    if reasons is not None:
        parts.append(f"<EventReasons>{reasons}</EventReasons>")
    if comments is not None:
        parts.append(f"<Comments>{comments}</Comments>")
    parts.append("</Event>")
    return "".join(parts)


def first_contact(world: World, event_type: str = "WalkIn", **kw: Any) -> str:
    return event_xml(
        event_type,
        agent_id=world.agent.employee_id,
        source=world.source.source_id,
        first_contact=True,
        **kw,
    )


def lead_doc(
    customers: Sequence[str], events: Sequence[str] = (), preferences: str | None = None
) -> str:
    prefs = f"<CustomerPreferences>{preferences}</CustomerPreferences>" if preferences else ""
    return (
        "<LeadManagement><Prospects><Prospect>"
        f"<Customers>{''.join(customers)}</Customers>{prefs}"
        f"<Events>{''.join(events)}</Events>"
        "</Prospect></Prospects></LeadManagement>"
    )


def new_lead(world: World, **customer: Any) -> str:
    return lead_doc([customer_xml(**customer)], [first_contact(world)])


class Ids(TypedDict):
    prospect_id: str
    person_id: str


def ids_kw(ids: dict[str, str]) -> Ids:
    """A created prospect's IDs as `customer_xml` keywords (an update of that person)."""
    return {"prospect_id": ids["ProspectID"], "person_id": ids["PersonID"]}


# -- readers ----------------------------------------------------------------------------


def xml_of(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    root: ET.Element = SafeET.fromstring(response.text)
    return root


def status(root: ET.Element) -> str:
    return root.findtext("Status") or ""


def error(root: ET.Element) -> str:
    assert status(root) == "Error", ET.tostring(root, encoding="unicode")
    return root.findtext("ErrorDescription") or ""


def ok(root: ET.Element) -> ET.Element:
    assert status(root) == "Success", root.findtext("ErrorDescription")
    return root


def prospects_of(root: ET.Element) -> list[ET.Element]:
    return root.findall("./Response/LeadManagement/Prospects/Prospect")


def ids_of(customer: ET.Element) -> dict[str, str]:
    """Identifications by IDType, as a client must read them."""
    return {i.get("IDType", ""): i.get("IDValue", "") for i in customer.findall("Identification")}


async def post(http: httpx.AsyncClient, world: World, document: str, **params: str) -> ET.Element:
    return xml_of(await http.post(POST, data=creds(world, Xml=document, **params)))


async def create(http: httpx.AsyncClient, world: World, **customer: Any) -> dict[str, str]:
    """Create a prospect through the API; return its ProspectID and PersonID."""
    root = ok(await post(http, world, new_lead(world, **customer)))
    return ids_of(root.findall(".//Customer")[0])


async def search(http: httpx.AsyncClient, world: World, **filters: str) -> list[ET.Element]:
    return prospects_of(ok(xml_of(await http.post(SEARCH, data=creds(world, **filters)))))
