"""The `commands` table: a watcher's command is claimed once, by the lease holder only,
and a holder that lost the lease neither claims nor records an outcome (#14)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from leadsync_tui.models import LeadData
from leadsync_tui.store.db import Database
from leadsync_tui.store.operator_commands import (
    CommandKind,
    CommandResult,
    CommandState,
    CreateLead,
    OperatorCommands,
    Qualify,
    Reconnect,
)
from leadsync_tui.store.records import EngineRecord
from tests.store.conftest import FrozenClock

FORM = CreateLead(
    data=LeadData(property_id="prop_a", first_name="Wren", last_name="Halvorsen"),
    idempotency_key="leadsync-form-1",
    confirmed=("a warning",),
)


def _holder(token: str, clock: FrozenClock, generation: int = 1) -> EngineRecord:
    return EngineRecord(
        host="box",
        pid=1,
        token=token,
        mode="run",
        started_at=clock(),
        heartbeat_at=clock(),
        expires_at=clock() + timedelta(seconds=15),
        generation=generation,
    )


async def test_a_command_round_trips_typed_and_only_the_holder_claims_it(
    db_path: Path, clock: FrozenClock
) -> None:
    async with (
        await Database.open(db_path, now=clock) as watcher,
        await Database.open(db_path, now=clock) as holder,
    ):
        sent = OperatorCommands(watcher)
        first = await sent.submit(FORM, "dana")
        second = await sent.submit(Qualify(conversation_id="c1"), "dana")
        record = await sent.get(first)
        assert record is not None
        assert (record.kind, record.state, record.actor) == (
            CommandKind.CREATE_LEAD,
            CommandState.PENDING,
            "dana",
        )
        assert record.payload == FORM

        runner = OperatorCommands(holder)
        assert await runner.claim_next() is None  # holds no lease
        assert await holder.take_engine(_holder("h1", clock), None) == 0
        holder.lease_token = "h1"
        assert await runner.waiting() == 2
        claimed = await runner.claim_next()
        assert claimed is not None and (claimed.id, claimed.attempts) == (first, 1)
        assert not await sent.cancel(first)  # claimed: too late to cancel
        assert await runner.finish(first, CommandResult(note="ok"))
        done = await sent.get(first)
        assert done is not None and done.state is CommandState.DONE
        assert done.result == CommandResult(note="ok") and done.done_at is not None

        assert await sent.cancel(second)
        assert await runner.claim_next() is None
        assert await runner.waiting() == 0


async def test_a_command_a_gone_holder_left_running_is_claimed_once_by_the_next(
    db_path: Path, clock: FrozenClock
) -> None:
    async with (
        await Database.open(db_path, now=clock) as old,
        await Database.open(db_path, now=clock) as new,
    ):
        command = await OperatorCommands(old).submit(Reconnect(), "dana")
        await old.take_engine(_holder("old", clock), None)
        old.lease_token = "old"
        taken = await OperatorCommands(old).claim_next()
        assert taken is not None
        assert await OperatorCommands(old).claim_next() is None  # its own: not again

        assert await new.take_engine(_holder("new", clock, 2), "old") == 0
        new.lease_token = "new"
        late = OperatorCommands(old)
        assert not await late.finish(command, CommandResult())  # fenced
        assert not await late.fail(command, "late")

        again = await OperatorCommands(new).claim_next()
        assert again is not None and (again.id, again.attempts) == (command, 2)
        assert await OperatorCommands(new).claim_next() is None
        assert await OperatorCommands(new).fail(command, "refused", "NotFound")
        record = await OperatorCommands(old).get(command)
        assert record is not None
        assert (record.state, record.error, record.error_kind) == (
            CommandState.FAILED,
            "refused",
            "NotFound",
        )


async def test_finished_commands_are_forgotten_after_a_day_open_ones_never(
    db: Database, clock: FrozenClock
) -> None:
    """Their payloads hold what operators typed (a new lead's name and email)."""
    commands = OperatorCommands(db)
    done = await commands.submit(FORM, "dana")
    cancelled = await commands.submit(Qualify(conversation_id="c1"), "dana")
    waiting = await commands.submit(Reconnect(), "dana")
    assert await db.take_engine(_holder("h1", clock), None) == 0
    db.lease_token = "h1"
    claimed = await commands.claim_next()
    assert claimed is not None and claimed.id == done
    assert await commands.finish(done, CommandResult(note="ok"))
    assert await commands.cancel(cancelled)
    clock.current += timedelta(hours=2)

    assert await commands.prune(clock() - timedelta(hours=3)) == 0  # all newer
    assert await commands.prune(clock() - timedelta(hours=1)) == 2

    assert await commands.get(done) is None and await commands.get(cancelled) is None
    still = await commands.get(waiting)
    assert still is not None and still.state is CommandState.PENDING
