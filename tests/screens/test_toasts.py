"""Toasts that inform without burying the screen (#12 §5)."""

from __future__ import annotations

from leadsync_tui.roles import Role
from leadsync_tui.screens.conflict_modal import ConflictResolutionModal
from leadsync_tui.store.actions import ConflictsDetected
from leadsync_tui.widgets import ConflictNotificationBanner
from tests.screens.dashboard_fixtures import sample_conflicts, sample_store
from tests.screens.test_dashboard_actions import dashboard_app, front, toasts


async def test_a_flood_of_conflicts_is_one_toast_with_a_count() -> None:
    """Before: two toasts per batch (detected, manual review), piling up."""
    store = await sample_store()
    app = dashboard_app(store, role=Role.MANAGER)
    conflicts = sample_conflicts(6)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        for conflict in conflicts:  # one at a time, as the engine finds them
            await store.dispatch(ConflictsDetected([conflict]))
            await pilot.pause()
        assert toasts(app) == ["Conflicts\n6 conflicts need a decision — c to triage"]


async def test_no_toast_over_a_dialog_it_waits_until_the_dialog_closes() -> None:
    store = await sample_store(conflicts=1)
    app = dashboard_app(store, role=Role.MANAGER)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(front(app), ConflictResolutionModal)
        await store.dispatch(ConflictsDetected(sample_conflicts(3)[1:]))
        await pilot.pause()
        assert not [t for t in toasts(app) if t.startswith("Conflicts")]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert "Conflicts\n3 conflicts need a decision — c to triage" in toasts(app)


async def test_a_viewer_is_not_told_to_triage() -> None:
    store = await sample_store()
    app = dashboard_app(store, role=Role.VIEWER)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        await store.dispatch(ConflictsDetected(sample_conflicts(2)))
        await pilot.pause()
        banner = app.screen.query_one(ConflictNotificationBanner)
        shown = [*toasts(app), banner.label]
        assert not any("triage" in text for text in shown), shown
        assert "press c to view" in banner.label
