"""The metrics screen as an operator uses it: `m` opens it, it follows the store, and an
error group leads back to the dashboard filtered to exactly the leads it hit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Digits, Input, OptionList

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.config import load_settings
from leadsync_tui.models import AttemptStatus, LeadSyncLog, SyncDirection, SyncStatus, SyncType
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.screens.metrics_screen import MetricsScreen
from leadsync_tui.store.actions import LogsAppended, MetricsUpdated
from leadsync_tui.store.error_groups import ErrorKind
from leadsync_tui.widgets import LeadsTable
from tests.engine.conftest import sim_rig
from tests.screens.metrics_fixtures import (
    FAILURES,
    HISTORY,
    close_opened,
    metrics_store,
    play_history,
    server_error_message,
)
from tests.waiting import eventually
from tests.widgets.sample_leads import NOW, frozen_clock

FILTER_PLACEHOLDER = "filter: any column (enter keeps it, esc clears)"


@pytest.fixture(autouse=True)
def _close_fixture_databases() -> Iterator[None]:
    yield
    close_opened()


async def _app(*, failures: bool = True) -> LeadSyncApp:
    store = await metrics_store(failures=failures)
    return make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)


async def _open_metrics(app: LeadSyncApp) -> MetricsScreen:
    await app.workers.wait_for_complete()
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    await screen.run_action("metrics")
    await eventually(lambda: isinstance(app.screen, MetricsScreen))
    metrics = app.screen
    assert isinstance(metrics, MetricsScreen)
    await eventually(lambda: metrics.errors_loaded)
    return metrics


async def test_m_opens_the_metrics_with_the_session_history_and_escape_goes_back() -> None:
    app = await _app(failures=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.store is not None
        await play_history(app.store)
        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, MetricsScreen))
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        await eventually(lambda: screen.errors_loaded)
        # Every sample the dashboard saw before the screen opened is in its history.
        assert [p.metrics for p in screen.history] == list(HISTORY)
        assert screen.query_one("#card-failed Digits", Digits).value == "5"
        assert "No errors this session." in str(screen.query_one("#no-errors").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.query_one(LeadsTable).row_count == 30


async def test_an_error_group_filters_the_table_to_exactly_its_leads_and_escape_clears() -> None:
    app = await _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await _open_metrics(app)
        kinds = [group.kind for group in screen.groups]
        assert kinds[0] is ErrorKind.RATE_LIMITED  # the biggest first
        assert set(kinds) == {
            ErrorKind.RATE_LIMITED,
            ErrorKind.MAPPING_MISSING,
            ErrorKind.SERVER_ERROR,
            ErrorKind.MALFORMED,
        }
        await pilot.press("down", "down")  # the third group: mapping missing
        await pilot.press("enter")
        await pilot.pause()
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        table = dashboard.query_one(LeadsTable)
        assert sorted(table.visible_keys()) == FAILURES["mapping missing"]
        box = dashboard.query_one("#filter", Input)
        assert box.display and "mapping missing" in box.placeholder and "2 leads" in box.placeholder
        assert table.has_focus
        # The text filter narrows within the group.
        await pilot.press("slash", *"noah")
        await pilot.pause()
        assert table.visible_keys() == []  # Noah Patel (conv_003) is not in this group
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 30
        assert box.placeholder == FILTER_PLACEHOLDER and not box.display


async def test_a_click_on_a_group_filters_too() -> None:
    app = await _app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await _open_metrics(app)
        await pilot.pause()
        await pilot.click("#error-groups", offset=(4, 0))  # the first group's first line
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        assert sorted(table.visible_keys()) == FAILURES["rate limited"]


async def test_the_screen_follows_the_store_while_open() -> None:
    app = await _app(failures=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await _open_metrics(app)
        assert app.store is not None
        await app.store.dispatch(MetricsUpdated(HISTORY[5]))
        await pilot.pause()
        assert screen.query_one("#card-pending Digits", Digits).value == "15"
        assert screen.history.latest is not None
        assert screen.history.latest.metrics == HISTORY[5]
        failed = LeadSyncLog(
            id="late_1",
            conversation_id="conv_020",
            sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
            sync_status=AttemptStatus.FAILED,
            sync_type=SyncType.CREATE,
            created_at=NOW,
            error_message=server_error_message(),
        )
        await app.store.dispatch(LogsAppended([failed]))
        await eventually(lambda: bool(screen.groups), within_s=5)
        await pilot.pause()
        [group] = screen.groups
        assert group.kind is ErrorKind.SERVER_ERROR and group.conversation_ids == {"conv_020"}
        listing = screen.query_one("#error-groups", OptionList)
        assert listing.display and listing.option_count == 1


async def test_against_the_simulators_a_missing_agent_groups_exactly_the_failed_leads(
    tmp_path: Path,
) -> None:
    """The real engine meets a property without an agent: its new leads are parked, the
    metrics screen names the kind, and choosing it shows exactly those leads."""
    async with sim_rig(tmp_path, leads=30, seed=11) as rig:
        settings = rig.settings
        broken = next(iter(settings.resman.properties))
        properties = dict(settings.resman.properties)
        properties[broken] = properties[broken].model_copy(update={"agent_id": None})
        settings = settings.model_copy(
            update={"resman": settings.resman.model_copy(update={"properties": properties})}
        )
        async with (
            open_tui(settings, live_timers=False) as app,
            app.run_test(size=(160, 48)) as pilot,
        ):

            def failed() -> set[str]:
                leads = app.store.state.leads.values()
                return {
                    lead.conversation_id
                    for lead in leads
                    if lead.resman_sync_status is SyncStatus.FAILED
                }

            await eventually(lambda: bool(failed()), within_s=30)
            await pilot.pause(0.5)  # let the rest of the first round be parked too
            assert app.store is not None
            assert {app.store.state.leads[cid].property_id for cid in failed()} == {broken}
            await pilot.press("m")
            await eventually(lambda: isinstance(app.screen, MetricsScreen))
            screen = app.screen
            assert isinstance(screen, MetricsScreen)
            await eventually(lambda: screen.errors_loaded)
            mapping = [g for g in screen.groups if g.kind is ErrorKind.MAPPING_MISSING]
            assert mapping, [g.example for g in screen.groups]
            expected = set(mapping[0].conversation_ids)
            assert expected == failed()
            index = screen.groups.index(mapping[0])
            screen.query_one("#error-groups", OptionList).highlighted = index
            await pilot.press("enter")
            await pilot.pause()
            table = app.screen.query_one(LeadsTable)
            assert set(table.visible_keys()) == expected
            await pilot.press("escape")
            await pilot.pause()
            assert table.row_count == table.total_count
