"""Marks an operator can see, that end with the action they were for (#12 4.5)."""

from __future__ import annotations

from leadsync_tui.screens.bulk_action import BulkActionModal
from leadsync_tui.widgets import LeadsTable
from leadsync_tui.widgets.table_summary import TableSummary
from tests.screens.dashboard_fixtures import sample_store
from tests.screens.test_dashboard_actions import dashboard_app, front


async def test_marks_show_are_named_when_hidden_and_end_with_the_bulk_action() -> None:
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        line = app.screen.query_one(TableSummary)
        assert str(line.render()) == "30 rows"
        await pilot.press("space", "down", "space")
        await pilot.pause()
        marked = set(table.marked_keys)
        assert str(line.render()) == "30 rows · 2 marked"
        # A filter that keeps one of the two in view.
        first = table.get_lead(sorted(marked)[0])
        assert first is not None
        assert first.email
        await pilot.press("slash", *first.email, "enter")
        await pilot.pause()
        visible = set(table.visible_keys())
        assert first.conversation_id in visible and not marked <= visible
        assert str(line.render()) == (
            f'{len(visible)} of 30 rows · 2 marked (1 hidden) · filter "{first.email}"'
        )
        await pilot.press("r")
        await pilot.pause()
        confirm = front(app)
        assert isinstance(confirm, BulkActionModal)
        assert "(the marked rows, 1 of them hidden by the filter)" in str(
            confirm.query_one("#summary").render()
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.marked_keys == frozenset()  # used by the retry: gone
        assert "marked" not in str(line.render())
