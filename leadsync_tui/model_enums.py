"""The closed sets of values the models carry: sync statuses and directions, attempt
outcomes, conflict kinds, severities and resolutions, lead sources, event types.

Each is a `StrEnum` whose values are the spec's strings (`docs/spec/lead-sync-frontend.md`),
so what the database, DomIQ's JSON and a test hold compares equal. `models` re-exports
them; this module keeps them in one list a person can read through.
"""

from __future__ import annotations

from enum import StrEnum


class SyncStatus(StrEnum):
    """Where a lead stands in the DomIQ -> ResMan sync (spec: `resmanSyncStatus`)."""

    NOT_SYNCED = "not_synced"
    """Never sent to ResMan: no prospect is linked yet."""
    SYNCING = "syncing"
    """An outgoing change for this lead is in the outbox or in flight."""
    SYNCED = "synced"
    """Both systems agree on every mapped field as of `last_sync_at`."""
    FAILED = "failed"
    """The last attempt failed permanently, or ran out of retries; waits for a person."""
    CONFLICT = "conflict"
    """Both sides changed a field differently; an unresolved conflict blocks the field."""


class SyncDirection(StrEnum):
    """Which way a sync attempt went (`LeadSyncLog.sync_direction`)."""

    DOMIQ_TO_RESMAN = "domiq_to_resman"
    """A DomIQ lead was written to ResMan as a prospect (create, update or event)."""
    RESMAN_TO_DOMIQ = "resman_to_domiq"
    """A ResMan prospect change was written back to the DomIQ lead."""


class SyncType(StrEnum):
    """What kind of write a sync attempt was (`LeadSyncLog.sync_type`)."""

    CREATE = "create"
    """A new prospect (or, rarely, a new DomIQ lead) was created or adopted."""
    UPDATE = "update"
    """Field values were copied to an existing record."""
    STATUS = "status"
    """A status change: qualification <-> ResMan lost / reactivate events, or a
    `resman-sync` status report to DomIQ."""
    RESOLUTION = "resolution"
    """The outcome of a conflict resolution was applied to one or both sides."""


class AttemptStatus(StrEnum):
    """The outcome of one sync attempt (`LeadSyncLog.sync_status`)."""

    SUCCESS = "success"
    """The other side confirmed the write."""
    FAILED = "failed"
    """The write failed; `error_message` says why. It may be retried."""
    CONFLICT = "conflict"
    """The attempt found a conflict instead of writing."""


class ConflictType(StrEnum):
    """Why two values could not be merged (`LeadSyncConflict.conflict_type`)."""

    VALUE_MISMATCH = "value_mismatch"
    """Both sides changed the field since the last agreed snapshot, to different values."""
    DELETED_ON_ONE_SIDE = "deleted_on_one_side"
    """One side cleared the field (or the record) while the other changed it."""
    FORMAT_INVALID = "format_invalid"
    """A value cannot be carried to the other side as it is (a phone that is not a phone,
    an email ResMan would refuse, a rent that is not a number)."""
    DUPLICATE_CANDIDATE = "duplicate_candidate"
    """A new lead looks like an existing prospect or lead (same email, phone or name)."""


class ConflictSeverity(StrEnum):
    """How much a wrong pick would hurt (`LeadSyncConflict.conflict_severity`)."""

    LOW = "low"
    """Free text such as notes and comments."""
    MEDIUM = "medium"
    """Preferences: move-in date, bedrooms, bathrooms, rent, pets."""
    HIGH = "high"
    """Identity and contact fields: name, email, phone; and duplicate candidates."""


class ResolutionStatus(StrEnum):
    """Where a conflict stands (`LeadSyncConflict.resolution_status`)."""

    UNRESOLVED = "unresolved"
    """Detected; nobody has decided yet."""
    MANUAL_REVIEW = "manual_review"
    """Set aside for a person by policy or by choice; still blocks the field."""
    ESCALATED = "escalated"
    """Handed up to a manager; still blocks the field."""
    RESOLVED = "resolved"
    """Decided; the final value was applied (or is in the outbox) on both sides."""


OPEN_RESOLUTION_STATUSES = frozenset(
    {ResolutionStatus.UNRESOLVED, ResolutionStatus.MANUAL_REVIEW, ResolutionStatus.ESCALATED}
)
"""Statuses of conflicts that still need someone (the banner counts these)."""


class Resolution(StrEnum):
    """How a conflict was decided (`ConflictResolution.resolution`)."""

    RESMAN_WINS = "resman_wins"
    """ResMan's value is written to DomIQ."""
    DOMIQ_WINS = "domiq_wins"
    """DomIQ's value is written to ResMan."""
    MANUAL_REVIEW = "manual_review"
    """No value is written; the conflict waits for a person."""
    MERGED = "merged"
    """A person-edited `final_value` is written to both sides."""


class LeadSource(StrEnum):
    """Where the DomIQ conversation came from."""

    WEBSITE_CHAT = "website_chat"
    SMS = "sms"
    VOICE = "voice"
    ILS = "ils"
    ADMIN = "admin"


class Qualification(StrEnum):
    """DomIQ's verdict on the conversation."""

    NEW = "new"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class EventType(StrEnum):
    """Frame types on DomIQ's `/v1/events` WebSocket."""

    LEAD_CREATED = "lead.created"
    LEAD_UPDATED = "lead.updated"
    CONVERSATION_QUALIFIED = "conversation.qualified"
    HEARTBEAT = "heartbeat"
    RESYNC_REQUIRED = "resync_required"


class MessageRole(StrEnum):
    """Who spoke a transcript line."""

    PROSPECT = "prospect"
    BOT = "bot"
    AGENT = "agent"
