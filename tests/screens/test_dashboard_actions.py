"""The dashboard's operator actions: export, pause, go to id, bulk retry and resolve, and
what each role is offered (and refused)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widget import Widget

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import RolesSettings, load_settings
from leadsync_tui.models import ResolutionStatus
from leadsync_tui.roles import Role
from leadsync_tui.screens.bulk_action import BulkActionModal
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.screens.jump import JumpModal
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.widgets import LeadsTable
from leadsync_tui.widgets.choice_button import ChoiceButton
from tests.screens.dashboard_fixtures import (
    frozen_clock,
    outbox_status,
    park_failed_write,
    sample_store,
)
from tests.screens.palette import run_from_palette
from tests.waiting import eventually
from tests.widgets.sample_leads import sample_leads


def dashboard_app(
    store: LeadSyncStore, role: Role | None = None, *, mask_pii: bool = False
) -> LeadSyncApp:
    settings = load_settings().settings
    if role is not None:
        settings = settings.model_copy(update={"roles": RolesSettings(default=role)})
    return make_app(
        settings,
        store=store,
        clock=frozen_clock,
        live_timers=False,
        actor="dana",
        mask_pii=mask_pii,
    )


def exported(folder: Path) -> tuple[Path, str]:
    """The one CSV file an export wrote into `folder`, and its text."""
    [path] = list(folder.glob("leadsync-export-*.csv"))
    return path, path.read_text(encoding="utf-8")


def front(app: LeadSyncApp) -> Screen[Any]:
    """The screen in front now (a call, so type checkers do not pin it between steps)."""
    return app.screen


def shown_now(widget: Widget) -> bool:
    return widget.display


def toasts(app: LeadSyncApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def test_e_exports_the_rows_in_view_and_audits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await pilot.press("slash", *"example.com", "enter")
        await pilot.pause()
        shown = table.visible_keys()
        await pilot.press("e")
        await eventually(lambda: any("Exported" in toast for toast in toasts(app)))
        path, text = exported(tmp_path)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["conversation_id"] for row in rows] == shown
        assert 0 < len(rows) < 30
        assert all(row["email"].endswith("@example.com") for row in rows)
        assert f"Exported {len(rows)} rows to {path}" in toasts(app)[-1]
    [entry] = await store.db.audit_entries()
    assert (entry.actor, entry.action, entry.target) == ("dana", "export", str(path))
    assert entry.after == {"rows": len(rows), "filter": "example.com", "masked": False}


async def test_a_masked_export_keeps_pii_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await sample_store()
    app = dashboard_app(store, mask_pii=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await eventually(lambda: any("Exported" in toast for toast in toasts(app)))
    _, text = exported(tmp_path)
    for lead in sample_leads():
        assert lead.last_name not in text
        if lead.email:
            assert lead.email not in text


async def test_p_pauses_the_table_and_resume_applies_what_changed() -> None:
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await pilot.press("p")
        first = sample_leads()[0]
        changed = first.model_copy(
            update={
                "version": first.version + 1,
                "email": "maya.new@example.com",
                "updated_at": first.updated_at + timedelta(minutes=1),
            }
        )
        await store.merge_leads([changed])
        await pilot.pause()
        shown = table.get_lead(first.conversation_id)
        assert shown is not None and shown.email == first.email
        note = app.screen.query_one("#pause-note")
        assert shown_now(note) and "1 lead changed" in str(note.render())
        await pilot.press("p")
        await pilot.pause()
        shown = table.get_lead(first.conversation_id)
        assert shown is not None and shown.email == "maya.new@example.com"
        assert not shown_now(note)
        assert toasts(app)[-1] == "Live updates resumed; 1 lead updated."


async def test_g_goes_to_a_lead_by_its_resman_prospect_id_even_when_filtered_out() -> None:
    store = await sample_store()
    target = next(lead for lead in sample_leads()[20:] if lead.resman_prospect_id)
    app = dashboard_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await pilot.press("slash", *"okafor", "enter")
        await pilot.pause()
        await pilot.press("g", *"nope-123", "enter")
        await pilot.pause()
        assert isinstance(front(app), JumpModal)
        assert "No lead has the id 'nope-123'" in str(app.screen.query_one("#answer").render())
        app.screen.query_one("#id").value = ""  # type: ignore[attr-defined]
        assert target.resman_prospect_id is not None
        await pilot.press(*target.resman_prospect_id, "enter")
        await pilot.pause()
        assert isinstance(front(app), DashboardScreen)
        assert table.cursor_key == target.conversation_id
        assert table.row_count == 30


async def test_r_on_marked_rows_asks_first_then_retries_them_all() -> None:
    store = await sample_store()
    first = await park_failed_write("conv_000")
    second = await park_failed_write("conv_001")
    app = dashboard_app(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("space", "down", "space", "r")
        await pilot.pause()
        assert isinstance(front(app), BulkActionModal)
        assert "Retry the failed writes of 2 leads (the marked rows)?" in str(
            app.screen.query_one("#summary").render()
        )
        assert await outbox_status(first) == "failed"
        await pilot.press("ctrl+s")
        await eventually(lambda: "Retrying 2 failed writes." in toasts(app))
        assert (await outbox_status(first), await outbox_status(second)) == ("pending",) * 2
        assert toasts(app)[-1] == "Retrying 2 failed writes."
    actions = [entry.action for entry in await store.db.audit_entries()]
    assert "bulk_retry" in actions


async def test_escape_cancels_a_bulk_retry() -> None:
    store = await sample_store()
    item = await park_failed_write("conv_000")
    await park_failed_write("conv_001")
    app = dashboard_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("space", "down", "space", "r", "escape")
        await pilot.pause()
        assert isinstance(front(app), DashboardScreen)
        assert await outbox_status(item) == "failed"


async def test_b_resolves_the_filtered_conflicts_an_operator_may_resolve() -> None:
    store = await sample_store(conflicts=3)  # one high severity (phone), two medium
    app = dashboard_app(store, role=Role.OPERATOR)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"conflict", "enter", "b")
        await pilot.pause()
        assert isinstance(front(app), BulkActionModal)
        assert "Resolve 2 open conflicts of 2 leads" in str(
            app.screen.query_one("#summary").render()
        )
        assert "high severity, for a manager" in str(app.screen.query_one("#skipped").render())
        buttons = list(app.screen.query(ChoiceButton))
        assert not any(button.value for button in buttons)  # nothing chosen for them
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(front(app), BulkActionModal)  # a resolution is required
        assert "Choose a resolution first" in str(app.screen.query_one("#problem").render())
        await pilot.click(buttons[0])  # ResMan wins
        await pilot.pause()
        marks = [str(button.render())[:3] for button in buttons]
        assert marks == ["▐●▌", "▐ ▌", "▐ ▌"]  # readable without colour
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(front(app), BulkActionModal)  # a reason is required
        assert "A reason is required" in str(app.screen.query_one("#problem").render())
        await pilot.click("#reason")
        await pilot.press(*"ResMan is right", "enter")
        await eventually(lambda: any("Resolved 2 conflicts" in toast for toast in toasts(app)))
        assert isinstance(front(app), DashboardScreen)
    open_ids = {c.id for c in store.state.open_conflicts}
    assert open_ids == {"cfl_000"}
    resolved = [c for c in store.state.conflicts if c.id != "cfl_000"]
    assert all(c.resolution_status is ResolutionStatus.RESOLVED for c in resolved)
    assert all(c.resolution and c.resolution.reason == "ResMan is right" for c in resolved)


async def test_a_viewer_is_not_offered_mutating_actions_and_is_told_why() -> None:
    store = await sample_store()
    item = await park_failed_write("conv_000")
    app = dashboard_app(store, role=Role.VIEWER)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        footer_actions = {
            active.binding.action for active in screen.active_bindings.values() if active.enabled
        }
        assert {"retry", "new_lead", "bulk_resolve"}.isdisjoint(footer_actions)
        assert "export" in footer_actions
        titles = [command.title for command in screen.palette_commands()]
        assert "Retry" not in titles and "New lead" not in titles and "Export CSV" in titles
        await pilot.press("r")
        await pilot.pause()
        assert await outbox_status(item) == "failed"
        refusal = "Your role (viewer) cannot retry failed syncs; ask an operator."
        assert toasts(app)[-1].endswith(refusal)


async def test_an_operator_sees_a_high_severity_conflict_without_actions() -> None:
    store = await sample_store(conflicts=1)  # cfl_000: phone, high severity
    app = dashboard_app(store, role=Role.OPERATOR)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        note = app.screen.query_one("#read-only-note")
        assert "cannot resolve high-severity conflicts; ask a manager" in str(note.render())
        assert not app.screen.query("#escalate")


async def test_the_palette_lists_every_dashboard_action() -> None:
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        titles = {command.title for command in app.get_system_commands(screen)}
        for expected in ("Retry", "New lead", "Metrics", "Export CSV", "Go to lead by id"):
            assert expected in titles
        await run_from_palette(pilot, "export")
        assert isinstance(front(app), DashboardScreen)


def test_every_palette_entry_names_an_action_the_dashboard_has() -> None:
    for title, action, _ in DashboardScreen.PALETTE:
        owner = LeadSyncApp if action.startswith("app.") else DashboardScreen
        name = action.removeprefix("app.")
        assert callable(getattr(owner, f"action_{name}", None)), title


async def test_the_palette_opens_the_filter_and_sorts() -> None:
    store = await sample_store()
    app = dashboard_app(store)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await run_from_palette(pilot, "sort")
        await eventually(lambda: table.sort_column is not None)
        await run_from_palette(pilot, "filter")
        await eventually(lambda: app.screen.query_one("#filter").has_focus)
