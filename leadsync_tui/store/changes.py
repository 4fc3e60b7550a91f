"""What the store tells its subscribers after each action: which part of the state changed.

Subscribers read the new values from `store.state`; a change only names what to redraw,
so a table can update the rows in `LeadsChanged.keys` and nothing else.
`EngineRequest` is different: it carries an intent the store cannot fulfil itself (it
never touches the network) to the sync engine, which subscribes too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from leadsync_tui.models import SyncMetrics


@dataclass(frozen=True, slots=True)
class LeadsChanged:
    """These leads were added or changed in `state.leads`."""

    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class ConflictsChanged:
    """These conflicts were added to or changed in `state.conflicts`."""

    ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class LogsChanged:
    """`state.sync_logs` changed for these conversations."""

    conversation_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class MetricsChanged:
    metrics: SyncMetrics


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    """The live feed's connection, last ping or reconnect count changed."""

    connected: bool
    last_ping: datetime | None
    reconnect_attempts: int


@dataclass(frozen=True, slots=True)
class LoadingChanged:
    loading: bool


@dataclass(frozen=True, slots=True)
class LoadProgress:
    """The progressive load at start-up (`LeadSyncStore.load_leads_progressively`):
    `loaded` of `total` leads are in `state.leads`; `done` once every lead is."""

    loaded: int
    total: int
    done: bool = False


@dataclass(frozen=True, slots=True)
class ErrorChanged:
    error: str | None


class EngineRequestKind(StrEnum):
    """What the engine is asked to do."""

    PULL = "pull"
    """Fetch from the upstreams now; `full` means a complete DomIQ pull (after
    `resync_required`), not just what changed since the cursor."""
    PUSH = "push"
    """New items are in the outbox (a push or a conflict resolution): drain it now."""
    RETRY = "retry"
    """Parked outbox items were put back in the queue by a person: drain it now."""
    RECONNECT = "reconnect"
    """(Re)open the live feed."""
    DISCONNECT = "disconnect"
    """Close the live feed and stay offline until asked to reconnect."""


@dataclass(frozen=True, slots=True)
class EngineRequest:
    """An intent for the sync engine; which fields matter depends on `kind`."""

    kind: EngineRequestKind
    full: bool = False
    conversation_ids: frozenset[str] = field(default_factory=frozenset)
    """Leads concerned (push, retry), empty when it is about all."""
    conflict_ids: frozenset[str] = field(default_factory=frozenset)
    """Conflicts whose resolution the outbox items carry (push)."""
    outbox_ids: tuple[int, ...] = ()
    """The outbox items that were enqueued or re-armed (push, retry)."""


@dataclass(frozen=True, slots=True)
class DriftProgress:
    """The drift scan (`sync.drift`): `checked` of `total` linked pairs compared so far,
    `out_of_step` of them differ; `running` is False once it ended (with its totals)."""

    checked: int
    total: int
    out_of_step: int
    running: bool
    last_agreement_at: datetime | None = None
    """When a scan last found every pair in step."""


Change = (
    LeadsChanged
    | ConflictsChanged
    | LogsChanged
    | MetricsChanged
    | ConnectionStateChanged
    | LoadingChanged
    | LoadProgress
    | ErrorChanged
    | EngineRequest
    | DriftProgress
)
"""Anything a subscriber can receive."""
