"""Operators' commands: what a watching window asks the engine's holder to do (#14).

A window without the sync lease never calls DomIQ's or ResMan's write routes. Creating
a lead, qualifying a chat, reconnecting the live feed or pulling now are written here as
a `commands` row (a typed payload and the operator's name); the lease holder's engine
claims each one, executes it and writes the outcome back into the row, where the
watcher reads it (`sync.command_ticket`, `sync.command_runner`).

Exactly once: a claim is a compare-and-swap on `state` under the lease fence, like an
outbox item's. A row left `running` by a holder that is gone (its token no longer holds
the lease) is claimed again by the next holder, and its executors are safe to repeat:
a create sends the form's idempotency key again (DomIQ answers with the lead it made),
a qualification is idempotent in DomIQ, a reconnect or a pull does no harm twice. A
holder that lost the lease can neither claim nor record an outcome.

This module is the store's: it speaks SQL on the `Database` connection.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from leadsync_tui.models import Lead, LeadData, UtcDatetime
from leadsync_tui.store.db import Database
from leadsync_tui.store.db_codec import _dt, _dt_or_none, _ts
from leadsync_tui.store.db_outbox import _HOLDS_LEASE


class CommandKind(StrEnum):
    """What a watcher's operator asked for."""

    CREATE_LEAD = "create_lead"
    QUALIFY = "qualify"
    RECONNECT = "reconnect"
    PULL = "pull"


class CommandState(StrEnum):
    """Where a command stands."""

    PENDING = "pending"
    """Written by a watcher; waits for the lease holder's engine."""
    RUNNING = "running"
    """Claimed by the holder named in `claimed_by`; claimed again if that one is gone."""
    DONE = "done"
    FAILED = "failed"
    """The engine tried and DomIQ (or the command itself) refused: `error` says why."""
    CANCELLED = "cancelled"
    """The operator gave up waiting before any engine claimed it (`esc`)."""


FINISHED: Final = frozenset({CommandState.DONE, CommandState.FAILED, CommandState.CANCELLED})


class CreateLead(BaseModel):
    """The new-lead form's create, with the key the form keeps for its whole life."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[CommandKind.CREATE_LEAD] = CommandKind.CREATE_LEAD
    data: LeadData
    idempotency_key: str
    confirmed: tuple[str, ...] = ()
    """The pre-flight warnings the operator confirmed past (for the audit's reason)."""


class Qualify(BaseModel):
    """Qualify a DomIQ conversation (the conversation screen's `q`, `y`)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[CommandKind.QUALIFY] = CommandKind.QUALIFY
    conversation_id: str
    reason: str | None = None


class Reconnect(BaseModel):
    """Reconnect the engine's DomIQ live feed now (`ctrl+r`)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[CommandKind.RECONNECT] = CommandKind.RECONNECT


class Pull(BaseModel):
    """Read DomIQ and ResMan now, not at the next poll (`full`: every DomIQ lead)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[CommandKind.PULL] = CommandKind.PULL
    full: bool = False


CommandPayload = Annotated[CreateLead | Qualify | Reconnect | Pull, Field(discriminator="kind")]
_PAYLOAD: TypeAdapter[CommandPayload] = TypeAdapter(CommandPayload)


class CommandResult(BaseModel):
    """What the engine answered: the lead made or qualified, and a note."""

    model_config = ConfigDict(frozen=True)

    lead: Lead | None = None
    note: str | None = None


class CommandRecord(BaseModel):
    """One row of `commands`."""

    model_config = ConfigDict(frozen=True)

    id: int
    payload: CommandPayload
    actor: str
    created_at: UtcDatetime
    state: CommandState
    attempts: int = 0
    """Claims so far: more than one means a holder died with it running."""
    claimed_by: str | None = None
    result: CommandResult | None = None
    error: str | None = None
    error_kind: str | None = None
    """The refusal's class (`DuplicateRecord`, `NotFound`, ...): screens word it."""
    done_at: UtcDatetime | None = None

    @property
    def kind(self) -> CommandKind:
        return self.payload.kind


_COLUMNS = (
    "id, payload, actor, created_at, state, attempts, claimed_by, result, error, error_kind,"
    " done_at"
)
_OPEN = "(state = 'pending' OR (state = 'running' AND claimed_by != :lease))"
"""Claimable by the holder of `:lease`: waiting, or left running by a gone holder."""


def _record(row: Any) -> CommandRecord:
    return CommandRecord(
        id=row[0],
        payload=_PAYLOAD.validate_json(row[1]),
        actor=row[2],
        created_at=_dt(row[3]),
        state=CommandState(row[4]),
        attempts=row[5],
        claimed_by=row[6],
        result=None if row[7] is None else CommandResult.model_validate_json(row[7]),
        error=row[8],
        error_kind=row[9],
        done_at=_dt_or_none(row[10]),
    )


class OperatorCommands:
    """The `commands` table of one store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def submit(self, payload: CommandPayload, actor: str) -> int:
        """Write a pending command; its id."""
        db = self._db
        row = (
            payload.kind.value,
            _PAYLOAD.dump_json(payload).decode(),
            actor,
            _ts(db._now()),
        )

        async def work() -> int:
            rows = list(
                await db._conn.execute_fetchall(
                    "INSERT INTO commands (kind, payload, actor, created_at, state)"
                    " VALUES (?, ?, ?, ?, 'pending') RETURNING id",
                    row,
                )
            )
            return int(rows[0][0])

        return await db._write(work)

    async def get(self, command_id: int) -> CommandRecord | None:
        rows = await self._db._fetch(f"SELECT {_COLUMNS} FROM commands WHERE id = ?", (command_id,))
        return _record(rows[0]) if rows else None

    async def waiting(self) -> int:
        """How many commands wait for an engine (pending, or left running by a gone one).
        A read: what the holder's runner polls before it writes a claim."""
        db = self._db
        async with db._reading():
            rows = list(
                await db._conn.execute_fetchall(
                    f"SELECT count(*) FROM commands WHERE {_OPEN}", {"lease": db.lease_token or ""}
                )
            )
        return int(rows[0][0])

    async def claim_next(self) -> CommandRecord | None:
        """Claim the oldest claimable command for this process's engine, or None. Only
        while it holds the sync lease (`Database.lease_token`, checked in the same
        statement): a holder that lost it claims nothing."""
        db = self._db
        if db.lease_token is None:
            return None
        params = {"lease": db.lease_token}

        async def work() -> list[Any]:
            return list(
                await db._conn.execute_fetchall(
                    "UPDATE commands SET state = 'running', claimed_by = :lease,"
                    " attempts = attempts + 1 WHERE id = ("
                    f"  SELECT id FROM commands WHERE {_OPEN} ORDER BY id LIMIT 1)"
                    f" AND {_HOLDS_LEASE} RETURNING {_COLUMNS}",
                    params,
                )
            )

        rows = await db._write(work)
        return _record(rows[0]) if rows else None

    async def finish(self, command_id: int, result: CommandResult) -> bool:
        """Record success; False when this engine no longer holds the command (it lost
        the lease: the next holder runs it again, safely)."""
        return await self._settle(command_id, CommandState.DONE, result=result)

    async def fail(self, command_id: int, error: str, kind: str | None = None) -> bool:
        """Record a refusal in words (and its class); False as for `finish`."""
        return await self._settle(command_id, CommandState.FAILED, error=error, kind=kind)

    async def prune(self, finished_before: datetime) -> int:
        """Delete the commands that finished (done, failed, cancelled) before the given
        time; how many. Their payloads hold what operators typed (a new lead's name,
        email, phone): kept no longer than a watcher may still look for the outcome.
        The audit log keeps what was done, by whom."""
        db = self._db
        cursor = await db._write(
            lambda: db._conn.execute(
                "DELETE FROM commands WHERE state IN ('done', 'failed', 'cancelled')"
                " AND done_at < ?",
                (_ts(finished_before),),
            )
        )
        return cursor.rowcount

    async def cancel(self, command_id: int) -> bool:
        """The operator gave up: only a command no engine claimed yet; False otherwise."""
        db = self._db
        cursor = await db._write(
            lambda: db._conn.execute(
                "UPDATE commands SET state = 'cancelled', done_at = ?"
                " WHERE id = ? AND state = 'pending'",
                (_ts(db._now()), command_id),
            )
        )
        return cursor.rowcount == 1

    async def _settle(
        self,
        command_id: int,
        state: CommandState,
        *,
        result: CommandResult | None = None,
        error: str | None = None,
        kind: str | None = None,
    ) -> bool:
        db = self._db
        params = {
            "id": command_id,
            "state": state.value,
            "result": None if result is None else result.model_dump_json(),
            "error": error,
            "kind": kind,
            "now": _ts(db._now()),
            "lease": db.lease_token or "",
        }
        cursor = await db._write(
            lambda: db._conn.execute(
                "UPDATE commands SET state = :state, result = :result, error = :error,"
                " error_kind = :kind, done_at = :now WHERE id = :id AND state = 'running'"
                f" AND claimed_by = :lease AND {_HOLDS_LEASE}",
                params,
            )
        )
        return cursor.rowcount == 1
