"""`TableSummary`: one line saying what the leads table shows: `12 of 30 · 2 marked · "oak"`.

Marks are what bulk actions (`r`, `b`) work on, and a mark survives a filter change: a
mark nobody can see would be acted on unseen. So the count of marked rows, of rows shown
out of all, and the filter in force are always on the status line.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from leadsync_tui.widgets.leads_table import LeadsTable
from leadsync_tui.widgets.sync_error_alert import clean_text

FILTER_SHOWN = 24
"""Characters of the filter text shown."""


def summary(table: LeadsTable) -> str:
    """The line for `table`: shown / total, marked (and how many the filter hides), filter."""
    shown, total = table.row_count, table.total_count
    parts = [f"{shown:,} of {total:,} rows" if shown != total else f"{total:,} rows"]
    marked = table.marked_keys
    if marked:
        hidden = len(marked - set(table.visible_keys())) if shown != total else 0
        parts.append(f"{len(marked):,} marked" + (f" ({hidden:,} hidden)" if hidden else ""))
    if table.filter_text:
        parts.append(f'filter "{clean_text(table.filter_text, FILTER_SHOWN)}"')
    elif table.key_filter is not None:
        parts.append("filter: an error group")
    return " · ".join(parts)


class TableSummary(Widget):
    """The summary line of a `LeadsTable`; its screen calls `refresh()` when it changes."""

    DEFAULT_CSS = """
    TableSummary {
        width: auto;
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, table: LeadsTable, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.table = table

    def render(self) -> Content:
        return Content(summary(self.table))
