"""The process `startup` and `memory` time and measure: one app, headless, to its first frame.

    python -m benchmarks._app_child ours DB_PATH ROWS
    python -m benchmarks._app_child bare

`ours` is leadsync started the way `leadsync` starts it: `open_tui(settings)` opens the
SQLite file at DB_PATH (which holds ROWS leads) and hands the engine to the app, which
shows the dashboard and then loads the leads into it chunk by chunk (the engine waits
for the last chunk). The settings are live ones (not the demo, which would start afresh)
with both upstreams at an unused loopback port: nothing is sent before the leads are
in. `bare` is a Textual hello-world app. Both run headless at 160x48.

Two lines are printed, each when a painted frame shows it (the frame is then rendered
to escape sequences, the step headless mode skips):
`FRAME <rss_mb> <seconds since the interpreter started>` at the first frame of the
dashboard (its status line saying the leads are loading) or of the greeting, and
`READY <rss_mb> <seconds>` once every lead is in the table (for `bare`, at once). The
parent times the whole process from its own clock, so interpreter start and imports
count.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from benchmarks._common import rss_mb

SIZE = (160, 48)
STARTED = time.perf_counter()


class HelloApp(App[None]):
    """The baseline: Textual's hello world."""

    def compose(self) -> ComposeResult:
        yield Static("Hello, world")


def painted(app: App[None] | App[int]) -> None:
    """Render the frame on screen to escape sequences, as a terminal run would."""
    app.screen._on_timer_update()
    app.screen._compositor.render_full_update().render_segments(app.console)


def report(tag: str) -> None:
    print(f"{tag} {rss_mb():.1f} {time.perf_counter() - STARTED:.4f}", flush=True)


async def until(pilot: Any, ready: Callable[[], bool]) -> None:
    """Wait for painted frames until `ready()` is true on one.

    Polls every millisecond, not in a busy loop: a busy loop holds the GIL and starves
    the database's thread (aiosqlite), which the app needs to open and read the file."""
    while True:
        await pilot._wait_for_screen(timeout=600)
        if ready():
            return
        await asyncio.sleep(0.001)


async def frames(
    app: App[None] | App[int], first: Callable[[], bool], complete: Callable[[], bool]
) -> None:
    """Run `app` headless: report its first frame where `first()` holds, then the
    first where `complete()` does."""
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, first)
        painted(app)
        report("FRAME")
        await until(pilot, complete)
        painted(app)
        report("READY")
        app.exit()


def live_settings(path: str) -> Any:
    from pydantic import SecretStr

    from leadsync_tui.config import DomiqSettings, ResmanSettings, Settings, SyncSettings

    nowhere = "http://127.0.0.1:9"
    return Settings(
        sync=SyncSettings(database=Path(path)),
        domiq=DomiqSettings(base_url=nowhere, token=SecretStr("benchmark")),
        resman=ResmanSettings(
            base_url=nowhere,
            integration_partner_id="benchmark",
            api_key=SecretStr("benchmark"),
            account_id=1,
        ),
    )


async def run_ours(path: str, rows: int) -> None:
    from leadsync_tui.commands.tui_session import open_tui
    from leadsync_tui.screens.dashboard import DashboardScreen

    async with open_tui(live_settings(path)) as app:

        def first() -> bool:
            return isinstance(app.screen, DashboardScreen)

        def complete() -> bool:
            screen = app.screen
            return isinstance(screen, DashboardScreen) and screen.table.total_count == rows

        await frames(app, first, complete)


def main(argv: list[str]) -> int:
    if argv[:1] == ["bare"]:
        app = HelloApp()

        def greeted() -> bool:
            return bool(app.screen.query(Static))

        asyncio.run(frames(app, greeted, greeted))
        return 0
    if argv[:1] == ["ours"] and len(argv) == 3:
        asyncio.run(run_ours(argv[1], int(argv[2])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
