"""Text colours every theme can be read in: at least 4.5:1 (WCAG AA) on its backgrounds.

Textual derives `$text-warning`, `$text-success`, `$footer-key-foreground`, ... from a
theme's accent colours, and `$text-muted` is 60% of the contrast colour: on
`textual-light`'s greys several land near 3:1. The app runs its theme's variables
through `readable_variables`, which moves each text colour that falls short away from
the backgrounds (darker on a light theme, lighter on a dark one) just far enough, and
leaves every colour that already passes as the theme made it.
"""

from __future__ import annotations

from textual.color import BLACK, WHITE, Color, ColorParseError

MINIMUM_CONTRAST = 4.6
"""WCAG AA asks 4.5:1; a little more covers the slight tints widgets add (hover, focus)."""

BACKGROUNDS = ("background", "surface", "panel")
"""The backgrounds text is drawn on."""

SOLID_TEXT = (
    "text-primary",
    "text-secondary",
    "text-warning",
    "text-error",
    "text-success",
    "text-accent",
    "footer-key-foreground",
)
"""Opaque text colours: moved towards black (light theme) or white (dark) until they pass."""

AUTO_TEXT = ("text", "text-muted")
"""`auto N%` colours (the contrast colour at N% opacity): N is raised until they pass."""

ON_COLOUR = {
    "block-cursor-foreground": "block-cursor-background",
    "button-color-foreground": "primary",
}
"""`auto` text drawn on a colour (table cursors, the default button): made fully opaque
when the theme's opacity is too little."""


def contrast_ratio(foreground: Color, background: Color) -> float:
    """The WCAG 2.x contrast ratio of two opaque colours (1 to 21)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def _parse(value: str | None) -> Color | None:
    if value is None:
        return None
    try:
        color = Color.parse(value)
    except ColorParseError:
        return None
    return None if color.ansi is not None else color


def _passes(color: Color, backgrounds: list[Color]) -> bool:
    return all(
        contrast_ratio(background + color, background) >= MINIMUM_CONTRAST
        for background in backgrounds
    )


def _solid(color: Color, backgrounds: list[Color], dark: bool) -> Color | None:
    """The colour, or the nearest one towards white/black that passes (None: it passes)."""
    if _passes(color, backgrounds):
        return None
    target = WHITE if dark else BLACK
    for step in range(1, 21):
        candidate = color.blend(target, step / 20, alpha=1.0)
        if _passes(candidate, backgrounds):
            return candidate
    return target


def _auto_alpha(value: str) -> float | None:
    """The opacity of an `auto N%` colour (None for anything else)."""
    words = value.split()
    if not words or words[0] != "auto":
        return None
    if len(words) == 1:
        return 1.0
    try:
        return float(words[1].rstrip("%")) / 100
    except ValueError:
        return None


def _auto(alpha: float, backgrounds: list[Color]) -> float | None:
    """The lowest opacity, from `alpha` up, at which the contrast colour passes."""

    def passes(a: float) -> bool:
        return all(
            contrast_ratio(background + background.get_contrast_text(a), background)
            >= MINIMUM_CONTRAST
            for background in backgrounds
        )

    if passes(alpha):
        return None
    for percent in range(round(alpha * 100) + 5, 101, 5):
        if passes(percent / 100):
            return percent / 100
    return 1.0


def readable_variables(variables: dict[str, str], *, dark: bool) -> dict[str, str]:
    """The text variables that need to change for the backgrounds in `variables`."""
    backgrounds = [c for c in (_parse(variables.get(name)) for name in BACKGROUNDS) if c]
    changes: dict[str, str] = {}
    if not backgrounds:  # an ANSI theme: the terminal's own colours
        return changes
    for name in SOLID_TEXT:
        color = _parse(variables.get(name))
        if color is not None and (better := _solid(color, backgrounds, dark)) is not None:
            changes[name] = better.hex
    for name in AUTO_TEXT:
        alpha = _auto_alpha(variables.get(name, ""))
        if alpha is not None and (better_alpha := _auto(alpha, backgrounds)) is not None:
            changes[name] = f"auto {round(better_alpha * 100)}%"
    for name, under in ON_COLOUR.items():
        alpha = _auto_alpha(variables.get(name, ""))
        colour = _parse(variables.get(under))
        if alpha is not None and colour is not None and _auto(alpha, [colour]) is not None:
            changes[name] = "auto 100%"
    return changes
