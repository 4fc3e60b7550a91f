"""WCAG 2.x contrast of what a screen actually draws: every text cell's colour against
the colour behind it, read from the rendered segments (not from the CSS).

What counts as text: every non-blank character of a segment, except
- pure decoration glyphs (box drawing, block elements and braille: borders,
  scrollbars, the radios' `▐ ▌` caps, sparklines) and a radio's or checkbox's `●`,
  which WCAG treats as graphics (3:1), not text (4.5:1);
- what a modal dims behind it (the screen under the modal's backdrop): an inactive
  user interface, which WCAG exempts.
Colours are resolved as the terminal would: `reverse` swaps them, `dim` blends the
foreground halfway to the background (as Textual's own dim filter does), and a
default colour is the theme's foreground or background.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.color import Color
from textual.errors import NoWidget
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets._toggle_button import ToggleButton

MINIMUM = 4.5
"""WCAG 2.x level AA for normal text."""

_DECORATION = (
    (0x2500, 0x259F),  # box drawing and block elements
    (0x2800, 0x28FF),  # braille patterns (sparklines)
)


def is_decoration(char: str) -> bool:
    """A glyph that draws lines or areas, not letters."""
    code = ord(char)
    return any(low <= code <= high for low, high in _DECORATION)


def luminance(color: Color) -> float:
    """WCAG relative luminance of an opaque colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast_ratio(foreground: Color, background: Color) -> float:
    """WCAG contrast ratio, 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class Pair:
    """One run of text as drawn: its colours, their ratio, and where it is."""

    ratio: float
    foreground: str
    background: str
    text: str
    widget: str
    x: int
    y: int

    def __str__(self) -> str:
        return (
            f"{self.ratio:5.2f}:1  {self.foreground} on {self.background}  "
            f"{self.widget} at ({self.x},{self.y}): {self.text!r}"
        )


def _color(rich: RichColor | None, default: Color) -> Color:
    if rich is None or rich.is_default:
        return default
    r, g, b = rich.get_truecolor()
    return Color(r, g, b)


def _colors(style: Style, foreground: Color, background: Color) -> tuple[Color, Color]:
    fg = _color(style.color, foreground)
    bg = _color(style.bgcolor, background)
    if style.reverse:
        fg, bg = bg, fg
    if style.dim:
        fg = bg.blend(fg, 0.5)
    return fg, bg


def _widget_at(app: App[Any], x: int, y: int) -> Widget | None:
    try:
        widget, _ = app.screen.get_widget_at(x, y)
    except NoWidget:
        return None
    return widget


def _name(widget: Widget | None) -> str:
    if widget is None:
        return "?"
    return f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__


def rendered_pairs(app: App[Any]) -> list[Pair]:
    """Every run of text on the screen in front (with the screens it is drawn over)."""
    theme = app.current_theme
    foreground = Color.parse(theme.foreground or ("#e0e0e0" if theme.dark else "#000000"))
    background = Color.parse(theme.background or ("#121212" if theme.dark else "#efefef"))
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    pairs: list[Pair] = []
    for y, line in enumerate(update.strips):
        x = 0
        for strip in line:
            for segment in strip:
                pairs.extend(_segment_pairs(app, segment, x, y, foreground, background))
                x += segment.cell_length
    return pairs


def _segment_pairs(
    app: App[Any], segment: Segment, x: int, y: int, foreground: Color, background: Color
) -> list[Pair]:
    text, style, control = segment
    if control or style is None:
        return []
    letters = "".join(char for char in text if not char.isspace() and not is_decoration(char))
    if not letters:
        return []
    offset = len(text) - len(text.lstrip())
    widget = _widget_at(app, x + offset, y)
    if isinstance(widget, ModalScreen):
        return []  # the dimmed screen behind a modal
    if isinstance(widget, ToggleButton) and letters == widget.BUTTON_INNER:
        return []
    fg, bg = _colors(style, foreground, background)
    return [
        Pair(
            ratio=contrast_ratio(fg, bg),
            foreground=fg.hex,
            background=bg.hex,
            text=text.strip(),
            widget=_name(widget),
            x=x + offset,
            y=y,
        )
    ]


def worst(pairs: list[Pair], minimum: float = MINIMUM) -> list[Pair]:
    """The pairs below `minimum`, worst first, one per colour pair and widget."""
    seen: set[tuple[str, str, str]] = set()
    below: list[Pair] = []
    for pair in sorted(pairs, key=lambda p: p.ratio):
        key = (pair.foreground, pair.background, pair.widget)
        if pair.ratio < minimum and key not in seen:
            seen.add(key)
            below.append(pair)
    return below
