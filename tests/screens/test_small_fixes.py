"""Issue #12 4.11: the small things an operator trips over, each as they saw it."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync_tui.app import make_app
from leadsync_tui.cli import main
from leadsync_tui.config import load_settings
from leadsync_tui.models import ConflictResolution, Resolution
from leadsync_tui.screens.conflict_modal import ConflictOutcome, outcome_message
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.actions import ConnectionChanged
from leadsync_tui.widgets import LeadsTable
from leadsync_tui.widgets.sync_metrics import SyncMetricsWidget
from tests.screens.dashboard_fixtures import frozen_clock, sample_store
from tests.screens.metrics_fixtures import metrics_store
from tests.screens.palette import run_from_palette
from tests.screens.test_dashboard_actions import dashboard_app, front, toasts
from tests.waiting import eventually


async def test_the_palette_offers_reverse_sort_and_mark() -> None:
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await run_from_palette(pilot, "reverse sort")
        await eventually(lambda: table.sort_reverse)
        await run_from_palette(pilot, "mark")
        await eventually(lambda: table.marked_keys == {table.cursor_key})


async def test_g_finds_a_prospect_id_typed_in_upper_case() -> None:
    store = await sample_store()
    app = dashboard_app(store)
    wanted = next(lead for lead in store.state.leads.values() if lead.resman_prospect_id)
    assert wanted.resman_prospect_id is not None
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("g", *wanted.resman_prospect_id.upper(), "enter")
        await pilot.pause()
        assert isinstance(front(app), DashboardScreen)
        assert app.screen.query_one(LeadsTable).cursor_key == wanted.conversation_id


async def test_exporting_an_empty_view_writes_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"nobody-has-this", "enter", "e")
        await eventually(lambda: any("Nothing to export" in toast for toast in toasts(app)))
        assert not list(tmp_path.glob("*"))  # noqa: ASYNC240 (a test: a quick listing)
        assert any("Nothing to export" in toast for toast in toasts(app))


async def test_without_user_the_header_names_the_login_not_a_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert "(operator)" not in app.sub_title
        assert app.sub_title.endswith(f"({app.actor})") and app.actor


def test_toasts_say_resolutions_as_people_do() -> None:
    resolution = ConflictResolution(resolution=Resolution.RESMAN_WINS, reason="why")
    outcome = ConflictOutcome("cfl_1", "resolved", resolution=resolution)
    assert outcome_message(outcome) == "Conflict resolved (ResMan wins)"


async def test_a_reconnect_the_user_asked_for_is_not_a_lost_connection() -> None:
    store = await sample_store()
    await store.dispatch(ConnectionChanged(connected=True, last_ping=frozen_clock()))
    app = dashboard_app(store)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        # The engine drops the feed to reconnect it, as the user asked.
        await store.dispatch(ConnectionChanged(connected=False, last_ping=frozen_clock()))
        await pilot.pause()
        shown = toasts(app)
        assert any("Reconnecting the live feed" in toast for toast in shown)
        assert not any("connection lost" in toast.lower() for toast in shown)


def test_config_check_in_demo_mode_names_the_demo_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    [line] = [row for row in out.splitlines() if "sync.database" in row]
    assert "leadsync-demo.db" in line and "[demo]" in line


def test_theme_takes_any_textual_theme_and_refuses_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.cli_parsing import parsed

    assert parsed(["tui", "--theme", "tokyo-night"])["theme"] == "tokyo-night"
    assert main(["tui", "--theme", "no-such-theme"]) == 2
    assert "no theme 'no-such-theme'" in capsys.readouterr().err


async def test_the_metrics_strip_starts_with_real_numbers_not_defaults() -> None:
    """Before: `conflict 0.0%`, `failed 0` on the first frames (the store's defaults,
    until the first refresh 2 s later) while the log says otherwise."""
    store = await metrics_store(metrics=False, failures=True)  # one parked failure
    app = make_app(
        load_settings().settings, store=store, clock=frozen_clock, live_timers=True, actor="d"
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        widget = app.screen.query_one(SyncMetricsWidget)
        assert widget.metrics is not None and widget.metrics.failed_syncs == 1
        assert "failed 1 " in " ".join(widget.lines[1].split()) + " "
        first_shown = next(iter(widget.session_history)).metrics
        assert first_shown.failed_syncs == 1  # never the defaults first
