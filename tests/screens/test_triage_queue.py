"""Triage (`c`) as each role meets it, and a queue count that stays true (#12 §5, 4.11)."""

from __future__ import annotations

from leadsync_tui.models import ConflictResolution, Resolution
from leadsync_tui.roles import Role
from leadsync_tui.screens.conflict_modal import ConflictResolutionModal
from tests.screens.dashboard_fixtures import sample_store
from tests.screens.test_dashboard_actions import dashboard_app, front, toasts


def title_of(modal: object) -> str:
    assert isinstance(modal, ConflictResolutionModal)
    return str(modal.query_one("#dialog").border_title)


async def test_an_operators_round_starts_with_what_they_may_decide() -> None:
    """Six conflicts, two high (cfl_000, cfl_003): the operator starts at a medium one,
    is told two were skipped, and never meets the high ones in the round."""
    store = await sample_store(conflicts=6)
    app = dashboard_app(store, role=Role.OPERATOR)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        modal = front(app)
        assert isinstance(modal, ConflictResolutionModal)
        assert modal.conflict.conflict_severity.value != "high"
        assert not modal.read_only
        assert title_of(modal).startswith("Conflict 1 of 4 ")
        assert any("Skipped 2 conflicts your role may not decide" in t for t in toasts(app))
        seen = [modal.conflict.id]
        for _ in range(3):
            await pilot.press("n")
            await pilot.pause()
            now = front(app)
            assert isinstance(now, ConflictResolutionModal)
            seen.append(now.conflict.id)
        assert "cfl_000" not in seen and "cfl_003" not in seen


async def test_a_manager_is_not_told_of_skipped_conflicts() -> None:
    store = await sample_store(conflicts=6)
    app = dashboard_app(store, role=Role.MANAGER)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert title_of(front(app)).startswith("Conflict 1 of 6 ")
        assert not any("Skipped" in t for t in toasts(app))


async def test_the_count_follows_conflicts_resolved_elsewhere() -> None:
    """Before: "Conflict 1 of 6" stayed while others were resolved under the dialog."""
    store = await sample_store(conflicts=6)
    app = dashboard_app(store, role=Role.MANAGER)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        modal = front(app)
        assert title_of(modal).startswith("Conflict 1 of 6 ")
        for conflict_id in ("cfl_004", "cfl_005"):
            done = ConflictResolution(resolution=Resolution.RESMAN_WINS, reason="elsewhere")
            await store.resolve_conflict(conflict_id, done, "someone-else")
        await pilot.pause()
        assert title_of(modal).startswith("Conflict 1 of 4 ")
