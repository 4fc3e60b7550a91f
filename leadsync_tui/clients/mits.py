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
The request builders live in `mits_requests`, the records in `mits_records`, the tolerant
reading in `mits_lenient` and `mits_prospect`; all are re-exported here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import defusedxml
import defusedxml.ElementTree as SafeET

from leadsync_tui.clients.errors import MalformedResponse, rejected
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
    xml_descendants,
    xml_id,
    xml_ids_by_type,
    xml_name,
    xml_text,
)
from leadsync_tui.clients.mits_prospect import read_prospect
from leadsync_tui.clients.mits_records import (
    Envelope,
    NumberRange,
    PostResult,
    Prospect,
    ProspectEvent,
    ProspectPhone,
)
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

# The building half, the records and the tolerant reading, re-exported (this module's
# own names are public as well).
__all__ = [
    "FIRST_CONTACT_EVENT_TYPE",
    "ORGANIZATION",
    "Envelope",
    "FirstContact",
    "NumberRange",
    "PostResult",
    "Prospect",
    "ProspectEvent",
    "ProspectFields",
    "ProspectIds",
    "ProspectName",
    "ProspectPhone",
    "build_create",
    "build_lost",
    "build_reactivate",
    "build_update",
    "canonical_event_type",
    "parse_loose_date",
    "parse_number",
    "parse_utc_datetime",
    "read_prospect",
]

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
"""Largest ResMan answer we parse; SearchProspects is windowed well below this."""


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
    if xml_name(root) != "resman":
        raise MalformedResponse(f"ResMan answer has root <{xml_name(root) or '?'}>, not <ResMan>")
    status_element = xml_child(root, "status")
    if status_element is None:
        raise MalformedResponse("ResMan answer has no <Status>")
    status = xml_text(status_element) or ""
    method = xml_text(xml_child(root, "methodname"))
    if status.lower() != "success":
        description = xml_text(xml_child(root, "errordescription"))
        raise rejected(description, status=status, method=method)
    return Envelope(
        method_name=method,
        status=status,
        account_id=xml_text(xml_child(root, "accountid")),
        property_id=xml_text(xml_child(root, "propertyid")),
        response=xml_child(root, "response"),
    )


def _prospect_elements(response: ET.Element) -> list[ET.Element]:
    """Every `Prospects/Prospect`, with or without the `LeadManagement` wrapper."""
    return [
        p
        for group in xml_descendants(response, "prospects")
        for p in xml_children(group, "prospect")
    ]


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
    customers = customers_of(prospect)
    prospect_id = prospect_id_of(prospect, customers)
    if prospect_id is None:
        raise MalformedResponse("ResMan post answer has no ProspectID identification")
    main = customers[0] if customers else None
    event_ids = tuple(
        value
        for event in xml_children(xml_child(prospect, "events"), "event")
        if (value := xml_id(xml_child(event, "eventid")))
    )
    return PostResult(
        prospect_id=prospect_id,
        person_id=xml_ids_by_type(main).get("personid"),
        event_ids=event_ids,
        customer_type=(xml_attr(main, "type") or "").lower() or None,
    )


def parse_search_response(
    body: str | bytes, *, max_bytes: int = MAX_RESPONSE_BYTES
) -> list[Prospect]:
    """SearchProspects -> typed prospects; an empty `Prospects` gives []."""
    envelope = parse_envelope(body, max_bytes=max_bytes)
    if envelope.response is None:
        raise MalformedResponse("ResMan search answer has no <Response>")
    return [read_prospect(p) for p in _prospect_elements(envelope.response)]
