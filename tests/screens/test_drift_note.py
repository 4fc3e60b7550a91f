"""The drift scan's line on the dashboard's status bar and the metrics screen: shown while
a scan runs, gone when it ends; the metrics screen keeps "last full agreement at …"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadsync_tui.app import make_app
from leadsync_tui.config import load_settings
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.screens.metrics_screen import MetricsScreen
from leadsync_tui.store.changes import DriftProgress
from leadsync_tui.widgets.drift_note import DriftScanNote
from tests.screens.metrics_fixtures import close_opened, metrics_store
from tests.waiting import eventually
from tests.widgets.sample_leads import frozen_clock

AGREED = datetime(2026, 3, 1, 3, 15, tzinfo=UTC)
RUNNING = DriftProgress(1240, 3100, 3, running=True, last_agreement_at=AGREED)
DONE = DriftProgress(3100, 3100, 3, running=False, last_agreement_at=AGREED)


@pytest.fixture(autouse=True)
def _close_fixture_databases() -> Iterator[None]:
    yield
    close_opened()


def shown(note: DriftScanNote) -> str:
    return str(note.render()) if note.display else ""


async def test_the_status_bar_shows_a_running_scan_and_the_metrics_screen_its_last_agreement() -> (
    None
):
    store = await metrics_store(failures=False)
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        note = dashboard.query_one(DriftScanNote)
        assert shown(note) == ""  # no scan: no room taken

        store.note_drift(RUNNING)
        await eventually(lambda: shown(note) != "")
        assert shown(note) == "drift scan 1,240 of 3,100 pairs · 3 out of step"

        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, MetricsScreen))
        line = app.screen.query_one("#drift-line", DriftScanNote)
        await eventually(lambda: shown(line) != "")
        assert shown(line) == (
            "drift scan 1,240 of 3,100 pairs · 3 out of step"
            " · last full agreement at 2026-03-01 03:15 UTC"
        )
        store.note_drift(DONE)
        await eventually(lambda: "pairs out of step at the last" in shown(line))
        assert shown(line) == (
            "3 pairs out of step at the last drift scan"
            " · last full agreement at 2026-03-01 03:15 UTC"
        )

        await pilot.press("escape")
        await eventually(lambda: isinstance(app.screen, DashboardScreen))
        await eventually(lambda: shown(note) == "")
