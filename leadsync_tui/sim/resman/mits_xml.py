"""MITS Lead Management 4.0 XML as ResMan reads it (its answers: `mits_answers.py`).

Reading: the posted document is parsed with defusedxml (no DTD, no entities, no external
references: XXE and billion-laughs payloads are refused before expansion), capped in size,
and read with element and attribute names and `EventType` values matched
case-insensitively and namespaces ignored, the way ResMan's .NET binder tolerates them.
Anything wrong becomes a `MitsXmlError` whose text goes to the client as `ErrorDescription`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, date, datetime

import defusedxml
import defusedxml.ElementTree as SafeET

from leadsync_tui.resman_vocabulary import known_event_type
from leadsync_tui.sim.resman.posted import (
    PostedCustomer,
    PostedEvent,
    PostedPhone,
    PostedPreferences,
    PostedProspect,
)
from leadsync_tui.sim.resman.records import (
    Address,
    Pet,
)

MAX_XML_BYTES = 2 * 1024 * 1024
"""Largest `Xml` document accepted (inferred; ResMan documents no limit)."""


PHONE_TYPE_ALIASES: Mapping[str, str] = {
    "cell": "Mobile",
    "cellular": "Mobile",
    "cellphone": "Mobile",
    "mobile": "Mobile",
    "home": "Home",
    "personal": "Home",
    "evening": "Home",
    "work": "Work",
    "office": "Work",
    "business": "Work",
    "day": "Work",
}
"""MITS PhoneType -> ResMan slot. Others (fax, missing) take the first free slot."""

_DATETIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)


class MitsXmlError(ValueError):
    """The posted document cannot be read; the message is the ErrorDescription."""


# -- values ---------------------------------------------------------------------------


def parse_datetime(value: str) -> datetime:
    """ISO 8601 (offset optional, `Z` allowed) or US `M/D/YYYY [h:mm[:ss] [AM|PM]]`.

    A value without an offset is UTC: ResMan reads every API time as UTC.
    """
    raw = value.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        for fmt in _DATETIME_FORMATS:
            try:
                moment = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"not a date/time: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def is_date_only(value: str) -> bool:
    raw = value.strip()
    try:
        date.fromisoformat(raw)
        return True
    except ValueError:
        pass
    try:
        datetime.strptime(raw, "%m/%d/%Y")
        return True
    except ValueError:
        return False


def parse_date(value: str) -> date:
    raw = value.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return parse_datetime(raw).date()


def _parse_bool(value: str, what: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise MitsXmlError(f"Invalid {what}: {value!r}")


def canonical_event_type(value: str) -> str:
    found = known_event_type(value)
    if found is None:
        raise MitsXmlError(f"EventType {value!r} is not valid")
    return found


# -- case-insensitive reading ---------------------------------------------------------


def _name(element: ET.Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    if element is None:
        return []
    return [c for c in element if _name(c) == name]


def _child(element: ET.Element | None, *names: str) -> ET.Element | None:
    if element is None:
        return None
    return next((c for c in element if _name(c) in names), None)


def _attr(element: ET.Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if key.rpartition("}")[2].lower() == name:
            return value
    return None


def _text(element: ET.Element | None) -> str | None:
    """None if the element is absent, else its stripped text ("" when empty)."""
    if element is None:
        return None
    return (element.text or "").strip()


def _id_value(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    value = _attr(element, "idvalue")
    if value is None:
        value = element.text or ""
    return value.strip() or None


# -- parsing --------------------------------------------------------------------------


def parse_lead_management(
    document: str | bytes, *, max_bytes: int = MAX_XML_BYTES
) -> list[PostedProspect]:
    """Read a posted `<LeadManagement>`; raise `MitsXmlError` with the client-facing text.

    A `str` (the `Xml` form field) is parsed as text; `bytes` (a raw MITSLite body) let
    the XML declaration or a BOM pick the encoding.
    """
    size = len(document) if isinstance(document, bytes) else len(document.encode("utf-8"))
    if size > max_bytes:
        raise MitsXmlError(f"Xml exceeds the maximum size of {max_bytes} bytes")
    text: str | bytes
    if isinstance(document, bytes):
        text = (
            document
            if document.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
            else (document.lstrip(b" \t\r\n"))
        )
    else:
        text = document.lstrip("\ufeff \t\r\n")
    if not text:
        raise MitsXmlError("Xml is required")
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise MitsXmlError(
            "Xml must not contain a DTD, entity declarations or external references"
        ) from None
    except (ET.ParseError, ValueError) as exc:
        raise MitsXmlError(f"Xml is not well-formed: {exc}") from None
    if _name(root) != "leadmanagement":
        raise MitsXmlError("Xml root element must be LeadManagement")
    prospects = [p for group in _children(root, "prospects") for p in _children(group, "prospect")]
    if not prospects:
        raise MitsXmlError("Xml contains no Prospect")
    return [_prospect(p) for p in prospects]


def _prospect(element: ET.Element) -> PostedProspect:
    posted = PostedProspect(
        customers=[_customer(c) for c in _children(_child(element, "customers"), "customer")],
        events=[_event(e) for e in _children(_child(element, "events"), "event")],
    )
    preferences = _child(element, "customerpreferences")
    if preferences is not None:
        posted.preferences = _preferences(preferences)
    for node in element.iter():
        if _name(node) == "identification" and (_attr(node, "idtype") or "").lower() == (
            "propertyid"
        ):
            posted.property_id = _id_value(node)
    return posted


def _customer(element: ET.Element) -> PostedCustomer:
    customer = PostedCustomer(customer_type=_attr(element, "type"))
    for ident in _children(element, "identification"):
        kind = (_attr(ident, "idtype") or "").strip().lower()
        if kind == "prospectid":
            customer.prospect_id = _id_value(ident)
        elif kind == "personid":
            customer.person_id = _id_value(ident)
    name = _child(element, "name")
    customer.first_name = _text(_child(name, "firstname"))
    customer.middle_name = _text(_child(name, "middlename"))
    customer.last_name = _text(_child(name, "lastname"))
    customer.email = _text(_child(element, "email"))
    for phone in _children(element, "phone"):
        number_el = _child(phone, "phonenumber")
        number = _text(number_el) if number_el is not None else _text(phone)
        raw_type = (_attr(phone, "phonetype") or "").strip().lower()
        customer.phones.append(
            PostedPhone(number=number or "", phone_type=PHONE_TYPE_ALIASES.get(raw_type))
        )
    address = _child(element, "address")
    if address is not None:
        customer.address = Address(
            address_type=_attr(address, "addresstype") or "Prospect",
            line1=_text(_child(address, "addressline1")) or "",
            line2=_text(_child(address, "addressline2")) or "",
            city=_text(_child(address, "city")) or "",
            state=_text(_child(address, "state")) or "",
            postal_code=_text(_child(address, "postalcode")) or "",
            country=_text(_child(address, "country")) or "",
        )
    return customer


def _number(element: ET.Element, attribute: str, what: str) -> float | None:
    raw = _attr(element, attribute)
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise MitsXmlError(f"Invalid {what}: {raw!r}") from None


def _preferences(element: ET.Element) -> PostedPreferences:
    prefs = PostedPreferences()
    move_in = _text(_child(element, "targetmoveindate"))
    if move_in is not None:
        prefs.present.add("target_move_in_date")
        try:
            prefs.target_move_in_date = parse_date(move_in) if move_in else None
        except ValueError:
            raise MitsXmlError(f"Invalid TargetMoveInDate: {move_in!r}") from None
    rent = _child(element, "desiredrent")
    if rent is not None:
        exact = _number(rent, "exact", "DesiredRent")
        maximum = _number(rent, "max", "DesiredRent")
        value = exact if exact is not None else maximum
        prefs.present.add("max_rent")
        prefs.max_rent = None if value is None else round(value)
    for tag, low, high, what, cast in (
        ("desirednumbedrooms", "bedrooms_min", "bedrooms_max", "DesiredNumBedrooms", int),
        ("desirednumbathrooms", "bathrooms_min", "bathrooms_max", "DesiredNumBathrooms", float),
    ):
        node = _child(element, tag)
        if node is None:
            continue
        exact = _number(node, "exact", what)
        bounds: dict[str, float | None] = {}
        if exact is not None:
            bounds = {low: exact, high: exact}
        elif _attr(node, "min") is None and _attr(node, "max") is None:
            bounds = {low: None, high: None}  # an empty element clears both
        else:
            if _attr(node, "min") is not None:
                bounds[low] = _number(node, "min", what)
            if _attr(node, "max") is not None:
                bounds[high] = _number(node, "max", what)
        for key, value in bounds.items():
            prefs.present.add(key)
            setattr(prefs, key, None if value is None else cast(value))
    pets = _children(element, "pets")
    if pets:
        prefs.present.add("pets")
        for node in pets:
            kind = (_attr(node, "pettype") or _text(node) or "").strip()
            count = _number(node, "count", "Pets Count")
            if kind:
                prefs.pets.append(Pet(pet_type=kind, count=1 if count is None else int(count)))
    comments = _text(_child(element, "comments", "comment"))
    if comments is not None:
        prefs.present.add("comments")
        prefs.comments = comments
    return prefs


def _event(element: ET.Element) -> PostedEvent:
    raw_type = _attr(element, "eventtype")
    event = PostedEvent(event_type=canonical_event_type(raw_type) if raw_type else None)
    raw_date = _attr(element, "eventdate")
    if raw_date:
        try:
            event.event_date = parse_datetime(raw_date)
        except ValueError:
            raise MitsXmlError(f"Invalid EventDate: {raw_date!r}") from None
    event.event_id = _id_value(_child(element, "eventid"))
    event.agent_id = _id_value(_child(_child(element, "agent"), "agentid"))
    first_contact = _text(_child(element, "firstcontact"))
    if first_contact is not None:
        event.first_contact = _parse_bool(first_contact, "FirstContact")
    event.transaction_source = _text(_child(element, "transactionsource")) or None
    event.event_reasons = _text(_child(element, "eventreasons"))
    event.comments = _text(_child(element, "comments", "comment"))
    return event
