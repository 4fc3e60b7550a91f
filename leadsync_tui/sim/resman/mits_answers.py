"""MITS answers as ResMan writes them: the `<ResMan>` envelope, the post echo, the
SearchProspects prospects and the Leasing/Account rows in XML.

Writing is apart from reading (`mits_xml.py`): it is strict where reading is lenient,
always in ResMan's canonical spelling, and dates go out as UTC without an offset
(`2024-01-02T15:04:05`), as ResMan's serializer writes them.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from leadsync_tui.sim.resman.records import Event, Person, Preferences, Prospect
from leadsync_tui.sim.resman.state import ResmanState


def format_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def to_bytes(root: ET.Element) -> bytes:
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>' + text).encode("utf-8")


def envelope(
    method: str,
    *,
    error: str | None = None,
    account_id: int | str | None = None,
    property_id: str | None = None,
    response: Sequence[ET.Element] | None = None,
) -> ET.Element:
    """`<ResMan>`: MethodName, Status, AccountID, PropertyID, [ErrorDescription], Response
    (holding the `response` elements; left out when None)."""
    root = ET.Element("ResMan")
    _sub(root, "MethodName", method)
    _sub(root, "Status", "Error" if error is not None else "Success")
    _sub(root, "AccountID", "" if account_id is None else str(account_id))
    _sub(root, "PropertyID", property_id or "")
    if error is not None:
        _sub(root, "ErrorDescription", error)
    if response is not None:
        _sub(root, "Response").extend(response)
    return root


def lead_management(prospects: Iterable[ET.Element]) -> ET.Element:
    root = ET.Element("LeadManagement")
    group = _sub(root, "Prospects")
    group.extend(prospects)
    return root


def _identifications(
    parent: ET.Element, ids: Sequence[tuple[str, str]], order_rng: random.Random
) -> None:
    """Identifications in a shuffled order: clients must pick them by IDType."""
    shuffled = list(ids)
    order_rng.shuffle(shuffled)
    for kind, value in shuffled:
        _sub(parent, "Identification", IDType=kind, IDValue=value, OrganizationName="ResMan")


def customer_element(prospect: Prospect, person: Person, order_rng: random.Random) -> ET.Element:
    node = ET.Element("Customer", {"Type": prospect.effective_customer_type})
    _identifications(
        node, [("ProspectID", prospect.prospect_id), ("PersonID", person.person_id)], order_rng
    )
    name = _sub(node, "Name")
    _sub(name, "FirstName", person.first_name)
    if person.middle_name:
        _sub(name, "MiddleName", person.middle_name)
    _sub(name, "LastName", person.last_name)
    if person.address is not None:
        address = _sub(node, "Address", AddressType=person.address.address_type or "Prospect")
        for tag, value in (
            ("AddressLine1", person.address.line1),
            ("AddressLine2", person.address.line2),
            ("City", person.address.city),
            ("State", person.address.state),
            ("PostalCode", person.address.postal_code),
            ("Country", person.address.country),
        ):
            if value:
                _sub(address, tag, value)
    for kind, number in person.phones.items():
        phone = _sub(node, "Phone", PhoneType=kind)
        _sub(phone, "PhoneNumber", number)
    if person.email:
        _sub(node, "Email", person.email)
    return node


def preferences_element(prefs: Preferences) -> ET.Element:
    """What ResMan stores: rent as `Max`, beds/baths as `Min`/`Max`."""
    node = ET.Element("CustomerPreferences")
    if prefs.target_move_in_date is not None:
        _sub(node, "TargetMoveInDate", prefs.target_move_in_date.isoformat())
    if prefs.max_rent is not None:
        _sub(node, "DesiredRent", Max=str(prefs.max_rent))
    for tag, low, high in (
        ("DesiredNumBedrooms", prefs.bedrooms_min, prefs.bedrooms_max),
        ("DesiredNumBathrooms", prefs.bathrooms_min, prefs.bathrooms_max),
    ):
        bounds = {
            key: _format_number(value)
            for key, value in (("Min", low), ("Max", high))
            if value is not None
        }
        if bounds:
            _sub(node, tag, **bounds)
    for pet in prefs.pets:
        _sub(node, "Pets", PetType=pet.pet_type, Count=str(pet.count))
    if prefs.comments:
        _sub(node, "Comments", prefs.comments)
    return node


def event_element(state: ResmanState, event: Event) -> ET.Element:
    node = ET.Element(
        "Event", {"EventType": event.event_type, "EventDate": format_datetime(event.event_date)}
    )
    _sub(node, "EventID", IDType="EventID", IDValue=event.event_id, OrganizationName="ResMan")
    if event.agent_id is not None:
        agent = _sub(node, "Agent")
        _sub(agent, "AgentID", IDValue=event.agent_id)
        employee = state.get_employee(event.agent_id)
        if employee is not None:
            first, last = employee.first_last
            agent_name = _sub(agent, "AgentName")
            _sub(agent_name, "FirstName", first)
            _sub(agent_name, "LastName", last)
    _sub(node, "FirstContact", "true" if event.first_contact else "false")
    if event.transaction_source:
        _sub(node, "TransactionSource", event.transaction_source)
    reasons = event.event_reasons
    if event.event_type == "Cancel" and event.transaction_source:
        reason = state.get_lost_reason(event.transaction_source)
        if reason is not None:
            reasons = f"Prospect Lost: {reason.name}"
    if reasons:
        _sub(node, "EventReasons", reasons)
    # Always present, empty or not: integrators index `Event/Comments` unguarded.
    _sub(node, "Comments", event.comments or "")
    return node


def prospect_element(
    state: ResmanState,
    prospect: Prospect,
    *,
    persons: Sequence[Person],
    events: Sequence[Event],
    include_preferences: bool,
) -> ET.Element:
    node = ET.Element("Prospect")
    customers = _sub(node, "Customers")
    for person in persons:
        customers.append(customer_element(prospect, person, state.order_rng))
    if include_preferences:
        node.append(preferences_element(prospect.preferences))
    if events:
        group = _sub(node, "Events")
        group.extend(event_element(state, e) for e in events)
    return node


def rows_element(container: str, item: str, rows: Sequence[Mapping[str, object]]) -> ET.Element:
    """A JSON list payload (`ProspectSources`, `Employees`...) in its XML form."""
    root = ET.Element(container)
    for row in rows:
        entry = _sub(root, item)
        for key, value in row.items():
            text = (
                ""
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            _sub(entry, key, text)
    return root


def truncated(body: bytes) -> bytes:
    """The first half of a document: what a client sees when the answer is cut off."""
    return body[: max(1, len(body) // 2)]
