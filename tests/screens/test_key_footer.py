"""The footer a newcomer reads (#12 §5): help and quit at every width, nothing cut."""

from __future__ import annotations

import pytest

from leadsync_tui.widgets.key_footer import KeyFooter, key_width
from tests.screens.dashboard_fixtures import sample_store
from tests.screens.test_dashboard_actions import dashboard_app


@pytest.mark.parametrize("width", [80, 100, 160])
async def test_help_and_quit_always_show_and_nothing_is_cut(width: int) -> None:
    store = await sample_store(conflicts=2)
    app = dashboard_app(store)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        keys = footer.keys()
        assert keys[-2:] == ["? Help", "^q Quit"], keys
        assert keys[0] == "⏎ Open"  # the most used first
        used = sum(key_width(*key.split(" ", 1)) for key in keys)
        assert used <= width  # every key whole: none cut mid-word
        if width == 160:
            assert len(keys) > 8
