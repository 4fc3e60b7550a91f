"""`LeadsTable`: the live leads table, a virtual table on Textual's Line API.

The widget people use: its keys, its look (component classes, default CSS), the messages
it posts, and filtering and sorting. The virtual view underneath (data, cursor, marks,
drawing only the lines on screen, keeping in step with changes) is `LeadsView`; one line
is drawn by `lead_rows`.

Columns collapse at narrow widths (see `leads_columns`); the header line stays put while
the rows scroll under it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer

from leadsync_tui.models import Lead, utc_now
from leadsync_tui.widgets.leads_columns import COLUMN_KEYS
from leadsync_tui.widgets.leads_view import LeadsView


class LeadsTable(LeadsView, can_focus=True):
    """Leads with their sync status; filter, sort, mark, and open one.

    | Key | Action |
    | :- | :- |
    | up / down | Move the cursor |
    | pageup / pagedown | Move the cursor a page |
    | home / end | First / last row |
    | enter | Open the lead (`LeadSelected`) |
    | space | Mark / unmark the row |
    | s | Sort by the next column (ascending) |
    | S | Reverse the sort direction |
    | / | Ask for the filter box (`FilterRequested`) |

    Clicking a row moves the cursor to it (a double click opens it); clicking a header
    sorts by that column, and again reverses it.

    Feed it from the app's thread (a store subscriber, inside `app.batch_update()`);
    workers reach it through messages. One `upsert` call runs to the end, so a feeder
    loading 100k rows keeps the loop responsive by passing them in chunks.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home", "cursor_home", "First", show=False),
        Binding("end", "cursor_end", "Last", show=False),
        Binding("enter", "select", "Open"),
        Binding("space", "toggle_mark", "Mark"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("S", "cycle_sort_reverse", "Reverse"),
        Binding("slash", "request_filter", "Filter"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "leads-table--header",
        "leads-table--cursor",
        "leads-table--marked",
        "leads-table--even-row",
        "leads-table--muted",
        "leads-table--status-not-synced",
        "leads-table--status-syncing",
        "leads-table--status-synced",
        "leads-table--status-failed",
        "leads-table--status-conflict",
    }
    """
    | Class | Styles |
    | :- | :- |
    | `leads-table--header` | The fixed header line |
    | `leads-table--cursor` | The row under the cursor |
    | `leads-table--marked` | Marked rows |
    | `leads-table--even-row` | Every other row, with `zebra_stripes` |
    | `leads-table--muted` | Ages and the empty-table message |
    | `leads-table--status-<status>` | The Status cell's colour per status |

    Status colours use the theme's text variants (`$text-success`, `$text-warning`,
    `$text-error`, `$text-primary`, `$text-muted`): they stay readable on light themes,
    and "syncing" takes the primary (blue) colour because the built-in themes give
    `$accent` the same orange as `$warning`.
    """

    DEFAULT_CSS = """
    LeadsTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        height: 1fr;
        & > .leads-table--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .leads-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .leads-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .leads-table--marked {
            background: $primary 30%;
        }
        & > .leads-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .leads-table--muted { color: $text-muted; }
        & > .leads-table--status-not-synced { color: $text-muted; }
        & > .leads-table--status-syncing { color: $text-primary; }
        & > .leads-table--status-synced { color: $text-success; }
        & > .leads-table--status-failed { color: $text-error; text-style: bold; }
        & > .leads-table--status-conflict { color: $text-warning; text-style: bold; }
    }
    """

    # ------------------------------------------------------------------ messages

    class _TableMessage(Message):
        """Base: carries the table, so `@on(..., "#leads")` selectors work."""

        def __init__(self, table: LeadsTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> LeadsTable:
            return self.table

    class LeadSelected(_TableMessage):
        """Enter (or a double click) on a row: open this lead."""

        def __init__(self, table: LeadsTable, key: str) -> None:
            super().__init__(table)
            self.key = key
            """The lead's `conversation_id`."""

    class CursorMoved(_TableMessage):
        """The cursor is on another lead (None: the view is empty)."""

        def __init__(self, table: LeadsTable, key: str | None) -> None:
            super().__init__(table)
            self.key = key

    class MarksChanged(_TableMessage):
        """Rows were marked or unmarked."""

        def __init__(self, table: LeadsTable, keys: frozenset[str]) -> None:
            super().__init__(table)
            self.keys = keys
            """Every marked key now."""

    class FilterRequested(_TableMessage):
        """`/` was pressed: the screen should open its filter box and call `set_filter`."""

    # ------------------------------------------------------------------ setup

    def __init__(
        self,
        leads: Iterable[Lead] = (),
        *,
        clock: Callable[[], datetime] = utc_now,
        mask_pii: bool = False,
        zebra_stripes: bool = False,
        age_refresh: float | None = 1.0,
        property_names: Mapping[str, str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """`clock` gives "now" for the Last sync ages, redrawn every `age_refresh` seconds;
        `property_names` (DomIQ id -> name) are shown in the Property column."""
        super().__init__(
            leads,
            clock=clock,
            mask_pii=mask_pii,
            zebra_stripes=zebra_stripes,
            property_names=property_names,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )
        self._age_refresh = age_refresh
        self._age_timer: Timer | None = None

    def on_mount(self) -> None:
        self._sync()
        if self._age_refresh:
            self._age_timer = self.set_interval(self._age_refresh, self._refresh_ages)

    def _cursor_moved(self, key: str | None) -> None:
        self.post_message(self.CursorMoved(self, key))

    # ------------------------------------------------------------------ data and marks

    def remove_leads(self, keys: Iterable[str]) -> None:
        """Drop leads by `conversation_id`; unknown keys are ignored.

        (Not `remove`: that name is `Widget.remove`, which takes the widget off the screen.)
        """
        removed = self._index.remove(keys)
        if not removed:
            return
        if self._marks.intersection(removed):
            self._marks.difference_update(removed)
            self.post_message(self.MarksChanged(self, frozenset(self._marks)))
        self._schedule_sync()

    @property
    def marked_keys(self) -> frozenset[str]:
        """Every marked lead (marks survive filtering and sorting)."""
        return frozenset(self._marks)

    def toggle_mark(self, key: str | None = None) -> None:
        """Mark or unmark `key` (default: the row under the cursor)."""
        key = key if key is not None else self.cursor_key
        if key is None or key not in self._index:
            return
        self._marks.symmetric_difference_update((key,))
        self._refresh_key(key)
        self.post_message(self.MarksChanged(self, frozenset(self._marks)))

    def clear_marks(self) -> None:
        if not self._marks:
            return
        marked, self._marks = self._marks, set()
        for key in marked:
            self._refresh_key(key)
        self.post_message(self.MarksChanged(self, frozenset()))

    # ------------------------------------------------------------------ filter and sort

    @property
    def filter_ready(self) -> bool:
        """Whether every row's filter text is built, so a filter costs only its scan.

        New rows get theirs in the background, a chunk at a time between frames; a filter
        set before that finishes the rest first (correct, just slower once).
        """
        return self._index.indexed

    @property
    def filter_text(self) -> str:
        """The filter in force (case-folded), "" for none."""
        return self._index.filter_text

    def set_filter(self, text: str) -> None:
        """Show only rows whose text contains `text`, ignoring case, in any column."""
        self._sync()
        if self._index.set_filter(text):
            self._after_reorder(lost_cursor_to=0)

    def filter_to_keys(self, keys: Collection[str], label: str) -> None:
        """Show only these leads (and, within them, the text filter's matches) until
        `clear_key_filter`; `label` says why (e.g. "errors: rate limited (429)").

        One pass over `keys` in the index, not per frame; leads of `keys` that arrive
        later show up too.
        """
        self._sync()
        self._key_filter_label = label
        if self._index.set_key_filter(keys):
            self._after_reorder(lost_cursor_to=0)
        else:
            self.refresh()

    def clear_key_filter(self) -> None:
        """Show every lead again (the text filter stays)."""
        if self._key_filter_label is None and self._index.key_filter is None:
            return
        self._sync()
        self._key_filter_label = None
        if self._index.set_key_filter(None):
            self._after_reorder()

    @property
    def key_filter_label(self) -> str | None:
        """Why only some leads are shown (`filter_to_keys`), None with no key filter."""
        return self._key_filter_label

    @property
    def key_filter(self) -> frozenset[str] | None:
        """The leads a key filter lets through, None with no key filter."""
        return self._index.key_filter

    @property
    def sort_column(self) -> str | None:
        """The column key sorted on, None for arrival order."""
        return self._index.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._index.reverse

    def sort_by(self, column_key: str | None, reverse: bool = False) -> None:
        """Sort by a column key (`leads_columns.COLUMN_KEYS`), or arrival order for None."""
        self._sync()
        self._index.sort_by(column_key, reverse)
        self._after_reorder()

    def cycle_sort(self) -> None:
        """Sort ascending by the next column on screen (`s`)."""
        shown = [slot.column.key for slot in self._layout()]
        current = self.sort_column
        index = shown.index(current) + 1 if current in shown else 0
        self.sort_by(shown[index % len(shown)] if shown else COLUMN_KEYS[0])

    def cycle_sort_reverse(self) -> None:
        """Flip the sort direction (`S`); with no sort yet, sort the first column descending."""
        layout = self._layout()
        column = self.sort_column or (layout[0].column.key if layout else COLUMN_KEYS[0])
        self.sort_by(column, reverse=not self.sort_reverse if self.sort_column else True)

    # ------------------------------------------------------------------ actions

    def action_cursor_up(self) -> None:
        self._move_cursor_by(-1)

    def action_cursor_down(self) -> None:
        self._move_cursor_by(1)

    def action_cursor_page_up(self) -> None:
        self._move_cursor_by(-self._page_rows())

    def action_cursor_page_down(self) -> None:
        self._move_cursor_by(self._page_rows())

    def action_cursor_home(self) -> None:
        self._move_cursor_by(-(self.row_count or 1))

    def action_cursor_end(self) -> None:
        self._move_cursor_by(self.row_count or 1)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.LeadSelected(self, key))

    def action_toggle_mark(self) -> None:
        self.toggle_mark()

    def action_cycle_sort(self) -> None:
        self.cycle_sort()

    def action_cycle_sort_reverse(self) -> None:
        self.cycle_sort_reverse()

    def action_request_filter(self) -> None:
        self.post_message(self.FilterRequested(self))

    # ------------------------------------------------------------------ events

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            self._sort_by_header_at(offset.x)
            return
        position = int(self.scroll_y) + offset.y - 1
        if 0 <= position < self.row_count:
            key = self._index.key_at(position)
            self._set_cursor(key, position)
            if event.chain >= 2:
                self.post_message(self.LeadSelected(self, key))

    def _sort_by_header_at(self, x: int) -> None:
        for slot in self._layout():
            if slot.x <= x < slot.x + slot.width:
                key = slot.column.key
                reverse = not self.sort_reverse if key == self.sort_column else False
                self.sort_by(key, reverse)
                return
