"""Engine requests from a window that watches: written as commands for the holder.

A watching window runs no engine, so the in-process requests (`ctrl+r` reconnect, a
pull) would reach nobody. Here they become commands in the store
(`store.operator_commands`) that the lease holder's engine executes; the window says
what it asked, and what came of it once the engine answered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.screen import Screen

from leadsync_tui.store.operator_commands import CommandPayload, Pull, Reconnect
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync import command_ticket
from leadsync_tui.sync.command_ticket import NO_ENGINE, CommandCancelled, CommandFailed
from leadsync_tui.widgets.sync_error_alert import clean_text

ASKED: dict[type[Reconnect | Pull], tuple[str, str]] = {
    Reconnect: (
        "Asked the engine to reconnect the live feed…",
        "The engine reconnects the live feed.",
    ),
    Pull: (
        "Asked the engine to read DomIQ and ResMan now…",
        "The engine is reading DomIQ and ResMan.",
    ),
}
"""What the window says when it asks, and when the engine took it."""


async def ask_engine(
    screen: Screen[Any],
    store: LeadSyncStore,
    payload: Reconnect | Pull,
    actor: str,
    clock: Callable[[], datetime],
) -> None:
    """Write `payload` for the holder's engine; say so, and say its outcome."""
    asked, done = ASKED[type(payload)]
    command: CommandPayload = payload
    ticket = await command_ticket.submit(store, command, actor, clock)
    screen.notify(asked, timeout=3)

    def waiting(line: str) -> None:
        if line == NO_ENGINE:
            screen.notify(
                "No engine runs: it happens once one takes over (ctrl+e).",
                severity="warning",
                timeout=5,
            )

    try:
        await ticket.outcome(waiting)
    except CommandFailed as exc:
        screen.notify(f"The engine could not: {clean_text(exc.message)}", severity="error")
    except CommandCancelled:
        return
    else:
        screen.notify(done, timeout=3)
