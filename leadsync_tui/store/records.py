"""Rows of the local store that are not spec models: outbox items, links, audit entries.

They are frozen pydantic models so the engine, the store and the UI can pass them between
tasks without copying, exactly like the spec models in `leadsync_tui.models`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadsync_tui.models import SyncDirection, SyncType, UtcDatetime
from leadsync_tui.store.payloads import LinkWrite, OutboxPayload


class OutboxStatus(StrEnum):
    """Where an outbox item stands. A delivered item is deleted, so there is no `done`."""

    PENDING = "pending"
    """Waiting to be sent, first time or retry, from `next_attempt_at` on."""
    IN_FLIGHT = "in_flight"
    """Claimed by the engine and being sent. A crash leaves it here; it is put back to
    `pending` by the engine that takes the sync lease over (`Database.take_engine`)."""
    FAILED = "failed"
    """Parked: a permanent error or out of retries. Waits for a person to retry it, and
    holds back later items of the same lead and direction so changes never overtake."""


class Cursor(StrEnum):
    """Names of the poll cursors kept in the `cursors` table."""

    RESMAN_MODIFIED_THROUGH = "resman.modified_through"
    """End of the last ResMan `SearchProspects` window that was fully applied (ISO UTC, on
    ResMan's clock: the `Date` of its answer, never this machine's time)."""
    DOMIQ_UPDATED_SINCE = "domiq.updated_since"
    """`updated_since` for the next incremental `GET /v1/leads` (ISO UTC)."""
    DOMIQ_LAST_EVENT_ID = "domiq.last_event_id"
    """Id of the last live-feed event applied to the store; resume with `since=` it."""
    STORE_MOVED = "store.moved"
    """Set in a SQLite store once `leadsync store migrate` copied it to PostgreSQL:
    `{"to": url, "at": iso}`. No engine runs on a moved store (`StoreMoved`)."""


class NewOutboxItem(BaseModel):
    """An outgoing change to put in the outbox. `dedupe_key` makes enqueueing idempotent."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    direction: SyncDirection
    sync_type: SyncType
    payload: OutboxPayload = Field(default_factory=LinkWrite)
    """What to write (`store.payloads`: one model per kind of write); by default, merge
    the lead as it is when sent (what the empty payload of old meant)."""
    dedupe_key: str
    next_attempt_at: UtcDatetime | None = None
    """None: due at once."""


class OutboxItem(BaseModel):
    """An outgoing change waiting in the outbox until the other side confirms it."""

    model_config = ConfigDict(frozen=True)

    id: int
    conversation_id: str
    direction: SyncDirection
    sync_type: SyncType
    payload: OutboxPayload
    dedupe_key: str
    status: OutboxStatus
    attempts: int
    """Claims so far (a claim counts as an attempt even if the process died in it)."""
    next_attempt_at: UtcDatetime
    last_error: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class OutboxCounts(BaseModel):
    """How many outbox items are in each status (the metrics' failed and pending)."""

    model_config = ConfigDict(frozen=True)

    pending: int = 0
    in_flight: int = 0
    failed: int = 0


class Link(BaseModel):
    """A DomIQ conversation tied to its ResMan prospect, with the last agreed values.

    `snapshot` maps mapped field names to the values both sides held after the last
    successful sync: the base of the three-way merge.
    """

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    prospect_id: str
    person_id: str | None = None
    property_id: str
    snapshot: dict[str, Any] = Field(default_factory=dict)
    agreed_at: UtcDatetime
    shared_by: str | None = None
    """The `duplicate_candidate` conflict whose decision linked this conversation to a
    prospect another conversation already holds (one person, two conversations); None
    for the one link a prospect has without such a decision."""


class AuditEntry(BaseModel):
    """Who did what to which record, when and why (the operators' trail)."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    """Assigned by the database; None on entries not yet written."""
    at: UtcDatetime
    actor: str
    action: str
    target: str
    """The id of what was acted on (a conflict id, a conversation id, an outbox id)."""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None


class EngineRecord(BaseModel):
    """The engine that runs (or last ran) on this store: who, since when, last heartbeat.

    One row per `slot` (today only `"sync"`). A process writes it when its engine starts,
    renews `heartbeat_at`/`expires_at` every few seconds and sets `stopped_at` on a clean
    exit; a crashed one simply stops renewing. It is the sync lease (`sync.lease`):
    `token` fences the holder's writes, `generation` grows by one for each new holder.
    """

    model_config = ConfigDict(frozen=True)

    slot: str = "sync"
    host: str
    pid: int
    token: str
    """Random per process: tells two processes apart even when a pid is reused."""
    mode: str
    """`run` (the TUI or `sync --headless`) or `once` (`sync --headless --once`)."""
    started_at: UtcDatetime
    heartbeat_at: UtcDatetime
    expires_at: UtcDatetime
    """Past this without a new heartbeat, the holder counts as gone."""
    stopped_at: UtcDatetime | None = None
    generation: int = 1


class FeedKind(StrEnum):
    """What a `change_feed` row names: a lead, a conflict or a sync-log entry, by key."""

    LEAD = "lead"
    CONFLICT = "conflict"
    LOG = "log"


class Committed(BaseModel):
    """What other processes committed to the shared store after `Database.feed_position`
    `after`, by key: a watching window re-reads these rows (and only these).

    The answer of every change watch (`store.change_watch`): SQLite reads it from the
    `change_feed` table; a PostgreSQL watch would build it from NOTIFY payloads."""

    model_config = ConfigDict(frozen=True)

    position: int
    """Where the next read starts (the feed's last sequence number read)."""
    lead_keys: frozenset[str] = frozenset()
    conflict_ids: frozenset[str] = frozenset()
    log_ids: frozenset[str] = frozenset()
    gap: bool = False
    """Rows were pruned before this reader saw them: re-read everything."""

    @property
    def empty(self) -> bool:
        return not (self.gap or self.lead_keys or self.conflict_ids or self.log_ids)
