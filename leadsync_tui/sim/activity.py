"""Life in the simulators: chats qualify, the bot and the agents edit, and sometimes clash.

`ActivityGenerator.step()` performs one seeded action on the world's two states (tests
call it directly, and may force a kind); `run()` performs them at exponential intervals
with a mean of 60/rate seconds until cancelled, as independent arrivals would come. The
actions go through the states' own entry points (`start_conversation`, `qualify`,
`edit_lead`, `edit_prospect`, `mark_lost`), so DomIQ emits its usual live events and
ResMan bumps its LastModified stamps exactly as real use would.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadsync_tui.models import Lead, MessageRole, Qualification, TranscriptMessage
from leadsync_tui.sim.people import make_person, make_transcript
from leadsync_tui.sim.resman import Prospect
from leadsync_tui.sim.world_builder import start_chat
from leadsync_tui.sim.world_records import (
    CONFLICT_FIELDS,
    DOMIQ_EDIT_FIELDS,
    RESMAN_EDIT_FIELDS,
    World,
)
from leadsync_tui.sim.world_values import lead_values, other_value, prospect_values, resman_changes

logger = logging.getLogger(__name__)

_SERIAL_BASE = 10_000_000
"""New people's email serials start here, clear of any seeded world's."""


class ActivityKind(StrEnum):
    NEW_CHAT_QUALIFIED = "new_chat_qualified"
    """A chat starts and qualifies at once: `lead.created` + `conversation.qualified`."""
    CHAT_STARTED = "chat_started"
    """A chat starts but is not qualified yet (no event; `pending_conversations` grows)."""
    PENDING_CHAT_QUALIFIED = "pending_chat_qualified"
    """A waiting chat qualifies: a new lead."""
    BOT_EDITS_LEAD = "bot_edits_lead"
    """The bot learns a new move-in date, bedroom count or note (`lead.updated`)."""
    AGENT_EDITS_PROSPECT = "agent_edits_prospect"
    """A leasing agent edits a guest card's phone, move-in date or rent in ResMan."""
    LEAD_DISQUALIFIED = "lead_disqualified"
    """DomIQ rules a qualified lead out (`lead.updated`)."""
    PROSPECT_LOST = "prospect_lost"
    """An agent marks a guest card lost, with a lost reason."""
    CONFLICT = "conflict"
    """Both sides change the same field of a linked pair to different values."""


WEIGHTS: dict[ActivityKind, int] = {
    ActivityKind.NEW_CHAT_QUALIFIED: 18,
    ActivityKind.CHAT_STARTED: 8,
    ActivityKind.PENDING_CHAT_QUALIFIED: 10,
    ActivityKind.BOT_EDITS_LEAD: 22,
    ActivityKind.AGENT_EDITS_PROSPECT: 22,
    ActivityKind.LEAD_DISQUALIFIED: 5,
    ActivityKind.PROSPECT_LOST: 5,
    ActivityKind.CONFLICT: 10,
}
"""Relative odds of each action (they sum to 100, so each is a percentage)."""


@dataclass(frozen=True)
class ActivityRecord:
    """What one step did (`kind` is what happened: a kind without a target falls back
    to a new qualified chat)."""

    kind: ActivityKind
    at: datetime
    summary: str
    conversation_id: str | None = None
    prospect_id: str | None = None
    field: str | None = None


class ActivityGenerator:
    """Seeded activity on a `World`; every step is deterministic for a seed, a world
    and a clock."""

    def __init__(
        self,
        world: World,
        rate_per_min: float,
        rng_seed: int,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if rate_per_min < 0:
            raise ValueError(f"rate_per_min must be >= 0, got {rate_per_min}")
        self.world = world
        self.rate_per_min = rate_per_min
        self.now = now or world.clock
        self._rng = random.Random(rng_seed)
        self._timing = random.Random(rng_seed + 7_919)
        """Intervals draw from their own stream, so `run` and `step` see the same actions."""
        self._serial = _SERIAL_BASE
        self.counts: Counter[ActivityKind] = Counter()
        self.last: ActivityRecord | None = None

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Step at random intervals until cancelled; at rate 0 return at once."""
        if self.rate_per_min <= 0:
            return
        while True:
            await asyncio.sleep(self.next_delay())
            try:
                self.step()
            except Exception:  # a demo generator must not take the servers down
                logger.exception("simulated activity step failed")

    def next_delay(self) -> float:
        """Seconds to the next action: exponential with mean 60/rate."""
        return self._timing.expovariate(self.rate_per_min / 60.0)

    def step(self, kind: ActivityKind | None = None) -> ActivityRecord:
        """One action: `kind`, or one drawn by `WEIGHTS`."""
        if kind is None:
            kind = self._rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        actions: dict[ActivityKind, Callable[[], ActivityRecord | None]] = {
            ActivityKind.NEW_CHAT_QUALIFIED: self._new_chat_qualified,
            ActivityKind.CHAT_STARTED: self._chat_started,
            ActivityKind.PENDING_CHAT_QUALIFIED: self._pending_chat_qualified,
            ActivityKind.BOT_EDITS_LEAD: self._bot_edits_lead,
            ActivityKind.AGENT_EDITS_PROSPECT: self._agent_edits_prospect,
            ActivityKind.LEAD_DISQUALIFIED: self._lead_disqualified,
            ActivityKind.PROSPECT_LOST: self._prospect_lost,
            ActivityKind.CONFLICT: self._conflict,
        }
        record = actions[kind]() or self._new_chat_qualified()
        self.counts[record.kind] += 1
        self.last = record
        return record

    # ------------------------------------------------------------------ targets

    def _qualified(self) -> list[Lead]:
        return [
            lead
            for lead in self.world.domiq.all_leads()
            if lead.qualification is Qualification.QUALIFIED
        ]

    def _active_prospects(self) -> list[Prospect]:
        return [p for p in self.world.resman.prospects if p.lost_date is None]

    def _linked(self) -> list[tuple[Lead, Prospect]]:
        """Qualified leads whose prospect exists and is not lost."""
        pairs = []
        for lead in self._qualified():
            if lead.resman_prospect_id is None:
                continue
            prospect = self.world.resman.get_prospect(lead.resman_prospect_id)
            if prospect is not None and prospect.lost_date is None:
                pairs.append((lead, prospect))
        return pairs

    def _value(self, name: str, avoid: list[Any]) -> Any:
        return other_value(self._rng, name, avoid, self.now().date())

    # ------------------------------------------------------------------ DomIQ

    def _start_chat(self) -> tuple[str, str]:
        """A new chat at a random property; its transcript ends now. -> (cid, name)."""
        link = self._rng.choice(self.world.properties)
        self._serial += 1
        now = self.now()
        person = make_person(self._rng, now.date(), self._serial)
        lines = make_transcript(self._rng, person, link.name, now)
        shift = lines[-1][0] - now
        transcript = [
            TranscriptMessage(at=at - shift, role=MessageRole(role), text=text)
            for at, role, text in lines
        ]
        cid = start_chat(self.world.domiq, link, person, transcript)
        return cid, f"{person.first_name} {person.last_name} at {link.name}"

    def _record(
        self,
        kind: ActivityKind,
        summary: str,
        *,
        conversation_id: str | None = None,
        prospect_id: str | None = None,
        field: str | None = None,
    ) -> ActivityRecord:
        return ActivityRecord(kind, self.now(), summary, conversation_id, prospect_id, field)

    def _new_chat_qualified(self) -> ActivityRecord:
        cid, who = self._start_chat()
        self.world.domiq.qualify(cid)
        return self._record(
            ActivityKind.NEW_CHAT_QUALIFIED, f"new chat qualified: {who}", conversation_id=cid
        )

    def _chat_started(self) -> ActivityRecord:
        cid, who = self._start_chat()
        return self._record(ActivityKind.CHAT_STARTED, f"chat started: {who}", conversation_id=cid)

    def _pending_chat_qualified(self) -> ActivityRecord | None:
        pending = self.world.domiq.pending_conversations()
        if not pending:
            return None
        cid = self._rng.choice(pending)
        self._say(cid, "Thanks for waiting! You qualify; an agent will reach out today.")
        lead = self.world.domiq.qualify(cid)
        return self._record(
            ActivityKind.PENDING_CHAT_QUALIFIED,
            f"chat qualified: {lead.full_name}",
            conversation_id=cid,
        )

    def _bot_edits_lead(self) -> ActivityRecord | None:
        leads = self._qualified()
        if not leads:
            return None
        lead = self._rng.choice(leads)
        name = self._rng.choice(DOMIQ_EDIT_FIELDS)
        value = self._value(name, [getattr(lead, name)])
        self.world.domiq.edit_lead(lead.conversation_id, {name: value})
        return self._record(
            ActivityKind.BOT_EDITS_LEAD,
            f"bot changed {name} of {lead.full_name} to {value}",
            conversation_id=lead.conversation_id,
            field=name,
        )

    def _lead_disqualified(self) -> ActivityRecord | None:
        leads = self._qualified()
        if not leads:
            return None
        lead = self._rng.choice(leads)
        self._say(lead.conversation_id, "Understood. I'll close this inquiry for now.")
        self.world.domiq.edit_lead(
            lead.conversation_id, {"qualification": Qualification.DISQUALIFIED}
        )
        return self._record(
            ActivityKind.LEAD_DISQUALIFIED,
            f"lead disqualified: {lead.full_name}",
            conversation_id=lead.conversation_id,
        )

    def _say(self, cid: str, text: str) -> None:
        message = TranscriptMessage(at=self.now(), role=MessageRole.BOT, text=text)
        self.world.domiq.append_message(cid, message)

    # ------------------------------------------------------------------ ResMan

    def _agent_edits_prospect(self) -> ActivityRecord | None:
        prospects = self._active_prospects()
        if not prospects:
            return None
        prospect = self._rng.choice(prospects)
        name = self._rng.choice(RESMAN_EDIT_FIELDS)
        value = self._value(name, [prospect_values(prospect)[name]])
        self.world.resman.edit_prospect(
            prospect.prospect_id, at=self.now(), **resman_changes(name, value)
        )
        who = f"{prospect.main.first_name} {prospect.main.last_name}"
        return self._record(
            ActivityKind.AGENT_EDITS_PROSPECT,
            f"agent changed {name} of {who} to {value}",
            prospect_id=prospect.prospect_id,
            field=name,
        )

    def _prospect_lost(self) -> ActivityRecord | None:
        prospects = self._active_prospects()
        reasons = self.world.resman.lost_reasons
        if not prospects or not reasons:
            return None
        prospect = self._rng.choice(prospects)
        reason = self._rng.choice(reasons)
        self.world.resman.mark_lost(prospect.prospect_id, reason.reason_id)
        who = f"{prospect.main.first_name} {prospect.main.last_name}"
        return self._record(
            ActivityKind.PROSPECT_LOST,
            f"prospect lost: {who} ({reason.name})",
            prospect_id=prospect.prospect_id,
        )

    # ------------------------------------------------------------------ both

    def _conflict(self) -> ActivityRecord | None:
        pairs = self._linked()
        if not pairs:
            return None
        lead, prospect = self._rng.choice(pairs)
        name = self._rng.choice(CONFLICT_FIELDS)
        current = [lead_values(lead)[name], prospect_values(prospect)[name]]
        domiq_value = self._value(name, current)
        resman_value = self._value(name, [*current, domiq_value])
        self.world.domiq.edit_lead(lead.conversation_id, {name: domiq_value})
        self.world.resman.edit_prospect(
            prospect.prospect_id, at=self.now(), **resman_changes(name, resman_value)
        )
        return self._record(
            ActivityKind.CONFLICT,
            f"both sides changed {name} of {lead.full_name}: "
            f"DomIQ {domiq_value}, ResMan {resman_value}",
            conversation_id=lead.conversation_id,
            prospect_id=prospect.prospect_id,
            field=name,
        )
