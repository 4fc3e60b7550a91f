"""Start-up with many leads: the dashboard is up at once, says it is loading and how far,
fills the table chunk by chunk while the keys work, and drops the note when done."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync_tui.app import make_app
from leadsync_tui.config import load_settings
from leadsync_tui.models import Lead
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.db import Database, LeadPage
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.widgets import LeadsTable
from tests.screens.dashboard_fixtures import frozen_clock
from tests.store.conftest import T0, make_lead

LEADS = 3_000
CHUNK = 500


async def test_the_dashboard_shows_the_loading_note_then_every_lead(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "leadsync.db")
    try:
        await db.upsert_leads(
            [make_lead(f"c{n:04d}", updated_at=T0 - timedelta(minutes=n)) for n in range(LEADS)]
        )
        store = LeadSyncStore(db)
        await store.fetch_conflicts()
        store.begin_load()
        # Hold the load after its second chunk, so the test sees it half way.
        gate = asyncio.Event()
        pages = 0
        read_page = db.load_leads_page

        async def gated(
            after: LeadPage | None, limit: int, **options: Any
        ) -> tuple[list[Lead], LeadPage | None]:
            nonlocal pages
            pages += 1
            if pages == 3:
                await gate.wait()
            return await read_page(after, limit, **options)

        db.load_leads_page = gated  # type: ignore[method-assign]
        app = make_app(load_settings().settings, store=store, clock=frozen_clock)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen)
            table = app.screen.query_one(LeadsTable)
            note = app.screen.query_one("#load-note")
            loading = asyncio.create_task(store.load_leads_progressively(chunk=CHUNK))
            for _ in range(100):
                await pilot.pause()
                if table.total_count == 2 * CHUNK:
                    break
            assert table.total_count == 2 * CHUNK
            assert _shown(note)
            assert str(note.render()) == "Loading leads… 1,000 of 3,000"
            assert table.cursor_key == "c0000"  # newest first, as a full load shows them
            await pilot.press("down", "down")
            assert table.cursor_key == "c0002"  # the keys work meanwhile

            gate.set()
            await loading
            await pilot.pause()
            assert table.total_count == LEADS
            assert not _shown(note)
            assert table.cursor_key == "c0002"
    finally:
        await db.close()


def _shown(widget: Any) -> bool:
    return bool(widget.display)
