"""The dashboard: where `leadsync` opens.

Top to bottom: the header; a status line with the live-feed indicator and the conflict
banner; the sync error alert (only when there is an error); the leads table; the sync
metrics with their sparklines; the footer. Every part is fed from the store's state when
the store says that part changed, and every user action goes back to the store.

Conflict triage: `c` (or a click on the banner) opens the first open conflict in triage
order in the `ConflictResolutionModal`; after each decision (or skip) the next one not yet
seen in this round opens, until none is left or the manager presses escape.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import ConflictResolution, LeadSyncConflict, Resolution, utc_now
from leadsync_tui.screens.alerts import AlertTracker
from leadsync_tui.screens.conflict_modal import ConflictOutcome, ConflictResolutionModal
from leadsync_tui.store.actions import SetError
from leadsync_tui.store.changes import (
    Change,
    ConflictsChanged,
    ConnectionStateChanged,
    ErrorChanged,
    LeadsChanged,
    MetricsChanged,
)
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.widgets import (
    ConflictNotificationBanner,
    LeadsTable,
    RealTimeSyncIndicator,
    SyncErrorAlert,
    SyncMetricsWidget,
    mask_name,
)
from leadsync_tui.widgets.conflict_banner import triage_order

METRICS_REFRESH_S = 2.0
"""How often the metrics are recomputed from the log and outbox (a few Hz at most)."""


class DashboardScreen(Screen[None]):
    """Leads, their sync status, conflicts and health at a glance."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "next_conflict", "Next conflict"),
        Binding("r", "retry", "Retry"),
        Binding("n", "new_lead", "New lead"),
        Binding("o", "open_conversation", "Conversation"),
        Binding("m", "metrics", "Metrics"),
        Binding("b", "bulk_resolve", "Bulk resolve"),
        Binding("e", "export", "Export CSV"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("g", "jump", "Go to id"),
        Binding("ctrl+r", "reconnect", "Reconnect"),
        Binding("M", "toggle_mask", "Mask PII"),
        Binding("escape", "close_filter", "Close filter", show=False),
    ]

    def __init__(
        self,
        store: LeadSyncStore,
        *,
        clock: Callable[[], datetime] = utc_now,
        mask_pii: bool = False,
        live_clock: bool = True,
        read_only: bool = False,
        actor: str = "operator",
    ) -> None:
        """`read_only` opens conflicts without actions; `actor` is who the audit log names."""
        super().__init__()
        self.store = store
        self.read_only = read_only
        self.actor = actor
        self._clock = clock
        self._mask_pii = mask_pii
        self._live_clock = live_clock
        self._alerts = AlertTracker()
        self._triaged: set[str] = set()
        """Conflicts decided or skipped in this triage round (so manual review and
        escalated ones, still open, do not come back until the next `c`)."""

    def compose(self) -> ComposeResult:
        state = self.store.state
        yield Header()
        with Horizontal(id="status-line"):
            yield RealTimeSyncIndicator(
                state.real_time_connected,
                state.last_ping,
                reconnect_attempts=state.reconnect_attempts,
                clock=self._clock,
                clock_running=self._live_clock,
            )
            yield ConflictNotificationBanner(state.open_conflicts, lead_names=self._lead_names())
        yield SyncErrorAlert(state.error or "")
        yield LeadsTable(state.leads.values(), clock=self._clock, mask_pii=self._mask_pii)
        yield SyncMetricsWidget(state.metrics)
        yield Input(placeholder="filter: any column (enter keeps it, esc clears)", id="filter")
        yield Footer()

    @property
    def table(self) -> LeadsTable:
        return self.query_one(LeadsTable)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.table.focus()
        self._alerts.prime(self.store.state)
        if self._live_clock:
            self.set_interval(METRICS_REFRESH_S, self.store.refresh_metrics)

    # ------------------------------------------------------------ store -> widgets

    def on_store_changed(self, message: StoreChanged) -> None:
        with self.app.batch_update():
            for change in message.changes:
                self._apply(change)
        for note in self._alerts.notes_for(self.store.state, message.changes):
            self.notify(note.message, title=note.title, severity=note.severity)

    def _apply(self, change: Change) -> None:
        state = self.store.state
        match change:
            case LeadsChanged(keys=keys):
                leads = state.leads
                self.table.upsert(leads[key] for key in keys if key in leads)
            case ConnectionStateChanged(connected, last_ping, attempts):
                indicator = self.query_one(RealTimeSyncIndicator)
                indicator.connected = connected
                indicator.last_ping = last_ping
                indicator.reconnect_attempts = attempts
            case ConflictsChanged():
                self.query_one(ConflictNotificationBanner).update_conflicts(
                    state.open_conflicts, self._lead_names()
                )
            case MetricsChanged(metrics=metrics):
                self.query_one(SyncMetricsWidget).metrics = metrics
            case ErrorChanged(error=error):
                self.query_one(SyncErrorAlert).error = error or ""
            case _:
                pass

    def _lead_names(self) -> dict[str, str]:
        """Names for the conflicts' leads, masked when PII is masked."""
        leads = self.store.state.leads
        names = {}
        for conflict in self.store.state.open_conflicts:
            lead = leads.get(conflict.conversation_id)
            if lead is not None:
                names[lead.conversation_id] = (
                    mask_name(lead.first_name, lead.last_name) if self._masked else lead.full_name
                )
        return names

    @property
    def _masked(self) -> bool:
        tables = self.query(LeadsTable)
        return tables.first().mask_pii if tables else self._mask_pii

    # ------------------------------------------------------------ other screens

    @on(LeadsTable.LeadSelected)
    def open_lead(self, event: LeadsTable.LeadSelected) -> None:
        """`enter`: the lead detail screen (both systems side by side, its sync log)."""
        self.notify(f"Lead detail for {event.key}: not built yet.", timeout=2)

    def action_new_lead(self) -> None:
        """`n`: the lead creation form."""
        self.notify("New lead: not built yet.", timeout=2)

    def action_open_conversation(self) -> None:
        """`o`: the current lead's DomIQ conversation (transcript; qualify)."""
        self.notify("Conversation: not built yet.", timeout=2)

    def action_metrics(self) -> None:
        """`m`: the metrics screen (history, errors grouped by type)."""
        self.notify("Metrics: not built yet.", timeout=2)

    def action_bulk_resolve(self) -> None:
        """`b`: resolve the conflicts of the marked (or filtered) leads at once."""
        self.notify("Bulk resolve: not built yet.", timeout=2)

    def action_export(self) -> None:
        """`e`: the rows in view, as shown, to a CSV file."""
        self.notify("Export: not built yet.", timeout=2)

    def action_toggle_pause(self) -> None:
        """`p`: freeze the table while reading; changes are kept and shown on resume."""
        self.notify("Pause: not built yet.", timeout=2)

    def action_jump(self) -> None:
        """`g`: go to a lead by its DomIQ conversation id or ResMan prospect id."""
        self.notify("Go to: not built yet.", timeout=2)

    # ------------------------------------------------------------ user -> store

    @on(RealTimeSyncIndicator.ReconnectRequested)
    async def action_reconnect(self) -> None:
        await self.store.connect()
        self.notify("Reconnecting the live feed…", timeout=2)

    async def action_retry(self) -> None:
        """`r`: send the marked leads' failed writes (or the current lead's) again."""
        if self.read_only:
            self.notify("Read-only: retrying is not allowed.", severity="warning")
            return
        table = self.table
        keys = set(table.marked_keys) or ({table.cursor_key} if table.cursor_key else set())
        if not keys:
            return
        count = await self.store.retry_leads(keys, actor=self.actor)
        if count:
            self.notify(f"Retrying {count} failed write{'s' if count > 1 else ''}.", timeout=3)
        else:
            which = "the marked leads" if len(keys) > 1 else "this lead"
            self.notify(f"Nothing to retry: {which} has no failed write.", timeout=3)

    def action_next_conflict(self) -> None:
        banner = self.query_one(ConflictNotificationBanner)
        if banner.open_conflicts:
            banner.action_triage()
        else:
            self.notify("No unresolved conflicts.", timeout=3)

    @on(ConflictNotificationBanner.ConflictSelected)
    def show_conflict(self, event: ConflictNotificationBanner.ConflictSelected) -> None:
        """Start a triage round at the selected conflict."""
        conflict = self.store.conflict(event.conflict_id)
        if conflict is None:
            return
        self._triaged.clear()
        self._open_conflict(conflict)

    def _open_conflict(self, conflict: LeadSyncConflict) -> None:
        self.table.move_cursor_to(conflict.conversation_id)
        done, waiting = len(self._triaged), len(self._untriaged())  # waiting counts this one
        modal = ConflictResolutionModal(
            conflict,
            lead_name=self._lead_name(conflict.conversation_id),
            submit=partial(self._resolve, conflict.id),
            escalate=partial(self._escalate, conflict.id),
            position=(done + 1, done + max(waiting, 1)),
            read_only=self.read_only,
            mask_pii=self._masked,
        )
        self.app.push_screen(modal, self._after_conflict)

    async def _resolve(self, conflict_id: str, resolution: ConflictResolution) -> None:
        if resolution.resolution is Resolution.MANUAL_REVIEW:
            # The manager chose it here: no "manual review required" toast about it.
            self._alerts.announced_reviews.add(conflict_id)
        await self.store.resolve_conflict(conflict_id, resolution, self.actor)

    async def _escalate(self, conflict_id: str, reason: str) -> None:
        await self.store.escalate_conflict(conflict_id, self.actor, reason)

    def _after_conflict(self, outcome: ConflictOutcome | None) -> None:
        """Toast the decision, then open the next conflict of the round (escape ends it)."""
        if outcome is None:
            self._triaged.clear()
            return
        self._triaged.add(outcome.conflict_id)
        if outcome.resolution is not None:
            resolution = outcome.resolution.resolution
            if resolution is Resolution.MANUAL_REVIEW:
                self.notify("Conflict left for manual review", timeout=3)
            else:
                self.notify(f"Conflict resolved ({resolution.value})", timeout=3)
        elif outcome.action == "escalated":
            self.notify("Escalated", timeout=3)
        following = self._untriaged()
        if following:
            self._open_conflict(following[0])
            return
        left = len(self.store.state.open_conflicts)
        self._triaged.clear()
        if left:
            self.notify(f"End of the triage queue; {left} still open (c starts again).", timeout=4)
        else:
            self.notify("No unresolved conflicts left.", timeout=4)

    def _untriaged(self) -> list[LeadSyncConflict]:
        """Open conflicts not yet seen in this round, in triage order."""
        waiting = (c for c in self.store.state.open_conflicts if c.id not in self._triaged)
        return sorted(waiting, key=triage_order)

    def _lead_name(self, conversation_id: str) -> str:
        return self._lead_names().get(conversation_id, conversation_id)

    @on(SyncErrorAlert.Closed)
    async def clear_error(self) -> None:
        await self.store.dispatch(SetError(None))

    @on(LeadsTable.FilterRequested)
    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.table.filter_text
        box.focus()

    @on(Input.Changed, "#filter")
    def filter_as_you_type(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def keep_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = bool(box.value)
        self.table.focus()

    def action_close_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.table.focus()

    def action_toggle_mask(self) -> None:
        self.table.mask_pii = not self.table.mask_pii
        self.query_one(ConflictNotificationBanner).update_conflicts(
            self.store.state.open_conflicts, self._lead_names()
        )
        state = "on" if self.table.mask_pii else "off"
        self.notify(f"PII masking {state}", timeout=2)
