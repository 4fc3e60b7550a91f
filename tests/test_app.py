"""The app starts on an empty store and quits cleanly with ctrl+q."""

from __future__ import annotations

from leadsync_tui.app import make_app
from leadsync_tui.config import load_settings
from leadsync_tui.screens.dashboard import DashboardScreen


async def test_app_opens_on_the_dashboard_and_quits_with_ctrl_q() -> None:
    app = make_app(load_settings().settings, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.sub_title == "demo · read-only"
        await pilot.press("ctrl+q")
    assert app.return_code == 0
