"""A watching window's operator steers the engine through commands (#14): the new-lead
form's create and the conversation's qualify are written to the store, the lease
holder's engine executes them once (with the operator's name in the audit), and the
watcher shows the outcome as a direct call's. With no engine alive the command waits
(the form says so; esc cancels; ctrl+e takes over and runs it); a holder killed after
DomIQ created the lead leaves a command its successor runs again without a second lead.

Real simulators on loopback, one real SQLite file, the holder a real engine in this
process (`test_watcher_live`), the watcher a real app under Pilot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from textual.widgets import Static

from leadsync_tui.app import LeadSyncApp
from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.models import Lead, LeadData, Qualification, SyncStatus, utc_now
from leadsync_tui.screens.conversation import ConversationScreen
from leadsync_tui.screens.lead_creation import LeadCreationModal
from leadsync_tui.store.db import Database
from leadsync_tui.store.operator_commands import CommandState, CreateLead, OperatorCommands
from leadsync_tui.sync.command_runner import RECONNECT_ACTION
from leadsync_tui.sync.command_ticket import NO_ENGINE
from leadsync_tui.sync.conversations import QUALIFY_ACTION
from leadsync_tui.widgets import LeadsTable
from tests.engine.conftest import Rig, sim_rig
from tests.screens.test_flows_on_simulators import AppPilot, record_notes, toasts
from tests.screens.test_lead_creation import (
    domiq_leads,
    fill_new_person,
    open_form,
    settle,
    status,
)
from tests.screens.test_watcher_live import LEADS, holder_on, two_windows
from tests.waiting import eventually

EMAIL = "wren.halvorsen@example.net"


def with_email(leads: dict[str, Lead], email: str) -> list[str]:
    return [cid for cid, lead in leads.items() if lead.email == email]


async def commands_of(rig: Rig) -> list[tuple[int, CommandState, str | None]]:
    """Every command as (id, state, who claimed it), read on a connection of its own."""
    async with await Database.open(rig.settings.sync.database) as db:
        commands = OperatorCommands(db)
        found = []
        for command_id in range(1, 50):
            record = await commands.get(command_id)
            if record is not None:
                found.append((record.id, record.state, record.claimed_by))
        return found


async def test_a_lead_created_in_a_watching_window_is_created_once_by_the_holder(
    tmp_path: Path,
) -> None:
    async with two_windows(tmp_path) as (rig, engine, app, pilot):
        record_notes(app)
        before = await domiq_leads(rig)
        await open_form(pilot)
        await fill_new_person(pilot, rig, EMAIL)
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert not isinstance(app.screen, LeadCreationModal)
        [new_id] = set(await domiq_leads(rig)) - set(before)
        assert app.screen.query_one(LeadsTable).cursor_key == new_id
        assert "Lead created; syncing to ResMan" in toasts(app)
        # The holder's engine made it (the watcher sent nothing), with dana's name.
        assert await commands_of(rig) == [(1, CommandState.DONE, engine.lease.token)]
        entries = await engine.db.audit_entries(target=new_id)
        assert [e.actor for e in entries if e.action == "create"] == ["dana"]
        # The holder syncs it to ResMan; the watcher's row follows.
        store = app.store
        assert store is not None
        await eventually(
            lambda: (
                (lead := store.state.leads.get(new_id)) is not None
                and lead.resman_sync_status is SyncStatus.SYNCED
            ),
            30,
        )
        assert app.watching and engine.lease.held


async def test_qualifying_in_a_watching_window_is_done_by_the_holder(tmp_path: Path) -> None:
    async with two_windows(tmp_path) as (rig, engine, app, pilot):
        record_notes(app)
        store = app.store
        assert store is not None
        cid = next(
            key
            for key, lead in sorted(store.state.leads.items())
            if lead.qualification is Qualification.NEW
        )
        await app.push_screen(ConversationScreen(cid))
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        screen = app.screen
        assert isinstance(screen, ConversationScreen)

        await eventually(lambda: not screen.qualifying, 20)
        await pilot.pause()
        name = store.state.leads[cid].full_name
        assert f"{name} is qualified; the sync to ResMan has started." in toasts(app)
        async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
            assert (await domiq.get_lead(cid)).qualification is Qualification.QUALIFIED
        await eventually(
            lambda: store.state.leads[cid].qualification is Qualification.QUALIFIED, 10
        )
        assert str(screen.query_one("#conv-qualification", Static).render()) == "✔ qualified"
        [entry] = [
            e for e in await engine.db.audit_entries(target=cid) if e.action == QUALIFY_ACTION
        ]
        assert entry.actor == "dana"
        assert await commands_of(rig) == [(1, CommandState.DONE, engine.lease.token)]


async def test_ctrl_r_in_a_watching_window_asks_the_holders_engine(tmp_path: Path) -> None:
    """The watcher has no feed of its own: its reconnect reaches the holder's engine."""
    async with two_windows(tmp_path) as (rig, engine, app, pilot):
        record_notes(app)
        await pilot.press("ctrl+r")
        await eventually(lambda: "The engine reconnects the live feed." in toasts(app), 10)
        assert "Asked the engine to reconnect the live feed…" in toasts(app)
        entries = await engine.db.audit_entries(target="domiq")
        assert [(e.actor, e.action) for e in entries] == [("dana", RECONNECT_ACTION)]
        assert await commands_of(rig) == [(1, CommandState.DONE, engine.lease.token)]


@asynccontextmanager
async def watch_only_without_engine(
    tmp_path: Path,
) -> AsyncIterator[tuple[Rig, LeadSyncApp, AppPilot]]:
    """A watch-only window on a store whose last engine stopped: no engine runs."""
    async with sim_rig(tmp_path, leads=LEADS, lease_expiry=30) as rig:
        async with holder_on(rig):
            pass  # synced once, then released
        async with (
            open_tui(rig.settings, live_timers=False, actor="dana", watch_only=True) as app,
            app.run_test(size=(160, 48)) as pilot,
        ):
            record_notes(app)
            await eventually(lambda: "engine: none — take over with ctrl+e" in app.sub_title, 20)
            store = app.store
            assert store is not None
            await eventually(lambda: len(store.state.leads) == LEADS, 20)
            await pilot.pause()
            yield rig, app, pilot
            await pilot.press("ctrl+q")


async def test_with_no_engine_the_create_waits_esc_cancels_and_ctrl_e_runs_it_once(
    tmp_path: Path,
) -> None:
    async with watch_only_without_engine(tmp_path) as (rig, app, pilot):
        before = await domiq_leads(rig)
        modal = await open_form(pilot)
        await fill_new_person(pilot, rig, EMAIL)
        await pilot.press("ctrl+s")
        await eventually(lambda: NO_ENGINE in status(pilot), 10)
        assert modal.ticket is not None

        await pilot.press("escape")  # gives up: nothing was sent
        await settle(pilot)
        assert app.screen is modal
        assert "Cancelled: nothing was sent to DomIQ" in status(pilot)
        assert [state for _, state, _ in await commands_of(rig)] == [CommandState.CANCELLED]

        await pilot.press("ctrl+s")  # again: waits again
        await eventually(lambda: NO_ENGINE in status(pilot), 10)
        assert set(await domiq_leads(rig)) == set(before)
        await pilot.press("ctrl+e")  # this window takes the engine over and runs it
        await settle(pilot)

        assert app.screen is not modal
        [new_id] = set(await domiq_leads(rig)) - set(before)
        assert app.screen.query_one(LeadsTable).cursor_key == new_id
        assert not app.watching
        assert app.engine_setup is not None
        token = app.engine_setup.engine.lease.token
        assert [(state, by) for _, state, by in await commands_of(rig)] == [
            (CommandState.CANCELLED, None),
            (CommandState.DONE, token),
        ]


async def test_a_holder_killed_after_domiq_created_the_lead_does_not_double_it(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=LEADS, lease_expiry=1) as rig:
        data = LeadData(
            property_id=rig.sims.world.properties[0].domiq_id,
            first_name="Wren",
            last_name="Halvorsen",
            email=EMAIL,
            desired_move_in=utc_now().date() + timedelta(days=40),
        )
        key = "leadsync-form-killed-holder"
        async with rig.engine() as first:
            command = await OperatorCommands(first.db).submit(
                CreateLead(data=data, idempotency_key=key), "dana"
            )
            assert await first.lease.take("run")
            claimed = await OperatorCommands(first.db).claim_next()
            assert claimed is not None and claimed.id == command
            async with DomiqClient.from_settings(rig.settings.domiq) as domiq:
                made = await domiq.create_lead(data, key)  # sent; then the holder died
        # (closed without releasing the lease: it expires; the row stays `running`)

        async with rig.engine() as second:
            assert await second.wait_for_lease("once")
            await second.lease.release()
            result = await second.run_once(max_wait=10)
            record = await OperatorCommands(second.db).get(command)
            assert record is not None and record.state is CommandState.DONE
            assert record.attempts == 2
            assert record.result is not None and record.result.lead is not None
            assert record.result.lead.conversation_id == made.conversation_id
            assert result.complete
            creates = [
                e
                for e in await second.db.audit_entries(target=made.conversation_id)
                if e.action == "create"
            ]
            assert [e.actor for e in creates] == ["dana"]
        leads = await domiq_leads(rig)
        assert with_email(leads, EMAIL) == [made.conversation_id]
