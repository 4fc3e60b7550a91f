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

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Label

from leadsync_tui.csv_export import export_file_name, write_csv
from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import (
    ConflictResolution,
    Lead,
    LeadSyncConflict,
    Resolution,
    SyncStatus,
    utc_now,
)
from leadsync_tui.roles import Permission
from leadsync_tui.screens.alerts import AlertTracker
from leadsync_tui.screens.bulk_action import BulkActionModal, BulkDecision
from leadsync_tui.screens.conflict_modal import (
    RESOLUTION_WORDS,
    ConflictOutcome,
    ConflictResolutionModal,
    outcome_message,
)
from leadsync_tui.screens.jump import JumpModal, lead_by_any_id
from leadsync_tui.screens.toasts import ToastDesk
from leadsync_tui.screens.triage import TriageQueue, skipped_note, triage_queue
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
from leadsync_tui.store.retry_note import nothing_to_retry
from leadsync_tui.store.store import ActionRefused, LeadSyncStore
from leadsync_tui.ui_work import push_screen, run_ui_work
from leadsync_tui.widgets import (
    ConflictNotificationBanner,
    LeadsTable,
    RealTimeSyncIndicator,
    SyncErrorAlert,
    SyncMetricsWidget,
    mask_name,
)
from leadsync_tui.widgets.drift_note import DriftScanNote
from leadsync_tui.widgets.key_footer import KeyFooter
from leadsync_tui.widgets.table_summary import TableSummary

if TYPE_CHECKING:
    from leadsync_tui.app import LeadSyncApp

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

    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "retry": Permission.RETRY,
        "new_lead": Permission.CREATE,
        "bulk_resolve": Permission.BULK,
        "export": Permission.EXPORT,
    }
    """Actions a role may lack: hidden from the footer and palette, refused if invoked."""

    PALETTE: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("Open lead", "select", "The lead under the cursor: both systems side by side"),
        ("Next conflict", "next_conflict", "Triage unresolved conflicts one after another"),
        ("Retry", "retry", "Send the failed writes of the marked (or current) leads again"),
        ("New lead", "new_lead", "Create a lead in DomIQ; it syncs to ResMan"),
        ("Conversation", "open_conversation", "The current lead's DomIQ chat transcript"),
        ("Metrics", "metrics", "Sync health over the session; errors grouped by type"),
        ("Bulk resolve", "bulk_resolve", "Resolve the conflicts of the marked/filtered leads"),
        ("Export CSV", "export", "Write the rows in view to a CSV file"),
        ("Pause / resume live updates", "toggle_pause", "Freeze the table while you read"),
        ("Go to lead by id", "jump", "A DomIQ conversation id or a ResMan prospect id"),
        ("Filter", "filter", "Show only rows containing some text, in any column"),
        ("Sort", "sort", "Sort by the next column (again: the one after)"),
        ("Reverse sort", "reverse_sort", "Flip the sort direction (what S does)"),
        ("Mark", "mark", "Mark or unmark the row under the cursor for a bulk action (space)"),
        ("Reconnect live feed", "reconnect", "Reconnect DomIQ's real-time feed now"),
        ("Mask PII", "toggle_mask", "Hide names, emails and phones (screen sharing)"),
        ("Toggle theme", "app.toggle_theme", "Switch between the dark and light theme"),
    )
    """(title, action, help) for the command palette: every dashboard action by name."""

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
        self._paused = False
        self._held: set[str] = set()
        """Leads changed while paused: applied to the table on resume."""
        self._triaged: set[str] = set()
        """Conflicts decided or skipped in this triage round (so manual review and
        escalated ones, still open, do not come back until the next `c`)."""
        self._triage_modal: ConflictResolutionModal | None = None

    def compose(self) -> ComposeResult:
        state = self.store.state
        table = LeadsTable(
            state.leads.values(),
            clock=self._clock,
            mask_pii=self._mask_pii,
            property_names=self.lead_app.property_names,
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
        self._alerts.can_triage = self.lead_app.may(Permission.RESOLVE)
        if not self._alerts.can_triage:
            self.query_one(ConflictNotificationBanner).verb = "view"
        self._toasts = ToastDesk(self.app)
        if self._live_clock:
            self.call_later(self._first_metrics)
            self.set_interval(METRICS_REFRESH_S, self.store.refresh_metrics)

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
                if self._paused:
                    self._held.update(keys)
                    self._show_pause_note()
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
                self._recount_open_conflict()
            case MetricsChanged(metrics=metrics):
                self.query_one(SyncMetricsWidget).metrics = metrics
            case ErrorChanged(error=error):
                self.query_one(SyncErrorAlert).error = error or ""
            case DriftProgress():
                self.query_one(DriftScanNote).progress = change
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
        from leadsync_tui.screens.lead_detail import LeadDetailScreen

        push_screen(self, LeadDetailScreen(event.key, mask_pii=self._masked))

    def action_new_lead(self) -> None:
        """`n`: the lead creation form (refused, with a message, when read-only or offline)."""
        from leadsync_tui.screens.lead_creation import open_lead_creation

        open_lead_creation(self, self.table, actor=self.actor, today=self._clock().date())

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
        if not self.lead_app.refuse_unless(Permission.BULK):
            return
        keys, which = self._targets()
        conflicts = [c for key in keys for c in self.store.open_conflicts_for(key)]
        allowed = [
            c for c in conflicts if self.lead_app.may(Permission.RESOLVE, c.conflict_severity)
        ]
        if not allowed:
            self.notify(
                f"No open conflict you may resolve among {which}." if keys else "No lead selected.",
                timeout=3,
            )
            return
        leads = len({c.conversation_id for c in allowed})
        summary = (
            f"Resolve {plural(len(allowed), 'open conflict')} of {plural(leads, 'lead')}"
            f" ({which}) with one decision."
        )
        skipped = ""
        if len(allowed) < len(conflicts):
            skipped = (
                f"{plural(len(conflicts) - len(allowed), 'conflict')} left out: high severity,"
                " for a manager."
            )
        push_screen(
            self,
            BulkActionModal("resolve", summary, skipped=skipped),
            partial(self._bulk_resolve, [c.id for c in allowed], which),
        )

    async def _bulk_resolve(
        self, conflict_ids: list[str], which: str, decision: BulkDecision | None
    ) -> None:
        if decision is None or decision.resolution is None:
            return
        done: list[str] = []
        refused: list[str] = []
        for conflict_id in conflict_ids:
            resolution = ConflictResolution(resolution=decision.resolution, reason=decision.reason)
            try:
                await self.store.resolve_conflict(conflict_id, resolution, self.actor)
            except ActionRefused as exc:
                refused.append(f"{conflict_id}: {exc}")
            else:
                done.append(conflict_id)
                if decision.resolution is Resolution.MANUAL_REVIEW:
                    self._alerts.announced_reviews.add(conflict_id)
        await self.store.record_audit(
            actor=self.actor,
            action="bulk_resolve",
            target=which,
            after={"resolution": decision.resolution.value, "resolved": done, "refused": refused},
            reason=decision.reason,
        )
        words = RESOLUTION_WORDS[decision.resolution]
        message = f"Resolved {plural(len(done), 'conflict')} ({words})."
        self._used_marks(which)
        if refused:
            message += f" {len(refused)} refused: {refused[0]}"
        self.notify(message, severity="warning" if refused else "information", timeout=5)

    async def action_export(self) -> None:
        """`e`: the rows in view, as shown (filter, sort, masking), to a CSV file."""
        if not self.lead_app.refuse_unless(Permission.EXPORT):
            return
        table = self.table
        leads = [lead for key in table.visible_keys() if (lead := table.get_lead(key))]
        if not leads:
            self.notify("Nothing to export: no row is in view (esc clears the filter).", timeout=4)
            return
        now = self._clock()
        path = Path.cwd() / export_file_name(now)
        try:
            count = await asyncio.to_thread(write_csv, path, leads, now, mask=table.mask_pii)
        except OSError as exc:
            self.notify(
                f"Could not write {path}: {exc.strerror or exc}. Start leadsync from a"
                " directory you can write to, then press e again.",
                title="Export failed",
                severity="error",
                timeout=8,
            )
            return
        await self.store.record_audit(
            actor=self.actor,
            action="export",
            target=str(path),
            after={"rows": count, "filter": table.filter_text, "masked": table.mask_pii},
        )
        self.notify(f"Exported {plural(count, 'row')} to {path}", title="Export", timeout=6)

    def action_toggle_pause(self) -> None:
        """`p`: freeze the table while reading; changes are kept and shown on resume."""
        self._paused = not self._paused
        if self._paused:
            self._show_pause_note()
            self.notify("Live updates paused (p resumes).", timeout=2)
            return
        held, self._held = self._held, set()
        leads = self.store.state.leads
        with self.app.batch_update():
            self.table.upsert(leads[key] for key in held if key in leads)
        self.query_one("#pause-note", Label).display = False
        self.notify(f"Live updates resumed; {plural(len(held), 'lead')} updated.", timeout=2)

    def _show_load_progress(self, progress: LoadProgress | None) -> None:
        """`Loading leads… 40,000 of 100,000` while the store loads them; gone after."""
        note = self.query_one("#load-note", Label)
        note.display = progress is not None and not progress.done
        if note.display and progress is not None:
            counts = f" {progress.loaded:,} of {progress.total:,}" if progress.total else ""
            note.update(f"Loading leads…{counts}")

    def _show_pause_note(self) -> None:
        note = self.query_one("#pause-note", Label)
        note.update(f"⏸ paused · {plural(len(self._held), 'lead')} changed · p resumes")
        note.display = True

    def action_jump(self) -> None:
        """`g`: go to a lead by its DomIQ conversation id or ResMan prospect id."""
        push_screen(self, JumpModal(partial(lead_by_any_id, self.store.state.leads)), self._jump_to)

    def _jump_to(self, key: str | None) -> None:
        if key is None:
            return
        table = self.table
        if self._paused and key in self._held:
            self.action_toggle_pause()
        if not table.move_cursor_to(key):
            self.action_close_filter()
            table.set_filter("")
            table.move_cursor_to(key)
        table.focus()

    def _used_marks(self, which: str) -> None:
        """A bulk action done on the marked rows clears the marks: they were for it."""
        if which.startswith("the marked rows"):
            self.table.clear_marks()

    def _targets(self) -> tuple[list[str], str]:
        """What a bulk action works on: the marked rows, else the rows the filter shows
        (when a filter is on), else the lead under the cursor; and how to say which."""
        table = self.table
        if table.marked_keys:
            hidden = len(table.marked_keys - set(table.visible_keys()))
            which = "the marked rows"
            if hidden:
                which += f", {plural(hidden, 'of them', 'of them')} hidden by the filter"
            return sorted(table.marked_keys), which
        if table.filter_text or table.row_count < table.total_count:
            return table.visible_keys(), "the rows the filter shows"
        return ([table.cursor_key], "this lead") if table.cursor_key else ([], "no lead")

    # ------------------------------------------------------------ roles and palette

    @property
    def lead_app(self) -> LeadSyncApp:
        return self.app  # type: ignore[return-value]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what the user's role may not do (the footer, the palette)."""
        permission = self.ACTION_PERMISSIONS.get(action)
        return permission is None or self.lead_app.may(permission)

    def on_key(self, event: events.Key) -> None:
        """A hidden action's key still gets an answer: why it is not allowed."""
        if isinstance(self.focused, Input):
            return
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or binding.key != event.key:
                continue
            permission = self.ACTION_PERMISSIONS.get(binding.action)
            if permission is not None and not self.lead_app.refuse_unless(permission):
                event.stop()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Every action of this screen the role allows, for the command palette."""
        for title, action, help_text in self.PALETTE:
            permission = self.ACTION_PERMISSIONS.get(action)
            if permission is not None and not self.lead_app.may(permission):
                continue
            yield SystemCommand(title, help_text, partial(self.run_action, action))

    # ------------------------------------------------------------ user -> store

    @on(RealTimeSyncIndicator.ReconnectRequested)
    async def action_reconnect(self) -> None:
        self._alerts.reconnect_requested = True
        if self.lead_app.watching:  # no engine here: the holder's engine reconnects
            from leadsync_tui.screens.watcher_requests import ask_engine
            from leadsync_tui.store.operator_commands import Reconnect

            work = ask_engine(self, self.store.db, Reconnect(), self.actor, self._clock)
            run_ui_work(self, work, group="reconnect", description="Reconnect")
            return
        await self.store.connect()
        self.notify("Reconnecting the live feed…", timeout=2)

    def action_retry(self) -> None:
        """`r`: send the failed writes of the marked leads (else the filtered ones, else
        the current one) again; more than one lead asks for a confirmation first."""
        if not self.lead_app.refuse_unless(Permission.RETRY):
            return
        keys, which = self._targets()
        if not keys:
            return
        if len(keys) == 1:
            run_ui_work(
                self,
                self._retry(keys, which, BulkDecision("retry")),
                group="retry",
                description="Retry",
            )
            return
        leads = self.store.state.leads
        failed = sum(
            1
            for key in keys
            if (lead := leads.get(key)) and lead.resman_sync_status is SyncStatus.FAILED
        )
        summary = (
            f"Retry the failed writes of {plural(len(keys), 'lead')} ({which})?"
            f" {failed:,} of them show failed now."
        )
        push_screen(self, BulkActionModal("retry", summary), partial(self._retry, keys, which))

    async def _retry(self, keys: list[str], which: str, decision: BulkDecision | None) -> None:
        if decision is None:
            return
        count = await self.store.retry_leads(keys, actor=self.actor)
        self._used_marks(which)
        if len(keys) > 1:
            await self.store.record_audit(
                actor=self.actor,
                action="bulk_retry",
                target=which,
                after={"leads": len(keys), "writes_retried": count},
            )
        if count:
            self.notify(f"Retrying {plural(count, 'failed write')}.", timeout=3)
        else:
            self.notify(nothing_to_retry(self.store, keys), timeout=5)

    def action_next_conflict(self) -> None:
        banner = self.query_one(ConflictNotificationBanner)
        if banner.open_conflicts:
            banner.action_triage()
        else:
            self.notify("No unresolved conflicts.", timeout=3)

    @on(ConflictNotificationBanner.ConflictSelected)
    def show_conflict(self, event: ConflictNotificationBanner.ConflictSelected) -> None:
        """Start a triage round at the selected conflict."""
        self._triaged.clear()
        queue = self._queue()
        if not queue.conflicts:
            return
        if queue.skipped:
            self.notify(skipped_note(queue.skipped), timeout=5)
        self._open_conflict(queue.conflicts[0])

    def _open_conflict(self, conflict: LeadSyncConflict) -> None:
        self.table.move_cursor_to(conflict.conversation_id)
        modal = ConflictResolutionModal(
            conflict,
            lead_name=self._lead_name(conflict.conversation_id),
            submit=partial(self._resolve, conflict.id),
            escalate=partial(self._escalate, conflict.id),
            position=self._position(conflict),
            read_only=not self.lead_app.may(Permission.RESOLVE, conflict.conflict_severity),
            can_escalate=self.lead_app.may(Permission.ESCALATE),
            read_only_note=self.lead_app.conflict_refusal(conflict),
            mask_pii=self._masked,
        )
        self._triage_modal = modal
        push_screen(self, modal, self._after_conflict)

    def _recount_open_conflict(self) -> None:
        """Keep "Conflict 2 of 9" true while conflicts come and go under the dialog."""
        front = self.app.screen
        if isinstance(front, ConflictResolutionModal) and front is self._triage_modal:
            front.set_position(*self._position(front.conflict))

    def _position(self, conflict: LeadSyncConflict) -> tuple[int, int]:
        """(this one, how many) in the round: seen ones, this one, those still waiting."""
        done = len(self._triaged)
        waiting = [c.id for c in self._untriaged() if c.id != conflict.id]
        return done + 1, done + 1 + len(waiting)

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
        message = outcome_message(outcome)
        if message is not None:
            self.notify(message, timeout=3)
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
        """Open conflicts not yet seen in this round, in the order the round opens them."""
        return self._queue().conflicts

    def _queue(self) -> TriageQueue:
        def may_decide(conflict: LeadSyncConflict) -> bool:
            return self.lead_app.may(Permission.RESOLVE, conflict.conflict_severity)

        return triage_queue(self.store.state.open_conflicts, self._triaged, may_decide)

    def _lead_name(self, conversation_id: str) -> str:
        return self._lead_names().get(conversation_id, conversation_id)

    @on(SyncErrorAlert.Closed)
    async def clear_error(self) -> None:
        await self.store.set_error(None)

    @on(LeadsTable.FilterRequested)
    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.table.filter_text
        box.focus()

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
        box = self.query_one("#filter", Input)
        box.display = bool(box.value) or self.table.key_filter is not None
        self.table.focus()

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
        box = self.query_one("#filter", Input)
        from leadsync_tui.screens.metrics_screen import clear_error_group

        clear_error_group(self.table, box)  # an error group's key filter (metrics screen)
        self._summarise()
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
        self.lead_app.show_masking(self.table.mask_pii)
        self.notify(f"PII masking {state}", timeout=2)


def _updated_at(lead: Lead) -> datetime:
    return lead.updated_at


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 lead`, `3 leads` (thousands separated); `plural(2, "is", "are")` -> `2 are`."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
