"""The simulated ResMan account: properties, sources, agents, lost reasons and prospects.

Everything lives in memory and is deterministic: GUIDs come from `random.Random(seed)` and
time from an injectable clock, so a seeded world and a replayed request sequence always
produce the same IDs. Mutate it from one thread (the event loop that serves the app).

Two `LastModified` stamps exist, as in ResMan's tables: `Prospect.last_modified`
(preferences, agent, source, status, comm log) and `Person.last_modified` (name, email,
phones, address). `SearchProspects`' Modified window looks at both (see `search`).
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

PHONE_TYPES: tuple[str, ...] = ("Home", "Mobile", "Work")
"""ResMan's three phone slots, in the order an untyped phone fills them."""

_NON_DIGITS = re.compile(r"\D")


def digits(value: str) -> str:
    """The digits of a phone number: what ResMan's matchers compare."""
    return _NON_DIGITS.sub("", value)


def sql_equal(left: str, right: str) -> bool:
    """SQL Server's default collation: case-insensitive, trailing spaces ignored."""
    return left.rstrip().casefold() == right.rstrip().casefold()


def normalize_guid(value: str) -> str:
    """GUIDs compare like SQL `uniqueidentifier`s: any case, braces or not."""
    raw = value.strip()
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return raw.lower()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class ResmanStateError(ValueError):
    """A seeding or editing call named something that does not exist (a programming error)."""


@dataclass
class Property:
    property_id: str
    name: str
    account_id: int
    street_address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    phone: str = ""
    email: str = ""
    manager: str = ""


@dataclass
class Source:
    """A prospect source linked to one property (`Leasing/GetProspectSources`)."""

    source_id: str
    property_id: str
    name: str
    available_for_online_marketing: bool = True
    is_active: bool = True


@dataclass
class LostReason:
    """Account-wide; its ID is the `TransactionSource` of a `Cancel` event."""

    reason_id: str
    name: str


@dataclass
class Employee:
    """A property's employee; its ID is the only valid `Agent/AgentID`."""

    employee_id: str
    property_id: str
    name: str
    email: str
    security_group: str = "Leasing Agent"

    @property
    def first_last(self) -> tuple[str, str]:
        first, _, last = self.name.strip().rpartition(" ")
        return (first, last) if first else (last, "")


@dataclass
class Address:
    address_type: str = "Prospect"
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass
class Person:
    """The main contact or a roommate; `phones` maps a slot type (Home/Mobile/Work) to a number."""

    person_id: str
    first_name: str
    last_name: str
    last_modified: datetime
    middle_name: str = ""
    email: str = ""
    phones: dict[str, str] = field(default_factory=dict)
    address: Address | None = None


@dataclass
class Pet:
    pet_type: str
    count: int = 1


@dataclass
class Preferences:
    """ResMan keeps rent as one `MaxRent` and beds/baths as min/max."""

    target_move_in_date: date | None = None
    max_rent: int | None = None
    bedrooms_min: int | None = None
    bedrooms_max: int | None = None
    bathrooms_min: float | None = None
    bathrooms_max: float | None = None
    pets: list[Pet] = field(default_factory=list)
    comments: str = ""


PREFERENCE_FIELDS: tuple[str, ...] = (
    "target_move_in_date",
    "max_rent",
    "bedrooms_min",
    "bedrooms_max",
    "bathrooms_min",
    "bathrooms_max",
    "pets",
    "comments",
)
PERSON_FIELDS: tuple[str, ...] = ("first_name", "middle_name", "last_name", "email", "address")


@dataclass
class Event:
    """A comm-log entry. Entries without an agent were not made by an employee and are
    left out of `SearchProspects`, as ResMan does."""

    event_id: str
    event_type: str
    event_date: datetime
    agent_id: str | None = None
    first_contact: bool = False
    transaction_source: str | None = None
    event_reasons: str = ""
    comments: str = ""


@dataclass
class Prospect:
    """A guest card: one per property, holding the people, preferences and comm log."""

    prospect_id: str
    property_id: str
    main: Person
    last_modified: datetime
    created_at: datetime
    customer_type: str = "prospect"
    source_id: str | None = None
    agent_id: str | None = None
    lost_date: datetime | None = None
    lost_reason_id: str | None = None
    roommates: list[Person] = field(default_factory=list)
    preferences: Preferences = field(default_factory=Preferences)
    events: list[Event] = field(default_factory=list)

    @property
    def persons(self) -> list[Person]:
        return [self.main, *self.roommates]

    @property
    def effective_customer_type(self) -> str:
        """RM-SQL derives `lost` from the LostDate, whatever the stored type."""
        return "lost" if self.lost_date is not None else self.customer_type

    def person(self, person_id: str) -> Person | None:
        wanted = normalize_guid(person_id)
        return next((p for p in self.persons if p.person_id == wanted), None)

    def event(self, event_id: str) -> Event | None:
        wanted = normalize_guid(event_id)
        return next((e for e in self.events if e.event_id == wanted), None)


class ResmanState:
    """One ResMan account as seen by one integration partner."""

    def __init__(
        self,
        *,
        seed: int = 0,
        now: Callable[[], datetime] | None = None,
        integration_partner_id: str = "leadsync-sim",
        api_key: str = "sim-api-key",
        account_id: int = 400,
        company_name: str = "Simulated Residential",
        subdomain: str = "simulated",
    ) -> None:
        self.seed = seed
        self._clock: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.integration_partner_id = integration_partner_id
        self.api_key = api_key
        self.account_id = account_id
        self.company_name = company_name
        self.subdomain = subdomain
        self.rng = random.Random(seed)
        """Draws every GUID; only writes consume it, so IDs depend on writes alone."""
        self.order_rng = random.Random(seed + 1_000_003)
        """Shuffles Identification order in answers (kept apart from the GUID stream)."""
        self._properties: dict[str, Property] = {}
        self._sources: dict[str, Source] = {}
        self._employees: dict[str, Employee] = {}
        self._lost_reasons: dict[str, LostReason] = {}
        self._prospects: dict[str, Prospect] = {}
        self._person_index: dict[str, str] = {}

    # -- basics -------------------------------------------------------------------------

    def now(self) -> datetime:
        return _utc(self._clock())

    def new_guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _id(self, given: str | None) -> str:
        return normalize_guid(given) if given else self.new_guid()

    # -- reference data -----------------------------------------------------------------

    def add_property(
        self,
        name: str,
        *,
        street_address: str = "",
        city: str = "",
        state: str = "",
        zip_code: str = "",
        phone: str = "",
        email: str = "",
        manager: str = "",
        property_id: str | None = None,
        account_id: int | None = None,
    ) -> Property:
        """A property of this account (or, with `account_id`, of another one)."""
        prop = Property(
            property_id=self._id(property_id),
            name=name,
            account_id=self.account_id if account_id is None else account_id,
            street_address=street_address,
            city=city,
            state=state,
            zip=zip_code,
            phone=phone,
            email=email,
            manager=manager,
        )
        self._properties[prop.property_id] = prop
        return prop

    def add_source(
        self,
        property_id: str,
        name: str,
        *,
        available_for_online_marketing: bool = True,
        is_active: bool = True,
        source_id: str | None = None,
    ) -> Source:
        prop = self._require_property(property_id)
        source = Source(
            source_id=self._id(source_id),
            property_id=prop.property_id,
            name=name,
            available_for_online_marketing=available_for_online_marketing,
            is_active=is_active,
        )
        self._sources[source.source_id] = source
        return source

    def add_employee(
        self,
        property_id: str,
        name: str,
        email: str,
        *,
        security_group: str = "Leasing Agent",
        employee_id: str | None = None,
    ) -> Employee:
        """Duplicate names are allowed: real ResMan lists one person more than once."""
        prop = self._require_property(property_id)
        employee = Employee(
            employee_id=self._id(employee_id),
            property_id=prop.property_id,
            name=name,
            email=email,
            security_group=security_group,
        )
        self._employees[employee.employee_id] = employee
        return employee

    def add_lost_reason(self, name: str, *, reason_id: str | None = None) -> LostReason:
        reason = LostReason(reason_id=self._id(reason_id), name=name)
        self._lost_reasons[reason.reason_id] = reason
        return reason

    @property
    def properties(self) -> list[Property]:
        return list(self._properties.values())

    @property
    def account_ids(self) -> set[int]:
        return {self.account_id} | {p.account_id for p in self._properties.values()}

    def properties_of(self, account_id: int) -> list[Property]:
        return [p for p in self._properties.values() if p.account_id == account_id]

    def get_property(self, property_id: str) -> Property | None:
        return self._properties.get(normalize_guid(property_id))

    def sources(self, property_id: str) -> list[Source]:
        wanted = normalize_guid(property_id)
        return [s for s in self._sources.values() if s.property_id == wanted]

    def source_for(self, property_id: str, source_id: str) -> Source | None:
        """The source only if it is linked to this property."""
        source = self._sources.get(normalize_guid(source_id))
        if source is None or source.property_id != normalize_guid(property_id):
            return None
        return source

    def employees(self, property_id: str) -> list[Employee]:
        wanted = normalize_guid(property_id)
        return [e for e in self._employees.values() if e.property_id == wanted]

    def employee_for(self, property_id: str, employee_id: str) -> Employee | None:
        """The employee only if they work at this property."""
        employee = self._employees.get(normalize_guid(employee_id))
        if employee is None or employee.property_id != normalize_guid(property_id):
            return None
        return employee

    def get_employee(self, employee_id: str) -> Employee | None:
        return self._employees.get(normalize_guid(employee_id))

    @property
    def lost_reasons(self) -> list[LostReason]:
        return list(self._lost_reasons.values())

    def get_lost_reason(self, reason_id: str) -> LostReason | None:
        return self._lost_reasons.get(normalize_guid(reason_id))

    def _require_property(self, property_id: str) -> Property:
        prop = self.get_property(property_id)
        if prop is None:
            raise ResmanStateError(f"unknown property {property_id}")
        return prop

    # -- prospects ----------------------------------------------------------------------

    @property
    def prospects(self) -> list[Prospect]:
        """All prospects, oldest first (a snapshot list: safe to iterate while writing)."""
        return list(self._prospects.values())

    def get_prospect(self, prospect_id: str) -> Prospect | None:
        return self._prospects.get(normalize_guid(prospect_id))

    def find_person(self, person_id: str) -> tuple[Prospect, Person] | None:
        prospect_id = self._person_index.get(normalize_guid(person_id))
        if prospect_id is None:
            return None
        prospect = self._prospects[prospect_id]
        person = prospect.person(person_id)
        return None if person is None else (prospect, person)

    def new_person(
        self,
        first_name: str,
        last_name: str,
        *,
        middle_name: str = "",
        email: str = "",
        phones: Mapping[str, str] | None = None,
        address: Address | None = None,
        last_modified: datetime | None = None,
        person_id: str | None = None,
    ) -> Person:
        """A person not yet attached to a prospect (see `attach_prospect`, `add_roommate`)."""
        return Person(
            person_id=self._id(person_id),
            first_name=first_name,
            middle_name=middle_name,
            last_name=last_name,
            email=email,
            phones=_checked_phones(phones or {}),
            address=address,
            last_modified=_utc(last_modified) if last_modified else self.now(),
        )

    def attach_prospect(self, prospect: Prospect) -> Prospect:
        """Register a fully built prospect (used by seeding and by the post handler)."""
        self._prospects[prospect.prospect_id] = prospect
        for person in prospect.persons:
            self._person_index[person.person_id] = prospect.prospect_id
        return prospect

    def seed_prospect(
        self,
        property_id: str,
        first_name: str,
        last_name: str,
        *,
        middle_name: str = "",
        email: str = "",
        phones: Mapping[str, str] | None = None,
        address: Address | None = None,
        source_id: str | None = None,
        agent_id: str | None = None,
        customer_type: str = "prospect",
        preferences: Preferences | None = None,
        last_modified: datetime | None = None,
        first_contact_type: str = "WalkIn",
        first_contact_date: datetime | None = None,
        first_contact_comments: str = "",
        prospect_id: str | None = None,
        person_id: str | None = None,
    ) -> Prospect:
        """Load a prospect as if it had been in ResMan all along.

        `source_id`/`agent_id` default to the property's first source and employee; a
        first-contact event is recorded at `first_contact_date` (default `last_modified`).
        Both LastModified stamps are set to `last_modified` (default now).
        """
        prop = self._require_property(property_id)
        source = self._seed_source(prop.property_id, source_id)
        agent = self._seed_agent(prop.property_id, agent_id)
        stamp = _utc(last_modified) if last_modified else self.now()
        main = self.new_person(
            first_name,
            last_name,
            middle_name=middle_name,
            email=email,
            phones=phones,
            address=address,
            last_modified=stamp,
            person_id=person_id,
        )
        prospect = Prospect(
            prospect_id=self._id(prospect_id),
            property_id=prop.property_id,
            main=main,
            last_modified=stamp,
            created_at=stamp,
            customer_type=customer_type,
            source_id=source.source_id,
            agent_id=agent.employee_id,
            preferences=preferences or Preferences(),
        )
        prospect.events.append(
            Event(
                event_id=self.new_guid(),
                event_type=first_contact_type,
                event_date=_utc(first_contact_date) if first_contact_date else stamp,
                agent_id=agent.employee_id,
                first_contact=True,
                transaction_source=source.source_id,
                comments=first_contact_comments,
            )
        )
        return self.attach_prospect(prospect)

    def _seed_source(self, property_id: str, source_id: str | None) -> Source:
        if source_id is None:
            sources = self.sources(property_id)
            if not sources:
                raise ResmanStateError(f"property {property_id} has no sources: add_source first")
            return sources[0]
        source = self.source_for(property_id, source_id)
        if source is None:
            raise ResmanStateError(f"source {source_id} is not linked to property {property_id}")
        return source

    def _seed_agent(self, property_id: str, agent_id: str | None) -> Employee:
        if agent_id is None:
            employees = self.employees(property_id)
            if not employees:
                raise ResmanStateError(
                    f"property {property_id} has no employees: add_employee first"
                )
            return employees[0]
        employee = self.employee_for(property_id, agent_id)
        if employee is None:
            raise ResmanStateError(f"employee {agent_id} does not work at {property_id}")
        return employee

    def _require_prospect(self, prospect_id: str) -> Prospect:
        prospect = self.get_prospect(prospect_id)
        if prospect is None:
            raise ResmanStateError(f"unknown prospect {prospect_id}")
        return prospect

    def add_roommate(
        self,
        prospect_id: str,
        first_name: str,
        last_name: str,
        *,
        middle_name: str = "",
        email: str = "",
        phones: Mapping[str, str] | None = None,
        last_modified: datetime | None = None,
        person_id: str | None = None,
    ) -> Person:
        prospect = self._require_prospect(prospect_id)
        person = self.new_person(
            first_name,
            last_name,
            middle_name=middle_name,
            email=email,
            phones=phones,
            last_modified=last_modified,
            person_id=person_id,
        )
        prospect.roommates.append(person)
        self._person_index[person.person_id] = prospect.prospect_id
        return person

    def edit_prospect(
        self, prospect_id: str, *, at: datetime | None = None, **changes: Any
    ) -> Prospect:
        """An agent edits the guest card in ResMan's UI.

        Person fields (`first_name`, `middle_name`, `last_name`, `email`, `address`, and
        `phones`: a type->number mapping merged by slot, "" clears a slot) bump the main
        person's LastModified; preference fields (see `PREFERENCE_FIELDS`), `agent_id` and
        `source_id` bump the prospect's.
        """
        prospect = self._require_prospect(prospect_id)
        allowed = {*PERSON_FIELDS, "phones", *PREFERENCE_FIELDS, "agent_id", "source_id"}
        unknown = set(changes) - allowed
        if unknown:
            raise ResmanStateError(f"unknown field(s): {', '.join(sorted(unknown))}")
        stamp = _utc(at) if at else self.now()
        person_touched = False
        prospect_touched = False
        for key, value in changes.items():
            if key == "phones":
                merged = dict(prospect.main.phones)
                for kind, number in _checked_phones(value).items():
                    merged[kind] = number
                prospect.main.phones = {k: v for k, v in merged.items() if v}
                person_touched = True
            elif key in PERSON_FIELDS:
                setattr(prospect.main, key, value)
                person_touched = True
            elif key in PREFERENCE_FIELDS:
                setattr(prospect.preferences, key, value)
                prospect_touched = True
            elif key == "agent_id":
                prospect.agent_id = self._seed_agent(prospect.property_id, value).employee_id
                prospect_touched = True
            else:
                prospect.source_id = self._seed_source(prospect.property_id, value).source_id
                prospect_touched = True
        if person_touched:
            prospect.main.last_modified = stamp
        if prospect_touched:
            prospect.last_modified = stamp
        return prospect

    def add_event(
        self,
        prospect_id: str,
        event_type: str,
        *,
        event_date: datetime | None = None,
        agent_id: str | None = None,
        comments: str = "",
        event_reasons: str = "",
        first_contact: bool = False,
        transaction_source: str | None = None,
    ) -> Event:
        """An agent logs a call, email, tour... (bumps the prospect's LastModified)."""
        prospect = self._require_prospect(prospect_id)
        stamp = self.now()
        event = Event(
            event_id=self.new_guid(),
            event_type=event_type,
            event_date=_utc(event_date) if event_date else stamp,
            agent_id=normalize_guid(agent_id) if agent_id else None,
            first_contact=first_contact,
            transaction_source=normalize_guid(transaction_source) if transaction_source else None,
            event_reasons=event_reasons,
            comments=comments,
        )
        prospect.events.append(event)
        prospect.last_modified = stamp
        return event

    def mark_lost(
        self, prospect_id: str, reason_id: str, *, agent_id: str | None = None
    ) -> Prospect:
        """An agent marks the guest card lost: a `Cancel` event carrying the reason."""
        prospect = self._require_prospect(prospect_id)
        reason = self.get_lost_reason(reason_id)
        if reason is None:
            raise ResmanStateError(f"unknown lost reason {reason_id}")
        event = self.add_event(
            prospect_id,
            "Cancel",
            agent_id=agent_id or prospect.agent_id,
            transaction_source=reason.reason_id,
        )
        prospect.lost_date = event.event_date
        prospect.lost_reason_id = reason.reason_id
        return prospect

    def reactivate(self, prospect_id: str, *, agent_id: str | None = None) -> Prospect:
        prospect = self._require_prospect(prospect_id)
        self.add_event(prospect_id, "ReActivate", agent_id=agent_id or prospect.agent_id)
        prospect.lost_date = None
        prospect.lost_reason_id = None
        if prospect.customer_type == "lost":
            prospect.customer_type = "prospect"
        return prospect

    # -- reads --------------------------------------------------------------------------

    def search(
        self,
        property_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: str | None = None,
        prospect_id: str | None = None,
        person_id: str | None = None,
        modified_start: datetime | None = None,
        modified_end: datetime | None = None,
    ) -> list[Prospect]:
        """`API_SearchProspects`' filters, ANDed; each text filter may hit any person.

        Names, email and address compare like SQL Server's default collation. Phone
        compares the digits of the stored numbers with `phone` as given: the stored
        procedure does not normalise its parameter, so "5125550143" finds a stored
        "(512) 555-0143" and "(512) 555-0143" finds nothing. The Modified window is
        `(P.LM >= start OR any person LM >= start) AND (P.LM <= end OR any person LM <=
        end)`: the OR is evaluated separately for each bound, as RM-SQL does, so a
        prospect can match through two different stamps. Both bounds are inclusive.
        """
        wanted_property = normalize_guid(property_id)
        start = _utc(modified_start) if modified_start else None
        end = _utc(modified_end) if modified_end else None
        found: list[Prospect] = []
        for prospect in self._prospects.values():
            if prospect.property_id != wanted_property:
                continue
            persons = prospect.persons
            stamps = [prospect.last_modified, *(p.last_modified for p in persons)]
            checks = (
                first_name is None or any(sql_equal(p.first_name, first_name) for p in persons),
                last_name is None or any(sql_equal(p.last_name, last_name) for p in persons),
                email is None or any(sql_equal(p.email, email) for p in persons if p.email),
                phone is None
                or (
                    phone != ""
                    and any(sql_equal(digits(n), phone) for p in persons for n in p.phones.values())
                ),
                address is None
                or any(
                    p.address is not None and sql_equal(p.address.line1, address) for p in persons
                ),
                prospect_id is None or prospect.prospect_id == normalize_guid(prospect_id),
                person_id is None or prospect.person(person_id) is not None,
                start is None or any(s >= start for s in stamps),
                end is None or any(s <= end for s in stamps),
            )
            if all(checks):
                found.append(prospect)
        return found

    def visible_events(
        self, prospect: Prospect, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[Event]:
        """The comm log SearchProspects shows: employee-made entries inside [start, end]."""
        low = _utc(start) if start else None
        high = _utc(end) if end else None
        return sorted(
            (
                e
                for e in prospect.events
                if e.agent_id is not None
                and (low is None or e.event_date >= low)
                and (high is None or e.event_date <= high)
            ),
            key=lambda e: e.event_date,
        )

    def counts(self) -> dict[str, int]:
        prospects = self._prospects.values()
        return {
            "prospects": len(prospects),
            "persons": sum(len(p.persons) for p in prospects),
            "events": sum(len(p.events) for p in prospects),
        }

    def duplicates_of(
        self, property_id: str, people: Iterable[tuple[str, str, str, Iterable[str]]]
    ) -> Prospect | None:
        """ResMan's `GetMatchingProspects` rule, within one property.

        Each candidate is (first, last, email, phone numbers); a prospect matches when any
        of its persons shares first+last name, a non-empty email, or a phone's digits.
        """
        wanted = normalize_guid(property_id)
        candidates = [(f, last, e, {digits(n) for n in ns} - {""}) for f, last, e, ns in people]
        for prospect in self._prospects.values():
            if prospect.property_id != wanted:
                continue
            for person in prospect.persons:
                stored_digits = {digits(n) for n in person.phones.values()} - {""}
                for first, last, email, phone_digits in candidates:
                    if (
                        (sql_equal(person.first_name, first) and sql_equal(person.last_name, last))
                        or (email and person.email and sql_equal(person.email, email))
                        or (phone_digits & stored_digits)
                    ):
                        return prospect
        return None


def _checked_phones(phones: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for kind, number in phones.items():
        canonical = next((t for t in PHONE_TYPES if t.lower() == kind.lower()), None)
        if canonical is None:
            raise ResmanStateError(f"phone type must be one of {PHONE_TYPES}, got {kind!r}")
        result[canonical] = number
    return result
