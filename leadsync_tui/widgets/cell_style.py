"""A component class's text colour for a table cell, resolved where the cell is drawn.

Textual's partial component styles resolve `auto` colours (`$text`, `$text-muted`)
against a transparent black background: white text, unreadable on a light theme. This
resolves them against the widget's real background and keeps only what a cell needs
(colour and text style), so the row's own background (cursor, hover) still shows.
"""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


def cell_style(widget: Widget, component: str) -> Style:
    """The colour and text style of `component` on `widget`, with no background."""
    full = widget.get_visual_style(component).rich_style
    return Style(
        color=full.color,
        bold=full.bold,
        dim=full.dim,
        italic=full.italic,
        underline=full.underline,
        strike=full.strike,
    )
