"""`LeadCreationModal`: a new lead, checked as it is typed and before it is sent.

Spec §1: `LeadCreationModal { isOpen, onClose, onSubmit(leadData), loading, error }`. Here
`is_open` is the screen being on the stack; `on_submit` is two coroutines the opener
passes, `check` (the pre-flight) and `create` (closures over the `LeadDesk` and the actor,
so the modal never touches the network); `loading` is `busy` while one runs; `error` is
the status line when the create fails. It dismisses with the new `Lead`, or None.

`ctrl+s` reads the form (a field that is wrong keeps it here, nothing is sent), runs the
pre-flight, and creates when it finds nothing. Errors block; warnings are shown and a
second `ctrl+s` on the same values creates anyway. The form keeps one idempotency key
for its life, so a retry after a failure or a double press never makes two leads.

In a window that watches (another process holds the sync lease), the create is not
sent from here: it is written to the store as a command for the engine's holder
(`new_lead.form_through_engine`), and the form waits for the outcome, saying which engine has it or
that none runs (`ctrl+e` takes over); `esc` cancels it while no engine has taken it.

Every field cuts what is typed or pasted to its length and drops control characters,
so a 10 KB paste or an escape sequence cannot push the layout around.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from datetime import date
from typing import ClassVar, Literal

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from leadsync_tui.clients.errors import DuplicateRecord
from leadsync_tui.models import Lead, LeadData, LeadSource
from leadsync_tui.screens.lead_creation_calls import (
    Check,
    Create,
    EngineDuplicate,
    what_went_wrong,
)
from leadsync_tui.screens.lead_form_fields import (
    LABELS,
    LEFT,
    MESSAGE_LIMIT,
    PETS_OPTIONS,
    PLACEHOLDERS,
    RIGHT,
    SOURCE_LABELS,
    FormInput,
)
from leadsync_tui.sync import lead_intake
from leadsync_tui.sync.command_ticket import CommandCancelled, Ticket
from leadsync_tui.sync.lead_form import FIELD_CHECKS, INPUT_LIMITS, check_field, read_form
from leadsync_tui.sync.lead_preflight import PreflightFinding
from leadsync_tui.ui_work import run_ui_work
from leadsync_tui.widgets.leads_columns import property_label
from leadsync_tui.widgets.sync_error_alert import clean_text

Phase = Literal["editing", "checking", "creating"]


class LeadCreationModal(ModalScreen[Lead | None]):
    """The new-lead form: validate as typed, pre-flight, create (see the module doc)."""

    CSS_PATH = "lead_creation.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Create"),
        Binding("escape", "cancel", "Cancel"),
        # A modal hides the app's bindings: a create waiting for an engine that does
        # not run is where taking the engine over matters (the app says when it may).
        Binding("ctrl+e", "app.take_over", "Take over the engine", show=False),
    ]

    def __init__(
        self,
        properties: Sequence[str],
        *,
        check: Check,
        create: Create,
        today: date,
        idempotency_key: str | None = None,
        property_names: Mapping[str, str] | None = None,
    ) -> None:
        """`properties`: the DomIQ property ids ResMan is mapped for, offered by name
        (`property_names`, else the id); `today` is the first allowed move-in date;
        `idempotency_key` (default: a new one) is sent with every create this form makes."""
        super().__init__()
        self.properties = list(properties)
        self.property_names = dict(property_names or {})
        self._check = check
        self._create = create
        self.today = today
        self.idempotency_key = idempotency_key or lead_intake.new_idempotency_key()
        self.phase: Phase = "editing"
        self.findings: list[PreflightFinding] = []
        self._confirmable: LeadData | None = None
        """The data whose warnings are on screen: a second `ctrl+s` creates it."""
        self._touched: set[str] = set()
        self._focused_before: Widget | None = None
        self._discard_asked = False
        """`esc` on a filled form asked "discard?": a second `esc` discards."""
        self.ticket: Ticket | None = None
        """The create waiting for the engine's holder (a watching window), if any."""

    def use_create(self, create: Create) -> None:
        """Send the create another way (a watching window: a command for the engine)."""
        self._create = create

    def wait_on(self, ticket: Ticket | None) -> None:
        """The create is a command now waiting for the engine (None: it answered)."""
        self.ticket = ticket
        self.query_one("#cancel", Button).disabled = ticket is None and self.phase == "creating"
        self.refresh_bindings()

    def show_waiting(self, line: str) -> None:
        """What the command waits for (an engine named, or none running)."""
        if self.phase == "creating":
            self._status(line, "-busy")

    @property
    def busy(self) -> bool:
        """The spec's `loading`: a check or the create runs."""
        return self.phase != "editing"

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "New lead"
            dialog.border_subtitle = "ctrl+s create · esc cancel"
            with VerticalScroll(id="form"), Horizontal(id="columns"):
                for column, names in (("left", LEFT), ("right", RIGHT)):
                    with Vertical(id=f"column-{column}", classes="column"):
                        for name in names:
                            with Vertical(classes="field"):
                                with Horizontal(classes="field-row"):
                                    yield Label(LABELS[name], classes="field-label")
                                    yield self._control(name)
                                yield Static("", id=f"{name}-message", classes="field-message")
            with Vertical(id="footer"):
                yield VerticalScroll(id="findings")
                yield Static("", id="status")
                with Horizontal(id="buttons"):
                    yield Button("Create ^s", id="create", variant="primary", compact=True)
                    yield Button("Cancel esc", id="cancel", compact=True)

    def _control(self, name: str) -> Input | Select[str]:
        if name == "property_id":
            names = self.property_names
            options = [(clean_text(property_label(p, names), 40), p) for p in self.properties]
            only = self.properties[0] if len(self.properties) == 1 else Select.NULL
            return Select(
                options, prompt="choose…", value=only, compact=True, id=name, classes="control"
            )
        if name == "source":
            return Select(
                [(SOURCE_LABELS[s], s.value) for s in SOURCE_LABELS],
                value=LeadSource.ADMIN.value,
                allow_blank=False,
                compact=True,
                id=name,
                classes="control",
            )
        if name == "pets":
            return Select(
                PETS_OPTIONS, value="", allow_blank=False, compact=True, id=name, classes="control"
            )
        return FormInput(
            placeholder=PLACEHOLDERS[name],
            max_length=INPUT_LIMITS[name],
            compact=True,
            id=name,
            classes="control",
        )

    def on_mount(self) -> None:
        for message in self.query(".field-message"):
            message.display = False
        self.query_one("#findings").display = False
        self.query_one("#status").display = False
        first = "#first_name" if len(self.properties) == 1 else "#property_id"
        self.query_one(first).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Light the label of the field being edited (`:focus-within` does not restyle
        a label when the focus leaves its row)."""
        row = event.widget.parent
        for other in self.query(".field-row.-current"):
            if other is not row:
                other.remove_class("-current")
        if row is not None and row.has_class("field-row"):
            row.add_class("-current")

    # ------------------------------------------------------------ as you type

    @on(Input.Changed, ".control")
    def _typed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        self._touched.add(name)
        self._confirmable = None
        self._discard_asked = False
        note = None
        if isinstance(event.input, FormInput) and event.input.was_cut:
            event.input.was_cut = False
            note = f"Cut to {INPUT_LIMITS[name]} characters, the most it keeps."
        self._show_field(name, note)

    @on(Select.Changed, ".control")
    def _chosen(self, event: Select.Changed) -> None:
        self._confirmable = None
        if event.select.id == "property_id":
            self._touched.add("property_id")
            self._show_field("property_id")
            if event.select.has_focus_within and event.value != Select.NULL:
                # Chosen: what is typed next is the name, not a search in the list
                # (the focus may still be on the closing list, or back on the select).
                self.query_one("#first_name").focus()

    def _problem(self, name: str) -> str | None:
        if name == "property_id":
            chosen = self.query_one("#property_id", Select).value
            return None if isinstance(chosen, str) else "Choose the property the lead is for."
        if name in FIELD_CHECKS:
            return check_field(name, self.query_one(f"#{name}", Input).value, self.today).problem
        return None

    def _show_field(self, name: str, note: str | None = None) -> None:
        """The field's message in place: its problem (✗) or a note, else nothing."""
        problem = self._problem(name) if name in self._touched else None
        control = self.query_one(f"#{name}")
        control.set_class(problem is not None, "-invalid")
        message = self.query_one(f"#{name}-message", Static)
        text = f"✗ {problem}" if problem else (f"! {note}" if note else "")
        message.update(Content(text))
        message.set_class(problem is not None, "-error")
        message.display = bool(text)

    # ------------------------------------------------------------ submit

    def _form_values(self) -> dict[str, str]:
        values = {name: self.query_one(f"#{name}", Input).value for name in FIELD_CHECKS}
        for name in ("property_id", "source", "pets"):
            chosen = self.query_one(f"#{name}", Select).value
            values[name] = chosen if isinstance(chosen, str) else ""
        return values

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No second submit while one runs; no cancel while DomIQ is creating."""
        if action == "submit":
            return not self.busy
        if action == "cancel":
            return self.phase != "creating" or self.ticket is not None
        return True

    @on(Button.Pressed, "#create")
    def action_submit(self) -> None:
        """Check the form; then the pre-flight; then (nothing to say, or confirmed) create."""
        if self.busy:
            return
        data, problems = read_form(self._form_values(), self.today)
        if data is None:
            self._touched |= set(problems)
            for name in (*LEFT, *RIGHT):
                self._show_field(name)
            count = len(problems)
            self._status(
                f"✗ Fix the {count} field{'s' if count > 1 else ''} marked ✗; nothing was sent.",
                "-error",
            )
            first = next(name for name in (*LEFT, *RIGHT) if name in problems)
            self.query_one(f"#{first}").focus()
            return
        if self._confirmable == data:
            self._start("creating", self._run_create(data, list(self.findings)))
        else:
            self._start("checking", self._run_check(data))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.phase == "creating":
            ticket = self.ticket
            if ticket is not None:
                run_ui_work(self, self._cancel_ticket(ticket), name="cancel", group="cancel")
            return
        if self._filled() and not self._discard_asked:
            self._discard_asked = True
            self._status(
                "! Discard what you typed? esc again discards · ctrl+s creates", "-warning"
            )
            return
        self.workers.cancel_group(self, "lead-creation")
        self.dismiss(None)

    async def _cancel_ticket(self, ticket: Ticket) -> None:
        """`esc` while the create waits: withdrawn unless an engine took it already."""
        if not await ticket.cancel():
            self._status("The engine has it already: its answer comes here.", "-busy")

    def _filled(self) -> bool:
        """Something typed that `esc` would lose."""
        return any(value for name, value in self._form_values().items() if name in FIELD_CHECKS)

    # ------------------------------------------------------------ running

    def _start(self, phase: Phase, work: Awaitable[None]) -> None:
        self._set_phase(phase)
        run_ui_work(self, work, name=phase, group="lead-creation", exclusive=True)

    async def _run_check(self, data: LeadData) -> None:
        try:
            findings = await self._check(data)
        except Exception as exc:
            self._failed(f"Could not run the checks: {what_went_wrong(exc)}. Try ctrl+s again.")
            return
        self._show_findings(findings)
        if any(f.blocking for f in findings):
            self._set_phase("editing")
            self._status("✗ Fix what is marked ✗ above, then ctrl+s again.", "-error")
        elif findings:
            self._confirmable = data
            self._set_phase("editing")
            self._status("! Press ctrl+s again to create anyway, or change the form.", "-warning")
        else:
            await self._run_create(data, [])

    async def _run_create(self, data: LeadData, confirmed: Sequence[PreflightFinding]) -> None:
        self._set_phase("creating")
        try:
            lead = await self._create(data, self.idempotency_key, confirmed)
        except CommandCancelled:
            self._failed("Cancelled: nothing was sent to DomIQ. Your values are kept.")
        except (DuplicateRecord, EngineDuplicate):
            self._failed(
                "DomIQ already created a lead from this form's earlier submit, with the "
                "values sent then. Close the form (esc) and find it in the list."
            )
        except Exception as exc:
            self._failed(
                f"Not created: {what_went_wrong(exc)}. Your values are kept; ctrl+s tries "
                "again (it can never make two leads)."
            )
        else:
            self.phase = "editing"
            self.dismiss(lead)

    def _failed(self, text: str) -> None:
        self._confirmable = None
        self._set_phase("editing")
        self._status(f"✗ {text}", "-error")

    def _set_phase(self, phase: Phase) -> None:
        """Disable the form while DomIQ or ResMan works; give the focus back after."""
        if phase != "editing" and self.phase == "editing":
            self._focused_before = self.focused
        self.phase = phase
        for widget in self.query(".control, #create"):
            widget.disabled = phase != "editing"
        self.query_one("#cancel", Button).disabled = phase == "creating"
        if phase == "editing" and self._focused_before is not None:
            self._focused_before.focus()
            self._focused_before = None
        if phase == "checking":
            self._status("Checking DomIQ and ResMan for this person…", "-busy")
        elif phase == "creating":
            self._status("Creating the lead in DomIQ…", "-busy")
        self.refresh_bindings()

    def _status(self, text: str, kind: str) -> None:
        status = self.query_one("#status", Static)
        status.update(Content(clean_text(text, MESSAGE_LIMIT)))
        status.set_classes(kind)
        status.display = True

    def _show_findings(self, findings: list[PreflightFinding]) -> None:
        self.findings = findings
        box = self.query_one("#findings", VerticalScroll)
        box.remove_children()
        box.mount_all(
            Static(
                Content(("✗ " if f.blocking else "! ") + clean_text(f.message, MESSAGE_LIMIT)),
                classes="finding -error" if f.blocking else "finding -warning",
            )
            for f in findings
        )
        box.display = bool(findings)
