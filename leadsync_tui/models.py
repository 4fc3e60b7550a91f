"""The spec's interfaces as pydantic v2 models, field for field and value for value.

`docs/spec/lead-sync-frontend.md` was written for a React front end in camelCase; here every
interface becomes a model with the same names in snake_case and the same string values,
so a value read from the database, from DomIQ's JSON or from a test means the same thing
everywhere. DomIQ's own lead shape is `docs/domiq-api.md`.

Models that travel between the engine, the store and the UI are frozen: a change is a new
object (`model_copy(update=...)`), which makes hand-offs between tasks safe and diffs cheap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
)

from leadsync_tui.model_enums import (
    OPEN_RESOLUTION_STATUSES,
    AttemptStatus,
    ConflictSeverity,
    ConflictType,
    EventType,
    LeadSource,
    MessageRole,
    Qualification,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncStatus,
    SyncType,
)


def _as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (DomIQ and ResMan both speak UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second, as DomIQ's contract writes timestamps."""
    return _as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""A timestamp that is always timezone-aware UTC and serialises as `...Z`."""


def utc_now() -> datetime:
    """The current time in UTC, to the second (the resolution DomIQ keeps)."""
    return datetime.now(UTC).replace(microsecond=0)


# --------------------------------------------------------------------------- leads


class LeadData(BaseModel):
    """The fields a person (or the chatbot) supplies for a new lead (spec: `LeadData`).

    Validation is intentionally light here: the creation form gives field-by-field
    messages, and DomIQ answers 422 for what it refuses.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    property_id: str
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    desired_move_in: date | None = None
    desired_bedrooms: int | None = Field(default=None, ge=0, le=10)
    desired_bathrooms: float | None = Field(default=None, ge=0, le=10)
    max_rent: int | None = Field(default=None, ge=0)
    pets: bool | None = None
    source: LeadSource = LeadSource.ADMIN
    notes: str | None = None


class Lead(BaseModel):
    """A DomIQ lead (a qualified conversation) with its ResMan sync fields (spec: `Lead`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    conversation_id: str
    """DomIQ's stable id for the lead."""
    version: int = 1
    """+1 on every change in DomIQ; sent back as `If-Match`."""
    created_at: UtcDatetime
    updated_at: UtcDatetime
    property_id: str
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    """E.164 (`+15125550143`) or None."""
    desired_move_in: date | None = None
    desired_bedrooms: int | None = None
    desired_bathrooms: float | None = None
    max_rent: int | None = None
    """Whole dollars a month."""
    pets: bool | None = None
    source: LeadSource = LeadSource.WEBSITE_CHAT
    qualification: Qualification = Qualification.NEW
    notes: str | None = None
    resman_sync_status: SyncStatus = SyncStatus.NOT_SYNCED
    resman_prospect_id: str | None = None
    """ResMan's ProspectID (a GUID); None until first synced."""
    last_sync_at: UtcDatetime | None = None
    """When both sides last agreed; None until first synced."""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class TranscriptMessage(BaseModel):
    """One line of a DomIQ chat transcript."""

    model_config = ConfigDict(frozen=True)

    at: UtcDatetime
    role: MessageRole
    text: str


class SyncEvent(BaseModel):
    """One frame of DomIQ's live feed: `{"id", "type", "at", "data"}`."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    """Grows by one per event; a heartbeat carries the last event id. `resync_required`
    frames carry none."""
    type: EventType
    at: UtcDatetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def lead(self) -> Lead | None:
        """The lead carried by `lead.*` and `conversation.qualified` frames."""
        if self.type in (
            EventType.LEAD_CREATED,
            EventType.LEAD_UPDATED,
            EventType.CONVERSATION_QUALIFIED,
        ) and self.data.get("conversation_id"):
            return Lead.model_validate(self.data)
        return None


# --------------------------------------------------------------------------- sync log


class LeadSyncLog(BaseModel):
    """One sync attempt for one lead (spec: `LeadSyncLog`)."""

    model_config = ConfigDict(frozen=True)

    id: str
    conversation_id: str
    sync_direction: SyncDirection
    sync_status: AttemptStatus
    sync_type: SyncType
    created_at: UtcDatetime
    error_message: str | None = None
    conflict_resolution: Resolution | None = None
    """Set on `resolution` attempts: which resolution was applied."""
    latency_ms: float | None = None
    """How long the attempt took, for the metrics (not in the spec's interface)."""


# --------------------------------------------------------------------------- conflicts


class LeadSyncConflict(BaseModel):
    """A field both systems changed differently (spec: `LeadSyncConflict`).

    `base_value` is the last value both sides agreed on: the conflict dialog shows it so
    a manager can see which side moved.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    conversation_id: str
    field: str
    resman_value: Any = None
    domiq_value: Any = None
    conflict_type: ConflictType
    conflict_severity: ConflictSeverity
    resolution_status: ResolutionStatus = ResolutionStatus.UNRESOLVED
    base_value: Any = None
    detected_at: UtcDatetime | None = None
    resolution: ConflictResolution | None = None

    @property
    def is_open(self) -> bool:
        return self.resolution_status in OPEN_RESOLUTION_STATUSES


class ConflictResolution(BaseModel):
    """A decision on a conflict (spec: `ConflictResolution`). The reason is required."""

    model_config = ConfigDict(frozen=True)

    resolution: Resolution
    final_value: Any = None
    reason: str = Field(min_length=1)


LeadSyncConflict.model_rebuild()


# --------------------------------------------------------------------------- metrics


class SyncMetrics(BaseModel):
    """Sync health over a sliding window (spec: `SyncMetrics`).

    Rates are fractions from 0 to 1; latencies are milliseconds.
    """

    model_config = ConfigDict(frozen=True)

    sync_success_rate: float = Field(default=1.0, ge=0, le=1)
    """Successful attempts / all attempts in the window (1.0 when there were none)."""
    avg_sync_latency: float = Field(default=0.0, ge=0)
    """Mean attempt latency in ms."""
    conflict_rate: float = Field(default=0.0, ge=0, le=1)
    """Attempts that ended in a conflict / all attempts in the window."""
    failed_syncs: int = Field(default=0, ge=0)
    """Outbox items parked as failed, waiting for a person."""
    pending_queue: int = Field(default=0, ge=0)
    """Outbox items waiting to be sent or retried."""
    p95_sync_latency: float = Field(default=0.0, ge=0)
    """95th percentile attempt latency in ms (beyond the spec, asked by operators)."""


# --------------------------------------------------------------------------- state


class LeadSyncState(BaseModel):
    """Everything the UI shows (spec: `LeadSyncState`).

    `leads` is keyed by `conversation_id` rather than a list: the table updates by key,
    and a list would make every event an O(n) search. Iterating `leads.values()` gives
    the spec's list. `sync_logs` is the spec's `Record<conversationId, LeadSyncLog[]>`.
    """

    model_config = ConfigDict(validate_assignment=False)

    leads: dict[str, Lead] = Field(default_factory=dict)
    sync_logs: dict[str, list[LeadSyncLog]] = Field(default_factory=dict)
    conflicts: list[LeadSyncConflict] = Field(default_factory=list)
    metrics: SyncMetrics = Field(default_factory=SyncMetrics)
    real_time_connected: bool = False
    loading: bool = False
    error: str | None = None
    last_ping: UtcDatetime | None = None
    """When the live feed last heard from DomIQ (a heartbeat or an event)."""
    reconnect_attempts: int = 0
    """Reconnects tried since the feed was last connected."""

    @property
    def open_conflicts(self) -> list[LeadSyncConflict]:
        return [c for c in self.conflicts if c.is_open]


# The enums live in `model_enums`; callers name them here, with the models.
__all__ = [
    "OPEN_RESOLUTION_STATUSES",
    "AttemptStatus",
    "ConflictResolution",
    "ConflictSeverity",
    "ConflictType",
    "EventType",
    "Lead",
    "LeadData",
    "LeadSource",
    "LeadSyncConflict",
    "LeadSyncLog",
    "LeadSyncState",
    "MessageRole",
    "Qualification",
    "Resolution",
    "ResolutionStatus",
    "SyncDirection",
    "SyncEvent",
    "SyncMetrics",
    "SyncStatus",
    "SyncType",
    "TranscriptMessage",
    "UtcDatetime",
    "format_utc",
    "utc_now",
]
