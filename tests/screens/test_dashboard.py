"""The dashboard as an operator uses it: the table follows the store; filter; mask."""

from __future__ import annotations

from datetime import timedelta

from leadsync_tui.app import make_app
from leadsync_tui.config import load_settings
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.widgets import LeadsTable
from tests.screens.dashboard_fixtures import (
    frozen_clock,
    outbox_status,
    park_failed_write,
    sample_store,
)
from tests.widgets.sample_leads import sample_leads


async def test_the_table_shows_the_store_and_follows_its_changes() -> None:
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one(LeadsTable)
        assert table.total_count == 30
        first = sample_leads()[0]
        changed = first.model_copy(
            update={
                "version": first.version + 1,
                "email": "maya.new@example.com",
                "updated_at": first.updated_at + timedelta(minutes=1),
            }
        )
        await store.merge_leads([changed])
        await pilot.pause()
        shown = table.get_lead(first.conversation_id)
        assert shown is not None and shown.email == "maya.new@example.com"


async def test_slash_filters_as_you_type_and_escape_clears() -> None:
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await pilot.press("slash", *"okafor")
        await pilot.pause()
        assert table.row_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 30 and table.has_focus


async def test_capital_m_masks_and_unmasks_pii() -> None:
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        seen = [table.mask_pii]
        for _ in range(2):
            await pilot.press("M")
            seen.append(table.mask_pii)
        assert seen == [False, True, False]


async def test_mask_pii_flag_starts_masked() -> None:
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, mask_pii=True, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(LeadsTable).mask_pii


async def test_question_mark_toggles_the_key_help() -> None:
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_c_jumps_to_the_first_conflict_in_triage_order() -> None:
    store = await sample_store(conflicts=3)
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await pilot.press("c")
        await pilot.pause()
        # High severity first: the phone conflict on conv_004.
        assert table.cursor_key == "conv_004"


async def test_c_with_no_conflicts_says_so() -> None:
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert toasts == ["No unresolved conflicts."]


async def test_r_sends_the_current_leads_failed_write_again() -> None:
    store = await sample_store()
    item_id = await park_failed_write("conv_000")
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert app.screen.query_one(LeadsTable).cursor_key == "conv_000"
        await pilot.press("r")
        await pilot.pause()
        assert await outbox_status(item_id) == "pending"
        assert store.state.leads["conv_000"].resman_sync_status.value == "syncing"
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert toasts == ["Retrying 1 failed write."]
        await pilot.press("r")
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert toasts[-1] == "Nothing to retry: this lead has no failed write."


async def test_read_only_refuses_to_retry() -> None:
    store = await sample_store()
    item_id = await park_failed_write("conv_000")
    app = make_app(
        load_settings().settings, store=store, clock=frozen_clock, live_timers=False, read_only=True
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert await outbox_status(item_id) == "failed"
