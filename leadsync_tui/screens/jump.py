"""`g` on the dashboard: go to a lead by either system's id.

Operators get ids from everywhere (a DomIQ link in a ticket, a ResMan guest card number
read out on a call), so one box takes both: a DomIQ conversation id or a ResMan prospect
id. A wrong id gets an answer in place and the box stays open to fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from leadsync_tui.models import Lead
from leadsync_tui.widgets.sync_error_alert import clean_text

Lookup = Callable[[str], str | None]
"""An id as typed -> the conversation id of the lead it names, or None."""

MAX_ID_LENGTH = 80


def lead_by_any_id(leads: Mapping[str, Lead], typed: str) -> str | None:
    """The conversation id of the lead `typed` names, in any letter case (ResMan's
    GUIDs are read out and pasted in upper case as often as lower)."""
    if typed in leads:
        return typed
    wanted = typed.casefold()
    for lead in leads.values():
        ids = (lead.conversation_id, lead.resman_prospect_id or "")
        if wanted in (i.casefold() for i in ids):
            return lead.conversation_id
    return None


class JumpModal(ModalScreen[str | None]):
    """Ask for an id; dismiss with the lead's conversation id (None when cancelled)."""

    CSS_PATH = "jump.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, lookup: Lookup) -> None:
        super().__init__()
        self._lookup = lookup

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Go to lead"
            yield Label("DomIQ conversation id or ResMan prospect id:")
            yield Input(placeholder="cnv_… or a prospect id", max_length=MAX_ID_LENGTH, id="id")
            yield Static("", id="answer")
            yield Static("enter go · esc cancel", classes="hint")

    @on(Input.Submitted, "#id")
    def go(self, event: Input.Submitted) -> None:
        typed = clean_text(event.value).strip()
        if not typed:
            self._answer("Type an id first.")
            return
        key = self._lookup(typed)
        if key is None:
            self._answer(
                f"No lead has the id {typed!r}: it is neither a DomIQ conversation id nor"
                " a ResMan prospect id we hold. Check it and try again."
            )
            return
        self.dismiss(key)

    def _answer(self, text: str) -> None:
        answer = self.query_one("#answer", Static)
        answer.update(text)
        answer.add_class("error")

    def action_cancel(self) -> None:
        self.dismiss(None)
