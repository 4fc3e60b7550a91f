"""What the new-lead form calls: the pre-flight and the create, as closures it is given.

The form never touches the network: its opener hands it `check` and `create`. Here they
are, over the session's `LeadDesk` (this window runs the engine) or, in a window that
watches, as a command the lease holder's engine runs while the form waits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from leadsync_tui.clients.errors import DuplicateRecord, SyncError
from leadsync_tui.models import Lead, LeadData
from leadsync_tui.store.operator_commands import CreateLead
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync import command_ticket, lead_intake, lead_preflight
from leadsync_tui.sync.command_ticket import CommandFailed, Ticket
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_preflight import PreflightFinding

Check = Callable[[LeadData], Awaitable[list[PreflightFinding]]]
Create = Callable[[LeadData, str, Sequence[PreflightFinding]], Awaitable[Lead]]


class CommandWaiter(Protocol):
    """The form, while its create waits for the engine's holder."""

    def wait_on(self, ticket: Ticket | None) -> None: ...

    def show_waiting(self, line: str) -> None: ...


class EngineDuplicate(CommandFailed):
    """The engine's create was refused as DomIQ refuses a reused idempotency key."""


def what_went_wrong(exc: BaseException) -> str:
    if isinstance(exc, SyncError | CommandFailed):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


async def check_on(desk: LeadDesk, today: date, data: LeadData) -> list[PreflightFinding]:
    return await lead_preflight.preflight(desk, data, today=today)


async def create_on(
    desk: LeadDesk, actor: str, data: LeadData, key: str, confirmed: Sequence[PreflightFinding]
) -> Lead:
    return await lead_intake.create_lead(desk, data, key, actor, confirmed=confirmed)


async def create_through_engine(
    store: LeadSyncStore,
    actor: str,
    clock: Callable[[], datetime],
    form: CommandWaiter,
    data: LeadData,
    key: str,
    confirmed: Sequence[PreflightFinding],
) -> Lead:
    """The create as a command for the lease holder (same key: a re-run after its
    holder died makes no second lead); the lead it made, or its refusal."""
    command = CreateLead(
        data=data, idempotency_key=key, confirmed=tuple(f.message for f in confirmed)
    )
    ticket = await command_ticket.submit(store, command, actor, clock)
    form.wait_on(ticket)
    try:
        record = await ticket.outcome(form.show_waiting)
    except CommandFailed as exc:
        if exc.kind == DuplicateRecord.__name__:
            raise EngineDuplicate(exc.message, exc.kind) from exc
        raise
    finally:
        form.wait_on(None)
    return command_ticket.lead_of(record)
