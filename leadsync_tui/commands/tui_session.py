"""A TUI session: the engine built by the composition root, then the app handed it.

The engine (database, clients, demo simulators, the webhook alerts) is opened before
the first frame, so a database that cannot be opened or simulators that cannot start
end in one line naming the problem and the fix, with exit 2, as for every other
command, instead of a dead screen. The leads themselves load after the dashboard is up
(`progressive`), a chunk at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from leadsync_tui.config import Settings
from leadsync_tui.exit_codes import ExitCode
from leadsync_tui.models import utc_now
from leadsync_tui.store.storage_problem import describe, storage_error
from leadsync_tui.sync.monitoring import monitoring
from leadsync_tui.ui_work import crash_notice
from leadsync_tui.wiring import open_engine, store_location

if TYPE_CHECKING:
    from leadsync_tui.app import LeadSyncApp

logger = logging.getLogger(__name__)


@asynccontextmanager
async def open_tui(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    read_only: bool = False,
    mask_pii: bool = False,
    theme: str = "textual-dark",
    live_timers: bool = True,
    actor: str | None = None,
    watch_only: bool = False,
) -> AsyncIterator[LeadSyncApp]:
    """The app with a built engine (closed when the block ends); run it inside."""
    from leadsync_tui.app import make_app

    async with (
        open_engine(settings, clock=clock, progressive=True) as setup,
        monitoring(setup.engine, setup.settings, metrics=False),
    ):
        yield make_app(
            settings,
            engine=setup,
            read_only=read_only,
            mask_pii=mask_pii,
            theme=theme,
            clock=clock,
            live_timers=live_timers,
            actor=actor,
            watch_only=watch_only,
        )


def run_tui(
    settings: Settings,
    err: TextIO,
    *,
    read_only: bool,
    mask_pii: bool,
    theme: str,
    watch_only: bool,
) -> int:
    """Run the TUI until it quits; the process exit code."""
    opening = open_tui(
        settings, read_only=read_only, mask_pii=mask_pii, theme=theme, watch_only=watch_only
    )
    return asyncio.run(_run(opening, settings, err))


async def _run(
    opening: AbstractAsyncContextManager[LeadSyncApp], settings: Settings, err: TextIO
) -> int:
    async with AsyncExitStack() as stack:
        try:
            app = await stack.enter_async_context(opening)
        except Exception as exc:  # the database or the demo could not open: say so, once
            message = _opening_problem(exc, settings)
            if message is None:  # a bug: the traceback (and what it holds) goes to the log
                logger.critical("leadsync could not open its engine", exc_info=exc)
                print(crash_notice(), file=err)
                return ExitCode.PROBLEM
            print(f"leadsync: {message}", file=err)
            return ExitCode.USAGE
        await app.run_async()
        return app.return_code or ExitCode.OK


def _opening_problem(exc: Exception, settings: Settings) -> str | None:
    """One line for a database or simulators that could not open; None for a bug."""
    from leadsync_tui.sim.runner import SimulatorBindError

    problem = storage_error(exc)
    if problem is None:
        return None
    if isinstance(problem, SimulatorBindError):
        return f"the demo simulators could not start: {problem}"
    return describe(problem, store_location(settings))
