"""A watching window's side of an operator command: write it, wait for its outcome.

`submit` writes the command (`store.operator_commands`) and hands back a `Ticket`;
`Ticket.outcome` reads the row until the lease holder's engine has answered, saying
meanwhile what it waits for (`on_wait`): an engine named and alive, or none at all
("ctrl+e takes over"). `Ticket.cancel` gives up on a command no engine claimed yet.
The outcome comes back as the direct call's would: the lead, or an error to word.
Headless: the screens pass `on_wait` to show the line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from leadsync_tui.models import Lead
from leadsync_tui.store.db import Database
from leadsync_tui.store.operator_commands import (
    CommandPayload,
    CommandRecord,
    CommandState,
    OperatorCommands,
)
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.engine_presence import is_alive

POLL_S = 0.1
"""How often the row is read while waiting (one primary-key read)."""
PRESENCE_EVERY = 5
"""Polls between two reads of who holds the lease."""
NO_ENGINE = "Waiting for the engine (none running — ctrl+e takes over)… esc cancels"


class CommandFailed(Exception):
    """The engine executed the command and it was refused."""

    def __init__(self, message: str, kind: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        """The refusal's class name (`DuplicateRecord`, `AlreadyQualified`, ...)."""


class CommandCancelled(Exception):
    """The operator cancelled it before any engine claimed it: nothing was done."""


def waiting_line(record: CommandRecord | None, holder: str | None) -> str:
    """What the window says while it waits: with which engine, or that there is none."""
    if holder is None:
        return NO_ENGINE
    if record is not None and record.state is CommandState.RUNNING:
        return f"The engine ({holder}) is on it…"
    return f"Sent to the engine ({holder})… esc cancels"


@dataclass
class Ticket:
    """One submitted command."""

    commands: OperatorCommands
    db: Database
    id: int
    clock: Callable[[], datetime]
    poll_s: float = POLL_S

    async def outcome(self, on_wait: Callable[[str], None] | None = None) -> CommandRecord:
        """Wait for the engine's answer: the done record; `CommandFailed` when refused,
        `CommandCancelled` when cancelled."""
        holder: str | None = None
        said: str | None = None
        polls = 0
        while True:
            record = await self.commands.get(self.id)
            if record is None:
                raise CommandCancelled(f"command {self.id} is gone from the store")
            if record.state is CommandState.DONE:
                return record
            if record.state is CommandState.FAILED:
                raise CommandFailed(record.error or "refused", record.error_kind)
            if record.state is CommandState.CANCELLED:
                raise CommandCancelled("cancelled before an engine took it")
            if polls % PRESENCE_EVERY == 0:
                holder = await self._holder()
            polls += 1
            line = waiting_line(record, holder)
            if on_wait is not None and line != said:
                said = line
                on_wait(line)
            await asyncio.sleep(self.poll_s)

    async def cancel(self) -> bool:
        """Cancel unless an engine took it already (then its outcome still comes)."""
        return await self.commands.cancel(self.id)

    async def _holder(self) -> str | None:
        record = await self.db.engine_record()
        if record is None or not is_alive(record, self.clock()):
            return None
        return f"sync@{record.host} pid {record.pid}"


async def submit(
    store: LeadSyncStore, payload: CommandPayload, actor: str, clock: Callable[[], datetime]
) -> Ticket:
    """Write the command for the lease holder into `store`; the ticket to wait on."""
    commands = OperatorCommands(store.db)
    command_id = await commands.submit(payload, actor)
    return Ticket(commands, store.db, command_id, clock)


def lead_of(record: CommandRecord) -> Lead:
    """The lead a done create or qualification answered."""
    if record.result is None or record.result.lead is None:
        raise CommandFailed("the engine answered without a lead", None)
    return record.result.lead
