"""The process `startup` and `memory` time and measure: one app, headless, to its first frame.

    python -m benchmarks._app_child ours DB_PATH ROWS
    python -m benchmarks._app_child bare

`ours` is leadsync's dashboard (the real `make_app`) over a store loaded from the SQLite
file at DB_PATH, which holds ROWS leads; `bare` is a Textual hello-world app. Both run
headless at 160x48 and go the same way: as soon as the first frame shows what it should
(every lead in the table, or the greeting), this process renders that frame to escape
sequences (the step headless mode skips) and prints one line,
`READY <rss_mb> <seconds since the interpreter started>`, then exits. The parent times
the whole process from its own clock, so interpreter start and imports count.
"""

from __future__ import annotations

import asyncio
import sys
import time

from textual.app import App, ComposeResult
from textual.widgets import Static

from benchmarks._common import rss_mb

SIZE = (160, 48)
STARTED = time.perf_counter()


class HelloApp(App[None]):
    """The baseline: Textual's hello world."""

    def compose(self) -> ComposeResult:
        yield Static("Hello, world")


async def first_frame(app: App[None] | App[int], ready: object) -> None:
    """Run `app` headless until `ready()` is true on a painted frame, then report."""
    async with app.run_test(size=SIZE) as pilot:
        while True:
            await pilot._wait_for_screen(timeout=600)
            if ready():  # type: ignore[operator]
                break
            await asyncio.sleep(0)
        app.screen._on_timer_update()
        app.screen._compositor.render_full_update().render_segments(app.console)
        print(f"READY {rss_mb():.1f} {time.perf_counter() - STARTED:.4f}", flush=True)
        app.exit()


async def run_ours(path: str, rows: int) -> None:
    from leadsync_tui.app import make_app
    from leadsync_tui.config import Settings
    from leadsync_tui.screens.dashboard import DashboardScreen
    from leadsync_tui.store.db import Database
    from leadsync_tui.store.store import LeadSyncStore

    db = await Database.open(path)
    try:
        store = LeadSyncStore(db)
        await store.fetch_leads()
        await store.fetch_conflicts()
        app = make_app(Settings(), store=store)

        def ready() -> bool:
            screen = app.screen
            return isinstance(screen, DashboardScreen) and screen.table.total_count == rows

        await first_frame(app, ready)
    finally:
        await db.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["bare"]:
        app = HelloApp()
        asyncio.run(first_frame(app, lambda: bool(app.screen.query(Static))))
        return 0
    if argv[:1] == ["ours"] and len(argv) == 3:
        asyncio.run(run_ours(argv[1], int(argv[2])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
