"""Toasts that inform without burying the screen (#12 §5)."""

from __future__ import annotations

from textual.widgets import Button
from textual.widgets._toast import Toast

from leadsync_tui.app import LeadSyncApp
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


def toasts_over_buttons(app: LeadSyncApp) -> list[tuple[str, str]]:
    """(toast, button label) for every toast that covers a button of the screen in front."""
    screen = app.screen
    return [
        (str(toast.render()), str(button.label))
        for toast in screen.query(Toast)
        for button in screen.query(Button)
        if toast.region.overlaps(button.region)
    ]


async def test_a_toast_showing_when_a_dialog_opens_leaves_its_buttons_clear() -> None:
    """Before: "c to triage" said, `c` pressed, and the toast sat on Skip and Cancel."""
    store = await sample_store(conflicts=1)
    app = dashboard_app(store, role=Role.MANAGER)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await store.dispatch(ConflictsDetected(sample_conflicts(3)[1:]))
        await pilot.pause()
        assert toasts(app) == ["Conflicts\n3 conflicts need a decision — c to triage"]
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(front(app), ConflictResolutionModal)
        assert toasts(app) == ["Conflicts\n3 conflicts need a decision — c to triage"]
        assert toasts_over_buttons(app) == []


async def test_the_decision_is_told_over_the_next_dialog_clear_of_its_buttons() -> None:
    """A triage round opens the next conflict at once: its toast shows on that dialog."""
    store = await sample_store(conflicts=2)
    app = dashboard_app(store, role=Role.MANAGER)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        first = front(app)
        assert isinstance(first, ConflictResolutionModal)
        await pilot.press("1", *"called her", "ctrl+s")
        for _ in range(5):
            await pilot.pause()
        following = front(app)
        assert isinstance(following, ConflictResolutionModal) and following is not first
        assert toasts(app) == ["Conflict resolved (DomIQ wins)"]
        assert toasts_over_buttons(app) == []
