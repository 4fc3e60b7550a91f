"""The spec's hook actions as typed commands, plus what the engine reports back.

Both the UI (a person) and the sync engine (the network) change the state only by
dispatching one of these to `LeadSyncStore.dispatch`. `subscribe` is a store method,
not a command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from leadsync_tui.models import (
    ConflictResolution,
    Lead,
    LeadSyncConflict,
    LeadSyncLog,
    SyncEvent,
    SyncMetrics,
    SyncStatus,
)
from leadsync_tui.store.records import Committed


class MergeOrigin(StrEnum):
    """Who vouches for the leads in a `MergeLeads`; decides who owns the sync fields."""

    DOMIQ = "domiq"
    """DomIQ's copy (a pull or a live event). For a lead already held, the store keeps its
    own `resman_sync_status`, `resman_prospect_id` and `last_sync_at` (this machine does
    the syncing), unless DomIQ knows a prospect id the store does not (another machine
    synced it): then DomIQ's three sync fields are taken."""
    ENGINE = "engine"
    """The engine after a sync step: every field is taken as given."""


# --------------------------------------------------------------------------- useLeadSync


@dataclass(frozen=True, slots=True)
class FetchLeads:
    """Load the persisted leads into the state (start-up, or a reload)."""


@dataclass(frozen=True, slots=True)
class PushLead:
    """A person asks for this lead to be written to ResMan now (also "retry")."""

    conversation_id: str
    actor: str = "operator"


@dataclass(frozen=True, slots=True)
class PullLeads:
    """Ask the engine to fetch from both upstreams now."""

    full: bool = False


@dataclass(frozen=True, slots=True)
class UpdateLeadStatus:
    """The engine reports a lead's sync status (and the prospect id once known).

    `at` is when both sides agreed; it becomes `last_sync_at` when `status` is synced.
    """

    conversation_id: str
    status: SyncStatus
    prospect_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MergeLeads:
    """Upsert leads by key; stale (lower `version`) and identical ones are skipped."""

    leads: Sequence[Lead]
    origin: MergeOrigin = MergeOrigin.DOMIQ


@dataclass(frozen=True, slots=True)
class FetchLogs:
    """Load a lead's recent sync log from the database (the log viewer's refresh)."""

    conversation_id: str
    limit: int = 100


@dataclass(frozen=True, slots=True)
class RetryFailed:
    """Put parked outbox items (these, or all) back in the queue."""

    outbox_ids: Sequence[int] | None = None
    actor: str = "operator"


@dataclass(frozen=True, slots=True)
class RefreshMetrics:
    """Recompute the metrics from the log and the outbox."""


# --------------------------------------------------------------------------- useRealTimeLeadSync


@dataclass(frozen=True, slots=True)
class Connect:
    """Ask the engine to (re)open the live feed."""


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Ask the engine to close the live feed."""


@dataclass(frozen=True, slots=True)
class HandleMessage:
    """Apply one live-feed frame."""

    event: SyncEvent


@dataclass(frozen=True, slots=True)
class HandleMessages:
    """Apply a batch of live-feed frames in order, in one transaction (the fast path)."""

    events: Sequence[SyncEvent]


# --------------------------------------------------------------------------- useLeadSyncConflicts


@dataclass(frozen=True, slots=True)
class FetchConflicts:
    """Load the open conflicts from the database."""


@dataclass(frozen=True, slots=True)
class ResolveConflict:
    """A person (or a policy, `actor="policy:<name>"`) decides a conflict."""

    conflict_id: str
    resolution: ConflictResolution
    actor: str


@dataclass(frozen=True, slots=True)
class EscalateConflict:
    """Hand a conflict up to a manager; it stays open."""

    conflict_id: str
    actor: str
    reason: str = ""


# --------------------------------------------------------------------------- engine reports


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    connected: bool
    last_ping: datetime | None = None
    reconnect_attempts: int = 0


@dataclass(frozen=True, slots=True)
class LogsAppended:
    logs: Sequence[LeadSyncLog]


@dataclass(frozen=True, slots=True)
class ConflictsDetected:
    conflicts: Sequence[LeadSyncConflict]


@dataclass(frozen=True, slots=True)
class MetricsUpdated:
    metrics: SyncMetrics


@dataclass(frozen=True, slots=True)
class SetLoading:
    loading: bool


@dataclass(frozen=True, slots=True)
class SetError:
    error: str | None


@dataclass(frozen=True, slots=True)
class ApplyCommitted:
    """Another process (the engine holding the sync lease, another window) committed
    these rows to the shared store: read them and show them; nothing is written."""

    committed: Committed


Action = (
    FetchLeads
    | PushLead
    | PullLeads
    | UpdateLeadStatus
    | MergeLeads
    | FetchLogs
    | RetryFailed
    | RefreshMetrics
    | Connect
    | Disconnect
    | HandleMessage
    | HandleMessages
    | FetchConflicts
    | ResolveConflict
    | EscalateConflict
    | ConnectionChanged
    | LogsAppended
    | ConflictsDetected
    | MetricsUpdated
    | SetLoading
    | SetError
    | ApplyCommitted
)
"""Everything `LeadSyncStore.dispatch` accepts."""
