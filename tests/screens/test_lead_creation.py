"""Creating a lead as an operator does it: `n` on the dashboard, type, `ctrl+s`.

The flows run the whole app on the real engine against the seeded DomIQ and ResMan
simulators (loopback), and check what a user would notice: messages in place, nothing
reaching DomIQ while the form is wrong, the pre-flight's warnings, and the new lead
landing in both systems. The refusals and the paste guard need no network.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.config import load_settings
from leadsync_tui.models import Lead, LeadData, SyncStatus, utc_now
from leadsync_tui.screens.lead_creation import LeadCreationModal
from leadsync_tui.sync.lead_preflight import PreflightFinding
from leadsync_tui.widgets import LeadsTable
from tests.engine.conftest import Rig, sim_rig
from tests.screens.dashboard_fixtures import frozen_clock, sample_store
from tests.screens.test_flows_on_simulators import settled
from tests.typing_keys import type_into as type_into_input
from tests.waiting import eventually, until

AppPilot = Pilot[int]
ACTOR = "dana"


@asynccontextmanager
async def app_on_sims(tmp_path: Path) -> AsyncIterator[tuple[Rig, LeadSyncApp, AppPilot]]:
    """The app on its own engine against seeded simulators, with DomIQ's leads shown, once
    the first sync has settled (its walk-ins made in DomIQ are not the test's lead)."""
    async with (
        sim_rig(tmp_path, leads=30) as rig,
        open_tui(rig.settings, live_timers=False, actor=ACTOR) as app,
        app.run_test(size=(160, 48), notifications=True) as pilot,
    ):
        await eventually(lambda: len(app.store.state.leads) >= 20, 30)
        await until(lambda: settled(app), 30)
        await pilot.pause()
        yield rig, app, pilot


async def open_form(pilot: AppPilot) -> LeadCreationModal:
    await pilot.press("n")
    await pilot.pause()
    modal = pilot.app.screen
    assert isinstance(modal, LeadCreationModal)
    return modal


async def type_into(pilot: AppPilot, field: str, text: str) -> None:
    await type_into_input(pilot, pilot.app.screen.query_one(f"#{field}", Input), text)


def choose(pilot: AppPilot, field: str, value: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Select).value = value


def message(pilot: AppPilot, field: str) -> str:
    shown = pilot.app.screen.query_one(f"#{field}-message", Static)
    return str(shown.render()) if shown.display else ""


def status(pilot: AppPilot) -> str:
    return str(pilot.app.screen.query_one("#status", Static).render())


def toasts(app: LeadSyncApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def domiq_leads(rig: Rig) -> dict[str, Lead]:
    async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
        return {lead.conversation_id: lead async for lead in domiq.iter_leads(page_size=500)}


async def fill_new_person(pilot: AppPilot, rig: Rig, email: str) -> None:
    choose(pilot, "property_id", rig.sims.world.properties[0].domiq_id)
    await type_into(pilot, "first_name", "Wren")
    await type_into(pilot, "last_name", "Halvorsen")
    await type_into(pilot, "email", email)
    await type_into(pilot, "phone", "(737) 555-0187")
    await type_into(pilot, "desired_move_in", str(utc_now().date() + timedelta(days=40)))
    await type_into(pilot, "desired_bedrooms", "2")
    await type_into(pilot, "max_rent", "$1,900")


async def settle(pilot: AppPilot) -> None:
    """Let the form's check or create finish (the engine's worker never does)."""
    await pilot.pause()
    await eventually(
        lambda: not any(w.is_running for w in pilot.app.workers if w.group == "lead-creation"),
        20,
    )
    await pilot.pause()


# --------------------------------------------------------------------------- flows


async def test_problems_show_in_place_as_you_type_and_nothing_is_sent(tmp_path: Path) -> None:
    async with app_on_sims(tmp_path) as (rig, app, pilot):
        before = await domiq_leads(rig)
        await open_form(pilot)
        await type_into(pilot, "email", "wren@")
        assert "Not an email address: write it like name@example.com." in message(pilot, "email")
        await type_into(pilot, "email", "example.net")
        assert message(pilot, "email") == ""
        await type_into(pilot, "phone", "555-0187")
        assert "7 digits" in message(pilot, "phone")
        await type_into(pilot, "desired_move_in", "2020-01-01")
        assert "in the past: pick today or later" in message(pilot, "desired_move_in")
        assert message(pilot, "first_name") == ""  # untouched fields stay quiet

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LeadCreationModal)  # still open, values kept
        assert "nothing was sent" in status(pilot)
        assert "First name is required" in message(pilot, "first_name")
        assert app.screen.query_one("#email", Input).value == "wren@example.net"
        # No lead was created (the engine keeps syncing the others meanwhile: compare ids).
        assert set(await domiq_leads(rig)) == set(before)


async def test_a_likely_duplicate_warns_and_a_second_ctrl_s_creates(tmp_path: Path) -> None:
    async with app_on_sims(tmp_path) as (rig, app, pilot):
        assert app.store is not None and app.desk is not None
        known = next(
            lead
            for lead in sorted(app.store.state.leads.values(), key=lambda x: x.conversation_id)
            if lead.email and lead.property_id == rig.sims.world.properties[0].domiq_id
        )
        before = await domiq_leads(rig)
        modal = await open_form(pilot)
        assert known.email is not None
        await fill_new_person(pilot, rig, known.email)
        await pilot.press("ctrl+s")
        await settle(pilot)

        findings = [str(s.render()) for s in modal.query(".finding")]
        assert any(
            f"DomIQ already has {known.full_name}" in f and known.conversation_id in f
            for f in findings
        )
        assert "Press ctrl+s again to create anyway" in status(pilot)
        assert set(await domiq_leads(rig)) == set(before)  # a warning sends nothing yet

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, LeadCreationModal)
        after = await domiq_leads(rig)
        [new_id] = set(after) - set(before)
        entries = await app.desk.db.audit_entries(target=new_id)
        [created] = [e for e in entries if e.action == "create"]
        assert created.actor == ACTOR
        assert created.reason is not None and known.conversation_id in created.reason


async def test_a_created_lead_reaches_synced_and_appears_in_resman(tmp_path: Path) -> None:
    async with app_on_sims(tmp_path) as (rig, app, pilot):
        assert app.store is not None and app.desk is not None
        before = await domiq_leads(rig)
        await open_form(pilot)
        await fill_new_person(pilot, rig, "wren.halvorsen@example.net")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert not isinstance(app.screen, LeadCreationModal)
        [new_id] = set(await domiq_leads(rig)) - set(before)
        assert app.screen.query_one(LeadsTable).cursor_key == new_id
        assert "Lead created; syncing to ResMan" in toasts(app)

        store = app.store
        await eventually(
            lambda: store.state.leads[new_id].resman_sync_status is SyncStatus.SYNCED, 20
        )
        prospect_id = store.state.leads[new_id].resman_prospect_id
        async with ResmanClient.from_settings(rig.settings.resman) as resman:
            target = app.desk.mapping.property_id(rig.sims.world.properties[0].domiq_id)
            [prospect] = await resman.search_prospects(target, email="wren.halvorsen@example.net")
        assert prospect.prospect_id == prospect_id
        assert (prospect.first_name, prospect.last_name) == ("Wren", "Halvorsen")
        assert prospect.target_move_in == utc_now().date() + timedelta(days=40)


async def test_typing_after_choosing_a_property_lands_in_the_name_and_esc_asks(
    tmp_path: Path,
) -> None:
    """Before: the focus stayed on Property (what was typed next was lost), and `esc`
    threw a filled form away without a word."""
    async with app_on_sims(tmp_path) as (_, app, pilot):
        modal = await open_form(pilot)
        assert modal.query_one("#property_id", Select).has_focus
        await pilot.press("enter")  # open the list
        await pilot.pause()
        await pilot.press("down", "enter")  # choose the first property
        await pilot.pause()
        await pilot.press(*"Wren")
        await pilot.pause()
        assert modal.query_one("#first_name", Input).value == "Wren"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is modal  # asked, not discarded
        assert status(pilot).startswith("! Discard what you typed?")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not modal


async def test_a_failed_create_keeps_the_form_and_a_retry_makes_one_lead(tmp_path: Path) -> None:
    async with app_on_sims(tmp_path) as (rig, app, pilot):
        before = await domiq_leads(rig)
        modal = await open_form(pilot)
        key = modal.idempotency_key
        await fill_new_person(pilot, rig, "wren.halvorsen@example.net")
        rig.sims.domiq_faults.update({"error_rate": 1.0})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "Not created" in status(pilot) and "Your values are kept" in status(pilot)
        assert modal.query_one("#first_name", Input).value == "Wren"
        assert not modal.query_one("#create", Button).disabled

        rig.sims.domiq_faults.update({"error_rate": 0.0})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not modal
        assert modal.idempotency_key == key
        assert len(set(await domiq_leads(rig)) - set(before)) == 1


# --------------------------------------------------------------------------- no network


async def test_without_a_desk_or_read_only_n_says_why_and_opens_nothing() -> None:
    for read_only, says in (
        (False, "No connection to DomIQ and ResMan in this session: cannot create leads."),
        (True, "Not allowed\nYour role (viewer) cannot create records; ask an operator."),
    ):
        store = await sample_store()
        app = make_app(
            load_settings().settings,
            store=store,
            clock=frozen_clock,
            live_timers=False,
            read_only=read_only,
        )
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
            assert not isinstance(app.screen, LeadCreationModal)
            assert toasts(app) == [says]


async def test_a_pasted_10kb_string_with_control_characters_keeps_the_layout() -> None:
    sent: list[LeadData] = []

    async def check(data: LeadData) -> list[PreflightFinding]:
        sent.append(data)
        return []

    async def create(data: LeadData, key: str, confirmed: Sequence[PreflightFinding]) -> Lead:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    store = await sample_store()
    app = make_app(load_settings().settings, store=store, clock=frozen_clock, live_timers=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        modal = LeadCreationModal(
            ["prop_oakridge"], check=check, create=create, today=date(2026, 11, 2)
        )
        await app.push_screen(modal)
        await pilot.pause()
        pasted = ("Wren\x1b[2J\x00\u202e\r\n\t" * 1000)[:10_000]
        for field in ("first_name", "notes"):
            modal.query_one(f"#{field}", Input).post_message(events.Paste(pasted))
            await pilot.pause()
        first = modal.query_one("#first_name", Input).value
        assert len(first) == 35 and first.startswith("Wren   Wren")
        assert "[2J" not in first
        assert not any(ord(c) < 32 or c in "\x7f\u202e" for c in first)
        assert "Cut to 35 characters" in message(pilot, "first_name")
        assert len(modal.query_one("#notes", Input).value) == 1000
        dialog = modal.query_one("#dialog").region
        assert dialog.right <= 80 and dialog.bottom <= 24
        assert modal.query_one("#create", Button).region.bottom <= 24
