"""`LeadsTable`: the live leads table, a virtual table on Textual's Line API.

Why not `DataTable` (docs/perf.md §1): at 100k rows it blocks the loop ~20 s measuring
every cell after a load, and every `update_cell` costs O(n) on the next frame. Here:

- the model is `LeadIndex` (rows by key, a sorted + filtered order of keys);
- `render_line` draws only the lines on screen, from a cache of `Strip`s keyed by the
  row's version, the width, the mask and the row's cursor/mark state;
- `upsert`/`remove_leads` are diffs by key; changes are filed into the order once per frame,
  and only lines on screen that changed are refreshed (a changed row off screen costs
  no repaint at all).

Columns collapse at narrow widths (see `leads_columns`); the header line stays put while
the rows scroll under it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from leadsync_tui.models import Lead, utc_now
from leadsync_tui.widgets.lead_index import LeadIndex, ViewChange
from leadsync_tui.widgets.lead_sync_status import status_badge, status_component
from leadsync_tui.widgets.leads_columns import (
    COLUMN_KEYS,
    GUTTER_WIDTH,
    LAST_SYNC,
    STATUS,
    Slot,
    cell_text,
    fit,
    header_label,
    layout_columns,
)

INDEX_CHUNK = 2048
"""Rows whose filter text is built per step in the background (~2-3 ms a step)."""
SORT_ASCENDING = "▲"
SORT_DESCENDING = "▼"
CURSOR_MARK = "▸"
ROW_MARK = "✓"


class LeadsTable(ScrollView, can_focus=True):
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

    mask_pii: reactive[bool] = reactive(False)
    """Show initials, `m***@domain` and `+1 ••• ••• 0143` instead of names and contacts."""
    zebra_stripes: reactive[bool] = reactive(False)
    """Shade every other row."""

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
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.clock = clock
        """Where "now" comes from; tests freeze it."""
        self.property_names: Mapping[str, str] = dict(property_names or {})
        """The properties' names; a property without one shows its id."""
        self._index = LeadIndex(self.property_names)
        self._cursor_key: str | None = None
        self._cursor_hint = 0
        """The cursor's last view position, to land near it if its row disappears."""
        self._marks: set[str] = set()
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._layouts: dict[int, tuple[Slot, ...]] = {}
        self._now = clock()
        self._sync_scheduled = False
        self._indexing = False
        self._age_refresh = age_refresh
        self._age_timer: Timer | None = None
        self._key_filter_label: str | None = None
        self.set_reactive(LeadsTable.mask_pii, mask_pii)
        self.set_reactive(LeadsTable.zebra_stripes, zebra_stripes)
        self._index.upsert(leads)

    def on_mount(self) -> None:
        self._sync()
        if self._age_refresh:
            self._age_timer = self.set_interval(self._age_refresh, self._refresh_ages)

    # ------------------------------------------------------------------ data

    def upsert(self, leads: Iterable[Lead]) -> None:
        """Add or replace leads by `conversation_id`. Changes show on the next frame."""
        if self._index.upsert(leads):
            self._schedule_sync()

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

    def get_lead(self, key: str) -> Lead | None:
        """The lead stored under `key`, shown or not."""
        return self._index.get(key)

    @property
    def row_count(self) -> int:
        """Rows shown (after the filter)."""
        return len(self._index)

    @property
    def total_count(self) -> int:
        """All rows held, shown or not."""
        return self._index.total

    def visible_keys(self) -> list[str]:
        """The keys shown, in order: what CSV export and bulk actions work on."""
        return self._index.keys()

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

    # ------------------------------------------------------------------ cursor and marks

    @property
    def cursor_key(self) -> str | None:
        """The lead under the cursor; it stays on that lead across sorts and updates."""
        self._sync()
        return self._cursor_key

    @property
    def cursor_position(self) -> int | None:
        """The cursor's view position."""
        key = self.cursor_key
        return None if key is None else self._index.position(key)

    def move_cursor_to(self, key: str) -> bool:
        """Put the cursor on `key` and scroll it into view; False if it is not shown."""
        self._sync()
        position = self._index.position(key)
        if position is None:
            return False
        self._set_cursor(key, position)
        return True

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

    def on_resize(self, _event: events.Resize) -> None:
        self._strips.clear()
        self._layouts.clear()
        self._update_virtual_size()
        position = self.cursor_position
        if position is not None:
            self._scroll_to_position(position)

    def on_focus(self, _event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, _event: events.Blur) -> None:
        self.refresh()

    def notify_style_update(self) -> None:
        """The theme or CSS changed: every cached line has stale colours."""
        super().notify_style_update()
        self._strips.clear()
        self.refresh()

    def watch_mask_pii(self) -> None:
        self.refresh()

    def watch_zebra_stripes(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ rendering

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._index.pending:
            self._sync()
        self._now = self.clock()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header_strip(width)
        position = int(self.scroll_y) + y - 1
        if position >= len(self._index):
            if position == 0:
                return self._empty_strip(width)
            return Strip.blank(width, self.rich_style)
        key = self._index.key_at(position)
        lead = self._index.get(key)
        if lead is None:  # pragma: no cover - render_lines flushes first
            return Strip.blank(width, self.rich_style)
        layout = self._layout(width)
        shows_age = any(slot.column.key == LAST_SYNC for slot in layout)
        state = (
            key == self._cursor_key,
            key in self._marks,
            self.zebra_stripes and position % 2 == 1,
        )
        cache_key = (
            key,
            self._index.version(key),
            width,
            self.mask_pii,
            state,
            self.has_focus,
            cell_text(LAST_SYNC, lead, self._now, False) if shows_age else None,
        )
        strip = self._strips.get(cache_key)
        if strip is None:
            strip = self._build_row_strip(lead, layout, width, *state)
            self._strips.set(cache_key, strip)
        return strip

    def _build_row_strip(
        self,
        lead: Lead,
        layout: tuple[Slot, ...],
        width: int,
        cursor: bool,
        marked: bool,
        even: bool,
    ) -> Strip:
        """Draw one row: gutter marks, then each column cut to its slot."""
        classes = tuple(
            name
            for name, on in (
                ("leads-table--even-row", even),
                ("leads-table--marked", marked),
                ("leads-table--cursor", cursor),
            )
            if on
        )
        base = self._style(*classes)
        # The cursor's colours win over the status and age colours: those are picked for
        # the table's background, not the cursor's.
        under = tuple(name for name in classes if name != "leads-table--cursor")
        over = ("leads-table--cursor",) if cursor else ()
        gutter = (CURSOR_MARK if cursor else " ") + (ROW_MARK if marked else " ")
        segments = [Segment(gutter, base)]
        x = GUTTER_WIDTH
        for slot in layout:
            if slot.x > x:
                segments.append(Segment(" " * (slot.x - x), base))
            key = slot.column.key
            if key == STATUS:
                status = lead.resman_sync_status
                style = self._style(*under, status_component(status, "leads-table"), *over)
                segments.append(Segment(fit(status_badge(status).plain, slot.width), style))
            else:
                text = cell_text(key, lead, self._now, self.mask_pii, self.property_names)
                text = fit(text, slot.width)
                style = (
                    self._style(*under, "leads-table--muted", *over) if key == LAST_SYNC else base
                )
                segments.append(Segment(text, style))
            x = slot.x + slot.width
        if width > x:
            segments.append(Segment(" " * (width - x), base))
        return Strip(segments, width)

    def _header_strip(self, width: int) -> Strip:
        style = self._style("leads-table--header")
        mark = SORT_DESCENDING if self.sort_reverse else SORT_ASCENDING
        segments = [Segment(" " * GUTTER_WIDTH, style)]
        x = GUTTER_WIDTH
        for slot in self._layout(width):
            if slot.x > x:
                segments.append(Segment(" " * (slot.x - x), style))
            sorted_here = slot.column.key == self.sort_column
            segments.append(
                Segment(header_label(slot.column, slot.width, mark if sorted_here else None), style)
            )
            x = slot.x + slot.width
        if width > x:
            segments.append(Segment(" " * (width - x), style))
        return Strip(segments, width)

    def _empty_strip(self, width: int) -> Strip:
        if self._index.total == 0:
            message = "No leads yet."
        elif self._key_filter_label is not None and not self.filter_text:
            message = f"No leads left in “{self._key_filter_label}”."
        else:
            message = f"No leads match “{self.filter_text}”."
        text = " " * GUTTER_WIDTH + fit(message, max(0, width - GUTTER_WIDTH))
        return Strip([Segment(text[:width], self._style("leads-table--muted"))], width)

    def _style(self, *components: str) -> Style:
        """A theme-resolved Rich style: the widget's, with these component classes on top."""
        return self.get_visual_style(*components).rich_style

    def _layout(self, width: int | None = None) -> tuple[Slot, ...]:
        if width is None:
            width = self.scrollable_content_region.width
        layout = self._layouts.get(width)
        if layout is None:
            layout = self._layouts[width] = layout_columns(width)
        return layout

    # ------------------------------------------------------------------ keeping in step

    def _schedule_sync(self) -> None:
        """File changes into the view once, after the current batch of messages."""
        if not self._sync_scheduled:
            self._sync_scheduled = True
            self.call_next(self._sync)

    def _sync(self) -> None:
        """Apply pending changes to the view and refresh what is on screen of them."""
        self._sync_scheduled = False
        change = self._index.take_changes()
        self._schedule_indexing()
        if change.empty:
            return
        self._update_virtual_size()
        self._repaint(change)
        self._keep_cursor()

    def _schedule_indexing(self) -> None:
        """Build filter texts after the next frame, so a big load paints first."""
        if not self._indexing and not self._index.indexed:
            self._indexing = True
            self.call_after_refresh(self._index_chunk)

    def _index_chunk(self) -> None:
        """One background step of building filter texts; queues the next if any are left."""
        self._indexing = False
        if not self._index.index_some(INDEX_CHUNK):
            self._schedule_indexing()

    def _after_reorder(self, lost_cursor_to: int | None = None) -> None:
        """After a sort or filter: new order everywhere, cursor kept on its lead.

        If the cursor's lead is no longer shown, the cursor goes to `lost_cursor_to`
        (the top, after a filter) or stays near where it was.
        """
        self._index.take_changes()
        self._update_virtual_size()
        self.refresh()
        if lost_cursor_to is not None:
            self._cursor_hint = lost_cursor_to
        if not self._keep_cursor():
            position = self.cursor_position
            if position is not None:
                self._scroll_to_position(position)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(0, len(self._index) + 1)

    def _repaint(self, change: ViewChange) -> None:
        """Refresh only the lines on screen that changed."""
        top = int(self.scroll_y)
        bottom = top + self._page_rows()
        if change.first_moved is not None and change.first_moved < bottom:
            first_line = max(1, change.first_moved - top + 1)
            self.refresh(Region(0, first_line, self.size.width, self.size.height))
            return
        if change.updated:
            on_screen = self._index.keys_between(top, bottom)
            for offset, key in enumerate(on_screen):
                if key in change.updated:
                    self._refresh_screen_line(offset + 1)

    def _keep_cursor(self) -> bool:
        """Keep the cursor on a shown lead; returns True if it had to move."""
        key = self._cursor_key
        if key is not None:
            position = self._index.position(key)
            if position is not None:
                self._cursor_hint = position
                return False
        count = len(self._index)
        if count == 0:
            if key is not None:
                self._cursor_key = None
                self.post_message(self.CursorMoved(self, None))
            return key is not None
        position = min(self._cursor_hint, count - 1)
        self._set_cursor(self._index.key_at(position), position)
        return True

    def _set_cursor(self, key: str, position: int) -> None:
        old = self._cursor_key
        self._cursor_key = key
        self._cursor_hint = position
        if old != key:
            if old is not None:
                self._refresh_key(old)
            self._refresh_position(position)
            self.post_message(self.CursorMoved(self, key))
        self._scroll_to_position(position)

    def _move_cursor_by(self, delta: int) -> None:
        count = self.row_count
        if count == 0:
            return
        current = self.cursor_position
        start = self._cursor_hint if current is None else current
        position = max(0, min(count - 1, start + delta))
        self._set_cursor(self._index.key_at(position), position)

    def _page_rows(self) -> int:
        """Data rows that fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_position(self, position: int) -> None:
        top = int(self.scroll_y)
        page = self._page_rows()
        if position < top:
            self.scroll_to(y=position, animate=False)
        elif position >= top + page:
            self.scroll_to(y=position - page + 1, animate=False)

    def _refresh_key(self, key: str) -> None:
        position = self._index.position(key)
        if position is not None:
            self._refresh_position(position)

    def _refresh_position(self, position: int) -> None:
        line = position - int(self.scroll_y) + 1
        if 1 <= line <= self._page_rows():
            self._refresh_screen_line(line)

    def _refresh_screen_line(self, line: int) -> None:
        self.refresh(Region(0, line, self.size.width, 1))

    def _refresh_ages(self) -> None:
        """Ages change on their own: redraw the lines on screen (only changed ages re-render)."""
        if any(slot.column.key == LAST_SYNC for slot in self._layout()):
            self.refresh()

    def _sort_by_header_at(self, x: int) -> None:
        for slot in self._layout():
            if slot.x <= x < slot.x + slot.width:
                key = slot.column.key
                reverse = not self.sort_reverse if key == self.sort_column else False
                self.sort_by(key, reverse)
                return
