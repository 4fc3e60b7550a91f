"""PostLeadManagement4_0's rules: create or update a prospect from a posted document.

A post is checked in full before anything is written (every Prospect in it), so a
refused post leaves the account untouched. The ErrorDescription texts are module
constants; `TRANSACTION_SOURCE_NOT_FOUND` is ResMan's real wording, the others are ours.

Rules (ResMan documents few of them; [I] = inferred, see docs/resman-mits.md §6):
- A Customer with a ProspectID Identification makes the post an update; without, a create.
- Create: the first Customer is the main contact, the others roommates; every new person
  needs FirstName and LastName; some Event must be a first contact (FirstContact true,
  Agent/AgentID, TransactionSource) and it sets the prospect's agent and source.
- Every Customer, update or not, must carry its Name (FirstName and LastName): every real
  integration sends it in every post, so the simulator refuses one without (the
  `require_name` switch turns this off) [I].
- Update: present elements overwrite, absent ones stay, an empty element clears [I].
  A Customer without PersonID becomes a new roommate. Phones merge by slot (Home/Mobile/
  Work): a posted number replaces the one of its type, an empty number clears it [I].
- Events: without EventID they are appended; with a known EventID updated in place [I].
  A first-contact event (re)sets agent and source. `Cancel` (TransactionSource = a lost
  reason ID) marks the prospect lost; `ReActivate` clears it. The Customer `Type` is not
  what marks it lost, and is otherwise ignored: ResMan derives CustomerType itself [I].
- Every write bumps LastModified: each posted person's, and the prospect's when the post
  creates it or carries preferences or events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from leadsync_tui.sim.resman.posted import (
    PostedCustomer,
    PostedEvent,
    PostedPhone,
    PostedProspect,
)
from leadsync_tui.sim.resman.records import (
    PHONE_TYPES,
    Event,
    Person,
    Prospect,
    digits,
    normalize_guid,
)
from leadsync_tui.sim.resman.state import ResmanState

TRANSACTION_SOURCE_NOT_FOUND = "Transaction Source could not be found"
LOST_REASON_NOT_FOUND = "Lost Prospect Reason could not be found"
AGENT_NOT_FOUND = "Agent could not be found"
PROSPECT_NOT_FOUND = "Prospect could not be found"
PERSON_NOT_FOUND = "Person could not be found"
EVENT_NOT_FOUND = "Event could not be found"
FIRST_NAME_REQUIRED = "FirstName is required"
LAST_NAME_REQUIRED = "LastName is required"
NAME_REQUIRED = "Customer Name (FirstName and LastName) is required"
FIRST_CONTACT_REQUIRED = (
    "A first contact Event (FirstContact true, with an Agent AgentID and a "
    "TransactionSource) is required to create a prospect"
)
CUSTOMER_REQUIRED = "A Prospect needs at least one Customer"
EVENT_TYPE_REQUIRED = "EventType is required"
CANCEL_NEEDS_REASON = "A Cancel Event needs a lost prospect reason ID in TransactionSource"
PERSON_WITHOUT_PROSPECT = "A PersonID Identification needs the ProspectID Identification"
MIXED_PROSPECT_IDS = "All Customers of a Prospect must carry the same ProspectID"
TOO_MANY_PHONES = "A Customer can have at most 3 phones (Home, Mobile, Work)"
DUPLICATE_PROSPECT = "A prospect with the same name, email or phone already exists at this property"
LITE_ADD_ONLY = "MITSLite only adds prospects: remove the ProspectID and PersonID Identifications"

FIELD_LIMITS = {"FirstName": 35, "MiddleName": 35, "LastName": 50, "Email": 150}
PHONE_MAX_LENGTH = 35
PHONE_DIGITS = range(7, 16)
_STATUS_EVENTS = ("Cancel", "ReActivate")


class PostError(ValueError):
    """The post is refused; the message is the ErrorDescription."""


@dataclass
class PostOutcome:
    """What one posted Prospect became, aligned with the posted Customers and Events."""

    prospect: Prospect
    created: bool
    persons: list[Person] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@dataclass
class _CustomerPlan:
    posted: PostedCustomer
    person: Person | None
    phones: dict[str, str]


@dataclass
class _EventPlan:
    posted: PostedEvent
    event: Event | None
    event_type: str
    agent_id: str | None
    source_id: str | None


@dataclass
class _Plan:
    property_id: str
    posted: PostedProspect
    prospect: Prospect | None
    customers: list[_CustomerPlan]
    events: list[_EventPlan]


def post_prospects(
    state: ResmanState,
    property_id: str,
    posted: list[PostedProspect],
    *,
    allow_update: bool = True,
    strict_duplicates: bool = False,
    require_name: bool = True,
) -> list[PostOutcome]:
    """Check every Prospect, then write them all; raise `PostError` before any write."""
    plans = [
        _plan(state, normalize_guid(property_id), p, allow_update, strict_duplicates, require_name)
        for p in posted
    ]
    return [_apply(state, plan) for plan in plans]


# -- checking -------------------------------------------------------------------------


def _plan(
    state: ResmanState,
    property_id: str,
    posted: PostedProspect,
    allow_update: bool,
    strict_duplicates: bool,
    require_name: bool,
) -> _Plan:
    if not posted.customers:
        raise PostError(CUSTOMER_REQUIRED)
    prospect_ids = {normalize_guid(c.prospect_id) for c in posted.customers if c.prospect_id}
    has_person_id = any(c.person_id for c in posted.customers)
    if not allow_update and (prospect_ids or has_person_id):
        raise PostError(LITE_ADD_ONLY)
    if has_person_id and not prospect_ids:
        raise PostError(PERSON_WITHOUT_PROSPECT)
    if len(prospect_ids) > 1:
        raise PostError(MIXED_PROSPECT_IDS)
    prospect: Prospect | None = None
    if prospect_ids:
        prospect = state.get_prospect(prospect_ids.pop())
        if prospect is None or prospect.property_id != property_id:
            raise PostError(PROSPECT_NOT_FOUND)

    customers: list[_CustomerPlan] = []
    for posted_customer in posted.customers:
        person: Person | None = None
        if posted_customer.person_id:
            assert prospect is not None
            person = prospect.person(posted_customer.person_id)
            if person is None:
                raise PostError(PERSON_NOT_FOUND)
        _check_customer(posted_customer, new=person is None, require_name=require_name)
        phones = _merge_phones(person.phones if person else {}, posted_customer.phones)
        customers.append(_CustomerPlan(posted_customer, person, phones))

    if prospect is None and not any(
        e.first_contact
        and e.agent_id
        and e.transaction_source
        and e.event_type not in _STATUS_EVENTS
        for e in posted.events
    ):
        raise PostError(FIRST_CONTACT_REQUIRED)

    events = [_plan_event(state, property_id, prospect, e) for e in posted.events]

    if prospect is None and strict_duplicates:
        people = [
            (c.first_name or "", c.last_name or "", c.email or "", [p.number for p in c.phones])
            for c in posted.customers
        ]
        if state.duplicates_of(property_id, people) is not None:
            raise PostError(DUPLICATE_PROSPECT)
    return _Plan(property_id, posted, prospect, customers, events)


def _check_customer(customer: PostedCustomer, *, new: bool, require_name: bool) -> None:
    for value, error in (
        (customer.first_name, FIRST_NAME_REQUIRED),
        (customer.last_name, LAST_NAME_REQUIRED),
    ):
        if value == "" or (new and value is None):
            raise PostError(error)
    if require_name and (customer.first_name is None or customer.last_name is None):
        raise PostError(NAME_REQUIRED)
    for label, value in (
        ("FirstName", customer.first_name),
        ("MiddleName", customer.middle_name),
        ("LastName", customer.last_name),
        ("Email", customer.email),
    ):
        if value is not None and len(value) > FIELD_LIMITS[label]:
            raise PostError(f"{label} exceeds {FIELD_LIMITS[label]} characters")
    for phone in customer.phones:
        if phone.number and (
            len(phone.number) > PHONE_MAX_LENGTH or len(digits(phone.number)) not in PHONE_DIGITS
        ):
            raise PostError(f"Phone number {phone.number!r} is not valid")


def _merge_phones(stored: dict[str, str], posted: list[PostedPhone]) -> dict[str, str]:
    """Typed phones take their slot; untyped ones an unused slot (or the one already
    holding the same digits). An empty number clears its slot."""
    result = dict(stored)
    used: set[str] = set()
    for phone in posted:
        if phone.phone_type is None:
            continue
        if phone.phone_type in used:
            raise PostError(f"Phone type {phone.phone_type} is given more than once")
        used.add(phone.phone_type)
        result[phone.phone_type] = phone.number
    for phone in posted:
        if phone.phone_type is not None or not phone.number:
            continue
        same = next(
            (t for t, n in result.items() if t not in used and digits(n) == digits(phone.number)),
            None,
        )
        slot = same or next((t for t in PHONE_TYPES if t not in used and not result.get(t)), None)
        if slot is None:
            raise PostError(TOO_MANY_PHONES)
        used.add(slot)
        result[slot] = phone.number
    return {t: result[t] for t in PHONE_TYPES if result.get(t)}


def _plan_event(
    state: ResmanState, property_id: str, prospect: Prospect | None, posted: PostedEvent
) -> _EventPlan:
    existing: Event | None = None
    if posted.event_id:
        existing = prospect.event(posted.event_id) if prospect is not None else None
        if existing is None:
            raise PostError(EVENT_NOT_FOUND)
    event_type = posted.event_type or (existing.event_type if existing else None)
    if event_type is None:
        raise PostError(EVENT_TYPE_REQUIRED)
    agent_id: str | None = None
    if posted.agent_id:
        employee = state.employee_for(property_id, posted.agent_id)
        if employee is None:
            raise PostError(AGENT_NOT_FOUND)
        agent_id = employee.employee_id
    source_id: str | None = None
    if posted.transaction_source:
        source_id = _resolve_source(state, property_id, event_type, posted.transaction_source)
    elif event_type == "Cancel" and existing is None:
        raise PostError(CANCEL_NEEDS_REASON)
    return _EventPlan(posted, existing, event_type, agent_id, source_id)


def _resolve_source(state: ResmanState, property_id: str, event_type: str, value: str) -> str:
    reason = state.get_lost_reason(value)
    if event_type == "Cancel":
        if reason is None:
            raise PostError(LOST_REASON_NOT_FOUND)
        return reason.reason_id
    source = state.source_for(property_id, value)
    if source is not None:
        return source.source_id
    if event_type == "ReActivate" and reason is not None:
        return reason.reason_id
    raise PostError(TRANSACTION_SOURCE_NOT_FOUND)


# -- writing --------------------------------------------------------------------------


def _apply(state: ResmanState, plan: _Plan) -> PostOutcome:
    now = state.now()
    created = plan.prospect is None
    if plan.prospect is None:
        prospect_id = state.new_guid()
        persons = [_new_person(state, c) for c in plan.customers]
        first_contact = next(
            e
            for e in plan.events
            if e.posted.first_contact
            and e.agent_id
            and e.source_id
            and e.event_type not in _STATUS_EVENTS
        )
        prospect = Prospect(
            prospect_id=prospect_id,
            property_id=plan.property_id,
            main=persons[0],
            roommates=persons[1:],
            last_modified=now,
            created_at=now,
            source_id=first_contact.source_id,
            agent_id=first_contact.agent_id,
        )
    else:
        prospect = plan.prospect
        persons = []
        for customer in plan.customers:
            if customer.person is None:
                person = _new_person(state, customer)
                prospect.roommates.append(person)
            else:
                person = customer.person
                _update_person(person, customer)
                person.last_modified = now
            persons.append(person)
    outcome = PostOutcome(prospect=prospect, created=created, persons=persons)

    preferences = plan.posted.preferences
    if preferences is not None:
        for name in preferences.present:
            setattr(prospect.preferences, name, getattr(preferences, name))
    for event_plan in plan.events:
        outcome.events.append(_apply_event(state, prospect, event_plan, now))
    if created or preferences is not None or plan.events:
        prospect.last_modified = now
    state.attach_prospect(prospect)
    return outcome


def _new_person(state: ResmanState, customer: _CustomerPlan) -> Person:
    posted = customer.posted
    return state.new_person(
        posted.first_name or "",
        posted.last_name or "",
        middle_name=posted.middle_name or "",
        email=posted.email or "",
        phones=customer.phones,
        address=posted.address,
    )


def _update_person(person: Person, customer: _CustomerPlan) -> None:
    posted = customer.posted
    for name in ("first_name", "middle_name", "last_name", "email", "address"):
        value = getattr(posted, name)
        if value is not None:
            setattr(person, name, value)
    person.phones = customer.phones


def _apply_event(state: ResmanState, prospect: Prospect, plan: _EventPlan, now: datetime) -> Event:
    posted = plan.posted
    event = plan.event
    if event is None:
        event = Event(
            event_id=state.new_guid(),
            event_type=plan.event_type,
            event_date=posted.event_date or now,
            agent_id=plan.agent_id,
            first_contact=bool(posted.first_contact),
            transaction_source=plan.source_id,
            event_reasons=posted.event_reasons or "",
            comments=posted.comments or "",
        )
        prospect.events.append(event)
        if plan.event_type == "Cancel":
            prospect.lost_date = event.event_date
            prospect.lost_reason_id = plan.source_id
        elif plan.event_type == "ReActivate":
            prospect.lost_date = None
            prospect.lost_reason_id = None
            if prospect.customer_type == "lost":
                prospect.customer_type = "prospect"
    else:
        event.event_type = plan.event_type
        if posted.event_date is not None:
            event.event_date = posted.event_date
        if plan.agent_id is not None:
            event.agent_id = plan.agent_id
        if posted.first_contact is not None:
            event.first_contact = posted.first_contact
        if plan.source_id is not None:
            event.transaction_source = plan.source_id
        if posted.event_reasons is not None:
            event.event_reasons = posted.event_reasons
        if posted.comments is not None:
            event.comments = posted.comments
    if event.first_contact and plan.event_type not in _STATUS_EVENTS:
        if plan.agent_id is not None:
            prospect.agent_id = plan.agent_id
        if plan.source_id is not None:
            prospect.source_id = plan.source_id
    return event
