"""The dashboard's filter box: `/` opens it, typing filters, enter keeps it, esc clears.

The box also carries the metrics screen's error-group filter (a key filter on the table,
named in the placeholder), which escape clears with the text.
"""

from __future__ import annotations

from textual.widgets import Input

from leadsync_tui.widgets import LeadsTable


def open_filter(box: Input, table: LeadsTable) -> None:
    """Show the box with the table's filter in it, focused."""
    box.display = True
    box.value = table.filter_text
    box.focus()


def keep_filter(box: Input, table: LeadsTable) -> None:
    """enter: back to the table; the box stays while it filters something."""
    box.display = bool(box.value) or table.key_filter is not None
    table.focus()


def close_filter(box: Input, table: LeadsTable) -> None:
    """esc: drop the error group's key filter, and the text with the box if shown."""
    from leadsync_tui.screens.metrics_screen import clear_error_group

    clear_error_group(table, box)  # an error group's key filter (metrics screen)
    if box.display:
        box.value = ""
        box.display = False
        table.focus()
