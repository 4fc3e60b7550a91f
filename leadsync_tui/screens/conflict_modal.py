"""`ConflictResolutionModal`: one conflict, its three values, and a manager's decision.

Spec §2: `ConflictResolutionModal { isOpen, conflict, onResolve(resolution), onEscalate,
loading }`. Here `is_open` is the screen being on the stack; `on_resolve` and `on_escalate`
are the `submit` and `escalate` coroutines the opener passes (closures over the store and
the actor, so the modal never knows who is signed in nor touches the network); `loading` is
the modal's `busy` state while one of them runs (not Textual's `Widget.loading`, which
would hide the whole dialog behind a spinner). It dismisses with a `ConflictOutcome`, or
None when the manager cancels.

How values and choices read lives in `conflict_words`, what the manager types and its
checks in `conflict_edit`; this module is the dialog's layout, keys and running.

The last agreed value sits beside DomIQ's and ResMan's so a manager sees which side moved.
Everything has a key (`1`-`4`, `ctrl+s`, `e`, `n`, `escape`) and a mouse target, and the
layout keeps every control on screen at 80x24 (it scrolls only for very long values).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.validation import ValidationResult
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from leadsync_tui.models import (
    ConflictResolution,
    ConflictType,
    LeadSyncConflict,
    Resolution,
    ResolutionStatus,
)
from leadsync_tui.screens.conflict_edit import (
    chosen_candidate,
    merged_value,
)
from leadsync_tui.screens.conflict_facts import fact, final_input, severity_fact, value_column
from leadsync_tui.screens.conflict_words import (
    CHOICE_ORDER,
    RESOLUTION_WORDS,
    ConflictOutcome,
    choice_labels,
    duplicate_text,
    effect_of,
    format_value,
    outcome_message,
    words,
)
from leadsync_tui.store.store import ActionRefused
from leadsync_tui.ui_work import run_ui_work
from leadsync_tui.widgets.choice_button import ChoiceButton
from leadsync_tui.widgets.sync_error_alert import clean_text

__all__ = [
    "RESOLUTION_WORDS",
    "ConflictOutcome",
    "ConflictResolutionModal",
    "duplicate_text",
    "format_value",
    "merged_value",
    "outcome_message",
]
"""The dialog, and the words the tests and older callers import from here (their home
is `conflict_words` and `conflict_edit`)."""

Submit = Callable[[ConflictResolution], Awaitable[None]]
Escalate = Callable[[str], Awaitable[None]]


# --------------------------------------------------------------------------- the modal


class ConflictResolutionModal(ModalScreen[ConflictOutcome | None]):
    """Shows one conflict and records a decision on it through `submit` or `escalate`."""

    CSS_PATH = "conflict_modal.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "choose('domiq_wins')", "DomIQ wins", show=False),
        Binding("2", "choose('resman_wins')", "ResMan wins", show=False),
        Binding("3", "choose('merged')", "Merged value", show=False),
        Binding("4", "choose('manual_review')", "Manual review", show=False),
        Binding("ctrl+s", "resolve", "Resolve"),
        Binding("e", "escalate", "Escalate", show=False),
        # The reason field takes letters: ctrl+e escalates from there too.
        Binding("ctrl+e", "escalate", "Escalate", priority=True),
        Binding("n", "skip", "Skip to next"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        conflict: LeadSyncConflict,
        *,
        lead_name: str,
        submit: Submit,
        escalate: Escalate,
        position: tuple[int, int] = (1, 1),
        read_only: bool = False,
        can_escalate: bool = True,
        read_only_note: str = "",
        mask_pii: bool = False,
    ) -> None:
        """`position` is (this one, how many) in the triage queue; `read_only` shows the
        conflict without any action (`read_only_note` says why: the session or the role);
        `can_escalate` offers escalation (managers); `mask_pii` masks names, emails and
        phones shown."""
        super().__init__()
        self.conflict = conflict
        self.lead_name = lead_name
        self._submit = submit
        self._escalate = escalate
        self.position = position
        self.read_only = read_only
        self.can_escalate = can_escalate and not read_only
        self.read_only_note = read_only_note or (
            "Read-only session: you can see this conflict, not resolve or escalate it."
        )
        self.mask_pii = mask_pii
        self.choice: Resolution | None = None
        """The resolution picked so far (None until one is)."""
        self.busy = False
        """The spec's `loading`: `submit` or `escalate` runs, every control is disabled."""
        self._focused_before: Widget | None = None
        self._pending: Literal["resolve", "escalate"] = "resolve"
        """What `enter` in the reason field does: the action that asked for a reason."""

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        conflict = self.conflict
        with VerticalScroll(id="dialog") as dialog:
            dialog.border_title = self._title()
            with Horizontal(id="facts"):
                with Vertical():
                    yield fact("Field", words(conflict.field))
                    yield fact("Type", words(conflict.conflict_type.value))
                with Vertical():
                    yield severity_fact(conflict)
                    yield fact("Status", words(conflict.resolution_status.value))
            with Horizontal(id="values"):
                mask = self.mask_pii
                yield from value_column(conflict, "DomIQ", conflict.domiq_value, "domiq", mask)
                yield from value_column(conflict, "ResMan", conflict.resman_value, "resman", mask)
                yield from value_column(conflict, "Last agreed", conflict.base_value, "base", mask)
            if self.read_only:
                yield Static(self.read_only_note, id="read-only-note")
            else:
                yield from self._form()
            yield from self._buttons()

    def _title(self) -> Content:
        index, total = self.position
        return Content(f"Conflict {index} of {total} · {clean_text(self.lead_name, 60)}")

    def set_position(self, index: int, total: int) -> None:
        """The queue changed under the dialog (conflicts resolved elsewhere, new ones)."""
        self.position = (index, total)
        for dialog in self.query("#dialog"):  # none yet before the dialog is composed
            dialog.border_title = self._title()

    def _form(self) -> ComposeResult:
        labels = choice_labels(self.conflict)
        with Horizontal(id="decision-row", classes="row"):
            yield Label("Decision", classes="row-label")
            with RadioSet(id="choice", compact=True):
                for resolution in CHOICE_ORDER:
                    yield ChoiceButton(labels[resolution], id=f"choice-{resolution.value}")
        yield Static(Content(effect_of(self.conflict, None, mask=self.mask_pii)), id="effect")
        with Horizontal(id="final-row", classes="row"):
            yield Label("Final", classes="row-label")
            yield final_input(self.conflict, mask=self.mask_pii)
        yield Static("", id="final-message", classes="message")
        with Horizontal(classes="row"):
            yield Label("Reason", classes="row-label")
            yield Input(placeholder="why (required; kept in the audit log)", id="reason")
        yield Static("", id="reason-message", classes="message")
        yield Static("", id="status", classes="message")

    def _buttons(self) -> ComposeResult:
        with Horizontal(id="buttons"):
            if not self.read_only:
                yield Button("Resolve ^s", id="resolve", variant="primary")
            if self.can_escalate:
                yield Button("Escalate ^e", id="escalate", variant="warning")
            yield Button("Skip n", id="skip")
            yield Button("Close esc" if self.read_only else "Cancel esc", id="cancel")

    def on_mount(self) -> None:
        if self.read_only:
            self.query_one("#cancel", Button).focus()
            return
        self.query_one("#final-row").display = False
        for message in self.query(".message"):
            message.display = False
        if self.can_escalate and self.conflict.resolution_status is ResolutionStatus.ESCALATED:
            self.query_one("#escalate", Button).disabled = True
        self.query_one("#choice", RadioSet).focus()

    # ------------------------------------------------------------ bindings

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing while the store works; no decision in read-only; escalate once."""
        if action in ("cancel", "skip"):
            return not self.busy
        if action in ("choose", "resolve", "escalate"):
            if self.read_only or self.busy:
                return False
            if action == "escalate":
                return (
                    self.can_escalate
                    and self.conflict.resolution_status is not ResolutionStatus.ESCALATED
                )
        return True

    def action_choose(self, resolution: str) -> None:
        """A number key: pick the resolution, then go where typing is needed next."""
        choice = Resolution(resolution)
        self.query_one(f"#choice-{choice.value}", RadioButton).value = True
        self._chosen(choice)
        target = "#final" if choice is Resolution.MERGED else "#reason"
        self.query_one(target, Input).focus()

    @on(RadioSet.Changed, "#choice")
    def _choice_changed(self, event: RadioSet.Changed) -> None:
        self._chosen(CHOICE_ORDER[event.index])

    def _chosen(self, choice: Resolution) -> None:
        self.choice = choice
        effect = self.query_one("#effect", Static)
        effect.update(Content(effect_of(self.conflict, choice, mask=self.mask_pii)))
        effect.remove_class("-error")
        merged = choice is Resolution.MERGED
        self.query_one("#final-row").display = merged
        final = self.query_one("#final", Input)
        self._show_final_problem(final.validate(final.value) if merged else None)

    @on(Input.Changed, "#final")
    def _final_changed(self, event: Input.Changed) -> None:
        self._show_final_problem(event.validation_result)

    def _show_final_problem(self, result: ValidationResult | None) -> None:
        problems = [] if result is None else result.failure_descriptions
        self._message("#final-message", problems[0] if problems else None)

    @on(Input.Changed, "#reason")
    def _reason_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._message("#reason-message", None)

    @on(Input.Submitted, "#final")
    def _final_submitted(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _reason_submitted(self) -> None:
        """`enter` in the reason: the action that asked for the reason, else resolve."""
        if self._pending == "escalate":
            self.action_escalate()
        else:
            self.action_resolve()

    @on(Button.Pressed, "#resolve")
    def action_resolve(self) -> None:
        """Check the form; when it holds, hand the resolution to `submit`."""
        if self.read_only or self.busy:
            return
        self._pending = "resolve"
        resolution = self._valid_resolution()
        if resolution is not None:
            self._run(self._submit(resolution), "Resolving…", self._resolved(resolution))

    @on(Button.Pressed, "#escalate")
    def action_escalate(self) -> None:
        """Escalate with the reason typed; a reason is required here too."""
        if not self.can_escalate or self.busy:
            return
        self._pending = "escalate"
        reason = self._reason()
        if reason is not None:
            outcome = ConflictOutcome(self.conflict.id, "escalated", reason=reason)
            self._run(self._escalate(reason), "Escalating…", outcome)

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        if not self.busy:
            self.dismiss(ConflictOutcome(self.conflict.id, "skipped"))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    # ------------------------------------------------------------ checking

    def _valid_resolution(self) -> ConflictResolution | None:
        """The resolution the form describes, or None after showing what is missing."""
        final: Any = None
        ok = True
        if self.choice is None:
            effect = self.query_one("#effect", Static)
            effect.update("Choose a resolution first: press 1-4 or click one.")
            effect.add_class("-error")
            self.query_one("#choice", RadioSet).focus()
            ok = False
        elif self.choice is Resolution.MERGED:
            typed = self.query_one("#final", Input).value
            if self.conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
                final, problem = chosen_candidate(self.conflict, typed)
            else:
                final, problem = merged_value(self.conflict.field, typed)
            self._message("#final-message", problem)
            if problem is not None:
                self.query_one("#final", Input).focus()
                ok = False
        elif self.choice is Resolution.DOMIQ_WINS:
            final = self.conflict.domiq_value
        elif self.choice is Resolution.RESMAN_WINS:
            final = self.conflict.resman_value
        reason = self._reason(focus=ok)
        if not ok or reason is None or self.choice is None:
            return None
        return ConflictResolution(resolution=self.choice, final_value=final, reason=reason)

    def _reason(self, *, focus: bool = True) -> str | None:
        reason = self.query_one("#reason", Input).value.strip()
        if reason:
            self._message("#reason-message", None)
            return reason
        then = "enter or ctrl+e escalates" if self._pending == "escalate" else "ctrl+s resolves"
        self._message(
            "#reason-message", f"A reason is required: say why, for the audit log ({then})."
        )
        if focus:
            self.query_one("#reason", Input).focus()
        return None

    def _message(self, selector: str, text: str | None) -> None:
        message = self.query_one(selector, Static)
        message.update(Content(f"✗ {text}") if text else "")
        message.display = text is not None

    # ------------------------------------------------------------ running

    def _resolved(self, resolution: ConflictResolution) -> ConflictOutcome:
        return ConflictOutcome(
            self.conflict.id, "resolved", resolution=resolution, reason=resolution.reason
        )

    def _run(self, work: Awaitable[None], doing: str, outcome: ConflictOutcome) -> None:
        self._set_busy(True, doing)
        run_ui_work(
            self,
            self._finish(work, outcome),
            name="conflict-decision",
            group="conflict-modal",
            description=doing,
            exclusive=True,
        )

    async def _finish(self, work: Awaitable[None], outcome: ConflictOutcome) -> None:
        """Await the store; success dismisses, any failure is shown and the modal stays."""
        try:
            await work
        except ActionRefused as exc:
            self._failed(f"Not done: {exc}")
        except Exception as exc:
            self._failed(f"Not done, something went wrong: {type(exc).__name__}: {exc}")
        else:
            self.busy = False
            self.dismiss(outcome)

    def _failed(self, text: str) -> None:
        self._set_busy(False, None)
        status = self.query_one("#status", Static)
        status.update(Content(f"✗ {clean_text(text, 300)}"))
        status.add_class("-error")
        status.display = True

    def _set_busy(self, busy: bool, doing: str | None) -> None:
        if busy:
            self._focused_before = self.focused
        self.busy = busy
        for widget in self.query("#choice, Input, Button"):
            widget.disabled = busy
        escalated = self.conflict.resolution_status is ResolutionStatus.ESCALATED
        if not busy and self.can_escalate and escalated:
            self.query_one("#escalate", Button).disabled = True
        if not busy and self._focused_before is not None:
            self._focused_before.focus()
        if doing is not None:
            status = self.query_one("#status", Static)
            status.update(doing)
            status.remove_class("-error")
            status.display = True
        self.refresh_bindings()
