"""`LeadsView`: the leads table's virtual view over a `LeadIndex` on Textual's Line API.

Why not `DataTable` (docs/perf.md §1): at 100k rows it blocks the loop ~20 s measuring
every cell after a load, and every `update_cell` costs O(n) on the next frame. Here:

- the model is `LeadIndex` (rows by key, a sorted + filtered order of keys);
- `render_line` draws only the lines on screen (`lead_rows`), from a cache of `Strip`s
  keyed by the row's version, the width, the mask and the row's cursor/mark state;
- `upsert`/`remove_leads` are diffs by key; changes are filed into the order once per
  frame, and only lines on screen that changed are refreshed (a changed row off screen
  costs no repaint at all).

This is the machinery (data, cursor, marks, drawing, keeping in step); `LeadsTable` is
the widget people use on top of it: keys, look, messages, filter and sort.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from leadsync_tui.models import Lead, utc_now
from leadsync_tui.widgets.lead_index import LeadIndex, ViewChange
from leadsync_tui.widgets.lead_rows import (
    empty_message,
    empty_strip,
    header_strip,
    row_strip,
)
from leadsync_tui.widgets.leads_columns import LAST_SYNC, Slot, cell_text, layout_columns

INDEX_CHUNK = 2048
"""Rows whose filter text is built per step in the background (~2-3 ms a step)."""


class LeadsView(ScrollView, can_focus=True):
    """Leads in a sorted, filtered order with a cursor and marks, drawn line by line.

    Subclasses hear the cursor move through `_cursor_moved` (`LeadsTable` posts its
    message there).
    """

    mask_pii: reactive[bool] = reactive(False)
    """Show initials, `m***@domain` and `+1 ••• ••• 0143` instead of names and contacts."""
    zebra_stripes: reactive[bool] = reactive(False)
    """Shade every other row."""

    def __init__(
        self,
        leads: Iterable[Lead] = (),
        *,
        clock: Callable[[], datetime] = utc_now,
        mask_pii: bool = False,
        zebra_stripes: bool = False,
        property_names: Mapping[str, str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """`clock` gives "now" for the Last sync ages; `property_names` (DomIQ id ->
        name) are shown in the Property column."""
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
        self._key_filter_label: str | None = None
        self.set_reactive(LeadsView.mask_pii, mask_pii)
        self.set_reactive(LeadsView.zebra_stripes, zebra_stripes)
        self._index.upsert(leads)

    def _cursor_moved(self, key: str | None) -> None:
        """The cursor is on another lead (None: the view is empty)."""

    # ------------------------------------------------------------------ data

    def upsert(self, leads: Iterable[Lead]) -> None:
        """Add or replace leads by `conversation_id`. Changes show on the next frame."""
        if self._index.upsert(leads):
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

    # ------------------------------------------------------------------ cursor

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

    # ------------------------------------------------------------------ events

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
        """Draw one row (`lead_rows.row_strip`); the tests count the calls."""
        return row_strip(
            lead,
            layout,
            width,
            cursor=cursor,
            marked=marked,
            even=even,
            now=self._now,
            mask=self.mask_pii,
            property_names=self.property_names,
            style_of=self._style,
        )

    def _header_strip(self, width: int) -> Strip:
        return header_strip(
            self._layout(width),
            width,
            sort_column=self._index.sort_column,
            reverse=self._index.reverse,
            style_of=self._style,
        )

    def _empty_strip(self, width: int) -> Strip:
        message = empty_message(self._index.total, self._key_filter_label, self._index.filter_text)
        return empty_strip(width, message, style_of=self._style)

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
                self._cursor_moved(None)
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
            self._cursor_moved(key)
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
