"""MITS Lead Management 4.0 as ResMan speaks it: pure XML build and parse, no I/O.

Building uses `xml.etree.ElementTree` (we control the input). Parsing only ever goes
through `defusedxml` with DTDs forbidden (entities and external references are forbidden
by default), after a size cap: ResMan's answers come from outside, and a DTD, an entity
bomb or a 50 MB body is refused as `MalformedResponse` before anything is expanded.

ResMan's XML is read tolerantly, the way its .NET binder and its real answers require:
element, attribute and `EventType` names case-insensitively, namespaces ignored, single
and repeated children alike, `ProspectID`/`PersonID` picked by `IDType` (never by
position), `DesiredRent@Max` read before `@Exact`. Anything but `Status=Success` raises
the `RemoteRejected` subclass that `errors.rejected` picks from `ErrorDescription`.

See `docs/resman-mits.md` sections 3-7 and 10 for the behaviour these rules follow.
The request builders live in `mits_requests` and are re-exported here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET
from pydantic import BaseModel, ConfigDict

from leadsync_tui.clients.errors import MalformedResponse, rejected
from leadsync_tui.clients.mits_requests import (
    FIRST_CONTACT_EVENT_TYPE,
    ORGANIZATION,
    FirstContact,
    ProspectFields,
    ProspectIds,
    ProspectName,
    build_create,
    build_lost,
    build_reactivate,
    build_update,
)
from leadsync_tui.resman_vocabulary import known_event_type

# The building half, re-exported (this module's own names are public as well).
__all__ = [
    "FIRST_CONTACT_EVENT_TYPE",
    "ORGANIZATION",
    "FirstContact",
    "ProspectFields",
    "ProspectIds",
    "ProspectName",
    "build_create",
    "build_lost",
    "build_reactivate",
    "build_update",
]

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
"""Largest ResMan answer we parse; SearchProspects is windowed well below this."""


_UNDATED = datetime.min.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- records


class ProspectPhone(BaseModel):
    """One of a ResMan person's phones (ResMan keeps up to three: Mobile/Home/Work)."""

    model_config = ConfigDict(frozen=True)

    number: str
    phone_type: str | None = None


class NumberRange(BaseModel):
    """A MITS `Exact`/`Min`/`Max` preference as read (ResMan stores beds/baths min/max)."""

    model_config = ConfigDict(frozen=True)

    exact: float | None = None
    min: float | None = None
    max: float | None = None

    @property
    def is_empty(self) -> bool:
        return self.exact is None and self.min is None and self.max is None


class ProspectEvent(BaseModel):
    """One comm-log entry of a prospect as SearchProspects shows it."""

    model_config = ConfigDict(frozen=True)

    event_type: str | None = None
    """Canonical spelling when known (`ReActivate`), else as sent."""
    event_date: datetime | None = None
    """UTC; ResMan writes it without an offset."""
    event_id: str | None = None
    agent_id: str | None = None
    first_contact: bool | None = None
    transaction_source: str | None = None
    event_reasons: str | None = None
    comments: str | None = None


class Prospect(BaseModel):
    """A ResMan prospect (guest card) as SearchProspects returns it, main contact only."""

    model_config = ConfigDict(frozen=True)

    prospect_id: str
    person_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phones: tuple[ProspectPhone, ...] = ()
    target_move_in: date | None = None
    max_rent: float | None = None
    """`DesiredRent@Max`, else `@Exact` (ResMan stores one MaxRent)."""
    bedrooms: NumberRange = NumberRange()
    bathrooms: NumberRange = NumberRange()
    pets: bool | None = None
    """True when any pet is listed; None when none is (ResMan cannot say "no pets")."""
    comments: str | None = None
    customer_type: str | None = None
    """Lower-case `Customer@Type`: prospect, applicant, current_resident, former_resident,
    lost..."""
    events: tuple[ProspectEvent, ...] = ()
    unreadable: dict[str, str] = {}
    """Values present but unreadable, by the field name above -> the raw text; the
    typed field is None. Mapping turns them into `format_invalid` conflicts."""

    def status_events(self) -> list[ProspectEvent]:
        """Cancel/ReActivate events, oldest first (undated ones first, in document order)."""
        found = [e for e in self.events if e.event_type in ("Cancel", "ReActivate")]
        return sorted(found, key=lambda e: e.event_date or _UNDATED)

    @property
    def is_lost(self) -> bool:
        """Lost by type; without a type, by the latest Cancel/ReActivate event."""
        if self.customer_type:
            return self.customer_type == "lost"
        status = self.status_events()
        return bool(status) and status[-1].event_type == "Cancel"

    @property
    def lost_reason(self) -> str | None:
        """The reason name from the latest Cancel event (`Prospect Lost: <reason>`)."""
        for event in reversed(self.status_events()):
            if event.event_type == "Cancel" and event.event_reasons:
                return event.event_reasons.removeprefix("Prospect Lost:").strip() or None
        return None


@dataclass(frozen=True)
class Envelope:
    """A `<ResMan>` answer whose Status was Success."""

    method_name: str | None
    status: str
    account_id: str | None
    property_id: str | None
    response: ET.Element | None = field(compare=False)


@dataclass(frozen=True)
class PostResult:
    """What a successful PostLeadManagement4_0 told us: the ids to store."""

    prospect_id: str
    person_id: str | None
    event_ids: tuple[str, ...] = ()
    customer_type: str | None = None


# --------------------------------------------------------------------------- reading


def _name(element: ET.Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _children(element: ET.Element | None, *names: str) -> list[ET.Element]:
    if element is None:
        return []
    return [child for child in element if _name(child) in names]


def _child(element: ET.Element | None, *names: str) -> ET.Element | None:
    found = _children(element, *names)
    return found[0] if found else None


def _descendants(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (node for node in element.iter() if _name(node) == name)


def _attr(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    for key, value in element.attrib.items():
        if key.rpartition("}")[2].lower() == name:
            return value.strip()
    return None


def _text(element: ET.Element | None) -> str | None:
    """The stripped text, None when the element is absent or empty."""
    if element is None:
        return None
    return (element.text or "").strip() or None


def _id_value(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    value = _attr(element, "idvalue")
    return value or _text(element)


def _ids_by_type(element: ET.Element | None) -> dict[str, str]:
    """`IDType` (lower-case) -> `IDValue` of an element's Identification children."""
    found: dict[str, str] = {}
    for ident in _children(element, "identification"):
        kind = (_attr(ident, "idtype") or "").lower()
        value = _id_value(ident)
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


_HTML_START = re.compile(r"^(<\?xml[^>]*>\s*)?(<!doctype\s+html|<html[\s>])", re.IGNORECASE)
_HTML_TITLE = re.compile(r"<title[^>]*>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)


def _html_page(text: str | bytes) -> str | None:
    """The title (or "no title") when a body is an HTML page: a proxy's or IIS's error
    page, which would otherwise be reported as a mere DTD or parse error."""
    head = text[:4096].decode("utf-8", "replace") if isinstance(text, bytes) else text[:4096]
    if not _HTML_START.match(head):
        return None
    found = _HTML_TITLE.search(head)
    title = " ".join(found.group(1).split())[:120] if found else ""
    return f"title {title!r}" if title else "no title"


def _parse_xml(body: str | bytes, max_bytes: int) -> ET.Element:
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise MalformedResponse(f"ResMan answer of {size} bytes exceeds the {max_bytes} cap")
    text: str | bytes = (
        body.lstrip(b" \t\r\n") if isinstance(body, bytes) else body.lstrip("\ufeff \t\r\n")
    )
    if not text:
        raise MalformedResponse("ResMan answered an empty body")
    page = _html_page(text)
    if page is not None:
        raise MalformedResponse(f"ResMan answered an HTML page ({page}), not MITS XML")
    try:
        root: ET.Element = SafeET.fromstring(text, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise MalformedResponse(
            f"ResMan answer refused: it carries a DTD, entities or external references ({exc})"
        ) from None
    except (ET.ParseError, ValueError, UnicodeError) as exc:
        raise MalformedResponse(f"ResMan answer is not well-formed XML: {exc}") from None
    return root


def parse_envelope(body: str | bytes, *, max_bytes: int = MAX_RESPONSE_BYTES) -> Envelope:
    """Read the `<ResMan>` envelope; anything but `Status=Success` raises.

    No envelope or no Status element -> `MalformedResponse` (retryable); a Status other
    than Success (`Error`, `Failed`, empty) -> the `RemoteRejected` that fits
    `ErrorDescription`.
    """
    root = _parse_xml(body, max_bytes)
    if _name(root) != "resman":
        raise MalformedResponse(f"ResMan answer has root <{_name(root) or '?'}>, not <ResMan>")
    status_element = _child(root, "status")
    if status_element is None:
        raise MalformedResponse("ResMan answer has no <Status>")
    status = _text(status_element) or ""
    method = _text(_child(root, "methodname"))
    if status.lower() != "success":
        description = _text(_child(root, "errordescription"))
        raise rejected(description, status=status, method=method)
    return Envelope(
        method_name=method,
        status=status,
        account_id=_text(_child(root, "accountid")),
        property_id=_text(_child(root, "propertyid")),
        response=_child(root, "response"),
    )


def _prospect_elements(response: ET.Element) -> list[ET.Element]:
    """Every `Prospects/Prospect`, with or without the `LeadManagement` wrapper."""
    return [
        p for group in _descendants(response, "prospects") for p in _children(group, "prospect")
    ]


def _customers(prospect: ET.Element) -> list[ET.Element]:
    customers = _children(_child(prospect, "customers"), "customer")
    return customers or _children(prospect, "customer")


def _prospect_id(prospect: ET.Element, customers: list[ET.Element]) -> str | None:
    for node in [*customers, prospect]:
        found = _ids_by_type(node).get("prospectid")
        if found:
            return found
    return None


def parse_post_response(body: str | bytes, *, max_bytes: int = MAX_RESPONSE_BYTES) -> PostResult:
    """The ids of a successful post: ProspectID/PersonID by IDType, and the EventIDs.

    A Success without a ProspectID is `MalformedResponse`: the engine must then look
    the prospect up (email/phone) before retrying, so a retry never duplicates it.
    """
    envelope = parse_envelope(body, max_bytes=max_bytes)
    prospects = [] if envelope.response is None else _prospect_elements(envelope.response)
    if not prospects:
        raise MalformedResponse("ResMan post answer has no Prospect to read the ids from")
    prospect = prospects[0]
    customers = _customers(prospect)
    prospect_id = _prospect_id(prospect, customers)
    if prospect_id is None:
        raise MalformedResponse("ResMan post answer has no ProspectID identification")
    main = customers[0] if customers else None
    event_ids = tuple(
        value
        for event in _children(_child(prospect, "events"), "event")
        if (value := _id_value(_child(event, "eventid")))
    )
    return PostResult(
        prospect_id=prospect_id,
        person_id=_ids_by_type(main).get("personid"),
        event_ids=event_ids,
        customer_type=(_attr(main, "type") or "").lower() or None,
    )


def parse_search_response(
    body: str | bytes, *, max_bytes: int = MAX_RESPONSE_BYTES
) -> list[Prospect]:
    """SearchProspects -> typed prospects; an empty `Prospects` gives []."""
    envelope = parse_envelope(body, max_bytes=max_bytes)
    if envelope.response is None:
        raise MalformedResponse("ResMan search answer has no <Response>")
    return [read_prospect(p) for p in _prospect_elements(envelope.response)]


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
        exact = _attr(element, "exact") or (_text(element) if not len(element) else None)
        return NumberRange(
            exact=self.number(key, exact),
            min=self.number(key, _attr(element, "min")),
            max=self.number(key, _attr(element, "max")),
        )


def _phones(customer: ET.Element | None) -> tuple[ProspectPhone, ...]:
    phones = []
    for phone in _children(customer, "phone"):
        number = _text(_child(phone, "phonenumber")) if len(phone) else _text(phone)
        if number:
            phones.append(ProspectPhone(number=number, phone_type=_attr(phone, "phonetype")))
    return tuple(phones)


def _pet_listed(node: ET.Element) -> bool:
    """A Count above zero, or a kind/name that is not "none"."""
    count = _attr(node, "count")
    if count is not None:
        try:
            return parse_number(count) > 0
        except ValueError:
            pass
    kind = (
        _attr(node, "pettype")
        or _attr(node, "type")
        or _text(_child(node, "pettype", "type", "name"))
        or (None if len(node) else _text(node))
    )
    return bool(kind) and (kind or "").lower() not in ("none", "no", "false", "0")


def _pets(preferences: ET.Element | None) -> bool | None:
    """True when any pet is listed; None otherwise (see `Prospect.pets`)."""
    for pets in _children(preferences, "pets", "pet"):
        if any(_pet_listed(node) for node in [pets, *_children(pets, "pet")]):
            return True
    return None


def _events(prospect: ET.Element) -> tuple[ProspectEvent, ...]:
    events = []
    for event in _children(_child(prospect, "events"), "event"):
        raw_date = _attr(event, "eventdate")
        try:
            when = parse_utc_datetime(raw_date) if raw_date else None
        except ValueError:
            when = None
        first = (_text(_child(event, "firstcontact")) or "").lower()
        events.append(
            ProspectEvent(
                event_type=canonical_event_type(_attr(event, "eventtype")),
                event_date=when,
                event_id=_id_value(_child(event, "eventid")),
                agent_id=_id_value(_child(_child(event, "agent"), "agentid")),
                first_contact={"true": True, "1": True, "false": False, "0": False}.get(first),
                transaction_source=_text(_child(event, "transactionsource")),
                event_reasons=_text(_child(event, "eventreasons")),
                comments=_text(_child(event, "comments", "comment")),
            )
        )
    return tuple(events)


def read_prospect(element: ET.Element) -> Prospect:
    """One `<Prospect>` element -> `Prospect` (its first Customer is the main contact)."""
    customers = _customers(element)
    prospect_id = _prospect_id(element, customers)
    if prospect_id is None:
        raise MalformedResponse("a Prospect in ResMan's answer has no ProspectID identification")
    main = customers[0] if customers else None
    name = _child(main, "name")
    prefs = _child(element, "customerpreferences")
    rent = _child(prefs, "desiredrent")
    reader = _Reader()
    values: dict[str, Any] = {
        "prospect_id": prospect_id,
        "person_id": _ids_by_type(main).get("personid"),
        "first_name": _text(_child(name, "firstname")),
        "last_name": _text(_child(name, "lastname")),
        "email": next((t for e in _children(main, "email") if (t := _text(e))), None),
        "phones": _phones(main),
        "target_move_in": reader.date("target_move_in", _text(_child(prefs, "targetmoveindate"))),
        "max_rent": reader.number(
            "max_rent", _attr(rent, "max") or _attr(rent, "exact") or _text(rent)
        ),
        "bedrooms": reader.range(
            "bedrooms", _child(prefs, "desirednumbedrooms", "desiredbedrooms")
        ),
        "bathrooms": reader.range(
            "bathrooms", _child(prefs, "desirednumbathrooms", "desiredbathrooms")
        ),
        "pets": _pets(prefs),
        "comments": _text(_child(prefs, "comments", "comment")),
        "customer_type": (_attr(main, "type") or "").lower() or None,
        "events": _events(element),
    }
    return Prospect(**values, unreadable=reader.unreadable)
