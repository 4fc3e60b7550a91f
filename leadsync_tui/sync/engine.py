"""The sync engine: reconcile passes, the outbox worker and the DomIQ watcher, wired.

Two ways to run it:
- `run_once(max_wait)` (`leadsync sync --headless --once`, tests): reconcile, drain the
  outbox, and again, until a pass finds nothing new; waiting on retries never exceeds
  `max_wait` seconds in all.
- `run()` (`leadsync sync --headless`, the TUI): the live feed (watcher), a full
  reconcile every `[sync] poll_interval` or when asked (`EngineRequest` pull), a quick
  local pass for leads the feed changed, a drift scan every `[sync] drift_scan_every`
  (`drift`), the watching windows' commands (`command_runner`), and the worker, until
  `stop()` (which lets the items in flight finish) or cancellation.

Both run only while this engine holds the store's sync lease (`lease`; `LeaseHeld`
otherwise, `wait_for_lease` first to wait for it), and every write request they make
passes the lease's fence first; an engine that loses the lease steps down (`run()` raises
`LeaseLost`). The engine is the only writer of links, snapshots and the sync log; every
write to DomIQ or ResMan goes through the outbox (`reconcile`, `sender`, `outbox_worker`).
What it does is reported as plain dicts to `on_event` (`journal`); what the store tells
it is heard in `engine_changes`, and its state lines for `status` are `engine_state`'s.
Headless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.fence import WriteFenced, fenced
from leadsync_tui.clients.resman import PropertyMapping
from leadsync_tui.clients.retry import exponential_wait
from leadsync_tui.config import Settings
from leadsync_tui.event_wait import wait_for_event
from leadsync_tui.models import Lead
from leadsync_tui.store.db_errors import transient_store_error
from leadsync_tui.sync.context import EngineContext, EngineParts
from leadsync_tui.sync.domiq_watcher import DomiqWatcher
from leadsync_tui.sync.drift_schedule import drift_loop
from leadsync_tui.sync.engine_changes import ChangeListener
from leadsync_tui.sync.engine_state import STORAGE_ERRORS, record_state
from leadsync_tui.sync.feed_share import FeedPublisher
from leadsync_tui.sync.foreign_deployment import ERROR_BAR as FOREIGN_STOP
from leadsync_tui.sync.lease import LeaseLost
from leadsync_tui.sync.reconcile import ReconcileReport
from leadsync_tui.sync.sender import Sender
from leadsync_tui.sync.wait_budget import WaitBudget

logger = logging.getLogger(__name__)

PASS_RETRY_INITIAL = 1.0
PASS_RETRY_MAX = 10.0
"""Waits between reconcile passes that failed upstream (`exponential_wait`): from 1 s,
doubling, up to 10 s within a `--once` budget and up to the poll interval when running."""
LOCAL_PASS_DELAY = 0.3
"""Seconds to gather feed changes into one local pass."""
FEED_SHARE_EVERY = 5.0
"""Seconds between writes of the live feed's state for the windows that watch."""
MAX_PASSES = 6


@dataclass(frozen=True)
class OnceResult:
    """How a `run_once` ended; `complete` is the exit code's question."""

    passes: int
    sent: int
    pending: int
    in_flight: int
    failed: int
    open_conflicts: int
    error: str | None = None

    @property
    def complete(self) -> bool:
        """The outbox is empty, nothing is parked and every pass could read both sides."""
        return self.error is None and self.pending == 0 and self.in_flight == 0 and not self.failed


class SyncEngine:
    """Keeps DomIQ and ResMan in step through the store and the outbox."""

    def __init__(
        self,
        settings: Settings,
        context: EngineContext,
        parts: EngineParts,
        *,
        watcher: DomiqWatcher | None = None,
    ) -> None:
        """Takes its collaborators built (`wiring.parts.build_engine`): it makes none."""
        self.settings = settings
        self.context = context
        self.budget = context.budget
        """Shared with the clients' retry sleeps (see `wait_budget`)."""
        self.store = context.store
        self.db = context.db
        self.journal = context.journal
        self._now = context.now
        self.watcher = watcher
        self.lease = parts.lease
        """The store's sync lease: `run`/`run_once` hold it while they work."""
        self.status = parts.status
        self.worker = parts.worker
        self.reconciler = parts.reconciler
        self.drift = parts.drift
        self.commands = parts.commands
        """Executes what watching windows asked for (`store.operator_commands`)."""
        self._changes = ChangeListener(self.store, self.worker, self.journal, self.db, self._now)
        if watcher is not None:
            watcher.on_domiq_copy = self._saw_domiq_copy
        """Pull and push requests, feed changes: what the loops below wait on."""
        self.worker.recheck_with(self._changes.mark_dirty)
        self._stop = asyncio.Event()

    # ----------------------------------------------------------------- one shot

    async def reconcile_once(self) -> ReconcileReport:
        """One full pass: pull DomIQ, poll ResMan, queue every difference."""
        return await self.reconciler.reconcile()

    async def drain(self, max_wait: float = 60.0) -> bool:
        """Send the outbox until nothing more can become due within `max_wait` seconds
        of waiting; True when nothing is left to send. Holds the sync lease meanwhile
        (`LeaseHeld` when another engine has it: that one sends them)."""
        if self.lease.held:
            return await self._drain(max_wait)
        async with self._holding("drain"):
            return await self._drain(max_wait)

    async def _drain(self, max_wait: float) -> bool:
        self.budget.limit(max_wait)
        try:
            with self._changes.listening():
                return await self.worker.drain(self.budget)
        finally:
            self.budget.unlimit()

    async def run_once(self, max_wait: float = 60.0) -> OnceResult:
        """Reconcile and drain until a pass is quiet (`leadsync sync --headless --once`)."""
        async with self._holding("once"):
            return await self._run_once(max_wait)

    async def _run_once(self, max_wait: float) -> OnceResult:
        await self.store.wait_loaded()
        await self.reconciler.foreign.load()
        budget = self.budget
        budget.limit(max_wait)
        passes = 0
        error: str | None = None
        with self._changes.listening():
            while passes < MAX_PASSES and not self._stop.is_set():
                passes += 1
                await self.commands.run_pending()
                report, error = await self._reconcile_within(budget)
                if report is None or self._stop.is_set():
                    break
                drained = await self.worker.drain(budget)
                if report.walk_in_failures:
                    error = f"{report.walk_in_failures} ResMan prospect(s) could not be copied"
                elif (report.quiet and drained) or not budget.covers(0.001):
                    break
            await self.worker.stop(grace=self.settings.sync.request_timeout)
        budget.unlimit()
        await self.store.refresh_metrics()
        counts = await self.db.outbox_counts()
        result = OnceResult(
            passes=passes,
            sent=self.worker.sent,
            pending=counts.pending,
            in_flight=counts.in_flight,
            failed=counts.failed,
            open_conflicts=len(await self.db.open_conflicts()),
            error=error or (FOREIGN_STOP if self.reconciler.foreign.active else None),
        )
        left = None
        if not result.complete and error is None:
            left = (
                f"{counts.pending} pending, {counts.in_flight} in flight, "
                f"{counts.failed} failed left"
            )
        await record_state(self.db, self._now, "once", error, left=left)
        return result

    async def _reconcile_within(
        self, budget: WaitBudget
    ) -> tuple[ReconcileReport | None, str | None]:
        """A reconcile pass, retried (waiting within `budget`) while an upstream fails."""
        failures = 0
        while True:
            try:
                return await self.reconcile_once(), None
            except SyncError as exc:
                self.journal.emit("reconcile_failed", error=exc.message)
                failures += 1
                delay = exponential_wait(
                    failures, initial=PASS_RETRY_INITIAL, maximum=PASS_RETRY_MAX
                )
                if not exc.retryable or not budget.covers(delay) or self._stop.is_set():
                    return None, exc.message
            except STORAGE_ERRORS:
                raise  # the database (a full disk, a held lock): the caller says so, once
            except Exception as exc:  # a bug must not pass for a clean run
                logger.exception("reconcile pass failed")
                self.journal.emit("reconcile_failed", error=repr(exc))
                return None, f"reconcile pass failed: {exc!r}"
            budget.spend(delay)
            await asyncio.sleep(delay)

    # ----------------------------------------------------------------- long-running

    async def run(self) -> None:
        """Sync until `stop()` or cancellation; the items in flight finish on `stop()`.

        Starts once the store holds every lead (the TUI loads them progressively). Holds
        the sync lease throughout (`LeaseHeld` when another engine has it); when another
        engine takes it over (this one was stopped past the expiry), stops at once,
        sending nothing more, and raises `LeaseLost`."""
        async with self._holding("run"):
            await self._run()

    async def wait_for_lease(self, mode: str = "run") -> bool:
        """Wait until this engine holds the sync lease (True) or `stop()` (False); says
        once who holds it meanwhile (the `lease_held` event). A `stop()` that came
        earlier (a SIGTERM while starting) holds: the stop is never cleared."""
        return await self.lease.wait(mode, self._stop)

    @contextlib.asynccontextmanager
    async def _holding(self, mode: str) -> AsyncIterator[None]:
        """Hold the lease, and fence every write request made inside (and in the tasks
        started inside) with it."""
        async with self.lease.holding(mode):
            with fenced(self.lease.check):
                yield

    async def _run(self) -> None:
        await self.store.wait_loaded()
        await self.reconciler.foreign.load()
        if self._stop.is_set():
            return
        every = self.settings.sync.drift_scan_every
        if every:
            # Awaited before any job's coroutine exists: one cancelled here leaves none unawaited.
            await self.drift.announce_last()
        self._changes.live = True
        jobs: list[Coroutine[Any, Any, None]] = [
            self.worker.run(),
            self._reconcile_loop(),
            self._local_loop(),
            self._feed_share_loop(),
            self.commands.run(),
        ]
        if self.watcher is not None:
            jobs.append(self.watcher.run())
        if every:
            jobs.append(drift_loop(self.db, self._drift_pass, every, self._now))
        tasks = [asyncio.create_task(job) for job in jobs]
        stopped = asyncio.create_task(self._stop.wait())
        lost = asyncio.create_task(self.lease.lost.wait())
        failure: BaseException | None = None
        graceful = False
        with self._changes.listening():
            try:
                done, _ = await asyncio.wait(
                    [*tasks, stopped, lost], return_when=asyncio.FIRST_COMPLETED
                )
                graceful = not lost.done()
                for task in done:
                    if task not in (stopped, lost) and not task.cancelled() and task.exception():
                        failure = task.exception()
                if isinstance(failure, WriteFenced) or lost.done():
                    failure, graceful = LeaseLost("another engine took the sync lease"), False
            finally:
                self.worker.halt()
                if graceful:
                    await self.worker.stop(grace=self.settings.sync.request_timeout)
                for task in [*tasks, stopped, lost, *self._changes.background]:
                    task.cancel()
                await asyncio.gather(
                    *tasks, stopped, lost, *self._changes.background, return_exceptions=True
                )
                await self.worker.stop(grace=0)
                self._changes.live = False
        if isinstance(failure, LeaseLost):
            raise failure  # the new holder records the state from now on
        await record_state(self.db, self._now, "run", None if failure is None else str(failure))
        if failure is not None:
            raise failure

    async def rest(self, seconds: float) -> bool:
        """Wait `seconds`, or less if `stop()` comes; True once stopped."""
        return await wait_for_event(self._stop, seconds)

    async def stop(self) -> None:
        """Stop claiming work; `run()`/`run_once()` return once the items in flight end."""
        self._stop.set()
        self.worker.halt()

    def reconfigure(self, settings: Settings) -> None:
        """Use reloaded settings (SIGHUP, `reload`) from the next claim and the next pass:
        poll interval, limits, property map, conflict policy. What is in flight goes on
        untouched; the endpoints, credentials and database stay (`reload.LIVE_KEYS` says
        which keys may differ). A pass starts at once, under the new settings."""
        self.settings = settings
        sync = settings.sync
        mapping = PropertyMapping.from_settings(settings.resman)
        self.reconciler.reconfigure(mapping, settings.policy, sync.concurrency)
        self.drift.use_mapping(mapping)
        if isinstance(self.worker.sender, Sender):
            self.worker.sender.use_properties(settings.resman)
        self.worker.set_limits(concurrency=sync.concurrency, max_attempts=sync.max_attempts)
        self._changes.pull_now.set()

    async def retry_failed(self, actor: str = "operator") -> int:
        """Put every parked item back in the queue (`--retry-failed`); how many. Also
        clears a noticed second deployment (a person says one store is shared now)."""
        await self.reconciler.foreign.clear(actor)
        before = (await self.db.outbox_counts()).failed
        await self.store.retry_failed(actor=actor)
        after = (await self.db.outbox_counts()).failed
        if before - after:
            self.journal.emit("retry_failed", items=before - after, actor=actor)
        return before - after

    async def _reconcile_loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._changes.pull_now.clear()
            wait = self.settings.sync.poll_interval
            try:
                await self.reconcile_once()
                await record_state(self.db, self._now, "run", None)
                failures = 0
            except (*STORAGE_ERRORS, WriteFenced):
                raise  # nothing can be stored, or the lease is gone: stop, and say why once
            except Exception as exc:  # keep syncing: the next pass may well work
                # (a PostgreSQL store out of reach for a moment too: it connects again)
                passing = isinstance(exc, SyncError) or transient_store_error(exc)
                error = exc.message if isinstance(exc, SyncError) else repr(exc)
                if not passing:
                    logger.exception("reconcile pass failed")
                self.journal.emit("reconcile_failed", error=error)
                await record_state(self.db, self._now, "run", error)
                failures += 1  # retried sooner, doubling up to the poll interval
                wait = exponential_wait(failures, initial=PASS_RETRY_INITIAL, maximum=wait)
            self.worker.wake()
            await wait_for_event(self._changes.pull_now, wait)

    def _saw_domiq_copy(self, lead: Lead) -> None:
        """The feed's copy of a lead, as DomIQ holds it. A prospect id it names anew
        (a sync report carries no version, so the store may keep its copy) gets the lead
        a local pass: another deployment's link is noticed now, not at the next pull."""
        view = self.status.view
        before = view.moved_to(lead.conversation_id)
        view.seen(lead)
        if view.moved_to(lead.conversation_id) != before:
            self._changes.mark_dirty(lead.conversation_id)

    async def _local_loop(self) -> None:
        """Leads the feed changed are merged at once, without reading ResMan."""
        while True:
            await self._changes.dirty_event.wait()
            await asyncio.sleep(LOCAL_PASS_DELAY)
            self._changes.dirty_event.clear()
            dirty, self._changes.dirty = self._changes.dirty, set()
            try:
                report = await self.reconciler.reconcile(pull=False, poll=False, only=dirty)
            except WriteFenced:
                raise
            except Exception as exc:
                logger.exception("local reconcile pass failed")
                self.journal.emit("reconcile_failed", error=repr(exc))
                continue
            if report.queued:
                self.worker.wake()

    async def _drift_pass(self) -> None:
        """A background scan, repairing; what it queued is sent at once."""
        report = await self.drift.scan(repair=True)
        if report.repaired or report.conflicts:
            self.worker.wake()

    async def _feed_share_loop(self) -> None:
        """Share the live feed's state with the windows that watch. The metrics are not
        refreshed here: whoever shows them does (the dashboard's timer, `run_once`'s end)."""
        feed = FeedPublisher(self.db, self.store)
        while True:
            await feed.publish()
            await asyncio.sleep(FEED_SHARE_EVERY)
