"""A posted `<LeadManagement>` as typed data: what the XML said, before any rule is applied.

`None` means "the element was absent" (keep the stored value on update); a present but
empty element arrives as "" (clear it). Preferences list the fields they carry in
`present`, because `None` is also a legal value there (a cleared move-in date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from leadsync_tui.sim.resman.records import Address, Pet


@dataclass
class PostedPhone:
    number: str
    phone_type: str | None
    """Home, Mobile or Work; None when the posted PhoneType maps to no slot."""


@dataclass
class PostedCustomer:
    customer_type: str | None = None
    prospect_id: str | None = None
    person_id: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phones: list[PostedPhone] = field(default_factory=list)
    address: Address | None = None


@dataclass
class PostedPreferences:
    present: set[str] = field(default_factory=set)
    target_move_in_date: date | None = None
    max_rent: int | None = None
    bedrooms_min: int | None = None
    bedrooms_max: int | None = None
    bathrooms_min: float | None = None
    bathrooms_max: float | None = None
    pets: list[Pet] = field(default_factory=list)
    comments: str = ""


@dataclass
class PostedEvent:
    event_type: str | None
    """Canonical ResMan spelling; None when the attribute was absent (update in place)."""
    event_date: datetime | None = None
    event_id: str | None = None
    agent_id: str | None = None
    first_contact: bool | None = None
    transaction_source: str | None = None
    event_reasons: str | None = None
    comments: str | None = None


@dataclass
class PostedProspect:
    customers: list[PostedCustomer] = field(default_factory=list)
    preferences: PostedPreferences | None = None
    events: list[PostedEvent] = field(default_factory=list)
    property_id: str | None = None
    """From an `Identification IDType="PropertyID"` anywhere in the Prospect (MITSLite)."""

    @property
    def prospect_id(self) -> str | None:
        return next((c.prospect_id for c in self.customers if c.prospect_id), None)
