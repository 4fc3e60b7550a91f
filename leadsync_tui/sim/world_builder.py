"""How a demo world is drawn: people, chats, leads, guest cards and their seeded edits.

Every draw comes from the world's one `random.Random` in a fixed order, and both states
read a clock pinned to seeded instants while building, so a seed gives the same world.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from leadsync_tui.models import (
    Lead,
    LeadSource,
    MessageRole,
    Qualification,
    SyncStatus,
    TranscriptMessage,
)
from leadsync_tui.phones import phone_for_resman
from leadsync_tui.sim.domiq import DomiqState
from leadsync_tui.sim.domiq.ids import conversation_id
from leadsync_tui.sim.people import (
    AGENT_NAMES,
    AREA_CODES,
    FIRST_NAMES,
    LAST_NAMES,
    PersonWishes,
    PropertyInfo,
    make_person,
    make_phone,
    make_transcript,
)
from leadsync_tui.sim.resman import LostReason, Pet, Preferences, Prospect, ResmanState
from leadsync_tui.sim.world_records import (
    CONFLICT_FIELDS,
    DOMIQ_AGENT_NAME,
    DOMIQ_EDIT_FIELDS,
    DOMIQ_SOURCE_NAME,
    OTHER_SOURCE_NAMES,
    RESMAN_EDIT_FIELDS,
    WALK_IN_LOST_SHARE,
    PropertyLink,
    SeededChange,
)
from leadsync_tui.sim.world_values import lead_values, other_value, resman_changes

_DAY = 86_400
_UNIQUE_NAMES = len(FIRST_NAMES) * len(LAST_NAMES) // 2
_UNIQUE_PHONES = len(AREA_CODES) * 100 // 2


class Clock:
    """Pinned to chosen instants while the world is built, then follows the live clock."""

    def __init__(self, live: Callable[[], datetime]) -> None:
        self.live = live
        self.pinned: datetime | None = None

    def __call__(self) -> datetime:
        return self.pinned if self.pinned is not None else self.live()


@dataclass
class Builder:
    rng: random.Random
    now: datetime
    clock: Clock
    domiq: DomiqState
    resman: ResmanState
    links: tuple[PropertyLink, ...]
    reasons: list[LostReason]
    serial: int = 0
    names: set[tuple[str, str, str]] = field(default_factory=set)
    phones: set[tuple[str, str]] = field(default_factory=set)
    used: Counter[str] = field(default_factory=Counter)
    linked: list[str] = field(default_factory=list)
    conflicting: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    changes: list[SeededChange] = field(default_factory=list)
    walk_ins: list[str] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.date()

    def ago(self, low_s: int, high_s: int) -> datetime:
        return self.now - timedelta(seconds=self.rng.randrange(low_s, high_s))

    def between(self, start: datetime, low_s: int, end: datetime) -> datetime:
        """A seeded instant at least `low_s` after `start` and before `end`."""
        span = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randrange(min(low_s, span - 1), span))

    def person(self, link: PropertyLink) -> PersonWishes:
        """A new person, unique at the property by name and by phone (ResMan's matchers)
        while unique ones are easy to find; past half the pool, repeats are allowed."""
        key = link.domiq_id
        tries = 20 if self.used[f"names:{key}"] < _UNIQUE_NAMES else 1
        for _ in range(tries):
            self.serial += 1
            person = make_person(self.rng, self.today, self.serial)
            if (key, person.first_name, person.last_name) not in self.names:
                break
        if (key, person.first_name, person.last_name) not in self.names:
            self.names.add((key, person.first_name, person.last_name))
            self.used[f"names:{key}"] += 1
        if person.phone is not None:
            person = replace(person, phone=self.phone(key, person.phone))
        return person

    def phone(self, key: str, number: str, avoid: tuple[Any, ...] = ()) -> str:
        """`number`, or another one new at the property (and not in `avoid`)."""
        tries = 20 if self.used[f"phones:{key}"] < _UNIQUE_PHONES else 1
        for _ in range(tries):
            if (key, number) not in self.phones and number not in avoid:
                break
            number = make_phone(self.rng)
        if (key, number) not in self.phones:
            self.phones.add((key, number))
            self.used[f"phones:{key}"] += 1
        return number

    def transcript(
        self, person: PersonWishes, link: PropertyLink, start: datetime
    ) -> list[TranscriptMessage]:
        lines = make_transcript(self.rng, person, link.name, start)
        # Trusted values (aware UTC, known roles): skip validation, big worlds build 2x faster.
        return [
            TranscriptMessage.model_construct(at=at, role=MessageRole(role), text=t)
            for at, role, t in lines
        ]

    # -- DomIQ ----------------------------------------------------------------------

    def new_chat(self) -> None:
        link = self.rng.choice(self.links)
        person = self.person(link)
        start = self.ago(300, 2 * _DAY)
        self.clock.pinned = start
        start_chat(self.domiq, link, person, self.transcript(person, link, start))

    def lead(self, qualification: Qualification) -> tuple[Lead, PropertyLink]:
        """A lead as DomIQ holds it: qualified at the end of its chat, maybe edited since."""
        link = self.rng.choice(self.links)
        person = self.person(link)
        transcript = self.transcript(person, link, self.ago(_DAY, 45 * _DAY))
        created = transcript[-1].at
        version = 1 if self.rng.random() < 0.6 else self.rng.randrange(2, 5)
        if qualification is Qualification.DISQUALIFIED:
            version = max(version, 2)
        updated = created
        if version > 1:
            updated = created + timedelta(seconds=self.rng.randrange(60, _DAY // 2))
        lead = Lead(
            conversation_id=conversation_id(self.rng, created),
            version=version,
            created_at=created,
            updated_at=updated,
            property_id=link.domiq_id,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            phone=person.phone,
            desired_move_in=person.desired_move_in,
            desired_bedrooms=person.desired_bedrooms,
            desired_bathrooms=person.desired_bathrooms,
            max_rent=person.max_rent,
            pets=person.pets,
            source=LeadSource(person.source),
            qualification=qualification,
            notes=person.notes,
        )
        self.domiq.seed_lead(lead, transcript)
        return lead, link

    # -- linked pairs ---------------------------------------------------------------

    def linked_lead(self, role: str) -> None:
        """A qualified lead with its prospect; `role` is linked, pending or conflicting."""
        lead, link = self.lead(Qualification.QUALIFIED)
        conflict_field = CONFLICT_FIELDS[len(self.conflicting) % len(CONFLICT_FIELDS)]
        if role == "conflicting" and getattr(lead, conflict_field) is None:
            # A conflict over a value nobody had is a poor demo: give the chat one.
            value = self.new_value(conflict_field, [None], lead)
            lead = lead.model_copy(update={conflict_field: value})
        synced = lead.updated_at + timedelta(seconds=self.rng.randrange(5, 900))
        prospect = self.prospect_for(lead, link, synced)
        lead = lead.model_copy(
            update={
                "resman_sync_status": SyncStatus.SYNCED,
                "resman_prospect_id": prospect.prospect_id,
                "last_sync_at": synced,
            }
        )
        if role == "pending":
            lead = self.one_sided_change(lead, prospect, synced)
        elif role == "conflicting":
            lead = self.conflict(lead, prospect, synced, conflict_field)
            self.conflicting.append(lead.conversation_id)
        self.domiq.seed_lead(lead, self.domiq.transcript(lead.conversation_id))
        self.linked.append(lead.conversation_id)

    def prospect_for(self, lead: Lead, link: PropertyLink, synced: datetime) -> Prospect:
        """The guest card leadsync created from `lead`, last written just before `synced`."""
        written = synced - timedelta(seconds=self.rng.randrange(1, 4))
        first_contact = min(written, lead.created_at + timedelta(seconds=self.rng.randrange(5, 90)))
        prospect = self.resman.seed_prospect(
            link.property_id,
            lead.first_name,
            lead.last_name,
            email=lead.email or "",
            phones={"Mobile": phone_for_resman(lead.phone)} if lead.phone else {},
            source_id=link.source_id,
            agent_id=link.agent_id,
            preferences=Preferences(
                target_move_in_date=lead.desired_move_in,
                max_rent=lead.max_rent,
                bedrooms_min=lead.desired_bedrooms,
                bedrooms_max=lead.desired_bedrooms,
                bathrooms_min=lead.desired_bathrooms,
                bathrooms_max=lead.desired_bathrooms,
                pets=[Pet("Dog")] if lead.pets else [],
                comments=lead.notes or "",
            ),
            last_modified=written,
            first_contact_type="Other",
            first_contact_date=first_contact,
            first_contact_comments=f"DomIQ conversation {lead.conversation_id}",
        )
        prospect.created_at = first_contact
        return prospect

    def change_time(self, synced: datetime) -> datetime:
        return self.between(synced, 600, self.now - timedelta(seconds=60))

    def edit_lead(self, lead: Lead, field_name: str, value: Any, at: datetime) -> Lead:
        return lead.model_copy(
            update={field_name: value, "version": lead.version + 1, "updated_at": at}
        )

    def one_sided_change(self, lead: Lead, prospect: Prospect, synced: datetime) -> Lead:
        side = self.rng.choice(("domiq", "resman"))
        fields = DOMIQ_EDIT_FIELDS if side == "domiq" else RESMAN_EDIT_FIELDS
        name = self.rng.choice(fields)
        agreed = lead_values(lead)[name]
        value = self.new_value(name, [agreed], lead)
        at = self.change_time(synced)
        if side == "domiq":
            lead = self.edit_lead(lead, name, value, at)
        else:
            self.resman.edit_prospect(prospect.prospect_id, at=at, **resman_changes(name, value))
        self.pending.append(lead.conversation_id)
        self.changes.append(
            SeededChange(
                conversation_id=lead.conversation_id,
                prospect_id=prospect.prospect_id,
                field=name,
                side=side,
                agreed=agreed,
                domiq_value=value if side == "domiq" else agreed,
                resman_value=value if side == "resman" else agreed,
            )
        )
        return lead

    def conflict(self, lead: Lead, prospect: Prospect, synced: datetime, name: str) -> Lead:
        agreed = lead_values(lead)[name]
        domiq_value = self.new_value(name, [agreed], lead)
        resman_value = self.new_value(name, [agreed, domiq_value], lead)
        lead = self.edit_lead(lead, name, domiq_value, self.change_time(synced))
        self.resman.edit_prospect(
            prospect.prospect_id, at=self.change_time(synced), **resman_changes(name, resman_value)
        )
        self.changes.append(
            SeededChange(
                conversation_id=lead.conversation_id,
                prospect_id=prospect.prospect_id,
                field=name,
                side="both",
                agreed=agreed,
                domiq_value=domiq_value,
                resman_value=resman_value,
            )
        )
        return lead

    def new_value(self, name: str, avoid: list[Any], lead: Lead) -> Any:
        """A value unlike `avoid`; a phone is also new at the lead's property."""
        value = other_value(self.rng, name, avoid, self.today)
        if name == "phone":
            value = self.phone(lead.property_id, value, tuple(avoid))
        return value

    # -- ResMan only ----------------------------------------------------------------

    def walk_in(self) -> None:
        link = self.rng.choice(self.links)
        person = self.person(link)
        sources = [s for s in self.resman.sources(link.property_id) if s.name != DOMIQ_SOURCE_NAME]
        agents = [e for e in self.resman.employees(link.property_id) if e.name != DOMIQ_AGENT_NAME]
        agent = self.rng.choice(agents)
        first_contact = self.ago(_DAY, 60 * _DAY)
        prospect = self.resman.seed_prospect(
            link.property_id,
            person.first_name,
            person.last_name,
            email=person.email or "",
            phones={"Mobile": phone_for_resman(person.phone)} if person.phone else {},
            source_id=self.rng.choice(sources).source_id,
            agent_id=agent.employee_id,
            preferences=Preferences(
                target_move_in_date=person.desired_move_in,
                max_rent=person.max_rent,
                bedrooms_min=person.desired_bedrooms,
                bedrooms_max=person.desired_bedrooms,
                pets=[Pet(self.rng.choice(("Dog", "Cat")))] if person.pets else [],
                comments=person.notes or "",
            ),
            last_modified=first_contact,
            first_contact_type=self.rng.choice(("WalkIn", "Phone", "Email")),
            first_contact_date=first_contact,
        )
        if self.rng.random() < WALK_IN_LOST_SHARE:
            self.clock.pinned = self.between(first_contact, 3600, self.now)
            self.resman.mark_lost(prospect.prospect_id, self.rng.choice(self.reasons).reason_id)
        self.walk_ins.append(prospect.prospect_id)


def add_property(resman: ResmanState, rng: random.Random, info: PropertyInfo) -> PropertyLink:
    prop = resman.add_property(
        info.name,
        street_address=info.street,
        city=info.city,
        state=info.state,
        zip_code=info.zip,
        phone=phone_for_resman(info.phone),
        email=info.email,
        manager=info.manager,
    )
    source = resman.add_source(prop.property_id, DOMIQ_SOURCE_NAME)
    for name in rng.sample(OTHER_SOURCE_NAMES, rng.randrange(1, 3)):
        resman.add_source(prop.property_id, name)
    domain = info.email.partition("@")[2]
    agent = resman.add_employee(
        prop.property_id,
        DOMIQ_AGENT_NAME,
        f"domiq@{domain}",
        security_group="Integration",
    )
    human = rng.choice(AGENT_NAMES)
    resman.add_employee(prop.property_id, human, f"{human.lower().replace(' ', '.')}@{domain}")
    return PropertyLink(
        info.domiq_id, info.name, prop.property_id, source.source_id, agent.employee_id
    )


def start_chat(
    domiq: DomiqState,
    link: PropertyLink,
    person: PersonWishes,
    transcript: list[TranscriptMessage],
) -> str:
    """A chat (not yet a lead) with this person at this property; its conversation id."""
    return domiq.start_conversation(
        link.domiq_id,
        person.first_name,
        person.last_name,
        email=person.email,
        phone=person.phone,
        desired_move_in=person.desired_move_in,
        desired_bedrooms=person.desired_bedrooms,
        desired_bathrooms=person.desired_bathrooms,
        max_rent=person.max_rent,
        pets=person.pets,
        source=LeadSource(person.source),
        notes=person.notes,
        transcript=transcript,
    )
