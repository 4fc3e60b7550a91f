"""Keys typed in a burst (a laggy SSH link delivers them together) never stack one modal
on another (issue 12, 4.6): `c esc c esc n esc m esc o esc` left the conflict dialog
and the new-lead form stacked, the footer showing the dashboard's keys and the table
dead until three escapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input

from leadsync_tui.app import LeadSyncApp
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.models import ConflictResolution, Lead, LeadData
from leadsync_tui.screens.conflict_modal import ConflictResolutionModal
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.screens.lead_creation import LeadCreationModal
from leadsync_tui.sync.lead_preflight import PreflightFinding
from leadsync_tui.widgets import LeadsTable
from tests.engine.conftest import sim_rig
from tests.screens.dashboard_fixtures import sample_conflicts, sample_store
from tests.screens.test_dashboard_actions import dashboard_app
from tests.screens.test_flows_on_simulators import as_manager
from tests.screens.test_random_keys import send_together
from tests.waiting import eventually

FIELDS = ("first_name", "last_name", "email")
BURST = ["c", "escape", "c", "escape", "n", "escape", "m", "escape", "o", "escape"]


async def test_a_burst_of_open_and_escape_never_stacks_modals(tmp_path: Path) -> None:
    async with (
        sim_rig(tmp_path, leads=20, seed=7) as rig,
        open_tui(as_manager(rig.settings), live_timers=False, actor="dana") as app,
        app.run_test(size=(160, 48)) as pilot,
    ):
        table = app.screen.query_one(LeadsTable)
        await eventually(lambda: table.row_count >= 5, 30)
        assert app.store is not None
        store = app.store
        await eventually(lambda: bool(store.state.open_conflicts), 30)
        rig.sims.resman_faults.latency_ms = 300
        send_together(app, BURST)
        await eventually(lambda: app._driver is not None and not app._message_queue.qsize())
        await pilot.pause(0.5)
        stack = [type(screen).__name__ for screen in app.screen_stack]
        assert sum(isinstance(s, ModalScreen) for s in app.screen_stack) <= 1, stack
        for _ in range(len(app.screen_stack)):
            if isinstance(app.screen, DashboardScreen):
                break
            await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen), stack
        # The lead under the cursor, not its row: the engine keeps syncing and a re-sort
        # keeps the cursor on its lead, so a row number can come back the same.
        before = table.cursor_key
        table.focus()
        await eventually(lambda: app.focused is table, 10)  # focus() lands a turn later
        await pilot.press("down")
        await eventually(lambda: table.cursor_key != before, 10)


@pytest.mark.parametrize("opener", ["g", "n", "question_mark"])
async def test_two_escapes_in_a_burst_close_one_screen_not_the_dashboard(
    tmp_path: Path, opener: str
) -> None:
    """`g esc esc` typed together: both escapes reached the modal before it closed, and
    the second one dismissed the dashboard (the random-key test left a blank screen)."""
    async with (
        sim_rig(tmp_path, leads=10, seed=7) as rig,
        open_tui(as_manager(rig.settings), live_timers=False, actor="dana") as app,
        app.run_test(size=(120, 30)) as pilot,
    ):
        table = app.screen.query_one(LeadsTable)
        await eventually(lambda: table.row_count >= 5, 30)
        send_together(app, [opener, "escape", "escape", "escape"])
        await pilot.pause(0.3)
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen), [type(s).__name__ for s in app.screen_stack]


async def test_enters_typed_together_in_the_palette_run_one_command() -> None:
    """Two `enter`s in one burst: the palette closed on the first and the second closed
    the dashboard (a blank app; the command then failed on the closed dashboard)."""
    app = dashboard_app(await sample_store())
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"sort")
        await eventually(lambda: bool(app.screen.query("CommandList Option, CommandList")))
        await pilot.pause(0.3)
        send_together(app, ["down", "enter", "enter", "enter"])
        await pilot.pause(0.3)
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen), [type(s).__name__ for s in app.screen_stack]
        assert app.is_running
    assert app._exception is None


def typed(text: str) -> list[str]:
    return list(text)


async def settled_keys(app: LeadSyncApp, pilot: Pilot[int]) -> None:
    """Every key of the burst read from the app's queue and handled."""
    await eventually(lambda: app.key_order.idle and app._message_queue.empty())
    await pilot.pause()


async def test_what_is_typed_right_after_tab_goes_to_the_next_field() -> None:
    """`Ann<tab>Lee<tab>a@b.co` typed together: all of it landed in the first name (the
    letters were forwarded to the field focused before the tabs took effect)."""

    async def check(data: LeadData) -> list[PreflightFinding]:
        raise AssertionError("not sent")

    async def create(data: LeadData, key: str, confirmed: Sequence[PreflightFinding]) -> Lead:
        raise AssertionError("not sent")

    app = dashboard_app(await sample_store())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        modal = LeadCreationModal(
            ["prop_oakridge"], check=check, create=create, today=date(2026, 11, 2)
        )
        await app.push_screen(modal)
        await pilot.pause()
        send_together(app, [*typed("Ann"), "tab", *typed("Lee"), "tab", *typed("a@b.co")])
        await settled_keys(app, pilot)
        values = {name: modal.query_one(f"#{name}", Input).value for name in FIELDS}
        assert values == {"first_name": "Ann", "last_name": "Lee", "email": "a@b.co"}


@pytest.mark.parametrize("move", ["tab", "4"])
async def test_a_reason_typed_right_after_moving_to_it_is_kept(move: str) -> None:
    """In the conflict dialog, `tab why` (or `4 why`) typed together: the letters went to
    the decision's radio buttons, which dropped them; the reason stayed empty."""

    async def submit(resolution: ConflictResolution) -> None:
        raise AssertionError("not sent")

    async def escalate(reason: str) -> None:
        raise AssertionError("not sent")

    app = dashboard_app(await sample_store())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        modal = ConflictResolutionModal(
            sample_conflicts(1)[0], lead_name="Amara Johnson", submit=submit, escalate=escalate
        )
        await app.push_screen(modal)
        await pilot.pause()
        send_together(app, [move, *typed("checked with the lead")])
        await settled_keys(app, pilot)
        assert modal.query_one("#reason", Input).value == "checked with the lead"
