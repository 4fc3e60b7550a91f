"""`ConflictResolutionModal`: one conflict, its three values, and a manager's decision.

Spec §2: `ConflictResolutionModal { isOpen, conflict, onResolve(resolution), onEscalate,
loading }`. Here `is_open` is the screen being on the stack; `on_resolve` and `on_escalate`
are the `submit` and `escalate` coroutines the opener passes (closures over the store and
the actor, so the modal never knows who is signed in nor touches the network); `loading` is
the modal's `busy` state while one of them runs (not Textual's `Widget.loading`, which
would hide the whole dialog behind a spinner). It dismisses with a `ConflictOutcome`, or
None when the manager cancels.

The last agreed value sits beside DomIQ's and ResMan's so a manager sees which side moved.
Everything has a key (`1`-`4`, `ctrl+s`, `e`, `n`, `escape`) and a mouse target, and the
layout keeps every control on screen at 80x24 (it scrolls only for very long values).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from leadsync_tui.models import (
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    Resolution,
    ResolutionStatus,
)
from leadsync_tui.store.store import ActionRefused
from leadsync_tui.sync.mapping import NORMALISERS, is_invalid, normalise_field
from leadsync_tui.sync.merge import (
    HELD_BY,
    LINKED_DUPLICATE_FIELD,
    candidate_ids,
    candidate_owners,
)
from leadsync_tui.ui_work import run_ui_work
from leadsync_tui.widgets.choice_button import ChoiceButton
from leadsync_tui.widgets.pii import mask_email, mask_phone
from leadsync_tui.widgets.sync_error_alert import clean_text

EMPTY = "—"
"""Shown for a value that is not there (a cleared field, no agreed value yet)."""
VALUE_LIMIT = 1000
"""Characters of one value shown: upstream text is hostile and notes can be long."""
CHOICE_ORDER = (
    Resolution.DOMIQ_WINS,
    Resolution.RESMAN_WINS,
    Resolution.MERGED,
    Resolution.MANUAL_REVIEW,
)
"""The choices in key order: `1` is DomIQ wins ... `4` is manual review."""
CHOICE_LABELS = {
    Resolution.DOMIQ_WINS: "1 DomIQ wins",
    Resolution.RESMAN_WINS: "2 ResMan wins",
    Resolution.MERGED: "3 Merged value",
    Resolution.MANUAL_REVIEW: "4 Manual review",
}
RESOLUTION_WORDS = {
    Resolution.DOMIQ_WINS: "DomIQ wins",
    Resolution.RESMAN_WINS: "ResMan wins",
    Resolution.MERGED: "merged value",
    Resolution.MANUAL_REVIEW: "manual review",
}
"""A resolution as people say it (toasts), not its stored value (`resman_wins`)."""
DUPLICATE_LABELS = {
    Resolution.DOMIQ_WINS: "1 New prospect",
    Resolution.RESMAN_WINS: "2 1st candidate",
    Resolution.MERGED: "3 Pick one",
    Resolution.MANUAL_REVIEW: "4 Manual review",
}
"""The same four choices for a `duplicate_candidate`, named by what they do to ResMan."""
LINKED_LABELS = {**DUPLICATE_LABELS, Resolution.RESMAN_WINS: "2 Link too"}
"""A `duplicate_candidate` another conversation holds: `2` links this one to it too."""
SEVERITY_WORDS = {
    ConflictSeverity.HIGH: "▲ HIGH",
    ConflictSeverity.MEDIUM: "◆ MEDIUM",
    ConflictSeverity.LOW: "▽ LOW",
}
"""A glyph and a word, so severity reads without colour too."""

OutcomeAction = Literal["resolved", "escalated", "skipped"]


@dataclass(frozen=True)
class ConflictOutcome:
    """What the manager did; the modal dismisses with it (None means cancelled)."""

    conflict_id: str
    action: OutcomeAction
    resolution: ConflictResolution | None = None
    """Set when `action` is "resolved": what the store recorded."""
    reason: str = ""


def outcome_message(outcome: ConflictOutcome) -> str | None:
    """The toast after a decision in the dialog (None after a skip)."""
    if outcome.resolution is not None:
        resolution = outcome.resolution.resolution
        if resolution is Resolution.MANUAL_REVIEW:
            return "Conflict left for manual review"
        return f"Conflict resolved ({RESOLUTION_WORDS[resolution]})"
    if outcome.action == "escalated":
        return "Escalated"
    return None


Submit = Callable[[ConflictResolution], Awaitable[None]]
Escalate = Callable[[str], Awaitable[None]]


# --------------------------------------------------------------------------- values


def words(value: str) -> str:
    """`value_mismatch` -> `value mismatch`, for enum values and field names."""
    return value.replace("_", " ")


def format_value(field: str, value: Any, *, mask: bool = False) -> str:
    """A value as a manager reads it: `$1,850`, `Jan 15, 2027`, yes/no, `—` for none.

    A value the field's normaliser cannot read (a `format_invalid` conflict) is shown as
    it came, cleaned of control characters. `mask` hides names, emails and phones.
    """
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    normal = normalise_field(field, value) if field in NORMALISERS else value
    if not is_invalid(normal) and normal is not None:
        if field == "max_rent":
            return f"${normal:,}"
        if field == "desired_move_in":
            day = date.fromisoformat(normal)
            return f"{day:%b} {day.day}, {day.year}"
    text = clean_text(str(value), VALUE_LIMIT)
    if mask:
        return _masked(field, text)
    return text


def _masked(field: str, text: str) -> str:
    if field == "phone":
        return mask_phone(text)
    if field == "email":
        return mask_email(text)
    if field in ("first_name", "last_name"):
        return f"{text[:1].upper()}."
    return text


def effect_of(conflict: LeadSyncConflict, choice: Resolution | None, *, mask: bool) -> str:
    """One line saying what the chosen resolution will write, and where."""
    field = words(conflict.field)
    if choice is None:
        return "Choose a resolution: 1-4, or click one."
    if conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
        return _duplicate_effect(conflict, choice)
    if choice is Resolution.MERGED:
        return "Writes the final value below to both DomIQ and ResMan."
    if choice is Resolution.MANUAL_REVIEW:
        return f"Writes nothing; the conflict stays open and blocks {field}."
    wins = choice is Resolution.DOMIQ_WINS
    value = conflict.domiq_value if wins else conflict.resman_value
    source, target = ("DomIQ", "ResMan") if wins else ("ResMan", "DomIQ")
    if value is None or value == "":
        return f"Clears {field} in {target}, as {source} did."
    shown = format_value(conflict.field, value, mask=mask)
    return f"Writes {source}'s {field} {shown} to {target}."


def choice_labels(conflict: LeadSyncConflict) -> dict[Resolution, str]:
    """The radio labels: what each choice does, in this conflict's terms."""
    if conflict.conflict_type is not ConflictType.DUPLICATE_CANDIDATE:
        return CHOICE_LABELS
    return LINKED_LABELS if conflict.field == LINKED_DUPLICATE_FIELD else DUPLICATE_LABELS


def _duplicate_effect(conflict: LeadSyncConflict, choice: Resolution) -> str:
    """What each choice does when several ResMan prospects could be this lead."""
    ids = candidate_ids(conflict.resman_value)
    if conflict.field == LINKED_DUPLICATE_FIELD:
        return _linked_effect(conflict, choice, ids)
    if choice is Resolution.DOMIQ_WINS:
        return (
            "Creates a new ResMan prospect for this lead; the "
            f"{len(ids)} candidates are left as they are."
        )
    if choice is Resolution.RESMAN_WINS:
        first = ids[0] if ids else "?"
        return (
            f"Links this lead to the first candidate, {first}; then both sync as usual "
            "(values that differ become conflicts)."
        )
    if choice is Resolution.MERGED:
        return "Links this lead to the candidate you name below (number or id); creates nothing."
    return "Writes nothing; nothing is created or linked in ResMan until this is decided."


def _linked_effect(conflict: LeadSyncConflict, choice: Resolution, ids: list[str]) -> str:
    """What each choice does when the prospect is already another conversation's."""
    owners = candidate_owners(conflict.resman_value)
    first = ids[0] if ids else "?"
    if choice is Resolution.DOMIQ_WINS:
        return (
            "Creates a second ResMan prospect for this lead; choose it only when this is "
            "a different person."
        )
    if choice is Resolution.RESMAN_WINS:
        held = owners.get(first)
        also = f", which conversation {held} already syncs with" if held else ""
        return (
            f"Links this conversation to {first} too{also}; both then sync with that one "
            "guest card (values that differ become conflicts); creates nothing."
        )
    if choice is Resolution.MERGED:
        return "Links this conversation to the candidate you name below too; creates nothing."
    return "Writes nothing; nothing is created or linked in ResMan until this is decided."


def duplicate_text(value: Any, *, mask: bool = False, ids: bool = False) -> str:
    """A `duplicate_candidate` value, one person a line: `[id · ]name · email · phone`
    (`ids`: each line starts with a prospect id, ResMan's side). `mask` hides names,
    emails and phones; prospect ids stay, they are not personal."""
    if value is None or value == "":
        return EMPTY
    lines = []
    for number, entry in enumerate(str(value).split("; "), start=1):
        parts = [clean_text(part, VALUE_LIMIT) for part in entry.split(" · ")]
        if mask:
            head = parts[:1] if ids else []
            parts = head + [_masked_part(part) for part in parts[len(head) :]]
        lines.append(f"{number}. " * ids + " · ".join(parts))
    return "\n".join(lines)


def _masked_part(part: str) -> str:
    if part.startswith(HELD_BY):
        return part  # a conversation id, not personal
    if "@" in part:
        return mask_email(part)
    if part.startswith("+") and part[1:].isdigit():
        return mask_phone(part)
    return " ".join(f"{word[:1].upper()}." for word in part.split())


def chosen_candidate(conflict: LeadSyncConflict, text: str) -> tuple[str | None, str | None]:
    """The prospect id a `duplicate_candidate`'s "pick by id" links (typed as the id or
    as the candidate's number in the list), or the problem."""
    listed = candidate_ids(conflict.resman_value)
    typed = text.strip().rstrip(".")
    if typed.isdigit() and 1 <= int(typed) <= len(listed):
        return listed[int(typed) - 1], None
    picked = candidate_ids(text.strip())
    if not picked:
        return None, "Enter the number or the id of the candidate to link."
    known = {i.lower(): i for i in listed}
    if picked[0].lower() not in known:
        return None, f"{clean_text(picked[0], 60)} is not one of the candidates shown."
    return known[picked[0].lower()], None


def edit_text(value: Any) -> str:
    """A value as text to edit in the merged input (booleans as yes/no)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def merged_value(field: str, text: str) -> tuple[Any, str | None]:
    """The value a merged resolution writes, or None and the problem in words."""
    if not text.strip():
        return None, "Enter the value to write to both sides."
    if field not in NORMALISERS:
        return text.strip(), None
    value = normalise_field(field, text)
    if is_invalid(value):
        return None, clean_text(value.reason, 200)
    if value is None:
        return None, f"{text.strip()!r} clears {words(field)}; a merged value cannot be empty."
    return value, None


class FieldValueValidator(Validator):
    """Checks a merged value with the sync's own normaliser, as the manager types."""

    def __init__(self, field: str) -> None:
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        _, problem = merged_value(self.field, value)
        return self.success() if problem is None else self.failure(problem, value)


class CandidateValidator(Validator):
    """Checks that a duplicate's "pick by id" names one of the candidates shown."""

    def __init__(self, conflict: LeadSyncConflict) -> None:
        super().__init__()
        self.conflict = conflict

    def validate(self, value: str) -> ValidationResult:
        _, problem = chosen_candidate(self.conflict, value)
        return self.success() if problem is None else self.failure(problem, value)


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
                    yield self._fact("Field", words(conflict.field))
                    yield self._fact("Type", words(conflict.conflict_type.value))
                with Vertical():
                    yield self._severity()
                    yield self._fact("Status", words(conflict.resolution_status.value))
            with Horizontal(id="values"):
                yield from self._value_column("DomIQ", conflict.domiq_value, "domiq")
                yield from self._value_column("ResMan", conflict.resman_value, "resman")
                yield from self._value_column("Last agreed", conflict.base_value, "base")
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

    def _fact(self, label: str, value: str, *, classes: str = "") -> Horizontal:
        """`Label  value` on one line; the value is never read as markup."""
        return Horizontal(
            Label(label, classes="fact-label"),
            Label(clean_text(value, 60), markup=False, classes=f"fact-value {classes}"),
            classes="fact",
        )

    def _severity(self) -> Horizontal:
        severity = self.conflict.conflict_severity
        return self._fact(
            "Severity", SEVERITY_WORDS[severity], classes=f"severity -{severity.value}"
        )

    def _value_column(self, title: str, value: Any, key: str) -> ComposeResult:
        conflict = self.conflict
        with Vertical(id=f"value-{key}", classes="value-column"):
            yield Label(title, classes="value-title")
            if conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE:
                shown = duplicate_text(value, mask=self.mask_pii, ids=key == "resman")
            else:
                shown = format_value(conflict.field, value, mask=self.mask_pii)
            yield Static(Content(shown), classes="value")
            if key != "base" and conflict.conflict_type is not ConflictType.DUPLICATE_CANDIDATE:
                moved = value != conflict.base_value
                yield Label("changed" if moved else "as agreed", classes="value-note")

    def _form(self) -> ComposeResult:
        duplicate = self.conflict.conflict_type is ConflictType.DUPLICATE_CANDIDATE
        labels = choice_labels(self.conflict)
        with Horizontal(id="decision-row", classes="row"):
            yield Label("Decision", classes="row-label")
            with RadioSet(id="choice", compact=True):
                for resolution in CHOICE_ORDER:
                    yield ChoiceButton(labels[resolution], id=f"choice-{resolution.value}")
        yield Static(Content(effect_of(self.conflict, None, mask=self.mask_pii)), id="effect")
        with Horizontal(id="final-row", classes="row"):
            yield Label("Final", classes="row-label")
            if duplicate:
                yield Input(
                    placeholder="the number or id of the candidate to link",
                    validators=[CandidateValidator(self.conflict)],
                    id="final",
                )
            else:
                field = self.conflict.field
                hidden = self.mask_pii and _masked(field, "x") != "x"  # a masked field
                yield Input(
                    "" if hidden else edit_text(self.conflict.domiq_value),
                    placeholder=f"the {words(field)} to write to both sides"
                    + (" (masked: type it)" if hidden else ""),
                    validators=[FieldValueValidator(self.conflict.field)],
                    id="final",
                )
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
