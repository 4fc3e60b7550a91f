"""`LeadSyncLogViewer`: one lead's sync attempts, newest first, in a small keyed DataTable.

Spec: `LeadSyncLogViewer { conversationId, logs, loading, onRefresh }`. `on_refresh` becomes
the message `LeadSyncLogViewer.RefreshRequested(conversation_id)` (key `r`).

A lead has at most a few hundred attempts, so the built-in `DataTable` is fine here (the
100k-lead table is a Line-API widget; see `docs/perf.md`). New `logs` are applied as a diff
keyed by log id inside `batch_update()`: stale rows removed, changed cells updated, new rows
added, then one sort; the highlighted attempt stays highlighted. Only a change of
`conversation_id` (another lead) clears the table.

Columns: Time (UTC; `HH:MM:SS` today, `MM-DD HH:MM` before), Direction, Type, Status
(glyph + word + colour), Resolution, Error. Resolution comes before Error, against the
spec's order, because errors are long: at 80 columns Resolution would otherwise be scrolled
off. The Error cell is cut short; the line under the table shows the highlighted attempt's
id, exact time and whole (cleaned) error.

`loading` is Textual's `Widget.loading`: the viewer is covered by a static "Loading sync
log…" line (not the animated indicator, so screenshots are stable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, LoadingIndicator, Static

from leadsync_tui.models import (
    AttemptStatus,
    LeadSyncLog,
    Resolution,
    SyncDirection,
    format_utc,
    utc_now,
)
from leadsync_tui.widgets.cell_style import cell_style
from leadsync_tui.widgets.sync_error_alert import clean_text


class AttemptBadge(NamedTuple):
    """How one attempt status is drawn."""

    glyph: str
    word: str


ATTEMPT_BADGES: Mapping[AttemptStatus, AttemptBadge] = MappingProxyType(
    {
        AttemptStatus.SUCCESS: AttemptBadge("✔", "success"),
        AttemptStatus.FAILED: AttemptBadge("✖", "failed"),
        AttemptStatus.CONFLICT: AttemptBadge("▲", "conflict"),
    }
)
"""Glyph and word per attempt status: each reads without its colour."""

DIRECTIONS: Mapping[SyncDirection, str] = MappingProxyType(
    {
        SyncDirection.DOMIQ_TO_RESMAN: "DomIQ → ResMan",
        SyncDirection.RESMAN_TO_DOMIQ: "ResMan → DomIQ",
    }
)

RESOLUTIONS: Mapping[Resolution, str] = MappingProxyType(
    {
        Resolution.RESMAN_WINS: "ResMan wins",
        Resolution.DOMIQ_WINS: "DomIQ wins",
        Resolution.MANUAL_REVIEW: "manual review",
        Resolution.MERGED: "merged",
    }
)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "Time (UTC)"),
    ("direction", "Direction"),
    ("type", "Type"),
    ("status", "Status"),
    ("resolution", "Resolution"),
    ("error", "Error"),
)
"""(key, label) of each column, in display order."""

ERROR_CELL_LENGTH = 40
"""Characters of an error shown in its cell; the detail line shows the rest."""


class _TimeCell:
    """A Time cell that renders as short text but sorts by (created_at, id)."""

    __slots__ = ("sort_key", "text")

    def __init__(self, log: LeadSyncLog, now: datetime) -> None:
        self.sort_key = (log.created_at, log.id)
        same_day = log.created_at.date() == now.date()
        self.text = log.created_at.strftime("%H:%M:%S" if same_day else "%m-%d %H:%M")

    def __rich__(self) -> Text:
        return Text(self.text, end="")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TimeCell) and (self.sort_key, self.text) == (
            other.sort_key,
            other.text,
        )

    def __hash__(self) -> int:
        return hash((self.sort_key, self.text))


class _LoadingMessage(LoadingIndicator):
    """The loading cover: a fixed message instead of animated dots (stable, and it says what)."""

    def on_mount(self) -> None:
        self.auto_refresh = None

    def render(self) -> Content:
        return Content("⟳ Loading sync log…")


class LeadSyncLogViewer(Widget):
    """The sync attempts of one lead, newest first.

    | Key | Action |
    | :- | :- |
    | r | Ask for the log again |
    """

    BINDINGS = [Binding("r", "refresh", "Refresh log")]

    COMPONENT_CLASSES = {
        "sync-log-viewer--status-success",
        "sync-log-viewer--status-failed",
        "sync-log-viewer--status-conflict",
        "sync-log-viewer--muted",
    }
    """
    | Class | Styles |
    | :- | :- |
    | `sync-log-viewer--status-<status>` | The Status cell per attempt status |
    | `sync-log-viewer--muted` | Time and Type cells |
    """

    DEFAULT_CSS = """
    LeadSyncLogViewer {
        height: 1fr;
        & > .sync-log-viewer--status-success { color: $text-success; }
        & > .sync-log-viewer--status-failed { color: $text-error; text-style: bold; }
        & > .sync-log-viewer--status-conflict { color: $text-warning; text-style: bold; }
        & > .sync-log-viewer--muted { color: $text-muted; }
        & > #log-title { height: 1; color: $text-muted; text-style: bold; }
        & > DataTable { height: 1fr; }
        & > #log-empty {
            height: 1fr;
            content-align: center middle;
            color: $text-muted;
        }
        & > #log-detail {
            height: auto;
            max-height: 3;
            padding: 0 1;
            background: $panel;
            color: $text;
        }
    }
    """

    conversation_id: reactive[str] = reactive("", init=False)
    """The lead whose attempts are shown (spec: `conversationId`)."""
    logs: reactive[list[LeadSyncLog]] = reactive(list, init=False)
    """Its sync attempts, in any order (spec: `logs`); shown newest first."""

    class RefreshRequested(Message):
        """The user asked for this lead's log again (spec: `onRefresh`)."""

        def __init__(self, viewer: LeadSyncLogViewer, conversation_id: str) -> None:
            super().__init__()
            self.viewer = viewer
            self.conversation_id = conversation_id
            """The lead whose log to reload."""

        @property
        def control(self) -> LeadSyncLogViewer:
            return self.viewer

    def __init__(
        self,
        conversation_id: str = "",
        logs: Iterable[LeadSyncLog] = (),
        *,
        loading: bool = False,
        clock: Callable[[], datetime] = utc_now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`clock` decides which times are "today" (shown without a date)."""
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self._shown: dict[str, LeadSyncLog] = {}
        self._ready = False
        """Whether the table exists yet (reactives set before mount are applied on mount)."""
        self.set_reactive(LeadSyncLogViewer.conversation_id, conversation_id)
        self.set_reactive(LeadSyncLogViewer.logs, list(logs))
        self.loading = loading

    def compose(self) -> ComposeResult:
        yield Static(id="log-title", markup=False)
        table: DataTable[object] = DataTable(cursor_type="row", id="log-table")
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("No sync attempts yet", id="log-empty", markup=False)
        yield Static(id="log-detail", markup=False)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())
        self._ready = True
        self._apply(self.logs)

    @property
    def table(self) -> DataTable[object]:
        """The table of attempts (read it; the viewer owns its rows)."""
        return self.query_one("#log-table", DataTable)

    @property
    def row_keys(self) -> list[str]:
        """Log ids in display order (newest first)."""
        return [str(row.key.value) for row in self.table.ordered_rows]

    def get_loading_widget(self) -> Widget:
        return _LoadingMessage()

    def watch_conversation_id(self) -> None:
        if not self._ready:
            return
        self.table.clear()
        self._shown.clear()
        self._apply(self.logs)

    def watch_logs(self, logs: list[LeadSyncLog]) -> None:
        self._apply(logs)

    def action_refresh(self) -> None:
        """Ask the app to reload this lead's log (ignored while loading)."""
        if not self.loading:
            self.post_message(self.RefreshRequested(self, self.conversation_id))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted attempt; read the cursor now, as the event may be stale."""
        event.stop()
        key = self._highlighted_key()
        self._show_detail(self._shown.get(key) if key is not None else None)

    # ------------------------------------------------------------------ diffing

    def _apply(self, logs: Iterable[LeadSyncLog]) -> None:
        """Bring the table in line with `logs` by key: remove, update, add, sort once."""
        if not self._ready:
            return
        table = self.table
        wanted = {log.id: log for log in logs}
        highlighted = self._highlighted_key()
        now = self.clock()
        changed = False
        with self.app.batch_update():
            for key in [key for key in self._shown if key not in wanted]:
                table.remove_row(key)
                del self._shown[key]
            for key, log in wanted.items():
                old = self._shown.get(key)
                if old is None:
                    table.add_row(*self._cells(log, now).values(), key=key)
                    changed = True
                elif old != log:
                    self._update_row(key, old, log, now)
                    changed |= old.created_at != log.created_at
                self._shown[key] = log
            if changed:
                table.sort("time", key=lambda cell: cell.sort_key, reverse=True)
            if highlighted in self._shown:
                table.move_cursor(row=table.get_row_index(highlighted), scroll=False)
        self._show_state()

    def _update_row(self, key: str, old: LeadSyncLog, new: LeadSyncLog, now: datetime) -> None:
        before = self._cells(old, now)
        for column, cell in self._cells(new, now).items():
            if cell != before[column]:
                self.table.update_cell(key, column, cell, update_width=True)

    def _cells(self, log: LeadSyncLog, now: datetime) -> dict[str, object]:
        badge = ATTEMPT_BADGES[log.sync_status]
        status_style = self._style(f"status-{log.sync_status.value}")
        muted = self._style("muted")
        return {
            "time": _TimeCell(log, now),
            "direction": Text(DIRECTIONS[log.sync_direction], end=""),
            "type": Text(log.sync_type.value, style=muted, end=""),
            "status": Text(f"{badge.glyph} {badge.word}", style=status_style, end=""),
            "resolution": Text(
                RESOLUTIONS[log.conflict_resolution] if log.conflict_resolution else "", end=""
            ),
            "error": Text(clean_text(log.error_message or "", ERROR_CELL_LENGTH), end=""),
        }

    def _restyle(self) -> None:
        """The theme changed: the Status and Type cells carry resolved colours."""
        now = self.clock()
        with self.app.batch_update():
            for key, log in self._shown.items():
                cells = self._cells(log, now)
                self.table.update_cell(key, "status", cells["status"])
                self.table.update_cell(key, "type", cells["type"])

    # ------------------------------------------------------------------ states

    def _highlighted_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value

    def _show_state(self) -> None:
        count = len(self._shown)
        empty = count == 0
        self.table.display = not empty
        self.query_one("#log-empty").display = empty
        attempts = "1 attempt" if count == 1 else f"{count} attempts"
        title = f"Sync log · {self.conversation_id or 'no lead'} · {attempts}"
        self.query_one("#log-title", Static).update(clean_text(title, 200))
        key = self._highlighted_key()
        self._show_detail(self._shown.get(key) if key is not None else None)

    def _show_detail(self, log: LeadSyncLog | None) -> None:
        detail = self.query_one("#log-detail", Static)
        detail.display = log is not None
        if log is None:
            return
        text = f"{log.id} · {format_utc(log.created_at)}"
        if log.error_message:
            text += f" · {clean_text(log.error_message)}"
        detail.update(Content(text))

    def _style(self, component: str) -> Style:
        return cell_style(self, f"sync-log-viewer--{component}")
