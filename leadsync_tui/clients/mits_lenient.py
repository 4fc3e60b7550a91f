"""ResMan's XML read tolerantly, the way its .NET binder and its real answers require:
element and attribute names case-insensitively, namespaces ignored, single and repeated
children alike, identifications picked by `IDType`; and its values (dates, money,
event types) written in any of the ways ResMan and people write them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from leadsync_tui.resman_vocabulary import known_event_type


def xml_name(element: ET.Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def xml_children(element: ET.Element | None, *names: str) -> list[ET.Element]:
    if element is None:
        return []
    return [child for child in element if xml_name(child) in names]


def xml_child(element: ET.Element | None, *names: str) -> ET.Element | None:
    found = xml_children(element, *names)
    return found[0] if found else None


def xml_descendants(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (node for node in element.iter() if xml_name(node) == name)


def xml_attr(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    for key, value in element.attrib.items():
        if key.rpartition("}")[2].lower() == name:
            return value.strip()
    return None


def xml_text(element: ET.Element | None) -> str | None:
    """The stripped text, None when the element is absent or empty."""
    if element is None:
        return None
    return (element.text or "").strip() or None


def xml_id(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    value = xml_attr(element, "idvalue")
    return value or xml_text(element)


def xml_ids_by_type(element: ET.Element | None) -> dict[str, str]:
    """`IDType` (lower-case) -> `IDValue` of an element's Identification children."""
    found: dict[str, str] = {}
    for ident in xml_children(element, "identification"):
        kind = (xml_attr(ident, "idtype") or "").lower()
        value = xml_id(ident)
        if kind and value and kind not in found:
            found[kind] = value
    return found


def canonical_event_type(value: str | None) -> str | None:
    """`reactivate` -> `ReActivate`; unknown types are kept as sent (stripped)."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    return known_event_type(raw) or raw


def parse_utc_datetime(value: str) -> datetime:
    """ISO 8601 with or without offset; no offset means UTC (ResMan's convention)."""
    moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed out of range by the offset
        raise ValueError(f"date out of range: {value!r}") from None


def parse_loose_date(value: str) -> date:
    """`YYYY-MM-DD`, an ISO datetime (its date part as written), or US `M/D/YYYY`."""
    raw = value.strip()
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        pass
    month, day, year = raw.split(" ")[0].split("/")
    try:
        return date(int(year), int(month), int(day))
    except OverflowError:  # a year of twenty digits is unreadable, not a crash
        raise ValueError(f"date out of range: {value!r}") from None


def parse_number(value: str) -> float:
    """`1850`, `1850.00`, `1,850`, `$1,850`: ResMan and people write money variously."""
    cleaned = value.strip().replace(",", "").removeprefix("$").strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return float(number)


def customers_of(prospect: ET.Element) -> list[ET.Element]:
    customers = xml_children(xml_child(prospect, "customers"), "customer")
    return customers or xml_children(prospect, "customer")


def prospect_id_of(prospect: ET.Element, customers: list[ET.Element]) -> str | None:
    for node in [*customers, prospect]:
        found = xml_ids_by_type(node).get("prospectid")
        if found:
            return found
    return None
