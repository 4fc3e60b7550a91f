"""One `<Prospect>` of a ResMan answer read into a `Prospect`: its main contact, phones,
preferences (a value it cannot read is kept in `unreadable`, not guessed) and comm log.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

from leadsync_tui.clients.errors import MalformedResponse
from leadsync_tui.clients.mits_lenient import (
    canonical_event_type,
    customers_of,
    parse_loose_date,
    parse_number,
    parse_utc_datetime,
    prospect_id_of,
    xml_attr,
    xml_child,
    xml_children,
    xml_id,
    xml_ids_by_type,
    xml_text,
)
from leadsync_tui.clients.mits_records import NumberRange, Prospect, ProspectEvent, ProspectPhone


class _Reader:
    """Reads values leniently, remembering the ones it could not (see `unreadable`)."""

    def __init__(self) -> None:
        self.unreadable: dict[str, str] = {}

    def date(self, key: str, raw: str | None) -> date | None:
        if raw is None:
            return None
        try:
            return parse_loose_date(raw)
        except ValueError:
            self.unreadable[key] = raw
            return None

    def number(self, key: str, raw: str | None) -> float | None:
        if raw is None or not raw:
            return None
        try:
            return parse_number(raw)
        except ValueError:
            self.unreadable[key] = raw
            return None

    def range(self, key: str, element: ET.Element | None) -> NumberRange:
        if element is None:
            return NumberRange()
        exact = xml_attr(element, "exact") or (xml_text(element) if not len(element) else None)
        return NumberRange(
            exact=self.number(key, exact),
            min=self.number(key, xml_attr(element, "min")),
            max=self.number(key, xml_attr(element, "max")),
        )


def _phones(customer: ET.Element | None) -> tuple[ProspectPhone, ...]:
    phones = []
    for phone in xml_children(customer, "phone"):
        number = xml_text(xml_child(phone, "phonenumber")) if len(phone) else xml_text(phone)
        if number:
            phones.append(ProspectPhone(number=number, phone_type=xml_attr(phone, "phonetype")))
    return tuple(phones)


def _pet_listed(node: ET.Element) -> bool:
    """A Count above zero, or a kind/name that is not "none"."""
    count = xml_attr(node, "count")
    if count is not None:
        try:
            return parse_number(count) > 0
        except ValueError:
            pass
    kind = (
        xml_attr(node, "pettype")
        or xml_attr(node, "type")
        or xml_text(xml_child(node, "pettype", "type", "name"))
        or (None if len(node) else xml_text(node))
    )
    return bool(kind) and (kind or "").lower() not in ("none", "no", "false", "0")


def _pets(preferences: ET.Element | None) -> bool | None:
    """True when any pet is listed; None otherwise (see `Prospect.pets`)."""
    for pets in xml_children(preferences, "pets", "pet"):
        if any(_pet_listed(node) for node in [pets, *xml_children(pets, "pet")]):
            return True
    return None


def _events(prospect: ET.Element) -> tuple[ProspectEvent, ...]:
    events = []
    for event in xml_children(xml_child(prospect, "events"), "event"):
        raw_date = xml_attr(event, "eventdate")
        try:
            when = parse_utc_datetime(raw_date) if raw_date else None
        except ValueError:
            when = None
        first = (xml_text(xml_child(event, "firstcontact")) or "").lower()
        events.append(
            ProspectEvent(
                event_type=canonical_event_type(xml_attr(event, "eventtype")),
                event_date=when,
                event_id=xml_id(xml_child(event, "eventid")),
                agent_id=xml_id(xml_child(xml_child(event, "agent"), "agentid")),
                first_contact={"true": True, "1": True, "false": False, "0": False}.get(first),
                transaction_source=xml_text(xml_child(event, "transactionsource")),
                event_reasons=xml_text(xml_child(event, "eventreasons")),
                comments=xml_text(xml_child(event, "comments", "comment")),
            )
        )
    return tuple(events)


def read_prospect(element: ET.Element) -> Prospect:
    """One `<Prospect>` element -> `Prospect` (its first Customer is the main contact)."""
    customers = customers_of(element)
    prospect_id = prospect_id_of(element, customers)
    if prospect_id is None:
        raise MalformedResponse("a Prospect in ResMan's answer has no ProspectID identification")
    main = customers[0] if customers else None
    name = xml_child(main, "name")
    prefs = xml_child(element, "customerpreferences")
    rent = xml_child(prefs, "desiredrent")
    reader = _Reader()
    values: dict[str, Any] = {
        "prospect_id": prospect_id,
        "person_id": xml_ids_by_type(main).get("personid"),
        "first_name": xml_text(xml_child(name, "firstname")),
        "last_name": xml_text(xml_child(name, "lastname")),
        "email": next((t for e in xml_children(main, "email") if (t := xml_text(e))), None),
        "phones": _phones(main),
        "target_move_in": reader.date(
            "target_move_in", xml_text(xml_child(prefs, "targetmoveindate"))
        ),
        "max_rent": reader.number(
            "max_rent", xml_attr(rent, "max") or xml_attr(rent, "exact") or xml_text(rent)
        ),
        "bedrooms": reader.range(
            "bedrooms", xml_child(prefs, "desirednumbedrooms", "desiredbedrooms")
        ),
        "bathrooms": reader.range(
            "bathrooms", xml_child(prefs, "desirednumbathrooms", "desiredbathrooms")
        ),
        "pets": _pets(prefs),
        "comments": xml_text(xml_child(prefs, "comments", "comment")),
        "customer_type": (xml_attr(main, "type") or "").lower() or None,
        "events": _events(element),
    }
    return Prospect(**values, unreadable=reader.unreadable)
