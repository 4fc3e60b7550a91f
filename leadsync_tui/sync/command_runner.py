"""The lease holder executes what watching windows asked for (`store.operator_commands`).

Runs inside the engine (`SyncEngine.run`, and each pass of `run_once`), so every write
request it makes passes the lease's fence. It claims one command at a time, executes it
with the operation the screen would have called itself (`lead_intake.create_lead`,
`conversations.qualify`, the store's reconnect and pull requests), with the operator's
name for the audit, and records the outcome in the row for the watcher to read.
A refusal (DomIQ's, or "already qualified") is an outcome too; a lost lease is not: the
row stays claimed and the next holder executes it again (safely, see the store module).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.fence import WriteFenced
from leadsync_tui.models import utc_now
from leadsync_tui.store.operator_commands import (
    CommandRecord,
    CommandResult,
    CreateLead,
    OperatorCommands,
    Pull,
    Qualify,
    Reconnect,
)
from leadsync_tui.sync import conversations, lead_intake
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_preflight import FindingLevel, PreflightFinding

logger = logging.getLogger(__name__)

POLL_S = 0.2
"""How often the holder looks for new commands (a read; a claim writes only when found)."""
KEEP_FINISHED = timedelta(days=1)
"""How long a finished command's row stays (a watcher reads its outcome within seconds)."""
PRUNE_EVERY_S = 3600.0
RECONNECT_ACTION = "reconnect_feed"
PULL_ACTION = "pull_now"


class CommandRunner:
    """Claims and executes the store's commands while this engine holds the lease."""

    def __init__(
        self,
        desk: LeadDesk,
        journal: Journal,
        *,
        poll_s: float = POLL_S,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._desk = desk
        self._now = now
        self._commands = OperatorCommands(desk.db)
        self._journal = journal
        self._poll_s = poll_s

    async def run(self) -> None:
        """Until cancelled: execute every command as it arrives; once an hour, forget
        the ones finished more than `KEEP_FINISHED` ago."""
        loop = asyncio.get_running_loop()
        pruned_at = -PRUNE_EVERY_S
        while True:
            if loop.time() - pruned_at >= PRUNE_EVERY_S:
                pruned_at = loop.time()
                await self.prune()
            if not await self.run_pending():
                await asyncio.sleep(self._poll_s)

    async def prune(self) -> int:
        """Forget the commands finished more than `KEEP_FINISHED` ago; how many."""
        gone = await self._commands.prune(self._now() - KEEP_FINISHED)
        if gone:
            logger.info("forgot %d finished operator command(s)", gone)
        return gone

    async def run_pending(self) -> int:
        """Execute every claimable command now; how many."""
        ran = 0
        while await self._commands.waiting():
            record = await self._commands.claim_next()
            if record is None:
                break
            await self._execute(record)
            ran += 1
        return ran

    async def _execute(self, record: CommandRecord) -> None:
        self._journal.emit(
            "command_claimed", command=record.id, kind=record.kind.value, attempt=record.attempts
        )
        try:
            result = await self._dispatch(record)
        except WriteFenced:
            raise  # the lease is gone: the next holder executes it
        except SyncError as exc:
            await self._failed(record, exc.message, type(exc).__name__)
        except conversations.AlreadyQualified as exc:
            await self._failed(record, str(exc), type(exc).__name__)
        except Exception as exc:  # a bug: say so in the row, keep the engine running
            logger.exception("command %d (%s) failed", record.id, record.kind.value)
            await self._failed(record, f"{type(exc).__name__}: {exc}", type(exc).__name__)
        else:
            await self._commands.finish(record.id, result)
            self._journal.emit("command_done", command=record.id, kind=record.kind.value)

    async def _failed(self, record: CommandRecord, error: str, kind: str) -> None:
        await self._commands.fail(record.id, error, kind)
        self._journal.emit(
            "command_failed", command=record.id, kind=record.kind.value, error_kind=kind
        )

    async def _dispatch(self, record: CommandRecord) -> CommandResult:
        desk, actor, payload = self._desk, record.actor, record.payload
        match payload:
            case CreateLead():
                confirmed = [
                    PreflightFinding(FindingLevel.WARNING, "confirmed", message)
                    for message in payload.confirmed
                ]
                lead = await lead_intake.create_lead(
                    desk, payload.data, payload.idempotency_key, actor, confirmed=confirmed
                )
                return CommandResult(lead=lead)
            case Qualify():
                return await self._qualify(record, payload)
            case Reconnect():
                await desk.store.connect()
                await desk.store.record_audit(actor=actor, action=RECONNECT_ACTION, target="domiq")
                return CommandResult(note="reconnecting the live feed")
            case Pull():
                await desk.store.pull_leads(full=payload.full)
                await desk.store.record_audit(
                    actor=actor, action=PULL_ACTION, target="domiq", after={"full": payload.full}
                )
                return CommandResult(note="pulling now")

    async def _qualify(self, record: CommandRecord, payload: Qualify) -> CommandResult:
        cid = payload.conversation_id
        try:
            lead = await conversations.qualify(self._desk, cid, record.actor, reason=payload.reason)
        except conversations.AlreadyQualified:
            held = self._desk.store.state.leads.get(cid)
            if record.attempts > 1 and held is not None:
                return CommandResult(lead=held)  # a holder that died did it already
            raise
        return CommandResult(lead=lead)
