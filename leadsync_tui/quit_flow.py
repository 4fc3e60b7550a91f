"""Quitting a window that runs the engine: the writes in flight finish first.

`ctrl+q` with writes in flight says so and waits for them (at most `SHUTDOWN_GRACE_S`)
while the screen is still up; what does not finish stays in the outbox and is sent on
the next start. The window also gives up the sync lease on its way out, so another
window takes it at once rather than after the expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from leadsync_tui.ui_work import run_ui_work

if TYPE_CHECKING:
    from leadsync_tui.app import LeadSyncApp

SHUTDOWN_GRACE_S = 5.0
"""How long quitting waits for writes in flight before cancelling them (they stay in
the outbox and are sent on the next start)."""


class QuitFlow:
    """The app's way out: one grace for the writes in flight, however often it is asked."""

    def __init__(self, app: LeadSyncApp) -> None:
        self._app = app
        self._quitting = False
        self._grace_ends: float | None = None
        """When quitting stops waiting for the writes in flight (loop time)."""

    def request(self) -> None:
        """`ctrl+q`: exit now, or after the writes in flight (a second `ctrl+q` while
        they finish changes nothing)."""
        app = self._app
        engine = app.engine_setup.engine if app.engine_setup is not None else None
        if engine is None or not engine.worker.in_flight:
            app.exit()
            return
        if self._quitting:
            return
        self._quitting = True
        app.notify(
            f"Finishing {engine.worker.in_flight} write(s) in flight before quitting"
            f" (at most {SHUTDOWN_GRACE_S:.0f} s)…",
            timeout=SHUTDOWN_GRACE_S,
        )
        run_ui_work(app, self._finish_writes_then_exit(), name="quit", group="quit")

    async def _finish_writes_then_exit(self) -> None:
        try:
            await self.finish_writes()
        finally:
            self._app.exit()

    async def finish_writes(self) -> None:
        """Claim nothing more; wait (within the grace) for the writes in flight; cancel
        the rest: they stay in the outbox and are sent on the next start."""
        app = self._app
        if app.engine_setup is None:
            return
        engine = app.engine_setup.engine
        loop = asyncio.get_running_loop()
        if self._grace_ends is None:
            self._grace_ends = loop.time() + SHUTDOWN_GRACE_S
        if app.seat is not None:
            app.seat.leaving.set()
        await engine.stop()
        left = max(0.0, self._grace_ends - loop.time())
        await engine.worker.stop(grace=left)
        # Let the engine release the sync lease (marked stopped, so another window takes
        # it at once, not after the expiry) before its worker is cancelled.
        sync = [worker.wait() for worker in app.workers if worker.group == "sync"]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*sync, return_exceptions=True), left + 1.0)
