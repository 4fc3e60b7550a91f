"""What ResMan's MITS answers tell us, as typed records: a prospect with its phones,
preferences and comm log, a post's ids, and an answer's envelope.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict

_UNDATED = datetime.min.replace(tzinfo=UTC)


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
