"""Delivers the outbox: claim, send, then complete or fail, `concurrency` items at a time.

An item leaves the outbox only in the transaction that also stores what the other side
confirmed (link, snapshot, follow-up items) and the attempt's log row. A failure keeps
it with its error and a next attempt time: jittered exponential backoff, never sooner
than the server's `Retry-After`. Permanent errors, and items out of attempts
(`[sync] max_attempts`), are parked as `failed` for a person. `claim_due` hands out one
item per lead and direction at a time, so changes to one lead never overtake; and the
two directions of one lead take turns (`lead_turns`; status reports aside), from the
send to the commit.

Stopping finishes what is in flight (`stop`); a process killed mid-send leaves the item
`in_flight`, and the engine that takes the sync lease over puts it back
(`Database.take_engine`): the senders are safe to repeat.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tenacity import AsyncRetrying, retry_if_exception

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.fence import WriteFenced
from leadsync_tui.clients.retry import exponential_wait, jittered_wait, retry_after_of
from leadsync_tui.event_wait import wait_for_event
from leadsync_tui.models import AttemptStatus, SyncStatus
from leadsync_tui.store.actions import LogsAppended, MergeLeads
from leadsync_tui.store.db import Database, DuplicateLink
from leadsync_tui.store.db_errors import transient_store_error
from leadsync_tui.store.payloads import StatusReport
from leadsync_tui.store.records import OutboxItem, OutboxStatus
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.conflict_recorder import ConflictRecorder
from leadsync_tui.sync.journal import Journal
from leadsync_tui.sync.lead_status import LeadStatus
from leadsync_tui.sync.lead_turns import LeadTurns
from leadsync_tui.sync.send_outcome import Outcome
from leadsync_tui.sync.wait_budget import WaitBudget

logger = logging.getLogger(__name__)

BACKOFF_INITIAL = 0.25
BACKOFF_MAX = 60.0
RELEASE_RETRY_INITIAL = 0.5
RELEASE_RETRY_MAX = 10.0
"""Waits between tries to put back an item whose result could not be stored."""
IDLE_POLL = 1.0
"""Longest nap when nothing is due: items the store enqueues also wake the worker."""


class ItemSender(Protocol):
    """Delivers one item (`sender.Sender`; tests pass a scripted one)."""

    async def send(self, item: OutboxItem) -> Outcome: ...


def precise_now() -> datetime:
    """Wall-clock UTC with microseconds (`models.utc_now` rounds to the second)."""
    return datetime.now(UTC)


def backoff(attempts: int, error: BaseException | None, rng: random.Random) -> float:
    """Seconds before the next try after `attempts` failed ones: half to full of
    `BACKOFF_INITIAL * 2**(attempts-1)` (capped), and at least the server's Retry-After."""
    return jittered_wait(
        attempts,
        initial=BACKOFF_INITIAL,
        maximum=BACKOFF_MAX,
        jitter=0.5,
        rng=rng,
        retry_after=retry_after_of(error),
    )


class OutboxWorker:
    """Sends due outbox items with bounded concurrency."""

    def __init__(
        self,
        *,
        db: Database,
        store: LeadSyncStore,
        sender: ItemSender,
        recorder: ConflictRecorder,
        status: LeadStatus,
        journal: Journal,
        lock: asyncio.Lock,
        concurrency: int,
        max_attempts: int,
        now: Callable[[], datetime] = precise_now,
        rng: random.Random | None = None,
        on_recheck: Callable[[str], None] | None = None,
        hold: Callable[[], bool] | None = None,
    ) -> None:
        """`hold`: while it answers True nothing is claimed (another deployment)."""
        self._db = db
        self._store = store
        self._sender = sender
        self._recorder = recorder
        self._status = status
        self._journal = journal
        self._lock = lock
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._now = now
        self._rng = rng or random.Random()
        self._on_recheck = on_recheck
        self._hold = hold
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns = LeadTurns()
        self._stopping = False
        self.sent = 0
        """Items completed by this worker (for the summary)."""

    def recheck_with(self, callback: Callable[[str], None]) -> None:
        """Call `callback(conversation_id)` when a sent item asks for its lead to be
        merged again (the engine's local pass, set once the engine exists)."""
        self._on_recheck = callback

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    @property
    def sender(self) -> ItemSender:
        """What delivers the items (the engine re-points its mapping on a reload)."""
        return self._sender

    def set_limits(self, *, concurrency: int, max_attempts: int) -> None:
        """New `[sync]` limits (a reload): they count from the next claim and the next
        failure; items in flight keep going."""
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self.wake()

    def wake(self) -> None:
        """New or re-armed items: look at the outbox now."""
        self._wake.set()

    # ----------------------------------------------------------------- loops

    async def run(self) -> None:
        """Until `halt()`/`stop()` (or cancellation): send whatever becomes due."""
        self._stopping = False
        await self._loop(None)
        await self._join()

    async def drain(self, budget: WaitBudget) -> bool:
        """Send until nothing more can become due within `budget` of idle waiting;
        True when nothing is left to send (parked items may remain)."""
        self._stopping = False
        await self._loop(budget)
        await self._join()
        counts = await self._db.outbox_counts()
        return counts.pending == 0 and counts.in_flight == 0

    def halt(self) -> None:
        """Claim nothing more; the loops return once the items in flight are done."""
        self._stopping = True
        self.wake()

    async def stop(self, grace: float = 30.0) -> None:
        """Claim nothing more, let the items in flight finish (up to `grace` seconds,
        then they are cancelled and stay `in_flight` for the next start)."""
        self._stopping = True
        self.wake()
        await self._join(grace)

    async def _join(self, grace: float | None = None) -> None:
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _loop(self, budget: WaitBudget | None) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            free = self._concurrency - len(self._tasks)
            held = self._hold is not None and self._hold()
            if held and budget is not None and not self._tasks:
                return  # a drain sends nothing more while held
            if free > 0 and not held:
                claimed = await self._db.claim_due(self._now(), free)
                for item in claimed:
                    self._start(item)
                if claimed:
                    continue
            nap = IDLE_POLL
            if not self._tasks and not held:
                due_in = await self._next_due_in()
                if budget is not None:
                    if due_in is None or not budget.covers(due_in):
                        return
                    nap = due_in
                elif due_in is not None:
                    nap = min(IDLE_POLL, due_in)
            elif budget is not None:
                nap = 60.0  # a finishing task wakes us
            self._wake.clear()
            started = loop.time()
            await wait_for_event(self._wake, max(0.0, nap))
            if budget is not None and not self._tasks:
                budget.spend(loop.time() - started)

    async def _next_due_in(self) -> float | None:
        """Seconds until the next lane head is due; None when no lane can move (empty,
        or every remaining item waits behind a parked one)."""
        items = await self._db.outbox_items(limit=1_000_000)
        heads: dict[tuple[str, str], OutboxItem] = {}
        for item in items:
            heads.setdefault((item.conversation_id, item.direction.value), item)
        due = [h.next_attempt_at for h in heads.values() if h.status is OutboxStatus.PENDING]
        if not due:
            return None
        return max(0.0, (min(due) - self._now()).total_seconds())

    def _start(self, item: OutboxItem) -> None:
        task = asyncio.create_task(self._process(item), name=f"outbox-{item.id}")
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._wake.set()
            if not finished.cancelled() and finished.exception() is not None:
                logger.error("outbox item %s crashed", item.id, exc_info=finished.exception())

        task.add_done_callback(done)

    # ----------------------------------------------------------------- one item

    async def _process(self, item: OutboxItem) -> None:
        if isinstance(item.payload, StatusReport):
            await self._deliver(item)
            return
        async with self._turns.turn(item.conversation_id):
            await self._deliver(item)

    async def _deliver(self, item: OutboxItem) -> None:
        started = time.perf_counter()
        try:
            outcome = await self._sender.send(item)
        except WriteFenced:
            # The lease is gone: nothing was sent, and the item is the new holder's now.
            self.halt()
            return
        except SyncError as exc:
            await self._failed(item, exc, _ms(started))
            return
        except Exception as exc:  # a bug or a bad payload: park it, keep the engine up
            logger.exception("outbox item %s could not be sent", item.id)
            await self._failed(item, SyncError(f"cannot send: {exc!r}"), _ms(started))
            return
        await self._commit(item, outcome, _ms(started))

    async def _commit(self, item: OutboxItem, outcome: Outcome, latency_ms: float) -> None:
        try:
            await self._record(item, outcome, latency_ms)
        except Exception as exc:  # locked past busy_timeout, disk full, connection lost
            if not transient_store_error(exc):
                raise
            await self._release(item, exc)

    async def _release(self, item: OutboxItem, error: Exception) -> None:
        """The item was sent but its result could not be stored: put it back to
        `pending` (sending again is safe) instead of leaving it `in_flight`, where it
        would block its lead until a restart. Retried while the database stays busy."""
        message = f"sent, but the result could not be stored ({error}); it is sent again"
        logger.info("outbox item %s: result not stored (%s); back to pending", item.id, error)
        self._journal.emit("result_not_stored", outbox_id=item.id, error=str(error))

        async def put_back() -> None:
            await self._db.fail(item.id, message, self._now())

        retrying = AsyncRetrying(
            retry=retry_if_exception(transient_store_error),
            stop=lambda _: self._stopping,
            wait=lambda state: exponential_wait(
                state.attempt_number, initial=RELEASE_RETRY_INITIAL, maximum=RELEASE_RETRY_MAX
            ),
            reraise=True,
        )
        try:
            await retrying(put_back)
        except Exception as exc:
            if not transient_store_error(exc):
                raise
            return  # stopping: left in_flight, the next lease holder puts it back
        self.wake()

    async def _record(self, item: OutboxItem, outcome: Outcome, latency_ms: float) -> None:
        cid = item.conversation_id
        async with self._lock:
            if outcome.domiq_lead is not None:
                await self._store.dispatch(MergeLeads([outcome.domiq_lead]))
            log = self._journal.attempt(
                cid,
                item.direction,
                outcome.sync_type,
                outcome.status,
                error=outcome.error,
                latency_ms=latency_ms,
                resolution=outcome.resolution,
                outbox_id=item.id,
                attempt=item.attempts,
                outcome=outcome.outcome,
            )
            logged = outcome.status is AttemptStatus.CONFLICT
            found = self._recorder.detect(cid, outcome.conflicts, logged=logged)
            try:
                async with self._db.transaction():  # the conflicts land with the outcome
                    await self._db.complete(item.id)
                    if outcome.link is not None:
                        await self._db.upsert_link(outcome.link)
                    await self._db.enqueue(outcome.follow_ups)
                    await self._db.append_logs([log])
                    await self._recorder.write(found)
            except DuplicateLink as exc:
                await self._failed_locked(item, SyncError(str(exc)), latency_ms)
                return
            self.sent += 1
            await self._store.dispatch(LogsAppended([log]))
            await self._recorder.publish(found)
            if outcome.link is not None and outcome.follow_ups:
                await self._status.set(
                    cid, SyncStatus.SYNCING, prospect_id=outcome.link.prospect_id
                )
            elif outcome.link is not None:
                held = self._status.current(cid)
                if held is not None and held.resman_prospect_id != outcome.link.prospect_id:
                    await self._status.set(
                        cid, held.resman_sync_status, prospect_id=outcome.link.prospect_id
                    )
            await self._status.settle(cid, report=not isinstance(item.payload, StatusReport))
        if outcome.recheck and self._on_recheck is not None:
            self._on_recheck(cid)
        self.wake()

    async def _failed(self, item: OutboxItem, error: SyncError, latency_ms: float) -> None:
        async with self._lock:
            await self._failed_locked(item, error, latency_ms)

    async def _failed_locked(self, item: OutboxItem, error: SyncError, latency_ms: float) -> None:
        park = not error.retryable or item.attempts >= self._max_attempts
        wait = backoff(item.attempts, error, self._rng)
        message = error.message
        if park and error.retryable:
            message += f" (gave up after {item.attempts} attempts)"
        log = self._journal.attempt(
            item.conversation_id,
            item.direction,
            item.sync_type,
            AttemptStatus.FAILED,
            error=message,
            latency_ms=latency_ms,
            outbox_id=item.id,
            attempt=item.attempts,
            outcome="parked" if park else f"retry in {wait:.1f} s",
        )
        async with self._db.transaction():
            await self._db.fail(item.id, message, self._now() + timedelta(seconds=wait), park=park)
            await self._db.append_logs([log])
        await self._store.dispatch(LogsAppended([log]))
        if park:
            await self._status.set(item.conversation_id, SyncStatus.FAILED)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
