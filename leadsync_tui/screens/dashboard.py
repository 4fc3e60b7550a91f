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

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Header, Input, Label

from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import ConflictResolution, Lead, Resolution
from leadsync_tui.roles import Permission
from leadsync_tui.screens import dashboard_commands, filter_box
from leadsync_tui.screens.alerts import AlertTracker
from leadsync_tui.screens.bulk_actions import BulkActions
from leadsync_tui.screens.jump import JumpModal, lead_by_any_id
from leadsync_tui.screens.live_pause import LivePause
from leadsync_tui.screens.session import SessionScreen
from leadsync_tui.screens.toasts import Toaster
from leadsync_tui.screens.triage import ConflictTriage, conflict_lead_names
from leadsync_tui.screens.wording import plural
from leadsync_tui.store.changes import (
    Change,
    ConflictsChanged,
    ConnectionStateChanged,
    DriftProgress,
    ErrorChanged,
    LeadsChanged,
    LoadProgress,
    MetricsChanged,
)
from leadsync_tui.ui_work import guarded, push_screen, run_ui_work
from leadsync_tui.widgets import (
    ConflictNotificationBanner,
    LeadsTable,
    RealTimeSyncIndicator,
    SyncErrorAlert,
    SyncMetricsWidget,
)
from leadsync_tui.widgets.drift_note import DriftScanNote
from leadsync_tui.widgets.key_footer import KeyFooter
from leadsync_tui.widgets.table_summary import TableSummary

METRICS_REFRESH_S = 2.0
"""How often the metrics are recomputed from the log and outbox (a few Hz at most)."""


class DashboardScreen(SessionScreen):
    """Leads, their sync status, conflicts and health at a glance."""

    BINDINGS: ClassVar[list[BindingType]] = dashboard_commands.BINDINGS
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = dashboard_commands.ACTION_PERMISSIONS
    """Actions a role may lack (see `dashboard_commands`)."""
    PALETTE: ClassVar[tuple[tuple[str, str, str], ...]] = dashboard_commands.PALETTE
    """(title, action, help) for the command palette (see `dashboard_commands`)."""

    def __init__(self) -> None:
        """Everything else (store, clock, actor, masking, timers) comes from the session."""
        super().__init__()
        self._alerts = AlertTracker()
        self._pause = LivePause(lambda: self.query_one("#pause-note", Label))
        self._bulk = BulkActions(self, lambda: self.table, self._alerts)
        self._triage = ConflictTriage(
            self,
            lambda: self.store.state.open_conflicts,
            lead_name=self._lead_name,
            masked=lambda: self._masked,
            yours_first=True,
            on_open=lambda conflict: self.table.move_cursor_to(conflict.conversation_id),
            on_resolve=self._resolving,
            announce_end=True,
        )

    @property
    def _clock(self) -> Callable[[], datetime]:
        return self.session.clock

    @property
    def _live_clock(self) -> bool:
        return self.session.live_timers

    def compose(self) -> ComposeResult:
        state = self.store.state
        table = LeadsTable(
            state.leads.values(),
            clock=self._clock,
            mask_pii=self.session.mask_pii,
            property_names=self.session.property_names,
        )
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
            yield Label("", id="pause-note")
            yield Label("", id="load-note")
            yield DriftScanNote(self.store.drift_progress)
            yield TableSummary(table, id="table-summary")
        yield SyncErrorAlert(state.error or "")
        yield table
        # Live, the store's metrics are the defaults until the first refresh: show
        # "loading", never a made-up "conflict 0.0%" beside open conflicts.
        yield SyncMetricsWidget(
            None if self._live_clock else state.metrics, loading=self._live_clock
        )
        yield Input(placeholder="filter: any column (enter keeps it, esc clears)", id="filter")
        yield KeyFooter()

    @property
    def table(self) -> LeadsTable:
        return self.query_one(LeadsTable)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#pause-note", Label).display = False
        self._show_load_progress(self.store.load_progress)
        self.table.focus()
        self._alerts.prime(self.store.state)
        self._alerts.can_triage = self.session.may(Permission.RESOLVE)
        if not self._alerts.can_triage:
            self.query_one(ConflictNotificationBanner).verb = "view"
        self._toasts = Toaster(self.app)
        if self._live_clock:
            self.call_later(self._first_metrics)
            self.set_interval(  # guarded: a timer's failure would end the app
                METRICS_REFRESH_S,
                lambda: guarded(
                    self, "Refreshing the metrics", self.store.refresh_metrics(), store_down_ok=True
                ),
            )

    async def _first_metrics(self) -> None:
        """Compute the metrics now (not in 2 s) and show them, equal to the defaults or not."""
        await self.store.refresh_metrics()
        widget = self.query_one(SyncMetricsWidget)
        widget.loading = False
        widget.metrics = self.store.state.metrics

    # ------------------------------------------------------------ store -> widgets

    def on_store_changed(self, message: StoreChanged) -> None:
        with self.app.batch_update():
            for change in message.changes:
                self._apply(change)
        for note in self._alerts.notes_for(self.store.state, message.changes):
            self._toasts.show(note)

    def _apply(self, change: Change) -> None:
        state = self.store.state
        match change:
            case LeadsChanged(keys=keys):
                if self._pause.paused:
                    self._pause.hold(keys)
                    return
                leads = state.leads
                # Newest first within a batch: a progressive load then fills the table
                # in the order a full load showed (chunks arrive newest first).
                batch = [leads[key] for key in keys if key in leads]
                batch.sort(key=_updated_at, reverse=True)
                self.table.upsert(batch)
                self._summarise()
            case LoadProgress():
                self._show_load_progress(change)
            case ConnectionStateChanged(connected, last_ping, attempts):
                indicator = self.query_one(RealTimeSyncIndicator)
                indicator.connected = connected
                indicator.last_ping = last_ping
                indicator.reconnect_attempts = attempts
            case ConflictsChanged():
                self.query_one(ConflictNotificationBanner).update_conflicts(
                    state.open_conflicts, self._lead_names()
                )
                self._triage.recount()
            case MetricsChanged(metrics=metrics):
                self.query_one(SyncMetricsWidget).metrics = metrics
            case ErrorChanged(error=error):
                self.query_one(SyncErrorAlert).error = error or ""
            case DriftProgress():
                self.query_one(DriftScanNote).progress = change
            case _:
                pass

    def _lead_names(self) -> dict[str, str]:
        return conflict_lead_names(self.store.state, masked=self._masked)

    @property
    def _masked(self) -> bool:
        tables = self.query(LeadsTable)
        return tables.first().mask_pii if tables else self.session.mask_pii

    # ------------------------------------------------------------ other screens

    @on(LeadsTable.LeadSelected)
    def open_lead(self, event: LeadsTable.LeadSelected) -> None:
        """`enter`: the lead detail screen (both systems side by side, its sync log)."""
        from leadsync_tui.screens.lead_detail import LeadDetailScreen

        push_screen(self, LeadDetailScreen(event.key, mask_pii=self._masked))

    def action_new_lead(self) -> None:
        """`n`: the lead creation form (refused, with a message, when read-only or offline)."""
        from leadsync_tui.screens.new_lead import open_lead_creation

        open_lead_creation(self, self.table, today=self._clock().date())

    def action_open_conversation(self) -> None:
        """`o`: the current lead's DomIQ conversation (transcript; qualify)."""
        from leadsync_tui.screens.conversation import ConversationScreen

        key = self.table.cursor_key
        if key is None:
            self.notify("No lead selected: move to one first.", timeout=3)
            return
        push_screen(self, ConversationScreen(key, mask_pii=self._masked))

    def action_metrics(self) -> None:
        """`m`: the metrics screen (history, errors grouped by type); choosing an error
        group comes back with the table filtered to exactly the leads it hit."""
        from leadsync_tui.screens.metrics_screen import MetricsScreen, show_error_group
        from leadsync_tui.store.error_groups import ErrorGroup

        def filter_to(group: ErrorGroup | None) -> None:
            if group is not None:
                show_error_group(self.table, self.query_one("#filter", Input), group)

        history = self.query_one(SyncMetricsWidget).session_history
        push_screen(self, MetricsScreen(self.store, history, clock=self._clock), filter_to)

    def action_bulk_resolve(self) -> None:
        """`b`: resolve the open conflicts of the marked (or filtered) leads at once."""
        self._bulk.resolve()

    async def action_export(self) -> None:
        """`e`: the rows in view, as shown (filter, sort, masking), to a CSV file."""
        await self._bulk.export()

    def action_toggle_pause(self) -> None:
        """`p`: freeze the table while reading; changes are kept and shown on resume."""
        if not self._pause.paused:
            self._pause.pause()
            self.notify("Live updates paused (p resumes).", timeout=2)
            return
        held = self._pause.resume()
        leads = self.store.state.leads
        with self.app.batch_update():
            self.table.upsert(leads[key] for key in held if key in leads)
        self.notify(f"Live updates resumed; {plural(len(held), 'lead')} updated.", timeout=2)

    def _show_load_progress(self, progress: LoadProgress | None) -> None:
        """`Loading leads… 40,000 of 100,000` while the store loads them; gone after."""
        note = self.query_one("#load-note", Label)
        note.display = progress is not None and not progress.done
        if note.display and progress is not None:
            counts = f" {progress.loaded:,} of {progress.total:,}" if progress.total else ""
            note.update(f"Loading leads…{counts}")

    def action_jump(self) -> None:
        """`g`: go to a lead by its DomIQ conversation id or ResMan prospect id."""
        push_screen(self, JumpModal(partial(lead_by_any_id, self.store.state.leads)), self._jump_to)

    def _jump_to(self, key: str | None) -> None:
        if key is None:
            return
        table = self.table
        if self._pause.paused and key in self._pause.held:
            self.action_toggle_pause()
        if not table.move_cursor_to(key):
            self.action_close_filter()
            table.set_filter("")
            table.move_cursor_to(key)
        table.focus()

    # ------------------------------------------------------------ roles and palette

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what the user's role may not do (the footer, the palette)."""
        return dashboard_commands.allowed(self.session, action)

    def on_key(self, event: events.Key) -> None:
        """A hidden action's key still gets an answer: why it is not allowed."""
        if isinstance(self.focused, Input):
            return
        if dashboard_commands.refused_key(self.session, self.BINDINGS, event.key):
            event.stop()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Every action of this screen the role allows, for the command palette."""
        return dashboard_commands.palette_commands(self.session, self.run_action)

    # ------------------------------------------------------------ user -> store

    @on(RealTimeSyncIndicator.ReconnectRequested)
    async def action_reconnect(self) -> None:
        self._alerts.reconnect_requested = True
        if self.session.watching:  # no engine here: the holder's engine reconnects
            from leadsync_tui.screens.watcher_requests import ask_engine
            from leadsync_tui.store.operator_commands import Reconnect

            work = ask_engine(self, self.store, Reconnect(), self.session.actor, self._clock)
            run_ui_work(self, work, group="reconnect", description="Reconnect")
            return
        await self.store.connect()
        self.notify("Reconnecting the live feed…", timeout=2)

    def action_retry(self) -> None:
        """`r`: send the failed writes of the marked leads (else the filtered ones, else
        the current one) again; more than one lead asks for a confirmation first."""
        self._bulk.retry()

    def action_next_conflict(self) -> None:
        banner = self.query_one(ConflictNotificationBanner)
        if banner.open_conflicts:
            banner.action_triage()
        else:
            self.notify("No unresolved conflicts.", timeout=3)

    @on(ConflictNotificationBanner.ConflictSelected)
    def show_conflict(self, event: ConflictNotificationBanner.ConflictSelected) -> None:
        """Start a triage round at the selected conflict."""
        self._triage.begin()

    def _resolving(self, conflict_id: str, resolution: ConflictResolution) -> None:
        if resolution.resolution is Resolution.MANUAL_REVIEW:
            # The manager chose it here: no "manual review required" toast about it.
            self._alerts.announced_reviews.add(conflict_id)

    def _lead_name(self, conversation_id: str) -> str:
        return self._lead_names().get(conversation_id, conversation_id)

    @on(SyncErrorAlert.Closed)
    async def clear_error(self) -> None:
        await self.store.set_error(None)

    @on(LeadsTable.FilterRequested)
    def open_filter(self) -> None:
        filter_box.open_filter(self.query_one("#filter", Input), self.table)

    @on(Input.Changed, "#filter")
    def filter_as_you_type(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._summarise()

    @on(LeadsTable.MarksChanged)
    def _summarise(self) -> None:
        """The status line's rows shown / total, marked, filter (see `TableSummary`)."""
        self.query_one(TableSummary).refresh(layout=True)

    @on(Input.Submitted, "#filter")
    def keep_filter(self) -> None:
        filter_box.keep_filter(self.query_one("#filter", Input), self.table)

    def action_select(self) -> None:
        """The palette's "Open lead": what `enter` does on the table."""
        self.table.action_select()

    def action_filter(self) -> None:
        """The palette's "Filter": what `/` does on the table."""
        self.open_filter()

    def action_sort(self) -> None:
        """The palette's "Sort": what `s` does on the table."""
        self.table.cycle_sort()

    def action_reverse_sort(self) -> None:
        """The palette's "Reverse sort": what `S` does on the table."""
        self.table.cycle_sort_reverse()

    def action_mark(self) -> None:
        """The palette's "Mark": what `space` does on the table."""
        self.table.toggle_mark()

    def action_close_filter(self) -> None:
        filter_box.close_filter(self.query_one("#filter", Input), self.table)
        self._summarise()

    def action_toggle_mask(self) -> None:
        self.table.mask_pii = not self.table.mask_pii
        self.query_one(ConflictNotificationBanner).update_conflicts(
            self.store.state.open_conflicts, self._lead_names()
        )
        state = "on" if self.table.mask_pii else "off"
        self.session.show_masking(self.table.mask_pii)
        self.notify(f"PII masking {state}", timeout=2)


def _updated_at(lead: Lead) -> datetime:
    return lead.updated_at
