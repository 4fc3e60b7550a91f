"""`ConversationScreen`: a DomIQ chat transcript, and qualifying it (the spec's ChatModal).

The header says who and where the conversation stands: a chat that is not a lead yet,
or a lead (`new`, `qualified`, `disqualified`) with its sync status. The transcript
follows, oldest first and scrolled to the latest line; each line carries its time (UTC)
and speaker, with a glyph and a word per role (`● prospect`, `◆ bot`, `■ agent`) so the
speakers are told apart without colour. Text from DomIQ is shown as text (no markup),
cleaned of control characters, and wrapped.

`q` qualifies a chat or a `new` lead, after a `y` to confirm (qualifying sends the lead
to ResMan; `q` means quit in many programs). It is hidden for a lead already qualified
or disqualified, and for a user who may not create records (read-only, a viewer), where
the line under the transcript says why. The lead then moves in the store, and the header
follows it live as the engine syncs it. `f5` reads the transcript again; `escape` goes
back.

In a window that watches (another process holds the sync lease) the qualification is
written to the store as a command for the holder's engine; the action line says what it
waits for (which engine, or none: `ctrl+e` takes over), `escape` cancels it while no
engine has taken it, and its outcome is shown as a direct one's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Header, Static

from leadsync_tui.clients.errors import NotFound, SyncError
from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import (
    Lead,
    Qualification,
    SyncStatus,
    TranscriptMessage,
)
from leadsync_tui.roles import Permission, refusal
from leadsync_tui.screens.chat_lines import (
    MESSAGE_LIMIT,
    NOT_A_LEAD,
    QUALIFICATION_LABELS,
    ChatLine,
    already_qualified,
    display_name,
    redact,
)
from leadsync_tui.screens.lead_screen import LeadScreen
from leadsync_tui.store.changes import LeadsChanged
from leadsync_tui.store.operator_commands import Qualify
from leadsync_tui.sync import command_ticket
from leadsync_tui.sync.command_ticket import CommandCancelled, CommandFailed, Ticket
from leadsync_tui.sync.conversations import AlreadyQualified, can_qualify, qualify, transcript
from leadsync_tui.ui_work import run_ui_work, ui_work
from leadsync_tui.widgets.key_footer import KeyFooter
from leadsync_tui.widgets.lead_sync_status import LeadSyncStatus
from leadsync_tui.widgets.sync_error_alert import clean_text

TranscriptState = Literal["loading", "ready", "error", "offline"]
"""Where the transcript stands; `offline`: the session has no desk."""

__all__ = ["ChatLine", "ConversationScreen", "display_name", "redact"]
"""The screen, and the chat parts older callers import from here (`chat_lines`)."""


class ConversationScreen(LeadScreen):
    """One DomIQ conversation: who, its transcript, and the qualify action."""

    CSS_PATH = "conversation.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "qualify", "Qualify"),
        Binding("y", "confirm", "Yes, qualify"),
        Binding("n", "cancel", "No"),
        Binding("f5", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, conversation_id: str, *, mask_pii: bool | None = None) -> None:
        """`mask_pii` masks the name shown (default: the app's `--mask-pii`)."""
        super().__init__(conversation_id, mask_pii=mask_pii)
        self.state: TranscriptState = "loading"
        self.messages: list[TranscriptMessage] = []
        self.error: str | None = None
        self.confirming = False
        """`q` was pressed: waiting for `y` (or `n`/escape)."""
        self.qualifying = False
        """The qualification is on its way to DomIQ."""
        self.ticket: Ticket | None = None
        """The qualification waiting for the engine's holder (a watching window)."""
        self.waiting = ""
        """What that command waits for, on the action line."""

    # ------------------------------------------------------------ the session

    @property
    def lead(self) -> Lead | None:
        return self.store.state.leads.get(self.conversation_id)

    @property
    def can_qualify(self) -> bool:
        """Qualify is offered: a connected, writable session, a chat or a new lead."""
        return (
            self.desk is not None
            and self.session.may(Permission.CREATE)
            and not self.qualifying
            and can_qualify(self.lead)
        )

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        lead = self.lead
        yield Header()
        with Horizontal(id="conv-title"):
            yield Static(id="conv-name", markup=False)
            yield Static(id="conv-qualification", markup=False)
            badge = LeadSyncStatus(
                lead.resman_sync_status if lead else SyncStatus.NOT_SYNCED,
                lead.last_sync_at if lead else None,
                conversation_id=self.conversation_id,
                clock=self.session.clock,
                age_refresh=1.0 if self.session.live_timers else None,
            )
            badge.set_reactive(LeadSyncStatus.show_actions, False)  # retry is the detail's
            badge.can_focus = False
            yield badge
        yield Static(id="conv-ids", markup=False)
        yield Static(id="conv-state", markup=False)
        yield VerticalScroll(id="transcript", can_focus=True)
        yield Static(id="conv-action", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        box = self.query_one("#transcript", VerticalScroll)
        box.anchor()  # the latest line in view, until the user scrolls up
        box.focus()
        if self.desk is None:
            self.state = "offline"
        self._draw()
        if self.desk is not None:
            self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Qualify only where it is allowed; y/n only while confirming."""
        if action == "qualify":
            return self.can_qualify and not self.confirming
        if action in ("confirm", "cancel"):
            return self.confirming
        return True

    # ------------------------------------------------------------ reading

    @ui_work(exclusive=True, group="conversation-transcript", description="Reading the transcript")
    async def _load(self) -> None:
        desk = self.desk
        assert desk is not None
        self.state = "loading"
        self._draw_state()
        try:
            messages = await transcript(desk, self.conversation_id)
        except NotFound:
            self.error = f"DomIQ has no conversation {self.conversation_id}."
            self.state = "error"
            self._draw_state()
            return
        except SyncError as exc:
            self.error = f"DomIQ could not be read: {exc.message}"
            self.state = "error"
            self._draw_state()
            return
        self.error = None
        self.state = "ready"
        await self._show_messages(messages)

    async def _show_messages(self, messages: Sequence[TranscriptMessage]) -> None:
        """Replace the transcript (it is read whole; a chat has at most hundreds)."""
        self.messages = list(messages)
        box = self.query_one("#transcript", VerticalScroll)
        with self.app.batch_update():
            await box.remove_children()
            await box.mount_all(
                ChatLine(message, self._shown_text(message)) for message in self.messages
            )
            self._draw_state()

    def _shown_text(self, message: TranscriptMessage) -> str:
        text = clean_text(message.text, MESSAGE_LIMIT)
        if not self.masked:
            return text
        lead = self.lead
        return redact(text, (lead.first_name, lead.last_name) if lead else ())

    def on_store_changed(self, message: StoreChanged) -> None:
        for change in message.changes:
            if isinstance(change, LeadsChanged) and self.conversation_id in change.keys:
                if self.confirming and not can_qualify(self.lead):
                    self.confirming = False  # qualified meanwhile: the question is moot
                self._draw()
                return

    # ------------------------------------------------------------ drawing

    def _draw(self) -> None:
        with self.app.batch_update():
            self._draw_head()
            self._draw_state()
            self._draw_action()
        self.refresh_bindings()

    def _draw_head(self) -> None:
        lead = self.lead
        name = self.query_one("#conv-name", Static)
        badge = self.query_one(LeadSyncStatus)
        qualification = self.query_one("#conv-qualification", Static)
        if lead is None:
            name.update(Content("Conversation"))
            qualification.update(NOT_A_LEAD)
            qualification.set_classes("-chat")
            badge.display = False
        else:
            shown = display_name(lead, masked=self.masked)
            name.update(Content(clean_text(shown, 80) or "(no name)"))
            qualification.update(QUALIFICATION_LABELS[lead.qualification])
            qualification.set_classes(f"-{lead.qualification.value}")
            badge.display = True
            badge.resman_sync_status = lead.resman_sync_status
            badge.last_sync_at = lead.last_sync_at
        parts = [self.conversation_id]
        if lead is not None:
            parts += [lead.property_id, lead.source.value.replace("_", " ")]
        parts.append("times UTC")
        self.query_one("#conv-ids", Static).update(Content(clean_text(" · ".join(parts), 300)))

    def _draw_state(self) -> None:
        line = self.query_one("#conv-state", Static)
        texts = {
            "loading": "⟳ Reading the transcript from DomIQ…",
            "offline": "Not connected: this session has no DomIQ connection to read the "
            "transcript from.",
            "error": f"✖ {clean_text(self.error or 'DomIQ could not be read')} · f5 tries again",
        }
        if self.state == "ready":
            count = len(self.messages)
            text = f"{count} message{'' if count == 1 else 's'}" if count else "No messages yet."
        else:
            text = texts[self.state]
        line.update(Content(text))
        line.set_classes(f"-{self.state}")

    def _draw_action(self) -> None:
        line = self.query_one("#conv-action", Static)
        text, kind = self._action_text()
        line.update(Content(text))
        line.set_classes(f"-{kind}")

    def _action_text(self) -> tuple[str, str]:
        lead = self.lead
        who = "this chat"
        if lead is not None:
            who = display_name(lead, masked=self.masked)
        if self.qualifying:
            return f"⟳ {self.waiting or 'Qualifying in DomIQ…'}", "busy"
        if lead is not None and lead.qualification is Qualification.QUALIFIED:
            # Also when it became qualified while the question was up (another session,
            # DomIQ): never ask to qualify a qualified lead.
            return already_qualified(lead), "done"
        if self.confirming:
            return (
                f"Qualify {clean_text(who, 60)} and send the lead to ResMan? y qualify · n cancel",
                "confirm",
            )
        if lead is not None and lead.qualification is Qualification.DISQUALIFIED:
            return "Disqualified in DomIQ: not offered for qualification here.", "note"
        if self.session.read_only:
            return "Read-only session: qualifying is not allowed.", "note"
        if not self.session.may(Permission.CREATE):
            return refusal(self.session.role, Permission.CREATE), "note"
        if self.desk is None:
            return "Not connected: qualifying needs DomIQ.", "note"
        return "q qualify: makes it a qualified lead and sends it to ResMan.", "offer"

    # ------------------------------------------------------------ actions

    def action_qualify(self) -> None:
        """`q`: ask to confirm (the action is hidden where it is not allowed)."""
        if not self.can_qualify:
            self.notify(self._action_text()[0], severity="warning", timeout=3)
            return
        self.confirming = True
        self._draw()

    def action_cancel(self) -> None:
        self.confirming = False
        self._draw()

    def action_confirm(self) -> None:
        """`y`: qualify in DomIQ; the lead goes into the store and the engine syncs it."""
        if not self.confirming:
            return
        self.confirming = False
        if not self.can_qualify:
            self._draw()
            return
        self.qualifying = True
        self._draw()
        self._qualify()

    @ui_work(exclusive=True, group="conversation-qualify", description="Qualifying the lead")
    async def _qualify(self) -> None:
        desk = self.desk
        assert desk is not None
        try:
            if self.session.watching:
                lead = await self._qualify_through_engine()
            else:
                lead = await qualify(desk, self.conversation_id, self.session.actor)
        except (SyncError, AlreadyQualified, CommandFailed) as exc:
            text = exc.message if isinstance(exc, SyncError | CommandFailed) else str(exc)
            self.notify(f"Not qualified: {clean_text(text)}", severity="error", timeout=8)
        except CommandCancelled:
            self.notify("Qualification cancelled: nothing was sent to DomIQ.", timeout=4)
        else:
            name = display_name(lead, masked=self.masked)
            self.notify(f"{name} is qualified; the sync to ResMan has started.", timeout=4)
        finally:
            self.qualifying = False
            self.ticket = None
            self.waiting = ""
            self._draw()

    async def _qualify_through_engine(self) -> Lead:
        """A watching window asks the lease holder's engine; the lead it qualified."""
        self.waiting = "Asking the engine to qualify it in DomIQ…"
        self._draw_action()
        self.ticket = await command_ticket.submit(
            self.store,
            Qualify(conversation_id=self.conversation_id),
            self.session.actor,
            self.session.clock,
        )
        record = await self.ticket.outcome(self._show_waiting)
        return command_ticket.lead_of(record)

    def _show_waiting(self, line: str) -> None:
        self.waiting = line
        self._draw_action()

    async def _cancel_ticket(self, ticket: Ticket) -> None:
        if not await ticket.cancel():
            self.notify("The engine has it already: its answer comes here.", timeout=3)

    def action_refresh(self) -> None:
        if self.desk is not None:
            self._load()

    def action_back(self) -> None:
        if self.confirming:
            self.action_cancel()
            return
        if self.ticket is not None:  # waiting for the engine: esc cancels the command
            run_ui_work(self, self._cancel_ticket(self.ticket), name="cancel", group="cancel")
            return
        self.dismiss()
