"""When the running engine scans for drift: every `[sync] drift_scan_every` seconds.

The last scan's time is kept in the database (`drift_report.DRIFT_CURSOR`), so a restart does
not rescan at once, and an engine that was down longer than the interval scans as soon
as it starts (what it missed meanwhile is exactly what the scan is for). A database
that never had a scan gets its first one an interval after the engine started: a fresh
start's full reconcile already reads everything. The clock and the sleep are injected,
so the schedule is tested without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from leadsync_tui.store.db import Database
from leadsync_tui.sync.drift_report import last_state

Sleep = Callable[[float], Awaitable[None]]


class DriftSchedule:
    """The next scan's due time, from the last one (or the start) and the interval."""

    def __init__(
        self,
        every: float,
        now: Callable[[], datetime],
        *,
        last: datetime | None,
    ) -> None:
        self._every = timedelta(seconds=every)
        self._now = now
        self.next_at = (last or now()) + self._every

    def seconds_until_due(self) -> float:
        return max(0.0, (self.next_at - self._now()).total_seconds())

    def ran(self) -> None:
        """A scan just ended: the next one is an interval from now."""
        self.next_at = self._now() + self._every


async def run_every(
    schedule: DriftSchedule,
    scan: Callable[[], Awaitable[object]],
    *,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Scan whenever the schedule says so, until cancelled."""
    while True:
        wait = schedule.seconds_until_due()
        if wait > 0:
            await sleep(wait)
            continue
        await scan()
        schedule.ran()


async def drift_loop(
    db: Database,
    scan: Callable[[], Awaitable[object]],
    every: float,
    now: Callable[[], datetime],
    *,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """The engine's background scans, timed from the stored last scan on."""
    state = await last_state(db)
    last = None
    if state and isinstance(state.get("at"), str):
        try:
            last = datetime.fromisoformat(state["at"])
        except ValueError:
            last = None
    await run_every(DriftSchedule(every, now, last=last), scan, sleep=sleep)
