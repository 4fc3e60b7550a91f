"""The simulated ResMan account's records: properties, sources, agents, prospects, events.

Plain dataclasses and the comparison rules ResMan's SQL applies to them (collation,
GUID spelling, phone digits), kept apart so the account, its matchers and the XML
writer share one definition of each row.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

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


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
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
