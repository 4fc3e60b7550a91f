"""The simulated ResMan account (`ResmanState`): seeding and editing its prospects, on
top of its reference data (`account.py`) and its matchers (`matching.py`).

Everything lives in memory and is deterministic: GUIDs come from `random.Random(seed)` and
time from an injectable clock, so a seeded world and a replayed request sequence always
produce the same IDs. Mutate it from one thread (the event loop that serves the app).

Two `LastModified` stamps exist, as in ResMan's tables: `Prospect.last_modified`
(preferences, agent, source, status, comm log) and `Person.last_modified` (name, email,
phones, address). `SearchProspects`' Modified window looks at both (see `search`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadsync_tui.sim.resman.matching import ProspectMatching
from leadsync_tui.sim.resman.records import (
    PERSON_FIELDS,
    PHONE_TYPES,
    PREFERENCE_FIELDS,
    Address,
    Employee,
    Event,
    Person,
    Preferences,
    Prospect,
    ResmanStateError,
    Source,
    as_utc,
    normalize_guid,
)


class ResmanState(ProspectMatching):
    """One ResMan account as seen by one integration partner."""

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
            last_modified=as_utc(last_modified) if last_modified else self.now(),
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
        stamp = as_utc(last_modified) if last_modified else self.now()
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
                event_date=as_utc(first_contact_date) if first_contact_date else stamp,
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
        stamp = as_utc(at) if at else self.now()
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
            event_date=as_utc(event_date) if event_date else stamp,
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


def _checked_phones(phones: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for kind, number in phones.items():
        canonical = next((t for t in PHONE_TYPES if t.lower() == kind.lower()), None)
        if canonical is None:
            raise ResmanStateError(f"phone type must be one of {PHONE_TYPES}, got {kind!r}")
        result[canonical] = number
    return result
