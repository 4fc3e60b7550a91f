"""The reactive store: holds `LeadSyncState`, applies actions, persists, notifies.

One direction of data: the UI and the sync engine both dispatch actions; the store checks
them, writes what must survive through `Database` in one transaction per action, updates
the state in place, and then calls every subscriber with what changed. It never touches the
network: what only the engine can do goes out as an `EngineRequest` change.

Per-event work is O(size of the event): leads are a dict by key, conflicts are indexed by id
and by lead, and nothing rescans all leads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from leadsync_tui.models import ConflictResolution, Lead, SyncEvent, SyncStatus
from leadsync_tui.store.actions import (
    Action,
    ApplyCommitted,
    ConflictsDetected,
    Connect,
    ConnectionChanged,
    Disconnect,
    EscalateConflict,
    FetchConflicts,
    FetchLeads,
    FetchLogs,
    HandleMessage,
    HandleMessages,
    LogsAppended,
    MergeLeads,
    MergeOrigin,
    MetricsUpdated,
    PullLeads,
    PushLead,
    RefreshMetrics,
    ResolveConflict,
    RetryFailed,
    SetError,
    SetLoading,
    UpdateLeadStatus,
)
from leadsync_tui.store.changes import (
    Change,
    ConflictsChanged,
    EngineRequest,
    EngineRequestKind,
    ErrorChanged,
    LoadingChanged,
    LogsChanged,
    MetricsChanged,
)
from leadsync_tui.store.records import AuditEntry, Committed, OutboxStatus
from leadsync_tui.store.store_conflicts import ConflictActions
from leadsync_tui.store.store_live import LiveFeedActions
from leadsync_tui.store.store_loading import LeadLoading
from leadsync_tui.store.store_logs import LogActions
from leadsync_tui.store.store_queries import ReadModel
from leadsync_tui.store.store_state import ActionRefused, Subscriber

__all__ = ["ActionRefused", "LeadSyncStore", "Subscriber"]


class LeadSyncStore(ConflictActions, LiveFeedActions, LogActions, LeadLoading, ReadModel):
    """The one owner of `LeadSyncState`. Start with `fetch_leads()` and `fetch_conflicts()`.

    Do not await `dispatch` inside your own `Database.transaction()`: the store may be
    waiting for the database lock while holding its own, and both would wait forever.
    Commit first, then dispatch.
    """

    # ----------------------------------------------------------------- dispatch

    async def dispatch(self, action: Action) -> tuple[Change, ...]:
        """Apply `action`, persist it, notify subscribers; returns the changes.

        Actions run one at a time, in the order dispatched. A refused action raises
        `ActionRefused` and changes nothing.
        """
        async with self._lock:
            return await self._dispatch_locked(action)

    async def _dispatch_locked(self, action: Action) -> tuple[Change, ...]:
        """`dispatch`, for a caller that holds the store's lock already."""
        faulted = await self._fault_in(action) if self.loading_leads else []
        changes = tuple(faulted + await self._apply(action))
        if changes:
            self._notify(changes)
        return changes

    async def _apply(self, action: Action) -> list[Change]:
        match action:
            case FetchLeads():
                return await self._fetch_leads()
            case PushLead():
                return await self._push_lead(action)
            case PullLeads(full=full):
                return [EngineRequest(EngineRequestKind.PULL, full=full)]
            case UpdateLeadStatus():
                return await self._update_lead_status(action)
            case MergeLeads(leads=leads, origin=origin):
                return await self._apply_leads(leads, origin)
            case FetchLogs(conversation_id=conversation_id, limit=limit):
                logs = await self._db.logs_for(conversation_id, limit)
                self._state.sync_logs[conversation_id] = logs
                return [LogsChanged(frozenset({conversation_id}))]
            case RetryFailed():
                return await self._retry_failed(action)
            case RefreshMetrics():
                return await self._refresh_metrics()
            case Connect():
                return [EngineRequest(EngineRequestKind.RECONNECT)]
            case Disconnect():
                return [EngineRequest(EngineRequestKind.DISCONNECT)]
            case HandleMessage(event=event):
                return await self._handle_messages([event])
            case HandleMessages(events=events):
                return await self._handle_messages(events)
            case FetchConflicts():
                return await self._fetch_conflicts()
            case ResolveConflict():
                return await self._resolve_conflict(action)
            case EscalateConflict():
                return await self._escalate_conflict(action)
            case ConnectionChanged():
                return self._connection_changed(action)
            case LogsAppended(logs=logs):
                return await self._logs_appended(logs)
            case ConflictsDetected(conflicts=conflicts):
                return await self._conflicts_detected(conflicts)
            case MetricsUpdated(metrics=metrics):
                return self._set("metrics", metrics, MetricsChanged(metrics))
            case SetLoading(loading=loading):
                return self._set("loading", loading, LoadingChanged(loading))
            case SetError(error=error):
                return self._set("error", error, ErrorChanged(error))
            case ApplyCommitted(committed=committed):
                return await self._apply_committed(committed)

    # ----------------------------------------------------------------- the spec's hooks

    async def fetch_leads(self) -> None:
        await self.dispatch(FetchLeads())

    async def push_lead(self, conversation_id: str, *, actor: str = "operator") -> None:
        await self.dispatch(PushLead(conversation_id, actor))

    async def pull_leads(self, *, full: bool = False) -> None:
        await self.dispatch(PullLeads(full))

    async def update_lead_status(
        self,
        conversation_id: str,
        status: SyncStatus,
        *,
        prospect_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        await self.dispatch(UpdateLeadStatus(conversation_id, status, prospect_id, at))

    async def merge_leads(
        self, leads: Sequence[Lead], origin: MergeOrigin = MergeOrigin.DOMIQ
    ) -> None:
        await self.dispatch(MergeLeads(tuple(leads), origin))

    async def connect(self) -> None:
        await self.dispatch(Connect())

    async def disconnect(self) -> None:
        await self.dispatch(Disconnect())

    async def handle_message(self, event: SyncEvent) -> None:
        await self.dispatch(HandleMessage(event))

    async def handle_messages(self, events: Sequence[SyncEvent]) -> None:
        await self.dispatch(HandleMessages(tuple(events)))

    async def fetch_conflicts(self) -> None:
        await self.dispatch(FetchConflicts())

    async def resolve_conflict(
        self, conflict_id: str, resolution: ConflictResolution, actor: str
    ) -> None:
        await self.dispatch(ResolveConflict(conflict_id, resolution, actor))

    async def escalate_conflict(self, conflict_id: str, actor: str, reason: str = "") -> None:
        await self.dispatch(EscalateConflict(conflict_id, actor, reason))

    async def fetch_logs(self, conversation_id: str, limit: int = 100) -> None:
        await self.dispatch(FetchLogs(conversation_id, limit))

    async def retry_failed(
        self, outbox_ids: Sequence[int] | None = None, *, actor: str = "operator"
    ) -> None:
        await self.dispatch(RetryFailed(outbox_ids, actor))

    async def retry_leads(self, conversation_ids: Iterable[str], *, actor: str) -> int:
        """Put these leads' parked outbox items back in the queue; how many there were.

        The operator's `r`: the UI knows leads, the outbox knows items. Read and retried
        under the store's lock, as one action: no other action runs in between.
        """
        async with self._lock:
            ids: list[int] = []
            for conversation_id in conversation_ids:
                items = await self._db.outbox_items(
                    conversation_id=conversation_id, status=OutboxStatus.FAILED
                )
                ids.extend(item.id for item in items)
            if ids:
                await self._dispatch_locked(RetryFailed(outbox_ids=tuple(ids), actor=actor))
        return len(ids)

    async def refresh_metrics(self) -> None:
        await self.dispatch(RefreshMetrics())

    async def set_error(self, error: str | None) -> None:
        """Show `error` in the error bar (None clears it)."""
        await self.dispatch(SetError(error))

    async def apply_committed(self, committed: Committed) -> None:
        """Show what another process committed (`store.change_watch` follows it)."""
        if not committed.empty:
            await self.dispatch(ApplyCommitted(committed))

    # ----------------------------------------------------------------- other writers

    async def _apply_committed(self, committed: Committed) -> list[Change]:
        """Read the rows another process committed and put the changed ones in the state,
        so subscribers repaint them as they do the engine's own changes. The database is
        the truth here: its rows replace what the state holds, as they are."""
        if committed.gap:  # fell too far behind the feed: read it all again
            return [*await self._fetch_conflicts(), *await self._fetch_leads()]
        changes: list[Change] = []
        if committed.conflict_ids:
            fresh = [
                conflict
                for conflict in await self._db.get_conflicts(committed.conflict_ids)
                if (held := self.conflict(conflict.id)) != conflict
                and (held is not None or conflict.is_open)
            ]
            for conflict in fresh:
                self._put_conflict(conflict)
            if fresh:
                changes.append(ConflictsChanged(frozenset(c.id for c in fresh)))
        if committed.lead_keys:
            found = await self._db.get_leads(committed.lead_keys)
            held_leads = self._state.leads
            changes += self._store_leads(
                {key: lead for key, lead in found.items() if held_leads.get(key) != lead}
            )
        if committed.log_ids:
            changes += self._held_logs(await self._db.get_logs(committed.log_ids))
        return changes

    async def record_audit(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """Write one entry to the audit log for a human action the store does not
        perform itself (an export, a bulk action's summary); in turn with the actions."""
        entry = AuditEntry(
            at=self._now(),
            actor=actor,
            action=action,
            target=target,
            before=before,
            after=after,
            reason=reason,
        )
        async with self._lock:
            await self._db.append_audit([entry])
