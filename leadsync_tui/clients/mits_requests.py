"""The documents leadsync posts to ResMan's PostLeadManagement4_0: pure XML building.

Every post names its Customer (`Name/FirstName`, `Name/LastName`), a create and an
update, lost and reactivate alike: every real integration does (DWELL re-sends the name
on every update), so a ResMan that requires it never refuses ours. Callers of the
update builders pass the main contact's current name as `ProspectName`.

`leadsync_tui.clients.mits` re-exports these names; the parsing side lives there.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from leadsync_tui.clients.errors import ValidationFailed
from leadsync_tui.models import format_utc

FIRST_CONTACT_EVENT_TYPE = "Other"
"""What a create's first-contact event is by default: DWELL sends `other`, and `Other`
is in the list ResMan accepts (`WebService` is MITS but not on Propexo's ResMan list)."""

ORGANIZATION = "ResMan"

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------- requests


class ProspectIds(BaseModel):
    """The ids that make a post an update of an existing prospect's main contact.

    Both are required: a post with the ProspectID but no PersonID adds a new person
    (a roommate) to the prospect instead of updating the main contact.
    """

    model_config = ConfigDict(frozen=True)

    prospect_id: str
    person_id: str


class ProspectName(BaseModel):
    """The main contact's name as it stands, sent with every update (see module doc):
    from the prospect just read, else the last agreed snapshot, else the lead."""

    model_config = ConfigDict(frozen=True)

    first_name: str
    last_name: str


class ProspectFields(BaseModel):
    """Field values to post. Fields not passed are left out of the XML (ResMan keeps
    them); fields passed as None are sent empty, which clears them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    """As ResMan should store it (mapping sends US numbers as `(512) 555-0143`)."""
    target_move_in: date | None = None
    desired_rent: int | None = None
    bedrooms: int | None = None
    bathrooms: float | None = None
    pets: bool | None = None
    comments: str | None = None

    @property
    def given(self) -> frozenset[str]:
        """The fields passed explicitly (None included): exactly what gets posted."""
        return frozenset(self.model_fields_set)


class FirstContact(BaseModel):
    """The first-contact event a create needs: a ResMan employee and a property source."""

    model_config = ConfigDict(frozen=True)

    agent_id: str | None
    source_id: str | None
    event_date: datetime
    event_type: str = FIRST_CONTACT_EVENT_TYPE
    comments: str | None = None


# --------------------------------------------------------------------------- building


def _safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry, so the document we post is well-formed."""
    return _XML_ILLEGAL.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: _safe(v) for k, v in attrs.items()})
    if text is not None:
        node.text = _safe(text)
    return node


def _number_text(value: float) -> str:
    as_decimal = Decimal(str(value)).normalize()
    return format(as_decimal, "f")


def _skeleton(customer_type: str | None) -> tuple[ET.Element, ET.Element, ET.Element]:
    """`LeadManagement/Prospects/Prospect` and its one `Customer`."""
    root = ET.Element("LeadManagement")
    prospect = _sub(_sub(root, "Prospects"), "Prospect")
    attrs = {"Type": customer_type} if customer_type else {}
    customer = _sub(_sub(prospect, "Customers"), "Customer", **attrs)
    return root, prospect, customer


def _identify(customer: ET.Element, ids: ProspectIds) -> None:
    for kind, value in (("ProspectID", ids.prospect_id), ("PersonID", ids.person_id)):
        if not value.strip():
            raise ValidationFailed(f"an update needs the {kind}", field=kind)
        _sub(customer, "Identification", IDType=kind, IDValue=value, OrganizationName=ORGANIZATION)


def _name(customer: ET.Element, fields: ProspectFields, current: ProspectName | None) -> None:
    """`Name` with both parts: the ones being posted, else the current ones."""
    given = fields.given
    parts = {}
    for part in ("first_name", "last_name"):
        value = getattr(fields, part) if part in given or current is None else None
        if part not in given and current is not None:
            value = getattr(current, part)
        if not (value or "").strip():
            raise ValidationFailed(
                f"a post to ResMan needs the prospect's {part}: every post names its "
                "Customer, and ResMan refuses an empty name",
                field=part,
            )
        parts[part] = value or ""
    name = _sub(customer, "Name")
    _sub(name, "FirstName", parts["first_name"])
    _sub(name, "LastName", parts["last_name"])


def _customer_fields(customer: ET.Element, fields: ProspectFields) -> None:
    given = fields.given
    if "phone" in given:
        _sub(_sub(customer, "Phone", PhoneType="cell"), "PhoneNumber", fields.phone or "")
    if "email" in given:
        _sub(customer, "Email", fields.email or "")


def _range(parent: ET.Element, tag: str, value: float | None) -> None:
    if value is None:
        _sub(parent, tag)
    else:
        _sub(parent, tag, Exact=_number_text(value))


def _preferences(prospect: ET.Element, fields: ProspectFields) -> None:
    given = fields.given
    if not given & {"target_move_in", "desired_rent", "bedrooms", "bathrooms", "pets", "comments"}:
        return
    prefs = _sub(prospect, "CustomerPreferences")
    if "target_move_in" in given:
        move_in = fields.target_move_in
        _sub(prefs, "TargetMoveInDate", move_in.isoformat() if move_in else "")
    if "desired_rent" in given:
        _range(prefs, "DesiredRent", fields.desired_rent)
    if "bedrooms" in given:
        _range(prefs, "DesiredNumBedrooms", fields.bedrooms)
    if "bathrooms" in given:
        _range(prefs, "DesiredNumBathrooms", fields.bathrooms)
    if "pets" in given:
        # ResMan keeps a pet list, not a yes/no: "yes" is one pet of unknown kind,
        # "no"/None an empty element, which clears the list.
        if fields.pets:
            _sub(prefs, "Pets", PetType="Other", Count="1")
        else:
            _sub(prefs, "Pets")
    if "comments" in given:
        _sub(prefs, "Comments", fields.comments or "")


def _event(
    prospect: ET.Element,
    event_type: str,
    event_date: datetime,
    *,
    first_contact: bool,
    agent_id: str | None,
    source: str | None,
    comments: str | None,
) -> None:
    events = _sub(prospect, "Events")
    event = _sub(events, "Event", EventType=event_type, EventDate=format_utc(event_date))
    if agent_id:
        _sub(_sub(event, "Agent"), "AgentID", IDValue=agent_id)
    _sub(event, "FirstContact", "true" if first_contact else "false")
    if source:
        _sub(event, "TransactionSource", source)
    if comments:
        _sub(event, "Comments", comments)


def _serialise(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")


def build_create(fields: ProspectFields, first_contact: FirstContact) -> str:
    """The `Xml` of a post that creates a prospect (no ProspectID identification).

    Raises `ValidationFailed` naming what is missing: ResMan refuses a new prospect
    without first and last name, a leasing agent or a property-linked source.
    """
    for name, value in (("first_name", fields.first_name), ("last_name", fields.last_name)):
        if not (value or "").strip():
            raise ValidationFailed(f"a new ResMan prospect needs a {name}", field=name)
    if not (first_contact.agent_id or "").strip():
        raise ValidationFailed(
            "a new ResMan prospect needs a leasing agent (Agent/AgentID): set agent_id "
            "for this property under [resman.properties]",
            field="agent_id",
        )
    if not (first_contact.source_id or "").strip():
        raise ValidationFailed(
            "a new ResMan prospect needs a prospect source (TransactionSource): set "
            "source_id for this property under [resman.properties]",
            field="source_id",
        )
    root, prospect, customer = _skeleton("prospect")
    _name(customer, fields, None)
    _customer_fields(customer, fields)
    _preferences(prospect, fields)
    _event(
        prospect,
        first_contact.event_type,
        first_contact.event_date,
        first_contact=True,
        agent_id=first_contact.agent_id,
        source=first_contact.source_id,
        comments=first_contact.comments,
    )
    return _serialise(root)


def build_update(
    ids: ProspectIds,
    fields: ProspectFields,
    *,
    name: ProspectName,
    customer_type: str | None = None,
) -> str:
    """The `Xml` of a post that updates only the fields given (ResMan keeps the rest),
    plus the Customer's `Name`: `fields`' name parts where given, else `name`'s.

    `customer_type` is left out by default so an update never flips lost/prospect by
    accident; status changes go through `build_lost` / `build_reactivate`.
    """
    root, prospect, customer = _skeleton(customer_type)
    _identify(customer, ids)
    _name(customer, fields, name)
    _customer_fields(customer, fields)
    _preferences(prospect, fields)
    return _serialise(root)


def build_lost(
    ids: ProspectIds,
    *,
    name: ProspectName,
    reason_id: str,
    event_date: datetime,
    agent_id: str | None = None,
    comments: str | None = None,
) -> str:
    """Mark a prospect lost: `Customer Type="lost"` plus a `Cancel` event whose
    TransactionSource is a lost-reason id (from `Leasing/GetLostProspectReasons`)."""
    if not reason_id.strip():
        raise ValidationFailed("marking a prospect lost needs a lost reason id", field="reason_id")
    root, prospect, customer = _skeleton("lost")
    _identify(customer, ids)
    _name(customer, ProspectFields(), name)
    _event(
        prospect,
        "Cancel",
        event_date,
        first_contact=False,
        agent_id=agent_id,
        source=reason_id,
        comments=comments,
    )
    return _serialise(root)


def build_reactivate(
    ids: ProspectIds,
    *,
    name: ProspectName,
    event_date: datetime,
    agent_id: str | None = None,
    source_id: str | None = None,
    comments: str | None = None,
) -> str:
    """Undo lost: `Customer Type="prospect"` plus a `ReActivate` event.

    Pass the agent: SearchProspects only shows events an employee made.
    """
    root, prospect, customer = _skeleton("prospect")
    _identify(customer, ids)
    _name(customer, ProspectFields(), name)
    _event(
        prospect,
        "ReActivate",
        event_date,
        first_contact=False,
        agent_id=agent_id,
        source=source_id,
        comments=comments,
    )
    return _serialise(root)
