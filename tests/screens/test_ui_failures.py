"""Nothing a worker or a screen callback raises ends the app (issue 12, section 1).

A worker whose screen was dismissed drops its result quietly; any other failure is shown
in the error bar with a one-line reason and a pointer to the log, its traceback logged
(never printed), and the app stays up."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.screens.lead_detail import LeadDetailScreen
from leadsync_tui.ui_work import guarded
from leadsync_tui.widgets import LeadsTable, SyncErrorAlert
from tests.engine.conftest import sim_rig
from tests.screens.dashboard_fixtures import park_failed_write, sample_store
from tests.screens.test_dashboard_actions import dashboard_app
from tests.screens.test_flows_on_simulators import as_manager
from tests.waiting import eventually


async def test_esc_before_resman_answers_leaves_the_app_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`enter` then `esc` while ResMan is slow, a few times: the answer lands on a screen
    being torn down (Textual then ended the app with `NoMatches` on `#lead-name`)."""
    async with sim_rig(tmp_path, leads=10, seed=11) as rig:
        async with (
            open_tui(as_manager(rig.settings), live_timers=False, actor="dana") as app,
            app.run_test(size=(160, 48)) as pilot,
        ):
            table = app.screen.query_one(LeadsTable)
            await eventually(lambda: table.row_count >= 5, 30)
            rig.sims.resman_faults.latency_ms = 300
            for _ in range(6):
                await pilot.press("enter")
                detail = app.screen
                assert isinstance(detail, LeadDetailScreen)
                reads = [w for w in app.workers if w.node is detail]
                await pilot.pause(0.1)
                await pilot.press("escape")
                await eventually(lambda: all(w.is_finished for w in reads))  # noqa: B023
                await pilot.pause()
                assert app.is_running
                assert isinstance(app.screen, DashboardScreen)
            assert not app.screen.query_one(SyncErrorAlert).display
        assert app._exception is None
    assert not [
        r for r in caplog.records if r.name.startswith("leadsync_tui.ui") and r.levelno >= 40
    ]


async def test_a_dismissed_screens_failure_is_dropped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The rule itself, without timing: work of a screen that is gone fails quietly."""
    caplog.set_level(logging.DEBUG, logger="leadsync_tui.ui")
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, LeadDetailScreen)
        await pilot.press("escape")
        await eventually(lambda: not detail.is_attached)

        async def draw_late() -> None:
            detail._settle("ready")

        await guarded(detail, "Reading ResMan", draw_late())
        await pilot.pause()
        assert app.is_running
        assert not app.screen.query_one(SyncErrorAlert).display
    assert app._exception is None
    assert [r.levelno for r in caplog.records if r.name == "leadsync_tui.ui"] == [logging.DEBUG]


async def test_a_database_error_on_retry_is_shown_and_the_app_stays_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`r` when the store cannot write: the error bar says so, the log has the rest."""
    store = await sample_store()
    await park_failed_write("conv_000")
    await store.db._conn.execute("ALTER TABLE outbox RENAME TO outbox_gone")
    app = dashboard_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        alert = app.screen.query_one(SyncErrorAlert)
        await eventually(lambda: bool(alert.error))
        assert alert.display
        assert alert.error.startswith("Retry failed:")
        assert alert.error.endswith("(details in the log)")
        assert app.is_running
        await pilot.press("down")
    assert app._exception is None
    [logged] = [r for r in caplog.records if r.name == "leadsync_tui.ui"]
    assert logged.levelno == logging.ERROR and logged.exc_info is not None


async def test_an_action_that_fails_is_shown_and_the_app_stays_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An action (here `e`, whose audit entry cannot be written) that raises is reported
    like failed UI work (the random-key test ended the app through an action)."""
    monkeypatch.chdir(tmp_path)
    store = await sample_store()
    await store.db._conn.execute("ALTER TABLE audit RENAME TO audit_gone")
    app = dashboard_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        alert = app.screen.query_one(SyncErrorAlert)
        await eventually(lambda: bool(alert.error))
        assert alert.error.startswith("Export failed:")
        assert alert.error.endswith("(details in the log)")
        await pilot.press("down")
        assert app.is_running
    assert app._exception is None
    assert [r.levelno for r in caplog.records if r.name == "leadsync_tui.ui"] == [logging.ERROR]
