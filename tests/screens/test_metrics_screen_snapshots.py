"""What the metrics screen looks like: with data, with none yet, with errors grouped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from textual.pilot import Pilot

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import load_settings
from leadsync_tui.screens.metrics_screen import MetricsScreen
from tests.screens.metrics_fixtures import (
    close_opened,
    metrics_store_sync,
    play_history,
)
from tests.waiting import eventually
from tests.widgets.sample_leads import frozen_clock

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@pytest.fixture(autouse=True)
def _close_fixture_databases() -> Iterator[None]:
    yield
    close_opened()


def metrics_app(*, metrics: bool = True, failures: bool = False) -> LeadSyncApp:
    return make_app(
        load_settings().settings,
        store=metrics_store_sync(metrics=metrics, failures=failures),
        clock=frozen_clock,
        live_timers=False,
        actor="operator",
    )


def open_metrics(history: bool) -> Callable[[Pilot[int]], Awaitable[None]]:
    """Let the dashboard see the history samples (if any), then press `m`."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, LeadSyncApp) and app.store is not None
        if history:
            await play_history(app.store)
        await pilot.pause()
        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, MetricsScreen))
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        await eventually(lambda: screen.errors_loaded)
        await pilot.pause()

    return run_before


@SIZES
def test_metrics_with_data(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(metrics_app(), terminal_size=size, run_before=open_metrics(True))


@SIZES
def test_metrics_with_no_data_yet(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = metrics_app(metrics=False)
    assert snap_compare(app, terminal_size=size, run_before=open_metrics(False))


@SIZES
def test_metrics_with_errors_grouped(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = metrics_app(failures=True)
    assert snap_compare(app, terminal_size=size, run_before=open_metrics(True))


def test_dashboard_filtered_to_an_error_group(snap_compare: SnapCompare) -> None:
    """Back on the dashboard: only the group's leads, and the filter line says why."""

    async def run_before(pilot: Pilot[int]) -> None:
        await open_metrics(True)(pilot)
        await pilot.press("enter")
        await pilot.pause()

    app = metrics_app(failures=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
