"""The confirmation before an action on many leads at once (retry or resolve).

Bulk actions are where one keystroke can touch hundreds of records in two production
systems, so the dialog says exactly what will happen to how many ("Retry the failed
writes of 12 leads (the marked rows)") and, for a bulk resolve, asks which resolution
and a reason (required, like a single resolve: it goes into every conflict's record and
the audit log). Nothing happens until `ctrl+s`; escape cancels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioSet, Static

from leadsync_tui.models import Resolution
from leadsync_tui.widgets.choice_button import ChoiceButton
from leadsync_tui.widgets.sync_error_alert import clean_text

BulkKind = Literal["retry", "resolve"]

BULK_RESOLUTIONS: tuple[tuple[Resolution, str], ...] = (
    (Resolution.RESMAN_WINS, "ResMan wins: write ResMan's values to DomIQ"),
    (Resolution.DOMIQ_WINS, "DomIQ wins: write DomIQ's values to ResMan"),
    (Resolution.MANUAL_REVIEW, "Manual review: write nothing, leave for a person"),
)
"""What a bulk resolve may choose. `merged` needs a value per field, so it is one by one."""

MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class BulkDecision:
    """The confirmed action: for a resolve, which resolution and why."""

    kind: BulkKind
    resolution: Resolution | None = None
    reason: str = ""


class BulkActionModal(ModalScreen[BulkDecision | None]):
    """Confirm a bulk retry, or choose the resolution and reason of a bulk resolve."""

    CSS_PATH = "bulk_action.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Confirm", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, kind: BulkKind, summary: str, *, skipped: str = "") -> None:
        """`summary` says what will happen to what; `skipped`, what is left out and why."""
        super().__init__()
        self.kind = kind
        self._summary = summary
        self._skipped = skipped

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Bulk retry" if self.kind == "retry" else "Bulk resolve"
            yield Static(self._summary, id="summary")
            if self._skipped:
                yield Static(self._skipped, id="skipped")
            if self.kind == "resolve":
                with RadioSet(id="resolution"):
                    # None chosen: one keystroke must not write ResMan's values everywhere.
                    for resolution, label in BULK_RESOLUTIONS:
                        yield ChoiceButton(label, name=resolution.value)
                yield Label("Reason (required, recorded on every conflict):")
                yield Input(
                    placeholder="why this resolution", max_length=MAX_REASON_LENGTH, id="reason"
                )
            yield Static("", id="problem")
            yield Static("ctrl+s confirm · esc cancel", classes="hint")

    def on_mount(self) -> None:
        if self.kind == "resolve":
            self.query_one(RadioSet).focus()

    @on(Input.Submitted, "#reason")
    def action_confirm(self) -> None:
        if self.kind == "retry":
            self.dismiss(BulkDecision("retry"))
            return
        pressed = self.query_one(RadioSet).pressed_button
        if pressed is None or not pressed.name:
            self._problem("Choose a resolution first: ↑↓ then space (or click one).", "#resolution")
            return
        reason = clean_text(self.query_one("#reason", Input).value).strip()
        if not reason:
            self._problem("A reason is required: type why, then ctrl+s.", "#reason")
            return
        self.dismiss(BulkDecision("resolve", Resolution(pressed.name), reason))

    def _problem(self, text: str, focus: str) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(text)
        problem.add_class("error")
        self.query_one(focus).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
