"""Every Textual theme's text colours pass 4.5:1 on its backgrounds once made readable."""

from __future__ import annotations

import pytest
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from leadsync_tui.readable_theme import (
    BACKGROUNDS,
    SOLID_TEXT,
    contrast_ratio,
    readable_variables,
)

COLOUR_THEMES = sorted(name for name in BUILTIN_THEMES if not name.startswith("ansi"))


@pytest.mark.parametrize("name", COLOUR_THEMES)
def test_text_colours_pass_on_every_background(name: str) -> None:
    theme = BUILTIN_THEMES[name]
    variables = {**theme.to_color_system().generate(), **theme.variables}
    variables.update(readable_variables(variables, dark=theme.dark))
    backgrounds = [Color.parse(variables[b]) for b in BACKGROUNDS]
    for text in SOLID_TEXT:
        colour = Color.parse(variables[text])
        for background in backgrounds:
            ratio = contrast_ratio(background + colour, background)
            assert ratio >= 4.5, f"{name}: ${text} {colour.hex} on {background.hex}: {ratio:.2f}"


def test_colours_that_pass_are_left_as_the_theme_made_them() -> None:
    theme = BUILTIN_THEMES["textual-dark"]
    variables = {**theme.to_color_system().generate(), **theme.variables}
    changed = readable_variables(variables, dark=True)
    assert "text-success" not in changed and "text-error" not in changed
