"""What a demo world is: its credentials and names, its proportions, and the `World`
record the demo and the tests read (which pairs are linked, pending, conflicting).

Kept apart from the building (`world_builder.py`) so a test can name what it expects
without pulling in how it was drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadsync_tui.sim.domiq import DomiqState
from leadsync_tui.sim.resman import ResmanState

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
