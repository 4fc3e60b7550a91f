"""The app opens on its store and quits cleanly with ctrl+q."""

from __future__ import annotations

from datetime import UTC, datetime

from leadsync_tui.app import make_app
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.config import load_settings
from leadsync_tui.models import Lead
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.widgets import LeadsTable
from tests.waiting import eventually

FROZEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def make_lead(n: int, version: int = 1) -> Lead:
    return Lead(
        conversation_id=f"cnv_{n:04d}",
        version=version,
        created_at=FROZEN,
        updated_at=FROZEN,
        property_id="prop_oakridge",
        first_name=f"Person{n}",
        last_name="Example",
    )


async def test_an_empty_store_says_so_and_ctrl_q_quits() -> None:
    db = await Database.open(":memory:", now=lambda: FROZEN)
    store = LeadSyncStore(db, now=lambda: FROZEN)
    app = make_app(load_settings().settings, store=store, read_only=True, clock=lambda: FROZEN)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.sub_title == "demo · read-only"
        assert app.screen.query_one(LeadsTable).total_count == 0
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    await db.close()


async def test_the_dashboard_follows_the_store() -> None:
    db = await Database.open(":memory:", now=lambda: FROZEN)
    store = LeadSyncStore(db, now=lambda: FROZEN)
    await store.merge_leads([make_lead(1), make_lead(2)])
    app = make_app(load_settings().settings, store=store, clock=lambda: FROZEN)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        assert table.total_count == 2
        await store.merge_leads([make_lead(3)])
        await pilot.pause()
        assert table.total_count == 3
    await db.close()


async def test_the_demo_starts_the_simulators_and_shows_their_leads() -> None:
    async with open_tui(load_settings().settings) as app, app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: app.engine_setup is not None)
        setup = app.engine_setup
        assert setup is not None and setup.sims is not None
        domiq = setup.sims.world.domiq
        store = setup.engine.store
        await eventually(lambda: len(store.state.leads) == domiq.lead_count, 10)
        # The demo's simulated chats keep adding leads: the table catches up with them.
        await eventually(
            lambda: app.screen.query_one(LeadsTable).total_count == domiq.lead_count, 10
        )
        await pilot.press("ctrl+q")
    assert app.return_code == 0
