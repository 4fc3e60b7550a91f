"""A window's seat at the engine: run it while this window holds the sync lease, watch
while another holds it, take it over when the holder is gone or `ctrl+e` asks.

The app owns the screen; this owns the loop that decides, every `WATCH_POLL_S`, whether
the window runs the engine or shows who does (`engine_presence`), and the mirror of the
holder's live feed (`feed_share`). What the app must show goes back through `SeatView`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from leadsync_tui.store.db_errors import store_unreachable
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.engine import SyncEngine
from leadsync_tui.sync.engine_presence import HOLDER_LINE, engine_line, is_alive
from leadsync_tui.sync.feed_share import mirror_feed
from leadsync_tui.sync.foreign_deployment import ERROR_BAR as FOREIGN_ERROR_BAR
from leadsync_tui.sync.foreign_deployment import recorded_stop
from leadsync_tui.sync.lease import LeaseLost

WATCH_POLL_S = 1.0
"""How often a window without the engine reads who holds the sync lease."""
STORE_STALL_S = 5.0
"""A window whose read of the lease (watching), or renewal of it past its beat (running
the engine), has not come back for this long says the store is not answering: a frozen
server neither answers nor refuses, and the header would stand still meanwhile."""
STORE_DOWN_LINE = "engine: waiting for the store to answer"
STORE_DOWN_SHORT = "engine: store not answering"


class SeatView(Protocol):
    """What the seat tells the window: a toast, watching or not, and the header's note."""

    def seat_notice(self, text: str, *, warning: bool = False) -> None: ...

    def seat_watching(self, watching: bool) -> None: ...

    def seat_note(self, note: str, short: str = "") -> None: ...


class EngineSeat:
    """Runs or watches one engine for one window."""

    def __init__(
        self,
        engine: SyncEngine,
        store: LeadSyncStore,
        view: SeatView,
        clock: Callable[[], datetime],
        *,
        watch_only: bool,
    ) -> None:
        self.engine = engine
        self._store = store
        self._view = view
        self._clock = clock
        self.watch_only = watch_only
        """Never run the engine here unless asked (`ctrl+e`)."""
        self.watching = False
        self._foreign_shown = False
        self._take_now = asyncio.Event()
        """Set by `ctrl+e`: try the sync lease at once, even in a watch-only window."""
        self.leaving = asyncio.Event()
        """Set when the window closes: the engine (or the watching) ends."""
        self._store_problem: str | None = None
        """Why the store does not answer, while it does not (said once)."""
        self._reading_since: float | None = None
        """When (monotonic) the pending read of the lease began, while one is pending
        (`_timed_read`)."""

    def take_over(self) -> None:
        """`ctrl+e`: try the lease at once (refused, with the holder named, while its
        engine is alive)."""
        self._take_now.set()

    async def run(self) -> None:
        """Run the engine while this window holds the store's sync lease; while another
        engine holds it, watch and take it over once the holder is gone (unless
        `watch_only`). The lease is freed on the way out, even when cancelled between
        taking it and running."""
        stall_watch = asyncio.create_task(self._watch_for_stalls(), name="seat stall watch")
        try:
            await self._loop()
        finally:
            stall_watch.cancel()
            await self.engine.lease.release()

    async def _loop(self) -> None:
        while not self.leaving.is_set():
            try:
                if await self._turn():
                    return
                self._store_back()
            except LeaseLost:
                self._view.seat_notice("Another window took the sync engine over.")
            except Exception as exc:
                if not store_unreachable(exc):
                    raise
                self._store_unanswered(exc)
            await self._pause()

    async def _turn(self) -> bool:
        """Run the engine if this window may, else watch once; True when the engine
        ended because the window closes."""
        engine = self.engine
        asked = self._take_now.is_set()
        self._take_now.clear()
        with self._timed_read():
            took = (asked or not self.watch_only) and await engine.lease.take("run")
        if took:
            if asked:
                self.watch_only = False
                self._view.seat_notice("This window runs the sync engine now.")
            if self.watching:  # the holder changed the store meanwhile: read it again
                await self._store.wait_loaded()
                await self._store.fetch_leads()
                await self._store.fetch_conflicts()
            self._set_watching(False)
            self._view.seat_note(*HOLDER_LINE)
            self._store_back()
            await engine.run()
            return True
        self._set_watching(True)
        with self._timed_read():
            line = await self._watch_once()
        if asked:
            self._view.seat_notice(
                f"Not taken: {line}. ctrl+e takes the engine over once it is gone.",
                warning=True,
            )
        return False

    def _store_back(self) -> None:
        if self._store_problem is not None:
            self._store_problem = None
            self._view.seat_notice("The store answers again.")

    def _store_unanswered(self, exc: Exception) -> None:
        """The team's PostgreSQL store stopped answering (a restart, a failover): the
        engine here stops, the header says so, and the seat tries
        again every `WATCH_POLL_S`; once the store answers, the window runs the engine
        again (its lease, if nobody took it meanwhile) or watches who does. Said once
        per outage, not every second."""
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        self._set_watching(True)
        self._view.seat_note(STORE_DOWN_LINE, STORE_DOWN_SHORT)
        if self._store_problem is None:
            self._view.seat_notice(
                f"The store is not answering ({reason}); this window keeps trying, "
                "and the sync goes on once it answers.",
                warning=True,
            )
        self._store_problem = reason

    @contextlib.contextmanager
    def _timed_read(self) -> Iterator[None]:
        """A read of the store in progress (the lease, who holds it), for
        `_watch_for_stalls`; not the engine's run, nor a watcher's reload of the leads."""
        self._reading_since = time.monotonic()
        try:
            yield
        finally:
            self._reading_since = None

    async def _watch_for_stalls(self) -> None:
        """Every `WATCH_POLL_S`: a store that has not answered for `STORE_STALL_S` puts
        the store-down line in the header, and the holder line comes back once it does.
        A watcher's read of the lease, or the holder's renewal of it, cannot be cut
        short: psycopg waits for a frozen server to confirm a cancel."""
        shown = False
        while True:
            await asyncio.sleep(WATCH_POLL_S)
            if self._stalled():
                shown = True
                self._view.seat_note(STORE_DOWN_LINE, STORE_DOWN_SHORT)
            elif shown:
                shown = False
                if not self.watching and self.engine.lease.held:
                    self._view.seat_note(*HOLDER_LINE)
                # A watcher's next read puts its own line back.

    def _stalled(self) -> bool:
        now = time.monotonic()
        if self.watching:
            since = self._reading_since
            return since is not None and now - since > STORE_STALL_S
        lease = self.engine.lease
        renewed = lease.renewed_at
        overdue = lease.beat_every + STORE_STALL_S
        return lease.held and renewed is not None and now - renewed > overdue

    async def _watch_once(self) -> str:
        """Read who holds the lease, mirror its feed, and say so in the header."""
        record = await self.engine.db.engine_record()
        now = self._clock()
        line = engine_line(record, now, watch_only=self.watch_only)
        short = engine_line(record, now, watch_only=self.watch_only, short=True)
        alive = record is not None and is_alive(record, now)
        await mirror_feed(self.engine.db, self._store, engine_alive=alive)
        stopped = await recorded_stop(self.engine.db)
        if stopped != self._foreign_shown:  # the holder's stop, in this window's bar too
            self._foreign_shown = stopped
            await self._store.set_error(FOREIGN_ERROR_BAR if stopped else None)
        self._view.seat_note(line, short)
        return line

    async def _pause(self) -> None:
        """Wait `WATCH_POLL_S`, or less if the window closes or the user presses `ctrl+e`."""
        waits = [
            asyncio.ensure_future(self.leaving.wait()),
            asyncio.ensure_future(self._take_now.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=WATCH_POLL_S, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def _set_watching(self, watching: bool) -> None:
        if watching != self.watching:
            self.watching = watching
            self._view.seat_watching(watching)
