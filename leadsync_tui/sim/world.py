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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from leadsync_tui.models import (
    Qualification,
    utc_now,
)
from leadsync_tui.sim.domiq import DomiqState
from leadsync_tui.sim.people import (
    PROPERTIES,
)
from leadsync_tui.sim.resman import ResmanState
from leadsync_tui.sim.world_builder import Builder, Clock, add_property
from leadsync_tui.sim.world_records import (
    CONFLICT_SHARE,
    DOMIQ_ONLY_SHARE,
    DOMIQ_TOKEN,
    LINKED_SHARE,
    LOST_REASON_NAMES,
    MAX_LEADS,
    NEW_SHARE,
    QUALIFIED_SHARE,
    RESMAN_ACCOUNT_ID,
    RESMAN_API_KEY,
    RESMAN_PARTNER_ID,
    WALK_IN_SHARE,
    World,
)

_PROGRESS_STEPS = 20
"""`build_world` reports progress this many times over a build."""

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
    shared = Clock(clock or utc_now)
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
    links = tuple(add_property(resman, rng, info) for info in PROPERTIES)
    reasons = [resman.add_lost_reason(name) for name in LOST_REASON_NAMES]
    builder = Builder(rng, now, shared, domiq, resman, links, reasons)
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
