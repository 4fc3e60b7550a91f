"""`ChoiceButton`: a radio button whose state reads without colour.

Textual draws every radio button as `▐●▌` and tells the chosen one by colour only, which
a colour-blind manager, a monochrome terminal or a screenshot in a ticket loses. Here the
chosen one shows `●` and the others a blank, `▐ ▌`, in every theme.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import RadioButton

CHOSEN = "●"
NOT_CHOSEN = " "


class ChoiceButton(RadioButton):
    """A `RadioButton` that marks its state with a glyph, not only with colour."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = CHOSEN if self.value else NOT_CHOSEN
        return super()._button
