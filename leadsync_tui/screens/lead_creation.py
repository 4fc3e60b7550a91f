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
(`through_engine`), and the form waits for the outcome, saying which engine has it or
that none runs (`ctrl+e` takes over); `esc` cancels it while no engine has taken it.

Every field cuts what is typed or pasted to its length and drops control characters,
so a 10 KB paste or an escape sequence cannot push the layout around.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, ClassVar, Literal

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from leadsync_tui.clients.errors import DuplicateRecord, SyncError
from leadsync_tui.models import Lead, LeadData, LeadSource, utc_now
from leadsync_tui.store.db import Database
from leadsync_tui.store.operator_commands import CreateLead
from leadsync_tui.sync import command_ticket, lead_intake
from leadsync_tui.sync.command_ticket import CommandCancelled, CommandFailed, Ticket
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_intake import (
    FIELD_CHECKS,
    INPUT_LIMITS,
    PreflightFinding,
    check_field,
    clean_input,
    read_form,
)
from leadsync_tui.ui_work import push_screen, run_ui_work
from leadsync_tui.widgets.leads_columns import property_label
from leadsync_tui.widgets.leads_table import LeadsTable
from leadsync_tui.widgets.sync_error_alert import clean_text

Check = Callable[[LeadData], Awaitable[list[PreflightFinding]]]
Create = Callable[[LeadData, str, Sequence[PreflightFinding]], Awaitable[Lead]]

LABELS = {
    "property_id": "Property",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "source": "Source",
    "desired_move_in": "Move-in",
    "desired_bedrooms": "Bedrooms",
    "desired_bathrooms": "Bathrooms",
    "max_rent": "Max rent",
    "pets": "Pets",
    "notes": "Notes",
}
PLACEHOLDERS = {
    "first_name": "required",
    "last_name": "required",
    "email": "name@example.com",
    "phone": "(512) 555-0143",
    "desired_move_in": "YYYY-MM-DD",
    "desired_bedrooms": "0-10",
    "desired_bathrooms": "e.g. 1.5",
    "max_rent": "$ a month",
    "notes": "anything the leasing team should know",
}
LEFT = ("property_id", "first_name", "last_name", "email", "phone", "source")
RIGHT = ("desired_move_in", "desired_bedrooms", "desired_bathrooms", "max_rent", "pets", "notes")
SOURCE_LABELS = {
    LeadSource.ADMIN: "admin (typed in)",
    LeadSource.WEBSITE_CHAT: "website chat",
    LeadSource.SMS: "SMS",
    LeadSource.VOICE: "voice",
    LeadSource.ILS: "ILS listing",
}
PETS_OPTIONS = (("not asked", ""), ("yes", "yes"), ("no", "no"))
MESSAGE_LIMIT = 300
"""Characters of one message shown (findings quote upstream values)."""

Phase = Literal["editing", "checking", "creating"]


class FormInput(Input):
    """An `Input` that cleans what arrives: control characters out, line breaks and tabs
    to spaces, cut to `max_length` (a too-long paste is cut, not refused)."""

    was_cut = False
    """Set when the last edit was cut to fit; the form says so once."""

    def replace(self, text: str, start: int, end: int) -> None:
        cleaned = clean_input(text)
        if self.max_length:
            current = len(self.value) - abs(end - start)
            room = max(self.max_length - current, 0)
            if len(cleaned) > room:
                cleaned = cleaned[:room]
                self.was_cut = True
        super().replace(cleaned, start, end)

    def _on_paste(self, event: events.Paste) -> None:
        """Every pasted line, not only the first, joined by spaces."""
        event.prevent_default()
        event.stop()
        if not event.text:
            return
        start, end = self.selection
        self.replace(clean_input(event.text, None), start, end)


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

    @classmethod
    def for_desk(cls, desk: LeadDesk, *, actor: str, today: date) -> LeadCreationModal:
        """The form wired to DomIQ and ResMan through the desk, audited as `actor`."""
        return cls(
            desk.mapping.domiq_property_ids,
            check=partial(_check_on, desk, today),
            create=partial(_create_on, desk, actor),
            today=today,
            property_names=desk.settings.resman.property_names,
        )

    @classmethod
    def through_engine(
        cls, desk: LeadDesk, *, actor: str, today: date, clock: Callable[[], datetime]
    ) -> LeadCreationModal:
        """The form of a watching window: checks read DomIQ and ResMan as usual, the
        create goes to the lease holder's engine as a command and the form waits."""
        form = cls(
            desk.mapping.domiq_property_ids,
            check=partial(_check_on, desk, today),
            create=partial(_create_on, desk, actor),
            today=today,
            property_names=desk.settings.resman.property_names,
        )
        form._create = partial(_create_through_engine, desk.db, actor, clock, form)
        return form

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
            if event.select.has_focus and event.value != Select.NULL:
                # Chosen: what is typed next is the name, not a search in the list.
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
            self._failed(f"Could not run the checks: {_what_went_wrong(exc)}. Try ctrl+s again.")
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
        except (DuplicateRecord, _Duplicate):
            self._failed(
                "DomIQ already created a lead from this form's earlier submit, with the "
                "values sent then. Close the form (esc) and find it in the list."
            )
        except Exception as exc:
            self._failed(
                f"Not created: {_what_went_wrong(exc)}. Your values are kept; ctrl+s tries "
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


class _Duplicate(CommandFailed):
    """The engine's create was refused as DomIQ refuses a reused idempotency key."""


def _what_went_wrong(exc: BaseException) -> str:
    if isinstance(exc, SyncError | CommandFailed):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


async def _check_on(desk: LeadDesk, today: date, data: LeadData) -> list[PreflightFinding]:
    return await lead_intake.preflight(desk, data, today=today)


async def _create_on(
    desk: LeadDesk, actor: str, data: LeadData, key: str, confirmed: Sequence[PreflightFinding]
) -> Lead:
    return await lead_intake.create_lead(desk, data, key, actor, confirmed=confirmed)


async def _create_through_engine(
    db: Database,
    actor: str,
    clock: Callable[[], datetime],
    form: LeadCreationModal,
    data: LeadData,
    key: str,
    confirmed: Sequence[PreflightFinding],
) -> Lead:
    """The create as a command for the lease holder (same key: a re-run after its
    holder died makes no second lead); the lead it made, or its refusal."""
    command = CreateLead(
        data=data, idempotency_key=key, confirmed=tuple(f.message for f in confirmed)
    )
    ticket = await command_ticket.submit(db, command, actor, clock)
    form.wait_on(ticket)
    try:
        record = await ticket.outcome(form.show_waiting)
    except CommandFailed as exc:
        if exc.kind == DuplicateRecord.__name__:
            raise _Duplicate(exc.message, exc.kind) from exc
        raise
    finally:
        form.wait_on(None)
    return command_ticket.lead_of(record)


# --------------------------------------------------------------------------- opening


def creation_refusal(app: App[Any]) -> str | None:
    """Why this session cannot create leads (read-only, or no DomIQ to create them in)."""
    if getattr(app, "read_only", False):
        return "Read-only session: creating leads is not allowed."
    if getattr(app, "desk", None) is None:
        return "No connection to DomIQ and ResMan in this session: cannot create leads."
    return None


def open_lead_creation(screen: Screen[Any], table: LeadsTable, *, actor: str, today: date) -> None:
    """Open the form over `screen`; afterwards put `table`'s cursor on the new lead."""
    refusal = creation_refusal(screen.app)
    desk = getattr(screen.app, "desk", None)
    if refusal is not None or not isinstance(desk, LeadDesk):
        screen.notify(refusal or "Cannot create leads here.", severity="warning", timeout=4)
        return
    if not desk.mapping.domiq_property_ids:
        screen.notify(
            "No property is mapped to ResMan: add [resman.properties.<DomIQ id>] to the "
            "config (leadsync config check shows it), then create leads.",
            severity="warning",
            timeout=6,
        )
        return

    def created(lead: Lead | None) -> None:
        if lead is None:
            return
        if table.get_lead(lead.conversation_id) is None:
            table.upsert([lead])
        shown = table.move_cursor_to(lead.conversation_id)
        note = "" if shown else " (the filter hides it)"
        screen.notify(f"Lead created; syncing to ResMan{note}", timeout=4)

    if getattr(screen.app, "watching", False):
        clock: Callable[[], datetime] = getattr(screen.app, "clock", utc_now)
        modal = LeadCreationModal.through_engine(desk, actor=actor, today=today, clock=clock)
    else:
        modal = LeadCreationModal.for_desk(desk, actor=actor, today=today)
    push_screen(screen, modal, created)
