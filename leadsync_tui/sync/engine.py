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
What it does is reported as plain dicts to `on_event` (`journal`). Headless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.errors import SyncError
from leadsync_tui.clients.fence import WriteFenced, fenced
from leadsync_tui.clients.resman import PropertyMapping, ResmanClient
from leadsync_tui.clients.retry import exponential_wait
from leadsync_tui.config import Settings
from leadsync_tui.models import format_utc
from leadsync_tui.store.changes import (
    Change,
    ConnectionStateChanged,
    EngineRequest,
    EngineRequestKind,
    LeadsChanged,
)
from leadsync_tui.store.db import Database, DatabaseError
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.command_runner import CommandRunner
from leadsync_tui.sync.conflict_recorder import ConflictRecorder
from leadsync_tui.sync.domiq_watcher import DomiqWatcher
from leadsync_tui.sync.drift import DriftScanner
from leadsync_tui.sync.drift_schedule import drift_loop
from leadsync_tui.sync.feed_share import FeedPublisher
from leadsync_tui.sync.journal import EventSink, Journal, ignore
from leadsync_tui.sync.lead_desk import LeadDesk
from leadsync_tui.sync.lead_status import DomiqView, LeadStatus
from leadsync_tui.sync.lease import LeaseLost, SyncLease
from leadsync_tui.sync.outbox_worker import OutboxWorker, precise_now
from leadsync_tui.sync.reconcile import Reconciler, ReconcileReport
from leadsync_tui.sync.resman_poller import ResmanPoller
from leadsync_tui.sync.sender import Sender
from leadsync_tui.sync.wait_budget import WaitBudget
from leadsync_tui.sync.walk_ins import WalkInImporter

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (sqlite3.Error, DatabaseError)
"""Failures of the sync database itself: no pass can succeed until a person acts."""

ENGINE_CURSOR = "engine.state"
"""JSON `{at, mode, ok, error, left}` of the last reconcile pass (read by `leadsync
status`); `left` says what a `--once` run left in the outbox (it exited 1)."""
FEED_CURSOR = "engine.feed"
"""JSON `{at, connected, reconnect_attempts}` of the live feed (read by `leadsync status`)."""
PASS_RETRY_INITIAL = 1.0
PASS_RETRY_MAX = 10.0
"""Waits between reconcile passes that failed upstream (`exponential_wait`): from 1 s,
doubling, up to 10 s within a `--once` budget and up to the poll interval when running."""
LOCAL_PASS_DELAY = 0.3
"""Seconds to gather feed changes into one local pass."""
METRICS_EVERY = 5.0
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
        *,
        store: LeadSyncStore,
        db: Database,
        domiq: DomiqClient,
        resman: ResmanClient,
        watcher: DomiqWatcher | None = None,
        on_event: EventSink = ignore,
        now: Callable[[], datetime] = precise_now,
        rng: random.Random | None = None,
        budget: WaitBudget | None = None,
    ) -> None:
        self.settings = settings
        self.budget = budget or WaitBudget()
        """Shared with the clients' retry sleeps (see `wait_budget`)."""
        self.store = store
        self.db = db
        self.watcher = watcher
        self._now = now
        self.journal = Journal(on_event, now)
        self._lock = asyncio.Lock()
        self.lease = SyncLease(
            db, self.journal, now, expiry=timedelta(seconds=settings.sync.lease_expiry)
        )
        """The store's sync lease: `run`/`run_once` hold it while they work."""
        self.status = LeadStatus(store, db, self.journal, DomiqView(), now)
        recorder = ConflictRecorder(store, settings.policy, self.journal, now)
        sync = settings.sync
        self.worker = OutboxWorker(
            db=db,
            store=store,
            sender=Sender(
                store=store,
                db=db,
                domiq=domiq,
                resman=resman,
                resman_settings=settings.resman,
                view=self.status.view,
                now=now,
            ),
            recorder=recorder,
            status=self.status,
            journal=self.journal,
            lock=self._lock,
            concurrency=sync.concurrency,
            max_attempts=sync.max_attempts,
            now=now,
            rng=rng,
            on_recheck=self._mark_dirty,
        )
        self.reconciler = Reconciler(
            store=store,
            db=db,
            domiq=domiq,
            poller=ResmanPoller(
                db, resman, PropertyMapping.from_settings(settings.resman), now, self.journal
            ),
            importer=WalkInImporter(
                store=store,
                db=db,
                domiq=domiq,
                status=self.status,
                recorder=recorder,
                journal=self.journal,
                lock=self._lock,
                concurrency=sync.concurrency,
                now=now,
            ),
            recorder=recorder,
            status=self.status,
            journal=self.journal,
            lock=self._lock,
            now=now,
        )
        self.drift = DriftScanner(
            store=store,
            db=db,
            domiq=domiq,
            resman=resman,
            mapping=PropertyMapping.from_settings(settings.resman),
            reconciler=self.reconciler,
            journal=self.journal,
            now=now,
            on_progress=store.note_drift,
        )
        self.commands = CommandRunner(LeadDesk(settings, store, db, domiq, resman), self.journal)
        """Executes what watching windows asked for (`store.operator_commands`)."""
        self._stop = asyncio.Event()
        self._pull_now = asyncio.Event()
        self._dirty: set[str] = set()
        self._dirty_event = asyncio.Event()
        self._live = False
        self._background: set[asyncio.Task[Any]] = set()
        self._feed_connected: bool | None = None

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
            with self._listening():
                return await self.worker.drain(self.budget)
        finally:
            self.budget.unlimit()

    async def run_once(self, max_wait: float = 60.0) -> OnceResult:
        """Reconcile and drain until a pass is quiet (`leadsync sync --headless --once`)."""
        async with self._holding("once"):
            return await self._run_once(max_wait)

    async def _run_once(self, max_wait: float) -> OnceResult:
        await self.store.wait_loaded()
        budget = self.budget
        budget.limit(max_wait)
        passes = 0
        error: str | None = None
        with self._listening():
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
            error=error,
        )
        left = None
        if not result.complete and error is None:
            left = (
                f"{counts.pending} pending, {counts.in_flight} in flight, "
                f"{counts.failed} failed left"
            )
        await self._record_state("once", error, left=left)
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
        if self._stop.is_set():
            return
        every = self.settings.sync.drift_scan_every
        if every:
            # Awaited before any job's coroutine exists: one cancelled here leaves none unawaited.
            await self.drift.announce_last()
        self._live = True
        jobs: list[Coroutine[Any, Any, None]] = [
            self.worker.run(),
            self._reconcile_loop(),
            self._local_loop(),
            self._metrics_loop(),
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
        with self._listening():
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
                for task in [*tasks, stopped, lost, *self._background]:
                    task.cancel()
                await asyncio.gather(
                    *tasks, stopped, lost, *self._background, return_exceptions=True
                )
                await self.worker.stop(grace=0)
                self._live = False
        if isinstance(failure, LeaseLost):
            raise failure  # the new holder records the state from now on
        await self._record_state("run", None if failure is None else str(failure))
        if failure is not None:
            raise failure

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
        self._pull_now.set()

    async def retry_failed(self, actor: str = "operator") -> int:
        """Put every parked item back in the queue (`--retry-failed`); how many."""
        before = (await self.db.outbox_counts()).failed
        await self.store.retry_failed(actor=actor)
        after = (await self.db.outbox_counts()).failed
        if before - after:
            self.journal.emit("retry_failed", items=before - after, actor=actor)
        return before - after

    async def _reconcile_loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._pull_now.clear()
            wait = self.settings.sync.poll_interval
            try:
                await self.reconcile_once()
                await self._record_state("run", None)
                failures = 0
            except (*STORAGE_ERRORS, WriteFenced):
                raise  # nothing can be stored, or the lease is gone: stop, and say why once
            except Exception as exc:  # keep syncing: the next pass may well work
                error = exc.message if isinstance(exc, SyncError) else repr(exc)
                if not isinstance(exc, SyncError):
                    logger.exception("reconcile pass failed")
                self.journal.emit("reconcile_failed", error=error)
                await self._record_state("run", error)
                failures += 1  # retried sooner, doubling up to the poll interval
                wait = exponential_wait(failures, initial=PASS_RETRY_INITIAL, maximum=wait)
            self.worker.wake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pull_now.wait(), timeout=wait)

    async def _local_loop(self) -> None:
        """Leads the feed changed are merged at once, without reading ResMan."""
        while True:
            await self._dirty_event.wait()
            await asyncio.sleep(LOCAL_PASS_DELAY)
            self._dirty_event.clear()
            dirty, self._dirty = self._dirty, set()
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

    async def _metrics_loop(self) -> None:
        feed = FeedPublisher(self.db, self.store)  # for the windows that watch
        while True:
            await self.store.refresh_metrics()
            await feed.publish()
            await asyncio.sleep(METRICS_EVERY)

    # ----------------------------------------------------------------- store requests

    @contextlib.contextmanager
    def _listening(self) -> Iterator[None]:
        unsubscribe = self.store.subscribe(self._on_changes)
        try:
            yield
        finally:
            unsubscribe()

    def _on_changes(self, changes: Sequence[Change]) -> None:
        for change in changes:
            if isinstance(change, EngineRequest):
                if change.kind is EngineRequestKind.PULL:
                    self._pull_now.set()
                elif change.kind in (EngineRequestKind.PUSH, EngineRequestKind.RETRY):
                    self.worker.wake()
            elif isinstance(change, LeadsChanged) and self._live:
                self._dirty |= change.keys
                self._dirty_event.set()
            elif isinstance(change, ConnectionStateChanged):
                self._feed_changed(change)

    def _mark_dirty(self, conversation_id: str) -> None:
        self._dirty.add(conversation_id)
        if self._live:
            self._dirty_event.set()

    def _feed_changed(self, change: ConnectionStateChanged) -> None:
        if change.connected == self._feed_connected:
            return
        self._feed_connected = change.connected
        self.journal.emit(
            "feed", connected=change.connected, reconnect_attempts=change.reconnect_attempts
        )
        state = {
            "at": format_utc(self._now()),
            "connected": change.connected,
            "reconnect_attempts": change.reconnect_attempts,
        }
        task = asyncio.get_running_loop().create_task(
            self.db.set_cursor(FEED_CURSOR, json.dumps(state))
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _record_state(self, mode: str, error: str | None, *, left: str | None = None) -> None:
        """`ok` only when the pass could read both sides and (`once`) left nothing behind,
        so a `--once` run that exits 1 is never recorded as ok."""
        state = {
            "at": format_utc(self._now()),
            "mode": mode,
            "ok": error is None and left is None,
            "error": error,
            "left": left,
        }
        try:
            await self.db.set_cursor(ENGINE_CURSOR, json.dumps(state))
        except STORAGE_ERRORS as exc:  # the next real write says so, in one line
            logger.info("could not record the engine state: %s", exc)
        except Exception:  # the state line is a courtesy for `status`, never a failure
            logger.exception("could not record the engine state")
