"""The seeded demo world: one DomIQ and one ResMan account that already know each other.

`build_world(seed, leads, now)` draws everything from one `random.Random(seed)` and
dates everything at seeded offsets before `now`, so a seed and a frozen `now` give a
byte-identical world (`dump_world`). The world is made to exercise the sync from its
first run: some leads are already linked to a prospect and agree, some changed on one
side since the last sync (a plain update to carry across), a few changed the same field
differently on both sides (a real conflict), some exist only in DomIQ (to create in
ResMan) and some prospects only in ResMan (walk-ins, which stay there).

Values are compared in one vocabulary (`lead_values`, `prospect_values`): E.164 phones,
dates, whole dollars, pets as True/None, qualification as active/lost, as leadsync's
mapping reads the two systems.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import (
    Lead,
    LeadSource,
    MessageRole,
    Qualification,
    SyncStatus,
    TranscriptMessage,
    utc_now,
)
from leadsync_tui.sim.domiq import DomiqState
from leadsync_tui.sim.domiq.ids import conversation_id
from leadsync_tui.sim.people import (
    AGENT_NAMES,
    AREA_CODES,
    FIRST_NAMES,
    LAST_NAMES,
    NOTES,
    PROPERTIES,
    PersonWishes,
    PropertyInfo,
    make_person,
    make_phone,
    make_transcript,
)
from leadsync_tui.sim.resman import LostReason, Pet, Preferences, Prospect, ResmanState

DOMIQ_TOKEN = "domiq-demo-token"
RESMAN_PARTNER_ID = "leadsync-demo"
RESMAN_API_KEY = "resman-demo-key"
RESMAN_ACCOUNT_ID = 400
DOMIQ_SOURCE_NAME = "DomIQ Chat"
DOMIQ_AGENT_NAME = "DomIQ Integration"
OTHER_SOURCE_NAMES = ("Walk-In", "Apartments.com", "Zillow", "Google", "Referral", "Drive-By")
LOST_REASON_NAMES = (
    "Inactive (Lack of Response)",
    "Rented Elsewhere",
    "Price Too High",
    "Not Qualified",
)
DEFAULT_LOST_REASON_NAME = LOST_REASON_NAMES[0]
"""What leadsync marks a prospect lost with when DomIQ disqualifies its lead (as DWELL
does): the `lost_reason_id` of the printed config and of the demo."""
CONFLICT_FIELDS = ("phone", "desired_move_in", "max_rent")
"""Seeded conflicts take these fields in turn: contact, preference, money."""
DOMIQ_EDIT_FIELDS = ("desired_move_in", "desired_bedrooms", "notes")
"""What the bot changes on a lead."""
RESMAN_EDIT_FIELDS = ("phone", "desired_move_in", "max_rent")
"""What a leasing agent changes on a guest card."""

QUALIFIED_SHARE = 0.70
NEW_SHARE = 0.15
LINKED_SHARE = 0.45
"""Of the qualified leads: linked and in agreement."""
DOMIQ_ONLY_SHARE = 0.40
"""Of the qualified leads: never sent to ResMan. The rest changed on one side."""
CONFLICT_SHARE = 0.03
"""Of all leads (at least 3 once there are 20)."""
WALK_IN_SHARE = 0.15
"""ResMan-only prospects, as a share of the lead count."""
WALK_IN_LOST_SHARE = 0.2

MAX_LEADS = 100_000
"""The largest world `build_world` makes: each conversation costs ~10 KB of memory (both
states, the lead, the prospect, its events) and the build slows as the world grows
(measured: 20,000 in ~25 s and 260 MB, 50,000 in ~100 s and 480 MB), so 100,000 is
~1 GB and a few minutes; ten million would exhaust the memory long before it finished."""
_PROGRESS_STEPS = 20
"""`build_world` reports progress this many times over a build."""

_DAY = 86_400
_UNIQUE_NAMES = len(FIRST_NAMES) * len(LAST_NAMES) // 2
_UNIQUE_PHONES = len(AREA_CODES) * 100 // 2


@dataclass(frozen=True)
class PropertyLink:
    """One community: DomIQ's id and the ResMan ids leadsync's config maps it to."""

    domiq_id: str
    name: str
    property_id: str
    """ResMan's PropertyID."""
    source_id: str
    """The "DomIQ Chat" prospect source: the default for prospects leadsync creates."""
    agent_id: str
    """The "DomIQ Integration" employee: the default agent for them."""


@dataclass(frozen=True)
class SeededChange:
    """A linked pair that moved since its last agreed snapshot (values: `lead_values`)."""

    conversation_id: str
    prospect_id: str
    field: str
    side: str
    """"domiq", "resman" (a plain update to carry across) or "both" (a conflict)."""
    agreed: Any
    """The value both sides held at `last_sync_at`."""
    domiq_value: Any
    resman_value: Any


@dataclass(frozen=True)
class World:
    """Both simulators' states and what the demo and the tests can expect of them."""

    domiq: DomiqState
    resman: ResmanState
    token: str
    partner_id: str
    api_key: str
    account_id: int
    properties: tuple[PropertyLink, ...]
    linked_pairs: tuple[str, ...]
    """Every conversation id with a linked prospect (pending and conflicting included)."""
    conflicting_pairs: tuple[str, ...]
    """Linked pairs where both sides changed the same field differently since the sync."""
    pending_pairs: tuple[str, ...]
    """Linked pairs where one side changed one field since the sync."""
    changes: tuple[SeededChange, ...]
    """What moved on the pending and conflicting pairs."""
    walk_ins: tuple[str, ...]
    """ResMan-only ProspectIDs."""
    clock: Callable[[], datetime]
    """The clock both states read (the live one once the world is built)."""

    def change_for(self, cid: str) -> SeededChange | None:
        return next((c for c in self.changes if c.conversation_id == cid), None)

    def property_link(self, domiq_id: str) -> PropertyLink:
        return next(p for p in self.properties if p.domiq_id == domiq_id)

    @property
    def default_lost_reason_id(self) -> str:
        """The id of `DEFAULT_LOST_REASON_NAME` in this world's ResMan."""
        return next(
            r.reason_id for r in self.resman.lost_reasons if r.name == DEFAULT_LOST_REASON_NAME
        )


class _Clock:
    """Pinned to chosen instants while the world is built, then follows the live clock."""

    def __init__(self, live: Callable[[], datetime]) -> None:
        self.live = live
        self.pinned: datetime | None = None

    def __call__(self) -> datetime:
        return self.pinned if self.pinned is not None else self.live()


# ---------------------------------------------------------------------------- values


def us_phone(e164: str) -> str:
    """How ResMan's staff (and leadsync) store a US number: `(512) 555-0143`."""
    if e164.startswith("+1") and len(e164) == 12:
        ten = e164[2:]
        return f"({ten[:3]}) {ten[3:6]}-{ten[6:]}"
    return e164


def _e164(stored: str) -> str | None:
    found = re.sub(r"\D", "", stored)
    if not found:
        return None
    if stored.strip().startswith("+"):
        return "+" + found
    return "+1" + found if len(found) == 10 else "+" + found


def lead_values(lead: Lead) -> dict[str, Any]:
    """A lead's synced fields (`SYNCED_FIELDS`) in the shared vocabulary."""
    values: dict[str, Any] = {name: getattr(lead, name) for name in SYNCED_FIELDS}
    values["email"] = lead.email.lower() if lead.email else None
    values["pets"] = True if lead.pets else None
    values["notes"] = lead.notes or None
    lost = lead.qualification is Qualification.DISQUALIFIED
    values["qualification"] = "lost" if lost else "active"
    return values


def prospect_values(prospect: Prospect) -> dict[str, Any]:
    """A guest card's synced fields, read as leadsync's mapping reads them."""
    person, prefs = prospect.main, prospect.preferences
    phone = next(
        (person.phones[k] for k in ("Mobile", "Home", "Work") if person.phones.get(k)), None
    )
    values: dict[str, Any] = {
        "first_name": person.first_name or None,
        "last_name": person.last_name or None,
        "email": person.email.lower() if person.email else None,
        "phone": _e164(phone) if phone else None,
        "desired_move_in": prefs.target_move_in_date,
        "desired_bedrooms": prefs.bedrooms_min,
        "desired_bathrooms": prefs.bathrooms_min,
        "max_rent": prefs.max_rent,
        "pets": True if prefs.pets else None,
        "notes": prefs.comments or None,
        "qualification": "lost" if prospect.lost_date is not None else "active",
    }
    return {name: values[name] for name in SYNCED_FIELDS}


def resman_changes(field_name: str, value: Any) -> dict[str, Any]:
    """`ResmanState.edit_prospect` keywords that set one synced field to `value`."""
    if field_name == "phone":
        return {"phones": {"Mobile": us_phone(value) if value else ""}}
    if field_name == "desired_bedrooms":
        return {"bedrooms_min": value, "bedrooms_max": value}
    if field_name == "desired_bathrooms":
        return {"bathrooms_min": value, "bathrooms_max": value}
    if field_name == "pets":
        return {"pets": [Pet("Dog")] if value else []}
    if field_name == "desired_move_in":
        return {"target_move_in_date": value}
    if field_name == "max_rent":
        return {"max_rent": value}
    if field_name == "notes":
        return {"comments": value or ""}
    if field_name in ("first_name", "last_name", "email"):
        return {field_name: value or ""}
    raise ValueError(f"{field_name} is not a guest-card field (qualification is an event)")


def other_value(rng: random.Random, field_name: str, avoid: list[Any], today: date) -> Any:
    """A realistic value for `field_name` that equals none of `avoid` (never None)."""
    for _ in range(100):
        candidate = _draw_value(rng, field_name, avoid, today)
        if candidate not in avoid:
            return candidate
    raise RuntimeError(f"could not draw a new value for {field_name}")  # pragma: no cover


def _draw_value(rng: random.Random, field_name: str, avoid: list[Any], today: date) -> Any:
    base = next((v for v in avoid if v is not None), None)
    if field_name == "phone":
        return make_phone(rng)
    if field_name == "desired_move_in":
        start = base if isinstance(base, date) else today + timedelta(days=30)
        moved = start + timedelta(days=rng.choice((-1, 1)) * rng.randrange(7, 45))
        soonest = today + timedelta(days=7)  # nobody asks to move in last week
        return moved if moved >= soonest else soonest + timedelta(days=rng.randrange(0, 60))
    if field_name == "max_rent":
        rent = base if isinstance(base, int) else 1800
        return max(900, rent + rng.choice((-1, 1)) * rng.randrange(50, 400, 25))
    if field_name == "desired_bedrooms":
        return rng.randrange(0, 5)
    if field_name == "notes":
        return rng.choice([n for n in NOTES if n is not None])
    raise ValueError(f"no value generator for {field_name}")


# ---------------------------------------------------------------------------- building


@dataclass(frozen=True)
class _Plan:
    """How many conversations of each kind a world of `leads` gets."""

    qualified: int
    new: int
    disqualified: int
    linked: int
    pending: int
    conflicting: int
    domiq_only: int
    walk_ins: int

    @classmethod
    def for_leads(cls, leads: int) -> _Plan:
        qualified = round(leads * QUALIFIED_SHARE)
        new = round(leads * NEW_SHARE)
        conflicting = min(qualified, max(round(leads * CONFLICT_SHARE), 3 if leads >= 20 else 0))
        linked = min(qualified - conflicting, round(qualified * LINKED_SHARE))
        domiq_only = min(qualified - conflicting - linked, round(qualified * DOMIQ_ONLY_SHARE))
        return cls(
            qualified=qualified,
            new=new,
            disqualified=leads - qualified - new,
            linked=linked,
            pending=qualified - conflicting - linked - domiq_only,
            conflicting=conflicting,
            domiq_only=domiq_only,
            walk_ins=round(leads * WALK_IN_SHARE),
        )


@dataclass
class _Builder:
    rng: random.Random
    now: datetime
    clock: _Clock
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
            phones={"Mobile": us_phone(lead.phone)} if lead.phone else {},
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
            phones={"Mobile": us_phone(person.phone)} if person.phone else {},
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


def _add_property(resman: ResmanState, rng: random.Random, info: PropertyInfo) -> PropertyLink:
    prop = resman.add_property(
        info.name,
        street_address=info.street,
        city=info.city,
        state=info.state,
        zip_code=info.zip,
        phone=us_phone(info.phone),
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


def build_world(
    seed: int,
    leads: int,
    now: datetime,
    *,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> World:
    """A seeded world of `leads` DomIQ conversations dated before `now`.

    `clock` is what both states read once the world is built (default: the real time);
    while building, they read seeded instants, so ids do not depend on when it ran.
    `progress(done, total)` is called every twentieth of the conversations (a big world
    takes minutes). `leads` above `MAX_LEADS` raises `ValueError`.
    """
    if not 0 <= leads <= MAX_LEADS:
        raise ValueError(f"leads must be between 0 and {MAX_LEADS}, got {leads}")
    now = (now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)).replace(
        microsecond=0
    )
    rng = random.Random(seed)
    shared = _Clock(clock or utc_now)
    shared.pinned = now
    domiq = DomiqState(seed=rng.getrandbits(32), now=shared)
    resman = ResmanState(
        seed=rng.getrandbits(32),
        now=shared,
        integration_partner_id=RESMAN_PARTNER_ID,
        api_key=RESMAN_API_KEY,
        account_id=RESMAN_ACCOUNT_ID,
        company_name="Demo Residential",
        subdomain="demo",
    )
    links = tuple(_add_property(resman, rng, info) for info in PROPERTIES)
    reasons = [resman.add_lost_reason(name) for name in LOST_REASON_NAMES]
    builder = _Builder(rng, now, shared, domiq, resman, links, reasons)
    plan = _Plan.for_leads(leads)
    roles = (
        ["linked"] * plan.linked
        + ["pending"] * plan.pending
        + ["conflicting"] * plan.conflicting
        + ["domiq_only"] * plan.domiq_only
        + ["new"] * plan.new
        + ["disqualified"] * plan.disqualified
    )
    rng.shuffle(roles)
    step = max(1, len(roles) // _PROGRESS_STEPS)
    for done, role in enumerate(roles, start=1):
        if progress is not None and done % step == 0:
            progress(done, len(roles))
        if role == "new":
            builder.new_chat()
        elif role == "disqualified":
            builder.lead(Qualification.DISQUALIFIED)
        elif role == "domiq_only":
            builder.lead(Qualification.QUALIFIED)
        else:
            builder.linked_lead(role)
    for _ in range(plan.walk_ins):
        builder.walk_in()
    shared.pinned = None
    return World(
        domiq=domiq,
        resman=resman,
        token=DOMIQ_TOKEN,
        partner_id=RESMAN_PARTNER_ID,
        api_key=RESMAN_API_KEY,
        account_id=RESMAN_ACCOUNT_ID,
        properties=links,
        linked_pairs=tuple(builder.linked),
        conflicting_pairs=tuple(builder.conflicting),
        pending_pairs=tuple(builder.pending),
        changes=tuple(builder.changes),
        walk_ins=tuple(builder.walk_ins),
        clock=shared,
    )


def dump_world(world: World) -> str:
    """Everything both states hold, as canonical JSON: equal worlds give equal text."""
    domiq = world.domiq
    resman = world.resman
    data = {
        "leads": [lead.model_dump(mode="json") for lead in domiq.all_leads()],
        "transcripts": {
            cid: [m.model_dump(mode="json") for m in domiq.transcript(cid)]
            for cid in [lead.conversation_id for lead in domiq.all_leads()]
            + domiq.pending_conversations()
        },
        "pending_chats": domiq.pending_conversations(),
        "properties": [asdict(p) for p in resman.properties],
        "sources": [asdict(s) for p in resman.properties for s in resman.sources(p.property_id)],
        "employees": [
            asdict(e) for p in resman.properties for e in resman.employees(p.property_id)
        ],
        "lost_reasons": [asdict(r) for r in resman.lost_reasons],
        "prospects": [asdict(p) for p in resman.prospects],
        "links": [asdict(p) for p in world.properties],
        "changes": [asdict(c) for c in world.changes],
    }
    return json.dumps(data, sort_keys=True, default=str, indent=1)
