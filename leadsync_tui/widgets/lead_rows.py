"""One line of the leads table as a `Strip`: a lead's row, the header, the empty message.

Pure drawing from a lead, the column layout and a style resolver (the widget's component
classes): the table caches what these return and decides which lines to ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from leadsync_tui.models import Lead
from leadsync_tui.widgets.lead_sync_status import status_badge, status_component
from leadsync_tui.widgets.leads_columns import (
    GUTTER_WIDTH,
    LAST_SYNC,
    STATUS,
    Slot,
    cell_text,
    fit,
    header_label,
)

SORT_ASCENDING = "▲"
SORT_DESCENDING = "▼"
CURSOR_MARK = "▸"
ROW_MARK = "✓"

StyleOf = Callable[..., Style]
"""The table's style with these component classes on top (`LeadsView._style`)."""


def row_strip(
    lead: Lead,
    layout: tuple[Slot, ...],
    width: int,
    *,
    cursor: bool,
    marked: bool,
    even: bool,
    now: datetime,
    mask: bool,
    property_names: Mapping[str, str],
    style_of: StyleOf,
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
    base = style_of(*classes)
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
            style = style_of(*under, status_component(status, "leads-table"), *over)
            segments.append(Segment(fit(status_badge(status).plain, slot.width), style))
        else:
            text = cell_text(key, lead, now, mask, property_names)
            text = fit(text, slot.width)
            style = style_of(*under, "leads-table--muted", *over) if key == LAST_SYNC else base
            segments.append(Segment(text, style))
        x = slot.x + slot.width
    if width > x:
        segments.append(Segment(" " * (width - x), base))
    return Strip(segments, width)


def header_strip(
    layout: tuple[Slot, ...],
    width: int,
    *,
    sort_column: str | None,
    reverse: bool,
    style_of: StyleOf,
) -> Strip:
    """The fixed header line, the sorted column marked ▲ or ▼."""
    style = style_of("leads-table--header")
    mark = SORT_DESCENDING if reverse else SORT_ASCENDING
    segments = [Segment(" " * GUTTER_WIDTH, style)]
    x = GUTTER_WIDTH
    for slot in layout:
        if slot.x > x:
            segments.append(Segment(" " * (slot.x - x), style))
        sorted_here = slot.column.key == sort_column
        segments.append(
            Segment(header_label(slot.column, slot.width, mark if sorted_here else None), style)
        )
        x = slot.x + slot.width
    if width > x:
        segments.append(Segment(" " * (width - x), style))
    return Strip(segments, width)


def empty_message(total: int, key_filter_label: str | None, filter_text: str) -> str:
    """Why no row shows: no leads at all, none left in a key filter, none matching."""
    if total == 0:
        return "No leads yet."
    if key_filter_label is not None and not filter_text:
        return f"No leads left in “{key_filter_label}”."
    return f"No leads match “{filter_text}”."


def empty_strip(width: int, message: str, *, style_of: StyleOf) -> Strip:
    """The first row's line when no row shows: `message`, muted."""
    text = " " * GUTTER_WIDTH + fit(message, max(0, width - GUTTER_WIDTH))
    return Strip([Segment(text[:width], style_of("leads-table--muted"))], width)
