"""DomIQ's world in memory: leads, chats, idempotency keys and the live event log.

Deterministic by construction: the clock is injected and ids come from a seeded
`random.Random`, so a test (or a demo) with a frozen clock sees the same ids, versions and
event numbers every run. Everything is synchronous and runs on one event loop; the only
async part is fan-out, where each live WebSocket subscriber reads its own bounded
`asyncio.Queue`. Replay and subscription happen in one step (`subscribe`), so a client
that resumes never misses or repeats an event between the two.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import hashlib
import itertools
import json
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from leadsync_tui.models import (
    EventType,
    Lead,
    LeadData,
    LeadSource,
    Qualification,
    SyncEvent,
    SyncStatus,
    TranscriptMessage,
    utc_now,
)
from leadsync_tui.sim.domiq.errors import BadRequest, Duplicate, NotFound, VersionMismatch
from leadsync_tui.sim.domiq.ids import conversation_id as new_conversation_id
from leadsync_tui.sim.domiq.validation import FIELD_RULES, clean_changes

DEFAULT_EVENT_WINDOW = 10_000
"""How many events DomIQ keeps for `since` resumes (the contract's number)."""


@dataclass
class _Conversation:
    """A chat; it becomes a lead when qualified (or when created through the API)."""

    details: LeadData | None
    """Who is chatting, for `qualify` to build the lead from; None once a lead exists."""
    messages: list[TranscriptMessage] = field(default_factory=list)


@dataclass(eq=False)
class Subscription:
    """One live feed reader: the events to replay, then a queue of live ones."""

    queue: asyncio.Queue[SyncEvent]
    backlog: list[SyncEvent]
    """Retained events after `since`, to send before anything from the queue."""
    resync_required: bool
    """`since` was older than the retained window (or newer than any event)."""
    start_id: int
    """The last event id the reader is known to have (or to have skipped)."""
    dropped: bool = False
    """Set when the reader fell so far behind that its queue overflowed; it must close
    and resume with `since`."""


class DomiqState:
    """The simulated DomIQ, minus HTTP. All public methods are safe to call from tests."""

    def __init__(
        self,
        *,
        seed: int = 0,
        now: Callable[[], datetime] = utc_now,
        event_window: int = DEFAULT_EVENT_WINDOW,
        subscriber_queue_size: int = 1_000,
    ) -> None:
        if event_window < 1 or subscriber_queue_size < 1:
            raise ValueError("event_window and subscriber_queue_size must be positive")
        self.now = now
        self._rng = random.Random(seed)
        self._leads: dict[str, Lead] = {}
        self._order: list[tuple[datetime, str]] = []
        """(updated_at, conversation_id) of every lead, kept sorted: paging is a bisect."""
        self._conversations: dict[str, _Conversation] = {}
        self._idempotency: dict[str, tuple[str, str]] = {}
        self._events: deque[SyncEvent] = deque(maxlen=event_window)
        self._last_event_id = 0
        self._subscribers: set[Subscription] = set()
        self._queue_size = subscriber_queue_size

    # ------------------------------------------------------------------ reading

    @property
    def last_event_id(self) -> int:
        return self._last_event_id

    @property
    def retained_events(self) -> int:
        return len(self._events)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def lead_count(self) -> int:
        return len(self._leads)

    def get_lead(self, cid: str) -> Lead:
        try:
            return self._leads[cid]
        except KeyError:
            raise NotFound(f"no lead with conversation_id {cid!r}") from None

    def has_lead(self, cid: str) -> bool:
        return cid in self._leads

    def all_leads(self) -> list[Lead]:
        """Every lead, in paging order (for the activity generator and tests)."""
        return [self._leads[cid] for _, cid in self._order]

    def pending_conversations(self) -> list[str]:
        """Chats that are not leads yet (candidates for `qualify`)."""
        return [cid for cid, chat in self._conversations.items() if cid not in self._leads]

    def transcript(self, cid: str) -> list[TranscriptMessage]:
        try:
            return list(self._conversations[cid].messages)
        except KeyError:
            raise NotFound(f"no conversation with id {cid!r}") from None

    def list_leads(
        self, updated_since: datetime | None, cursor: str | None, limit: int
    ) -> tuple[list[Lead], str | None]:
        """A page ordered by (updated_at, conversation_id), and the cursor of the next."""
        if not 1 <= limit <= 500:
            raise BadRequest(f"limit must be between 1 and 500, got {limit}")
        start = 0
        if cursor:
            start = bisect.bisect_right(self._order, _decode_cursor(cursor))
        if updated_since is not None:
            start = max(start, bisect.bisect_left(self._order, (updated_since, "")))
        page = [self._leads[cid] for _, cid in self._order[start : start + limit]]
        more = start + limit < len(self._order)
        return page, _encode_cursor(page[-1]) if more else None

    def events_since(self, event_id: int) -> list[SyncEvent] | None:
        """Events after `event_id`, or None when they are no longer all retained.

        None also when `event_id` is ahead of every event (a reader from before a
        restart): either way the reader must resync.
        """
        first = self._events[0].id if self._events else self._last_event_id + 1
        assert first is not None
        if event_id < first - 1 or event_id > self._last_event_id:
            return None
        return list(itertools.islice(self._events, event_id - first + 1, None))

    # ------------------------------------------------------------------ loading

    def seed_lead(self, lead: Lead, transcript: list[TranscriptMessage] | None = None) -> None:
        """Load a lead as it stands (version, times, sync fields) without any event."""
        self._store(lead)
        self._conversations[lead.conversation_id] = _Conversation(None, list(transcript or []))

    def start_conversation(
        self,
        property_id: str,
        first_name: str,
        last_name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        desired_move_in: date | None = None,
        desired_bedrooms: int | None = None,
        desired_bathrooms: float | None = None,
        max_rent: int | None = None,
        pets: bool | None = None,
        source: LeadSource = LeadSource.WEBSITE_CHAT,
        notes: str | None = None,
        transcript: list[TranscriptMessage] | None = None,
    ) -> str:
        """A new chat that is not a lead yet; `qualify` turns it into one."""
        details = clean_changes(
            {
                "property_id": property_id,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone,
                "desired_move_in": desired_move_in,
                "desired_bedrooms": desired_bedrooms,
                "desired_bathrooms": desired_bathrooms,
                "max_rent": max_rent,
                "pets": pets,
                "source": source,
                "notes": notes,
            }
        )
        cid = self._new_id()
        self._conversations[cid] = _Conversation(LeadData(**details), list(transcript or []))
        return cid

    def append_message(self, cid: str, message: TranscriptMessage) -> None:
        """Add a chat line (the activity generator's chats go on)."""
        try:
            self._conversations[cid].messages.append(message)
        except KeyError:
            raise NotFound(f"no conversation with id {cid!r}") from None

    # ------------------------------------------------------------------ writing

    def create_lead(self, data: LeadData, idempotency_key: str) -> tuple[Lead, bool]:
        """Create once per key: the same key and body give the same lead, `created=False`."""
        fingerprint = _fingerprint(data)
        known = self._idempotency.get(idempotency_key)
        if known is not None:
            if known[0] != fingerprint:
                raise Duplicate(
                    f"Idempotency-Key {idempotency_key!r} was already used with a different body"
                )
            return self._leads[known[1]], False
        cleaned = clean_changes(data.model_dump(exclude_unset=False))
        cid = self._new_id()
        at = self.now()
        lead = Lead(conversation_id=cid, version=1, created_at=at, updated_at=at, **cleaned)
        self._store(lead)
        self._conversations[cid] = _Conversation(None)
        self._idempotency[idempotency_key] = (fingerprint, cid)
        self._emit(EventType.LEAD_CREATED, lead)
        return lead, True

    def patch_lead(self, cid: str, changes: Mapping[str, Any], if_match: int) -> Lead:
        """A client's change, only when it saw the current version (else 412)."""
        lead = self.get_lead(cid)
        if lead.version != if_match:
            raise VersionMismatch(cid, lead.version, if_match)
        return self._change(lead, clean_changes(changes), EventType.LEAD_UPDATED)

    def edit_lead(self, cid: str, changes: Mapping[str, Any]) -> Lead:
        """A change made inside DomIQ (the bot, an admin): no precondition."""
        return self._change(self.get_lead(cid), clean_changes(changes), EventType.LEAD_UPDATED)

    def report_sync(
        self,
        cid: str,
        status: SyncStatus | str,
        prospect_id: str | None,
        last_sync_at: datetime | None,
    ) -> Lead:
        """Record the ResMan sync outcome: no version bump, but live readers hear of it."""
        lead = self.get_lead(cid)
        fields = {
            "resman_sync_status": FIELD_RULES["resman_sync_status"]("resman_sync_status", status),
            "resman_prospect_id": FIELD_RULES["resman_prospect_id"](
                "resman_prospect_id", prospect_id
            ),
            "last_sync_at": FIELD_RULES["last_sync_at"]("last_sync_at", last_sync_at),
        }
        updated = Lead.model_validate({**lead.model_dump(), **fields})
        if updated == lead:
            return lead
        self._store(updated)
        self._emit(EventType.LEAD_UPDATED, updated)
        return updated

    def qualify(self, cid: str) -> Lead:
        """Mark the chat qualified; a chat without a lead becomes one (`lead.created` too)."""
        lead = self._leads.get(cid)
        if lead is not None:
            changes = {"qualification": Qualification.QUALIFIED}
            return self._change(lead, changes, EventType.CONVERSATION_QUALIFIED)
        chat = self._conversations.get(cid)
        if chat is None or chat.details is None:
            raise NotFound(f"no conversation with id {cid!r}")
        at = self.now()
        lead = Lead(
            conversation_id=cid,
            version=1,
            created_at=at,
            updated_at=at,
            qualification=Qualification.QUALIFIED,
            **chat.details.model_dump(),
        )
        self._store(lead)
        chat.details = None
        self._emit(EventType.LEAD_CREATED, lead)
        self._emit(EventType.CONVERSATION_QUALIFIED, lead)
        return lead

    # ------------------------------------------------------------------ live feed

    def subscribe(self, since: int | None) -> Subscription:
        """Start a live reader: from now (`since=None`) or after event `since`."""
        queue: asyncio.Queue[SyncEvent] = asyncio.Queue(self._queue_size)
        backlog = [] if since is None else self.events_since(since)
        if backlog is None:
            sub = Subscription(queue, [], resync_required=True, start_id=self._last_event_id)
        else:
            start = self._last_event_id if since is None else since
            sub = Subscription(queue, backlog, resync_required=False, start_id=start)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    # ------------------------------------------------------------------ internals

    def _new_id(self) -> str:
        while True:
            cid = new_conversation_id(self._rng, self.now())
            if cid not in self._conversations and cid not in self._leads:
                return cid

    def _store(self, lead: Lead) -> None:
        """Put a lead in place, keeping the paging order in step with `updated_at`."""
        key = _sort_key(lead)
        old = self._leads.get(lead.conversation_id)
        if old is None or _sort_key(old) != key:
            if old is not None:
                del self._order[bisect.bisect_left(self._order, _sort_key(old))]
            bisect.insort(self._order, key)
        self._leads[lead.conversation_id] = lead

    def _change(self, lead: Lead, changes: dict[str, Any], event: EventType) -> Lead:
        """Apply real changes with a version bump and an event; a no-op changes nothing."""
        current = lead.model_dump()
        if all(current.get(name) == value for name, value in changes.items()):
            return lead
        updated = Lead.model_validate(
            {**current, **changes, "version": lead.version + 1, "updated_at": self.now()}
        )
        self._store(updated)
        self._emit(event, updated)
        return updated

    def _emit(self, kind: EventType, lead: Lead) -> None:
        self._last_event_id += 1
        event = SyncEvent(
            id=self._last_event_id, type=kind, at=self.now(), data=lead.model_dump(mode="json")
        )
        self._events.append(event)
        for sub in list(self._subscribers):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.dropped = True
                self._subscribers.discard(sub)


def _sort_key(lead: Lead) -> tuple[datetime, str]:
    return lead.updated_at, lead.conversation_id


def _fingerprint(data: LeadData) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _encode_cursor(lead: Lead) -> str:
    raw = json.dumps([lead.updated_at.isoformat(), lead.conversation_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, cid = json.loads(raw)
        at = datetime.fromisoformat(stamp)
        if not isinstance(cid, str) or at.tzinfo is None:
            raise ValueError(cursor)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadRequest(
            "cursor is not one this server issued; pass next_cursor from the previous page"
        ) from None
    return at, cid
