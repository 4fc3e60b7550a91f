"""`LeadDetailScreen`: one lead in both systems, field by field, and what happened to it.

Top to bottom: the lead (name, ids, qualification, sync status badge); what the ResMan
column holds (read now, being read, not in ResMan yet, unreadable, not connected); the
synced fields side by side (DomIQ | ResMan | last agreed), a differing row marked `≠`
(`▲` when a conflict holds the field) and coloured, a side that moved since the last
agreed value marked `•`; the lead's sync log (`LeadSyncLogViewer`) and its audit trail.

DomIQ's side is the store's lead, shown at once; ResMan's is read in a worker through
`lead_compare` (`app.desk`), so the screen never blocks on the network. Without a desk
(a fixture store) the screen says "not connected" and shows what the store holds. It
follows the store: a change to this lead, its conflicts or its log redraws it (and reads
ResMan again, quietly: the values stay on screen meanwhile).

Keys: `r` retry the lead's failed writes, `c` its open conflicts in the conflict dialog,
`o` its conversation, `f5` read everything again, `escape` back. `r` is a priority
binding: the sync log's own `r` (refresh) would otherwise take it when the log has focus.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Header, Static

from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import (
    Qualification,
    SyncStatus,
)
from leadsync_tui.roles import Permission
from leadsync_tui.screens.audit_lines import audit_line
from leadsync_tui.screens.chat_lines import display_name
from leadsync_tui.screens.comparison_table import (
    DIFFERS,
    FIXED_WIDTH,
    LEGEND,
    VALUE_WIDTH_MAX,
    VALUE_WIDTH_MIN,
    ComparisonTable,
    ResmanState,
)
from leadsync_tui.screens.conversation import ConversationScreen
from leadsync_tui.screens.lead_screen import LeadScreen
from leadsync_tui.screens.triage import ConflictTriage
from leadsync_tui.store.changes import ConflictsChanged, LeadsChanged, LogsChanged
from leadsync_tui.store.retry_note import nothing_to_retry
from leadsync_tui.sync.lead_compare import (
    LeadComparison,
    ResmanSide,
    ResmanUnavailable,
    UnknownLead,
    local_comparison,
    read_resman,
    store_comparison,
)
from leadsync_tui.ui_work import push_screen, ui_work
from leadsync_tui.widgets.key_footer import KeyFooter
from leadsync_tui.widgets.lead_sync_status import LeadSyncStatus
from leadsync_tui.widgets.leads_columns import property_detail
from leadsync_tui.widgets.sync_error_alert import clean_text
from leadsync_tui.widgets.sync_log_viewer import LeadSyncLogViewer

__all__ = ["ComparisonTable", "LeadDetailScreen", "audit_line"]
"""The screen, and the parts its tests import from here (`comparison_table`,
`audit_lines` are their homes)."""

AUDIT_SHOWN = 50
"""The most recent audit entries listed (the lead's whole trail is in `leadsync audit`)."""


class LeadDetailScreen(LeadScreen):
    """One lead: both systems' values side by side, its sync log and audit trail."""

    CSS_PATH = "lead_detail.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry", priority=True),
        Binding("c", "view_conflict", "Conflict"),
        Binding("o", "open_conversation", "Conversation"),
        Binding("f5", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, conversation_id: str, *, mask_pii: bool | None = None) -> None:
        """`mask_pii` masks names, emails and phones (default: the app's `--mask-pii`)."""
        super().__init__(conversation_id, mask_pii=mask_pii)
        self.resman_state: ResmanState = "loading"
        """Where the ResMan column stands."""
        self.comparison: LeadComparison | None = None
        """What is shown (None only when the lead is not known)."""
        self.error: str | None = None
        """Why ResMan (or the lead) could not be read, while `resman_state` is `error`."""
        self._triage = ConflictTriage(
            self,
            lambda: self.store.open_conflicts_for(self.conversation_id),
            lead_name=self._lead_name,
            masked=lambda: self.masked,
            yours_first=False,
        )
        self._composed = False
        """The widgets exist (a resize may come before the mount)."""

    # ------------------------------------------------------------ the session

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        session = self.session
        lead = self.store.state.leads.get(self.conversation_id)
        yield Header()
        with VerticalScroll(id="body"):
            with Horizontal(id="lead-title"):
                yield Static(id="lead-name", markup=False)
                yield LeadSyncStatus(
                    lead.resman_sync_status if lead else SyncStatus.NOT_SYNCED,
                    lead.last_sync_at if lead else None,
                    conversation_id=self.conversation_id,
                    clock=session.clock,
                    age_refresh=1.0 if session.live_timers else None,
                )
            yield Static(id="lead-ids", markup=False)
            yield Static(id="resman-state", markup=False)
            yield ComparisonTable(cursor_type="row", zebra_stripes=False, id="fields")
            yield Static(id="field-detail", markup=False)
            yield Static(LEGEND, id="legend", markup=False)
            with Horizontal(id="history"):
                yield LeadSyncLogViewer(
                    self.conversation_id,
                    loading=True,
                    clock=session.clock,
                    id="sync-log",
                )
                with Vertical(id="audit"):
                    yield Static(id="audit-title", markup=False)
                    yield Static(id="audit-body", markup=False)
        yield KeyFooter()

    @property
    def table(self) -> ComparisonTable:
        return self.query_one(ComparisonTable)

    def on_mount(self) -> None:
        self._composed = True
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw_table())
        self.table.focus()
        try:
            self.comparison = store_comparison(self.store, self.conversation_id)
        except UnknownLead as exc:
            self.error = str(exc)
            self._settle("error")
        else:
            self._settle("loading" if self.desk is not None else "offline")
            self._read()
        self._load_logs()

    def on_resize(self) -> None:
        self._draw_table()

    # ------------------------------------------------------------ reading

    @ui_work(exclusive=True, group="lead-detail-compare", description="Reading ResMan")
    async def _read(self, *, quiet: bool = False) -> None:
        """Read the local side (database), then ResMan's; `quiet` keeps the values and
        the state line on screen while reading (live updates)."""
        desk = self.desk
        if not quiet and desk is not None:
            self._settle("loading")
        try:
            local = await local_comparison(
                self.store, self.conversation_id, stored=desk is not None
            )
        except UnknownLead as exc:
            self.error = str(exc)
            self._settle("error")
            return
        shown = self.comparison
        if quiet and shown is not None and shown.resman_side is not ResmanSide.NOT_READ:
            local = local.with_prospect(shown.resman_side, shown.prospect)
        self.comparison = local
        if desk is None:
            self._settle("offline")
            return
        self._show()  # DomIQ's side and the last agreed values while ResMan is read
        try:
            self.comparison = await read_resman(desk, local)
        except ResmanUnavailable as exc:
            self.error = exc.message
            self.comparison = local.with_prospect(ResmanSide.NOT_READ, None)
            self._settle("error")
            return
        self.error = None
        self._settle("ready")

    def _settle(self, state: ResmanState) -> None:
        self.resman_state = state
        self._show()

    @ui_work(exclusive=True, group="lead-detail-logs", description="Loading the sync log")
    async def _load_logs(self) -> None:
        viewer = self.query_one(LeadSyncLogViewer)
        viewer.loading = True
        await self.store.fetch_logs(self.conversation_id)
        viewer.logs = list(self.store.state.sync_logs.get(self.conversation_id, []))
        viewer.loading = False

    def on_store_changed(self, message: StoreChanged) -> None:
        """Redraw when this lead, one of its conflicts or its log changed."""
        cid = self.conversation_id
        touched = False
        for change in message.changes:
            match change:
                case LeadsChanged(keys=keys) if cid in keys:
                    touched = True
                case ConflictsChanged(ids=ids):
                    touched |= any(self._is_ours(conflict_id) for conflict_id in ids)
                case LogsChanged(conversation_ids=ids) if cid in ids:
                    viewer = self.query_one(LeadSyncLogViewer)
                    viewer.logs = list(self.store.state.sync_logs.get(cid, []))
                case _:
                    pass
        if touched and cid in self.store.state.leads:
            self._read(quiet=self.comparison is not None)

    def _is_ours(self, conflict_id: str) -> bool:
        conflict = self.store.conflict(conflict_id)
        return conflict is not None and conflict.conversation_id == self.conversation_id

    # ------------------------------------------------------------ drawing

    def _show(self) -> None:
        """Draw everything from `comparison`, `resman_state` and `error`."""
        if not self._composed:
            return
        with self.app.batch_update():
            self._draw_head()
            self._draw_state()
            self._draw_table()
            self._draw_audit()

    def _draw_head(self) -> None:
        comparison = self.comparison
        lead = comparison.lead if comparison else self.store.state.leads.get(self.conversation_id)
        name = self.query_one("#lead-name", Static)
        ids = self.query_one("#lead-ids", Static)
        badge = self.query_one(LeadSyncStatus)
        badge.display = lead is not None
        if lead is None:
            name.update(Content(f"Lead {self.conversation_id}"))
            ids.update("")
            return
        shown = display_name(lead, masked=self.masked)
        name.update(Content(clean_text(shown, 80) or "(no name)"))
        badge.resman_sync_status = lead.resman_sync_status
        badge.last_sync_at = lead.last_sync_at
        prospect = comparison.prospect_id if comparison else lead.resman_prospect_id
        parts = [
            lead.conversation_id,
            f"ResMan {prospect}" if prospect else "no ResMan prospect",
            property_detail(lead.property_id, self.session.property_names),
            _qualification(lead.qualification),
        ]
        ids.update(Content(clean_text(" · ".join(parts), 300)))

    def _draw_state(self) -> None:
        line = self.query_one("#resman-state", Static)
        text, kind = self._state_text()
        line.update(Content(text))
        line.set_classes(f"-{kind}")

    def _state_text(self) -> tuple[str, str]:
        """The state line and its class (`ok`, `loading`, `error`, `note`)."""
        state, comparison = self.resman_state, self.comparison
        if state == "error":
            reason = clean_text(self.error or "ResMan could not be read")
            return f"✖ {reason} · f5 tries again", "error"
        if state == "offline":
            return (
                "Not connected: this session has no DomIQ or ResMan connection; "
                "DomIQ's side is the store's copy.",
                "note",
            )
        if state == "loading" or comparison is None:
            return "⟳ Reading the prospect from ResMan…", "loading"
        match comparison.resman_side:
            case ResmanSide.NOT_LINKED:
                when = (
                    "at its next sync"
                    if comparison.lead.qualification is Qualification.QUALIFIED
                    else "once it is qualified"
                )
                return f"Not in ResMan yet: the lead gets a prospect {when}.", "note"
            case ResmanSide.MISSING:
                return (
                    f"✖ ResMan has no prospect {comparison.prospect_id}: deleted or merged "
                    "there? f5 reads it again.",
                    "error",
                )
            case _:
                count = len(comparison.differing)
                if not count:
                    return "✔ Both systems agree on every synced field.", "ok"
                fields = "field differs" if count == 1 else "fields differ"
                return f"{DIFFERS} {count} {fields} between DomIQ and ResMan.", "differs"

    def _draw_table(self) -> None:
        if not self._composed:
            return
        width = max(VALUE_WIDTH_MIN, min(VALUE_WIDTH_MAX, (self.size.width - FIXED_WIDTH) // 3))
        self.table.show(self.comparison, self.resman_state, width=width, masked=self.masked)
        self._draw_detail()

    def _draw_detail(self) -> None:
        """The highlighted row in full, when a cell had to cut it."""
        detail = self.query_one("#field-detail", Static)
        text = self.table.detail()
        detail.display = text is not None
        if text is not None:
            detail.update(Content(text))

    @on(DataTable.RowHighlighted, "#fields")
    def _row_highlighted(self) -> None:
        self._draw_detail()

    def _draw_audit(self) -> None:
        title = self.query_one("#audit-title", Static)
        body = self.query_one("#audit-body", Static)
        if self.desk is None:
            title.update("Audit")
            body.update(Content("Not connected: the audit trail is in the sync database."))
            return
        entries = self.comparison.audit if self.comparison else ()
        count = len(entries)
        title.update(Content(f"Audit · {count} entr{'y' if count == 1 else 'ies'}"))
        if not entries:
            body.update(Content("Nobody has acted on this lead yet."))
            return
        latest = list(entries)[-AUDIT_SHOWN:]
        body.update(Content("\n".join(audit_line(entry) for entry in reversed(latest))))

    # ------------------------------------------------------------ actions

    async def action_retry(self) -> None:
        """`r`: send this lead's failed writes again (audited by the store)."""
        session = self.session
        if not session.refuse_unless(Permission.RETRY):
            return
        count = await self.store.retry_leads([self.conversation_id], actor=session.actor)
        if count:
            self.notify(f"Retrying {count} failed write{'s' if count > 1 else ''}.", timeout=3)
        else:
            self.notify(nothing_to_retry(self.store, [self.conversation_id]), timeout=5)

    @on(LeadSyncStatus.RetryRequested)
    async def _badge_retry(self) -> None:
        await self.action_retry()

    @on(LeadSyncStatus.ViewLogRequested)
    def _badge_log(self) -> None:
        self.query_one(LeadSyncLogViewer).table.focus()

    def action_refresh(self) -> None:
        """`f5`: read the lead, ResMan's side and the sync log again."""
        self._read()
        self._load_logs()

    @on(LeadSyncLogViewer.RefreshRequested)
    def _log_refresh(self) -> None:
        self._load_logs()

    def action_back(self) -> None:
        self.dismiss()

    def action_open_conversation(self) -> None:
        """`o`: the lead's DomIQ conversation (transcript; qualify)."""
        push_screen(self, ConversationScreen(self.conversation_id, mask_pii=self.masked))

    def action_view_conflict(self) -> None:
        """`c`: the lead's open conflicts, one after the other, in the conflict dialog."""
        self._triage.begin(none_note="No open conflict on this lead.")

    def _lead_name(self, conversation_id: str) -> str:
        lead = self.store.state.leads.get(conversation_id)
        return conversation_id if lead is None else display_name(lead, masked=self.masked)


# --------------------------------------------------------------------------- helpers


def _qualification(qualification: Qualification) -> str:
    return {
        Qualification.NEW: "new (not qualified)",
        Qualification.QUALIFIED: "qualified",
        Qualification.DISQUALIFIED: "disqualified",
    }[qualification]
