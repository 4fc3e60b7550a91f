"""The reactive store: holds `LeadSyncState`, applies actions, persists, notifies.

One direction of data: the UI and the sync engine both dispatch actions; the store checks
them, writes what must survive through `Database` in one transaction per action, updates
the state in place, and then calls every subscriber with what changed. It never touches the
network: what only the engine can do goes out as an `EngineRequest` change.

Per-event work is O(size of the event): leads are a dict by key, conflicts are indexed by id
and by lead, and nothing rescans all leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from leadsync_tui.models import (
    ConflictResolution,
    ConflictType,
    EventType,
    Lead,
    LeadSyncConflict,
    LeadSyncLog,
    LeadSyncState,
    Resolution,
    ResolutionStatus,
    SyncDirection,
    SyncEvent,
    SyncStatus,
    SyncType,
    utc_now,
)
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
    ConnectionStateChanged,
    DriftProgress,
    EngineRequest,
    EngineRequestKind,
    ErrorChanged,
    LeadsChanged,
    LoadingChanged,
    LoadProgress,
    LogsChanged,
    MetricsChanged,
)
from leadsync_tui.store.db import FREEZE_MIN, Database, LeadPage
from leadsync_tui.store.metrics import compute_metrics
from leadsync_tui.store.payloads import LinkWrite, ResolutionWrite
from leadsync_tui.store.records import (
    AuditEntry,
    Committed,
    Cursor,
    NewOutboxItem,
    OutboxStatus,
)

logger = logging.getLogger(__name__)

Subscriber = Callable[[Sequence[Change]], None]
"""Called synchronously after each action that changed something."""

LOAD_CHUNK = 10_000
"""Leads per step of `load_leads_progressively`: one `LeadsChanged` and one
`LoadProgress` each (a 10k chunk decodes in ~50 ms, yielding every 1,000 leads)."""


class ActionRefused(Exception):
    """An action that cannot be applied; the message says why, in words for a person."""


class LeadSyncStore:
    """The one owner of `LeadSyncState`. Start with `fetch_leads()` and `fetch_conflicts()`.

    Do not await `dispatch` inside your own `Database.transaction()`: the store may be
    waiting for the database lock while holding its own, and both would wait forever.
    Commit first, then dispatch.
    """

    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[], datetime] = utc_now,
        metrics_window: timedelta = timedelta(hours=1),
        logs_per_lead: int = 200,
    ) -> None:
        self._db = db
        self._now = now
        self._metrics_window = metrics_window
        self._logs_per_lead = logs_per_lead
        self._state = LeadSyncState()
        self._subscribers: list[Subscriber] = []
        self._lock = asyncio.Lock()
        self._conflict_index: dict[str, int] = {}
        """Conflict id -> position in `state.conflicts`."""
        self._open_by_lead: dict[str, set[str]] = {}
        """Conversation id -> ids of its open conflicts (empty sets are removed)."""
        self._last_event_id: int | None = None
        self._last_event_id_loaded = False
        self._loaded = asyncio.Event()
        self._loaded.set()
        self._load_progress: LoadProgress | None = None
        self._load_error: BaseException | None = None
        self._drift: DriftProgress | None = None

    @property
    def state(self) -> LeadSyncState:
        """The current state. Read it; change it only by dispatching actions."""
        return self._state

    @property
    def db(self) -> Database:
        """The database behind the store, for reads the state does not hold (the
        session's failed attempts, a lead's audit trail)."""
        return self._db

    def conflict(self, conflict_id: str) -> LeadSyncConflict | None:
        position = self._conflict_index.get(conflict_id)
        return None if position is None else self._state.conflicts[position]

    def open_conflicts_for(self, conversation_id: str) -> list[LeadSyncConflict]:
        ids = self._open_by_lead.get(conversation_id, set())
        return [conflict for cid in sorted(ids) if (conflict := self.conflict(cid))]

    # ----------------------------------------------------------------- subscriptions

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` with the changes of every action; returns the unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _notify(self, changes: tuple[Change, ...]) -> None:
        for callback in tuple(self._subscribers):
            try:
                callback(changes)
            except Exception:
                logger.exception("store subscriber %r failed; the others still run", callback)

    # ----------------------------------------------------------------- dispatch

    async def dispatch(self, action: Action) -> tuple[Change, ...]:
        """Apply `action`, persist it, notify subscribers; returns the changes.

        Actions run one at a time, in the order dispatched. A refused action raises
        `ActionRefused` and changes nothing.
        """
        async with self._lock:
            faulted = await self._fault_in(action) if self.loading_leads else []
            changes = tuple(faulted + await self._apply(action))
            if changes:
                self._notify(changes)
            return changes

    # ----------------------------------------------------------------- progressive load

    @property
    def loading_leads(self) -> bool:
        """True from `begin_load()` until `load_leads_progressively()` has every lead."""
        return not self._loaded.is_set()

    @property
    def load_progress(self) -> LoadProgress | None:
        """The last progress of the progressive load (None if there was none)."""
        return self._load_progress

    def begin_load(self) -> None:
        """Say, before it starts, that `load_leads_progressively()` is coming: from now
        `wait_loaded()` waits for it (so an engine started first cannot slip through)."""
        if self._loaded.is_set():
            self._loaded.clear()
            self._load_error = None
            self._load_progress = LoadProgress(0, 0)

    async def wait_loaded(self) -> None:
        """Return once no progressive load is running; raise if the last one failed.

        The sync engine calls this before it starts: it relies on `state.leads`."""
        await self._loaded.wait()
        if self._load_error is not None:
            raise RuntimeError(f"the leads could not be loaded: {self._load_error}")

    async def load_leads_progressively(self, chunk: int = LOAD_CHUNK) -> None:
        """Load every lead in chunks of `chunk`, newest first, notifying as it goes.

        The UI can show the first leads (and take keys) while the rest load: each chunk
        is one `LeadsChanged` (its new leads) and one `LoadProgress`. Actions dispatched
        meanwhile work: the leads they touch are read from the database first (see
        `_fault_in`), and a chunk never replaces a lead the state holds with an older
        or equal version, so a lead changed during the load ends as its newest version.
        """
        self.begin_load()
        try:
            total = await self._db.count_leads()
            freeze = total >= FREEZE_MIN
            self._progress(LoadProgress(0, total))
            page: LeadPage | None = None
            loaded = 0
            while True:
                async with self._lock:
                    leads, page = await self._db.load_leads_page(page, chunk, freeze=freeze)
                    fresh = self._unheld(leads)
                    self._state.leads.update(fresh)
                    loaded += len(leads)
                    progress = LoadProgress(loaded, max(total, loaded), done=page is None)
                    self._load_progress = progress
                    self._notify(
                        (LeadsChanged(frozenset(fresh)), progress) if fresh else (progress,)
                    )
                if page is None:
                    break
                await asyncio.sleep(0)
        except BaseException as exc:
            self._load_error = exc
            raise
        finally:
            self._loaded.set()

    @property
    def drift_progress(self) -> DriftProgress | None:
        """The drift scan's last progress (None before the first scan of this run)."""
        return self._drift

    def note_drift(self, progress: DriftProgress) -> None:
        """The engine's drift scan moved on: kept for screens opened later, and told."""
        self._drift = progress
        self._notify((progress,))

    def _progress(self, progress: LoadProgress) -> None:
        self._load_progress = progress
        self._notify((progress,))

    def _unheld(self, leads: Iterable[Lead]) -> dict[str, Lead]:
        """Of a loaded chunk, the leads the state lacks or holds in an older version."""
        held = self._state.leads
        fresh: dict[str, Lead] = {}
        for lead in leads:
            key = lead.conversation_id
            current = held.get(key)
            if current is None or lead.version > current.version:
                fresh[key] = lead
        return fresh

    async def _fault_in(self, action: Action) -> list[Change]:
        """During a progressive load: read the leads `action` names that are not loaded
        yet, so it sees what the database holds (a merge keeps ResMan's fields, a push
        finds its lead) and the table shows them at once."""
        keys = _lead_keys(action)
        missing = [key for key in keys if key not in self._state.leads]
        if not missing:
            return []
        found = await self._db.get_leads(missing)
        self._state.leads.update(found)
        return [LeadsChanged(frozenset(found))] if found else []

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

    def _set(self, name: str, value: Any, change: Change) -> list[Change]:
        if getattr(self._state, name) == value:
            return []
        setattr(self._state, name, value)
        return [change]

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

        The operator's `r`: the UI knows leads, the outbox knows items.
        """
        ids: list[int] = []
        for conversation_id in conversation_ids:
            items = await self._db.outbox_items(
                conversation_id=conversation_id, status=OutboxStatus.FAILED
            )
            ids.extend(item.id for item in items)
        if ids:
            await self.dispatch(RetryFailed(outbox_ids=tuple(ids), actor=actor))
        return len(ids)

    async def refresh_metrics(self) -> None:
        await self.dispatch(RefreshMetrics())

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

    def _held_logs(self, logs: Sequence[LeadSyncLog]) -> list[Change]:
        """Logs committed elsewhere, added to the state unless it holds them already."""
        held_ids = {
            log.id
            for key in {log.conversation_id for log in logs}
            for log in self._state.sync_logs.get(key, ())
        }
        return self._hold_logs([log for log in logs if log.id not in held_ids])

    # ----------------------------------------------------------------- leads

    async def _fetch_leads(self) -> list[Change]:
        leads = await self._db.load_leads()
        before = self._state.leads.keys()
        self._state.leads = {lead.conversation_id: lead for lead in leads}
        keys = frozenset(before) | frozenset(self._state.leads)
        return [LeadsChanged(keys)] if keys else []

    async def _apply_leads(self, leads: Iterable[Lead], origin: MergeOrigin) -> list[Change]:
        changed = self._merged(leads, origin)
        await self._db.upsert_leads(list(changed.values()))
        return self._store_leads(changed)

    def _merged(self, leads: Iterable[Lead], origin: MergeOrigin) -> dict[str, Lead]:
        """The leads that really change, by key, in input order (later copies win)."""
        changed: dict[str, Lead] = {}
        for incoming in leads:
            key = incoming.conversation_id
            held = changed[key] if key in changed else self._state.leads.get(key)
            lead = self._merge_one(held, incoming, origin)
            if lead is not None:
                changed[key] = lead
        return changed

    def _merge_one(self, held: Lead | None, incoming: Lead, origin: MergeOrigin) -> Lead | None:
        if held is not None and incoming.version < held.version:
            return None  # stale: an older copy arriving late
        lead = incoming
        if (
            held is not None
            and origin is MergeOrigin.DOMIQ
            and not (held.resman_prospect_id is None and incoming.resman_prospect_id)
        ):
            lead = _copied(
                lead,
                {
                    "resman_sync_status": held.resman_sync_status,
                    "resman_prospect_id": held.resman_prospect_id,
                    "last_sync_at": held.last_sync_at,
                },
            )
        lead = self._with_conflict_status(lead)
        return None if lead == held else lead

    def _with_conflict_status(self, lead: Lead) -> Lead:
        """A lead with an open conflict shows `conflict`, whatever else is reported."""
        if self._open_by_lead.get(lead.conversation_id) and lead.resman_sync_status != (
            SyncStatus.CONFLICT
        ):
            return lead.model_copy(update={"resman_sync_status": SyncStatus.CONFLICT})
        return lead

    def _store_leads(self, leads: dict[str, Lead]) -> list[Change]:
        """Put already-persisted leads into the state."""
        if not leads:
            return []
        self._state.leads.update(leads)
        return [LeadsChanged(frozenset(leads))]

    def _held_lead(self, conversation_id: str) -> Lead:
        lead = self._state.leads.get(conversation_id)
        if lead is None:
            raise ActionRefused(f"lead {conversation_id} is not known here")
        return lead

    async def _update_lead_status(self, action: UpdateLeadStatus) -> list[Change]:
        held = self._held_lead(action.conversation_id)
        update: dict[str, Any] = {"resman_sync_status": action.status}
        if action.prospect_id is not None:
            update["resman_prospect_id"] = action.prospect_id
        if action.status is SyncStatus.SYNCED:
            update["last_sync_at"] = (action.at or self._now()).replace(microsecond=0)
        lead = self._with_conflict_status(held.model_copy(update=update))
        if lead == held:
            return []
        await self._db.upsert_leads([lead])
        return self._store_leads({lead.conversation_id: lead})

    def _leads_moving(self, keys: Iterable[str], status: SyncStatus) -> dict[str, Lead]:
        """Held leads of `keys` moved to `status`, except those an open conflict holds."""
        moved: dict[str, Lead] = {}
        for key in keys:
            held = self._state.leads.get(key)
            if held is None or held.resman_sync_status == status:
                continue
            lead = self._with_conflict_status(
                held.model_copy(update={"resman_sync_status": status})
            )
            if lead != held:
                moved[key] = lead
        return moved

    async def _push_lead(self, action: PushLead) -> list[Change]:
        lead = self._held_lead(action.conversation_id)
        item = NewOutboxItem(
            conversation_id=lead.conversation_id,
            direction=SyncDirection.DOMIQ_TO_RESMAN,
            sync_type=SyncType.UPDATE if lead.resman_prospect_id else SyncType.CREATE,
            payload=LinkWrite(version=lead.version),
            dedupe_key=f"push:{lead.conversation_id}:v{lead.version}",
        )
        moved = self._leads_moving([lead.conversation_id], SyncStatus.SYNCING)
        status_after = moved.get(lead.conversation_id, lead).resman_sync_status
        async with self._db.transaction():
            ids = await self._db.enqueue([item])
            await self._db.retry_failed(ids)  # a parked push of this version goes again
            await self._db.upsert_leads(list(moved.values()))
            await self._db.append_audit(
                [
                    AuditEntry(
                        at=self._now(),
                        actor=action.actor,
                        action="push_lead",
                        target=lead.conversation_id,
                        before={"resman_sync_status": lead.resman_sync_status.value},
                        after={"resman_sync_status": status_after.value, "outbox_id": ids[0]},
                    )
                ]
            )
        return [
            *self._store_leads(moved),
            EngineRequest(
                EngineRequestKind.PUSH,
                conversation_ids=frozenset({lead.conversation_id}),
                outbox_ids=tuple(ids),
            ),
        ]

    async def _retry_failed(self, action: RetryFailed) -> list[Change]:
        async with self._db.transaction():
            items = await self._db.retry_failed(action.outbox_ids)
            if not items:
                return []
            moved = self._leads_moving({item.conversation_id for item in items}, SyncStatus.SYNCING)
            await self._db.upsert_leads(list(moved.values()))
            # One entry a lead, so each lead's screen shows who retried it and when.
            by_lead: dict[str, list[int]] = {}
            for item in items:
                by_lead.setdefault(item.conversation_id, []).append(item.id)
            await self._db.append_audit(
                [
                    AuditEntry(
                        at=self._now(),
                        actor=action.actor,
                        action="retry_failed",
                        target=conversation_id,
                        before={"status": SyncStatus.FAILED.value},
                        after={"outbox_ids": ids},
                    )
                    for conversation_id, ids in by_lead.items()
                ]
            )
        return [
            *self._store_leads(moved),
            EngineRequest(
                EngineRequestKind.RETRY,
                conversation_ids=frozenset(item.conversation_id for item in items),
                outbox_ids=tuple(item.id for item in items),
            ),
        ]

    # ----------------------------------------------------------------- live feed

    async def _handle_messages(self, events: Iterable[SyncEvent]) -> list[Change]:
        incoming: list[Lead] = []
        newest_id: int | None = None
        heard = resync = False
        errors: list[str] = []
        for event in events:
            heard = True
            if event.type is EventType.RESYNC_REQUIRED:
                resync = True
                continue
            if event.type is EventType.HEARTBEAT:
                continue  # its id is the server's last id, not one we applied
            if event.id is not None:
                newest_id = event.id if newest_id is None else max(newest_id, event.id)
            try:
                lead = event.lead()
            except ValidationError as exc:
                logger.warning("ignored malformed %s event %s: %s", event.type, event.id, exc)
                errors.append(f"ignored a malformed {event.type} event (id {event.id})")
                continue
            if lead is not None:
                incoming.append(lead)
        if not heard:
            return []
        changed = self._merged(incoming, MergeOrigin.DOMIQ)
        cursor = await self._advanced_event_id(newest_id)
        if cursor is not None:
            async with self._db.transaction():  # the leads and the cursor move together
                await self._db.upsert_leads(list(changed.values()))
                await self._db.set_cursor(Cursor.DOMIQ_LAST_EVENT_ID, str(cursor))
            self._last_event_id = cursor
        else:
            await self._db.upsert_leads(list(changed.values()))
        changes = self._store_leads(changed)
        if self._state.last_ping != (now := self._now()):
            self._state.last_ping = now
            changes.append(self._connection_change())
        if resync:
            changes.append(EngineRequest(EngineRequestKind.PULL, full=True))
        if errors:
            error = "; ".join(errors)
            changes += self._set("error", error, ErrorChanged(error))
        return changes

    async def last_event_id(self) -> int | None:
        """The live feed's resume point: the last event applied to the store, if any."""
        if not self._last_event_id_loaded:
            value = await self._db.get_cursor(Cursor.DOMIQ_LAST_EVENT_ID)
            self._last_event_id = None if value is None else int(value)
            self._last_event_id_loaded = True
        return self._last_event_id

    async def _advanced_event_id(self, newest: int | None) -> int | None:
        """`newest` if it moves the persisted event cursor forward, else None."""
        if newest is None:
            return None
        await self.last_event_id()
        if self._last_event_id is not None and newest <= self._last_event_id:
            return None
        return newest

    def _connection_changed(self, action: ConnectionChanged) -> list[Change]:
        state = self._state
        before = (state.real_time_connected, state.last_ping, state.reconnect_attempts)
        state.real_time_connected = action.connected
        state.last_ping = action.last_ping if action.last_ping is not None else state.last_ping
        state.reconnect_attempts = action.reconnect_attempts
        if (state.real_time_connected, state.last_ping, state.reconnect_attempts) == before:
            return []
        return [self._connection_change()]

    def _connection_change(self) -> ConnectionStateChanged:
        state = self._state
        return ConnectionStateChanged(
            state.real_time_connected, state.last_ping, state.reconnect_attempts
        )

    # ----------------------------------------------------------------- logs and metrics

    async def _logs_appended(self, logs: Sequence[LeadSyncLog]) -> list[Change]:
        if not logs:
            return []
        await self._db.append_logs(logs)
        return self._hold_logs(logs)

    def _hold_logs(self, logs: Sequence[LeadSyncLog]) -> list[Change]:
        """Put already-persisted logs into the state (the newest `logs_per_lead` a lead)."""
        if not logs:
            return []
        touched: set[str] = set()
        for log in logs:
            held = self._state.sync_logs.setdefault(log.conversation_id, [])
            held.append(log)
            if len(held) > self._logs_per_lead:
                del held[: len(held) - self._logs_per_lead]
            touched.add(log.conversation_id)
        return [LogsChanged(frozenset(touched))]

    async def _refresh_metrics(self) -> list[Change]:
        now = self._now()
        logs = await self._db.recent_logs(now - self._metrics_window)
        counts = await self._db.outbox_counts()
        metrics = compute_metrics(logs, counts, now, self._metrics_window)
        return self._set("metrics", metrics, MetricsChanged(metrics))

    # ----------------------------------------------------------------- conflicts

    async def _fetch_conflicts(self) -> list[Change]:
        conflicts = await self._db.open_conflicts()
        before = frozenset(self._conflict_index)
        self._state.conflicts = []
        self._conflict_index.clear()
        self._open_by_lead.clear()
        for conflict in conflicts:
            self._put_conflict(conflict)
        ids = before | frozenset(self._conflict_index)
        return [ConflictsChanged(ids)] if ids else []

    def _put_conflict(self, conflict: LeadSyncConflict) -> None:
        """Insert or replace a conflict in the state and keep the indexes in step."""
        position = self._conflict_index.get(conflict.id)
        if position is None:
            self._conflict_index[conflict.id] = len(self._state.conflicts)
            self._state.conflicts.append(conflict)
        else:
            self._state.conflicts[position] = conflict
        open_ids = self._open_by_lead.setdefault(conflict.conversation_id, set())
        if conflict.is_open:
            open_ids.add(conflict.id)
        else:
            open_ids.discard(conflict.id)
            if not open_ids:
                del self._open_by_lead[conflict.conversation_id]

    def _lead_statuses_after(self, conflicts: Sequence[LeadSyncConflict]) -> dict[str, Lead]:
        """Held leads whose status must follow their conflicts once these are stored:
        into `conflict` when one is open, out of it (to `syncing`, as the resolution is
        now in the outbox) when the last one closes."""
        still_open = {
            c.conversation_id: set(self._open_by_lead.get(c.conversation_id, ())) for c in conflicts
        }
        for conflict in conflicts:
            ids = still_open[conflict.conversation_id]
            if conflict.is_open:
                ids.add(conflict.id)
            else:
                ids.discard(conflict.id)
        moved: dict[str, Lead] = {}
        for key, ids in still_open.items():
            held = self._state.leads.get(key)
            if held is None:
                continue
            if ids and held.resman_sync_status != SyncStatus.CONFLICT:
                status = SyncStatus.CONFLICT
            elif not ids and held.resman_sync_status == SyncStatus.CONFLICT:
                status = SyncStatus.SYNCING
            else:
                continue
            moved[key] = held.model_copy(update={"resman_sync_status": status})
        return moved

    async def _find_conflict(self, conflict_id: str) -> LeadSyncConflict:
        conflict = self.conflict(conflict_id) or await self._db.get_conflict(conflict_id)
        if conflict is None:
            raise ActionRefused(f"there is no conflict {conflict_id}")
        if not conflict.is_open:
            raise ActionRefused(f"conflict {conflict_id} is already resolved")
        return conflict

    async def _conflicts_detected(self, detected: Sequence[LeadSyncConflict]) -> list[Change]:
        stored: list[LeadSyncConflict] = []
        for conflict in detected:
            held = self.conflict(conflict.id)
            if held is not None and held.is_open:
                # Detected again while open: new values, but keep who is dealing with it.
                conflict = conflict.model_copy(
                    update={
                        "resolution_status": held.resolution_status,
                        "resolution": held.resolution,
                    }
                )
            stored.append(conflict)
        if not stored:
            return []
        moved = self._lead_statuses_after(stored)
        async with self._db.transaction():
            await self._db.upsert_conflicts(stored)
            await self._db.upsert_leads(list(moved.values()))
        for conflict in stored:
            self._put_conflict(conflict)
        return [ConflictsChanged(frozenset(c.id for c in stored)), *self._store_leads(moved)]

    async def _resolve_conflict(self, action: ResolveConflict) -> list[Change]:
        conflict = await self._find_conflict(action.conflict_id)
        resolution = _checked_resolution(conflict, action)
        decided = resolution.resolution is not Resolution.MANUAL_REVIEW
        now = self._now()
        resolved = conflict.model_copy(
            update={
                "resolution_status": ResolutionStatus.RESOLVED
                if decided
                else ResolutionStatus.MANUAL_REVIEW,
                "resolution": resolution,
            }
        )
        items = _resolution_items(resolved)
        moved = self._lead_statuses_after([resolved])
        async with self._db.transaction():
            await self._db.update_conflict(
                resolved,
                resolved_by=action.actor if decided else None,
                resolved_at=now if decided else None,
            )
            ids = await self._db.enqueue(items)
            await self._db.upsert_leads(list(moved.values()))
            await self._db.append_audit(
                [
                    _audit(
                        now, action.actor, "resolve_conflict", conflict, resolved, resolution.reason
                    )
                ]
            )
        self._put_conflict(resolved)
        changes: list[Change] = [
            ConflictsChanged(frozenset({conflict.id})),
            *self._store_leads(moved),
        ]
        if items:
            changes.append(
                EngineRequest(
                    EngineRequestKind.PUSH,
                    conversation_ids=frozenset({conflict.conversation_id}),
                    conflict_ids=frozenset({conflict.id}),
                    outbox_ids=tuple(ids),
                )
            )
        return changes

    async def _escalate_conflict(self, action: EscalateConflict) -> list[Change]:
        conflict = await self._find_conflict(action.conflict_id)
        if conflict.resolution_status is ResolutionStatus.ESCALATED:
            raise ActionRefused(f"conflict {conflict.id} is already escalated")
        if not action.actor.strip():
            raise ActionRefused("an escalation needs to say who escalated it")
        escalated = conflict.model_copy(update={"resolution_status": ResolutionStatus.ESCALATED})
        async with self._db.transaction():
            await self._db.update_conflict(escalated)
            await self._db.append_audit(
                [
                    _audit(
                        self._now(),
                        action.actor,
                        "escalate_conflict",
                        conflict,
                        escalated,
                        action.reason.strip() or None,
                    )
                ]
            )
        self._put_conflict(escalated)
        return [ConflictsChanged(frozenset({conflict.id}))]

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
        perform itself (an export, a bulk action's summary)."""
        entry = AuditEntry(
            at=self._now(),
            actor=actor,
            action=action,
            target=target,
            before=before,
            after=after,
            reason=reason,
        )
        await self._db.append_audit([entry])


def _lead_keys(action: Action) -> set[str]:
    """The leads an action reads from the state by key (as far as the action says)."""
    match action:
        case MergeLeads(leads=leads):
            return {lead.conversation_id for lead in leads}
        case PushLead(conversation_id=key) | UpdateLeadStatus(conversation_id=key):
            return {key}
        case ConflictsDetected(conflicts=conflicts):
            return {conflict.conversation_id for conflict in conflicts}
        case HandleMessage(event=event):
            return _event_keys([event])
        case HandleMessages(events=events):
            return _event_keys(events)
        case _:
            return set()


def _event_keys(events: Iterable[SyncEvent]) -> set[str]:
    keys: set[str] = set()
    for event in events:
        try:
            lead = event.lead()
        except ValidationError:
            continue
        if lead is not None:
            keys.add(lead.conversation_id)
    return keys


_LEAD_FIELDS: frozenset[str] = frozenset(Lead.model_fields)
_ALL_LEAD_FIELDS_SET: set[str] = set(Lead.model_fields)
"""Shared by copies that set every field: a frozen `Lead` never changes its set in place
(pydantic copies it first), and one set of 20 names is 2.2 KB."""


def _copied(lead: Lead, update: dict[str, Any]) -> Lead:
    """`lead.model_copy(update=update)` for fields of `Lead`, without pydantic's generic
    copy: the live feed copies every incoming lead, and this is ~8x faster."""
    copied = Lead.__new__(Lead)
    values = lead.__dict__.copy()
    values.update(update)
    fields_set = lead.__pydantic_fields_set__
    if fields_set is not _ALL_LEAD_FIELDS_SET:
        fields_set = fields_set | update.keys()
        if fields_set == _LEAD_FIELDS:
            fields_set = _ALL_LEAD_FIELDS_SET
    object.__setattr__(copied, "__dict__", values)
    object.__setattr__(copied, "__pydantic_fields_set__", fields_set)
    object.__setattr__(copied, "__pydantic_extra__", None)
    object.__setattr__(copied, "__pydantic_private__", None)
    return copied


def _checked_resolution(conflict: LeadSyncConflict, action: ResolveConflict) -> ConflictResolution:
    """The resolution to record, with `final_value` filled in; refuses what makes no sense."""
    resolution = action.resolution
    if not action.actor.strip():
        raise ActionRefused("a resolution needs to say who decided it")
    if not resolution.reason.strip():
        raise ActionRefused("a resolution needs a reason")
    winner = {
        Resolution.DOMIQ_WINS: ("DomIQ's", conflict.domiq_value),
        Resolution.RESMAN_WINS: ("ResMan's", conflict.resman_value),
    }.get(resolution.resolution)
    if winner is not None:
        side, value = winner
        if resolution.final_value is not None and resolution.final_value != value:
            raise ActionRefused(
                f"{resolution.resolution} writes {side} value {value!r}, not"
                f" {resolution.final_value!r}; choose merged to write another value"
            )
        return resolution.model_copy(update={"final_value": value})
    if resolution.resolution is Resolution.MERGED and resolution.final_value is None:
        raise ActionRefused(f"a merged resolution of {conflict.field} needs a final value")
    return resolution


def _resolution_items(conflict: LeadSyncConflict) -> list[NewOutboxItem]:
    """The writes a resolution needs: the final value to the side(s) that lack it.

    A `duplicate_candidate` is one decision about ResMan (create a prospect, or link
    which one), so any decision but `manual_review` is a single item on the lead's
    DomIQ -> ResMan lane, marked with the conflict type for the sender."""
    assert conflict.resolution is not None
    decision = conflict.resolution.resolution
    directions = {
        Resolution.DOMIQ_WINS: [SyncDirection.DOMIQ_TO_RESMAN],
        Resolution.RESMAN_WINS: [SyncDirection.RESMAN_TO_DOMIQ],
        Resolution.MERGED: [SyncDirection.DOMIQ_TO_RESMAN, SyncDirection.RESMAN_TO_DOMIQ],
        Resolution.MANUAL_REVIEW: [],
    }[decision]
    conflict_type: ConflictType | None = None
    if conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
        directions = directions and [SyncDirection.DOMIQ_TO_RESMAN]
        conflict_type = conflict.conflict_type
    return [
        NewOutboxItem(
            conversation_id=conflict.conversation_id,
            direction=direction,
            sync_type=SyncType.RESOLUTION,
            payload=ResolutionWrite(
                conflict_id=conflict.id,
                field=conflict.field,
                value=conflict.resolution.final_value,
                resolution=decision,
                conflict_type=conflict_type,
            ),
            dedupe_key=f"resolution:{conflict.id}:{direction.value}",
        )
        for direction in directions
    ]


def _audit(
    at: datetime,
    actor: str,
    action: str,
    before: LeadSyncConflict,
    after: LeadSyncConflict,
    reason: str | None,
) -> AuditEntry:
    return AuditEntry(
        at=at,
        actor=actor,
        action=action,
        target=before.id,
        before=before.model_dump(mode="json"),
        after=after.model_dump(mode="json"),
        reason=reason,
    )
