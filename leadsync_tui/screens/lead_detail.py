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

from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Header, Static

from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import (
    ConflictResolution,
    LeadSyncConflict,
    Qualification,
    SyncStatus,
    format_utc,
)
from leadsync_tui.roles import Permission
from leadsync_tui.screens.conflict_modal import (
    ConflictOutcome,
    ConflictResolutionModal,
    format_value,
    outcome_message,
    words,
)
from leadsync_tui.screens.conversation import ConversationScreen, display_name
from leadsync_tui.screens.lead_screen import LeadScreen
from leadsync_tui.store.changes import ConflictsChanged, LeadsChanged, LogsChanged
from leadsync_tui.store.records import AuditEntry
from leadsync_tui.store.retry_note import nothing_to_retry
from leadsync_tui.sync.lead_compare import (
    FieldComparison,
    LeadComparison,
    ResmanSide,
    ResmanUnavailable,
    UnknownLead,
    local_comparison,
    read_resman,
    store_comparison,
)
from leadsync_tui.sync.mapping import InvalidValue
from leadsync_tui.ui_work import push_screen, ui_work
from leadsync_tui.widgets.cell_style import cell_style
from leadsync_tui.widgets.conflict_banner import triage_order
from leadsync_tui.widgets.key_footer import KeyFooter
from leadsync_tui.widgets.lead_sync_status import LeadSyncStatus
from leadsync_tui.widgets.leads_columns import property_detail
from leadsync_tui.widgets.sync_error_alert import clean_text
from leadsync_tui.widgets.sync_log_viewer import LeadSyncLogViewer

FIELD_LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "phone": "phone",
    "desired_move_in": "move-in",
    "desired_bedrooms": "bedrooms",
    "desired_bathrooms": "bathrooms",
    "max_rent": "max rent",
    "pets": "pets",
    "notes": "notes",
    "qualification": "status",
}
"""Short labels (the table must fit 80 columns); `qualification` is active/lost."""
assert set(FIELD_LABELS) == set(SYNCED_FIELDS)
FIELD_WIDTH = max(len(label) for label in FIELD_LABELS.values())
"""The label column's width, fixed: an auto width measured before the rows landed came
out narrower on some renders."""

DIFFERS, CONFLICT, MOVED = "≠", "▲", " •"
"""Row marks, and the suffix of a value that moved since the last agreed one."""
LEGEND = (
    f"{DIFFERS} DomIQ and ResMan differ · {CONFLICT} open conflict (c) · "
    f"{MOVED.strip()} changed since last agreed"
)
NONE_YET = "none yet"
"""The last agreed column for a field both sides never agreed on."""
VALUE_WIDTH_MIN, VALUE_WIDTH_MAX = 8, 40
FIXED_WIDTH = 24
"""Mark, label, the cells' padding and the scrollbar: what the three value columns share
the rest of the width after."""
AUDIT_SHOWN = 50
"""The most recent audit entries listed (the lead's whole trail is in `leadsync audit`)."""
_STATUS_KEYS = ("qualification", "resman_sync_status", "resolution_status")
"""Audit before/after keys worth a line: states, never personal values."""

ResmanState = Literal["loading", "ready", "error", "offline"]
"""Where the ResMan column stands; `offline`: the session has no desk."""


class ComparisonTable(DataTable[object]):
    """The synced fields side by side; its component classes colour the marks."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "comparison--differs",
        "comparison--conflict",
        "comparison--muted",
    }


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
        self._truncated: set[str] = set()
        self._triaged: set[str] = set()
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
                self.store, desk.db if desk else None, self.conversation_id
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
        table = self.table
        width = max(VALUE_WIDTH_MIN, min(VALUE_WIDTH_MAX, (self.size.width - FIXED_WIDTH) // 3))
        row = table.cursor_row
        with self.app.batch_update():
            table.clear(columns=True)
            table.add_column(" ", key="mark", width=1)
            table.add_column("Field", key="field", width=FIELD_WIDTH)
            for key, label in (("domiq", "DomIQ"), ("resman", "ResMan"), ("agreed", "Last agreed")):
                table.add_column(label, key=key, width=width)
            self._truncated.clear()
            if self.comparison is not None:
                for index, compared in enumerate(self.comparison.fields):
                    table.add_row(*self._cells(compared, index, width), key=compared.field)
                table.move_cursor(row=min(row, table.row_count - 1), scroll=False)
        self._draw_detail()

    def _cells(self, row: FieldComparison, index: int, width: int) -> list[Text]:
        assert self.comparison is not None
        conflicted = row.field in {c.field for c in self.comparison.conflicts}
        mark, style = " ", Style()
        if conflicted:
            mark, style = CONFLICT, self._style("conflict")
        elif row.differs:
            mark, style = DIFFERS, self._style("differs")
        muted = self._style("muted")
        values = [
            self._value(row.field, row.domiq, row.domiq_moved, width),
            self._resman_cell(row, index, width),
            self._agreed_cell(row, index, width),
        ]
        return [
            Text(mark, style=style, end=""),
            Text(FIELD_LABELS[row.field], style=style, end=""),
            *(Text(text, style=muted if faint else Style(), end="") for text, faint in values),
        ]

    def _resman_cell(self, row: FieldComparison, index: int, width: int) -> tuple[str, bool]:
        assert self.comparison is not None
        side = self.comparison.resman_side
        if side is ResmanSide.FOUND:
            return self._value(row.field, row.resman, row.resman_moved, width)
        placeholder = {
            "loading": "⟳ reading…",
            "error": "✖ unavailable",
            "offline": "not connected",
        }.get(self.resman_state, "")
        if side is ResmanSide.NOT_LINKED:
            placeholder = "not in ResMan yet"
        elif side is ResmanSide.MISSING:
            placeholder = "✖ not found"
        return (placeholder if index == 0 else "", True)

    def _agreed_cell(self, row: FieldComparison, index: int, width: int) -> tuple[str, bool]:
        assert self.comparison is not None
        if self.comparison.link is None:
            unknown = "not connected" if self.resman_state == "offline" else "never synced"
            return (unknown if index == 0 else "", True)
        if not row.has_agreed:
            return NONE_YET, True
        return self._value(row.field, row.agreed, False, width)

    def _value(self, field: str, value: Any, moved: bool, width: int) -> tuple[str, bool]:
        """A value as shown in a cell of `width` (see `_full`), cut with "…" to fit."""
        full = self._full(field, value)
        suffix = MOVED if moved else ""
        if len(full) + len(suffix) > width:
            self._truncated.add(field)
            full = clean_text(full, width - len(suffix))
        return full + suffix, False

    def _draw_detail(self) -> None:
        """The highlighted row in full, when a cell had to cut it."""
        detail = self.query_one("#field-detail", Static)
        row = self._highlighted()
        detail.display = row is not None and row.field in self._truncated
        if row is None or not detail.display:
            return
        parts = [f"{FIELD_LABELS[row.field]}: DomIQ {self._full(row.field, row.domiq)}"]
        if self.comparison and self.comparison.resman_side is ResmanSide.FOUND:
            parts.append(f"ResMan {self._full(row.field, row.resman)}")
        if row.has_agreed:
            parts.append(f"last agreed {self._full(row.field, row.agreed)}")
        detail.update(Content(" · ".join(parts)))

    def _full(self, field: str, value: Any) -> str:
        """A value formatted (and masked) as a manager reads it; `⚠` marks one that
        cannot be carried to the other side as it is."""
        if isinstance(value, InvalidValue):
            return f"⚠ {format_value(field, value.raw, mask=self.masked)}"
        return format_value(field, value, mask=self.masked)

    def _highlighted(self) -> FieldComparison | None:
        if self.comparison is None or not self.table.row_count:
            return None
        index = self.table.cursor_row
        fields = self.comparison.fields
        return fields[index] if 0 <= index < len(fields) else None

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

    def _style(self, component: str) -> Style:
        return cell_style(self.table, f"comparison--{component}")

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
        self._triaged.clear()
        following = self._untriaged()
        if not following:
            self.notify("No open conflict on this lead.", timeout=3)
            return
        self._open_conflict(following[0])

    def _untriaged(self) -> list[LeadSyncConflict]:
        waiting = self.store.open_conflicts_for(self.conversation_id)
        return sorted((c for c in waiting if c.id not in self._triaged), key=triage_order)

    def _open_conflict(self, conflict: LeadSyncConflict) -> None:
        done, waiting = len(self._triaged), len(self._untriaged())
        session = self.session
        lead = self.store.state.leads.get(self.conversation_id)
        name = self.conversation_id
        if lead is not None:
            name = display_name(lead, masked=self.masked)
        modal = ConflictResolutionModal(
            conflict,
            lead_name=name,
            submit=partial(self._resolve, conflict.id),
            escalate=partial(self._escalate, conflict.id),
            position=(done + 1, done + max(waiting, 1)),
            read_only=not session.may(Permission.RESOLVE, conflict.conflict_severity),
            can_escalate=session.may(Permission.ESCALATE),
            read_only_note=self.session.conflict_refusal(conflict),
            mask_pii=self.masked,
        )
        push_screen(self, modal, self._after_conflict)

    async def _resolve(self, conflict_id: str, resolution: ConflictResolution) -> None:
        await self.store.resolve_conflict(conflict_id, resolution, self.session.actor)

    async def _escalate(self, conflict_id: str, reason: str) -> None:
        await self.store.escalate_conflict(conflict_id, self.session.actor, reason)

    def _after_conflict(self, outcome: ConflictOutcome | None) -> None:
        if outcome is None:
            return
        self._triaged.add(outcome.conflict_id)
        message = outcome_message(outcome)
        if message is not None:
            self.notify(message, timeout=3)
        following = self._untriaged()
        if following:
            self._open_conflict(following[0])


# --------------------------------------------------------------------------- helpers


def _qualification(qualification: Qualification) -> str:
    return {
        Qualification.NEW: "new (not qualified)",
        Qualification.QUALIFIED: "qualified",
        Qualification.DISQUALIFIED: "disqualified",
    }[qualification]


def audit_line(entry: AuditEntry) -> str:
    """One audit entry in a line: when (UTC), who, what, the state it moved, and why."""
    line = f"{format_utc(entry.at)[5:16].replace('T', ' ')} {clean_text(entry.actor, 40)} "
    line += words(entry.action)
    field = (entry.before or {}).get("field")
    if isinstance(field, str) and field in FIELD_LABELS:
        line += f" ({FIELD_LABELS[field]})"
    moves = list(_moves(entry.before or {}, entry.after or {}))
    if moves:
        line += ": " + "; ".join(moves)
    if entry.reason:
        line += f" · “{clean_text(entry.reason, 200)}”"
    return line


def _moves(before: dict[str, Any], after: dict[str, Any]) -> Iterable[str]:
    for key in _STATUS_KEYS:
        if key in after and before.get(key) != after[key]:
            old = before.get(key)
            yield f"{words(str(old)) if old is not None else '—'} → {words(str(after[key]))}"
    resolution = after.get("resolution")
    if isinstance(resolution, dict) and isinstance(resolution.get("resolution"), str):
        yield words(resolution["resolution"])
