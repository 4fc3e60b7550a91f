"""The lead detail screen as an operator uses it.

First over a fixed store and in-process simulators (`lead_screen_fixtures`): what it
shows, its keys, its states. Then against the embedded simulators over loopback with the
real engine: a difference made in ResMan is marked, and a failed lead retried from the
screen ends synced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.config import Settings
from leadsync_tui.models import (
    AttemptStatus,
    LeadSyncLog,
    ResolutionStatus,
    SyncDirection,
    SyncStatus,
    SyncType,
)
from leadsync_tui.screens.conflict_modal import ConflictResolutionModal
from leadsync_tui.screens.conversation import ConversationScreen
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.screens.lead_detail import ComparisonTable, LeadDetailScreen, audit_line
from leadsync_tui.store.actions import LogsAppended
from leadsync_tui.store.records import AuditEntry, OutboxStatus
from leadsync_tui.sync.lead_compare import ResmanSide
from leadsync_tui.widgets import LeadsTable, LeadSyncLogViewer
from tests.engine.conftest import sim_rig
from tests.screens.lead_screen_fixtures import (
    CONFLICT_ID,
    DETAIL_ID,
    NEW_ID,
    RESMAN_NOTES,
    RESMAN_READ,
    Bench,
    bench,
    open_lead,
    park_failed_write,
    settle,
)
from tests.sync.desk_fixtures import desk_rig
from tests.typing_keys import type_text
from tests.waiting import eventually
from tests.widgets.sample_leads import NOW

AppPilot = Pilot[int]
ENGINE = ("sync", "follow")  # the engine, and the store following the file: never done
"""The worker group of the app's own sync engine (it runs until the app quits)."""


MakeBench = Callable[..., Awaitable[Bench]]


@pytest.fixture
async def make_bench() -> AsyncIterator[MakeBench]:
    """Makes benches (`lead_screen_fixtures.bench`); closes them after the test."""
    opened: list[Bench] = []

    async def make(**options: Any) -> Bench:
        opened.append(await bench(**options))
        return opened[-1]

    yield make
    for item in opened:
        await item.close()


def detail_of(app: LeadSyncApp) -> LeadDetailScreen:
    screen = app.screen
    assert isinstance(screen, LeadDetailScreen), screen
    return screen


def cell(screen: LeadDetailScreen, field: str, column: int) -> str:
    """A comparison cell as shown: 0 mark, 1 label, 2 DomIQ, 3 ResMan, 4 last agreed."""
    value = screen.query_one(ComparisonTable).get_row(field)[column]
    assert isinstance(value, Text)
    return value.plain


def marks(screen: LeadDetailScreen) -> dict[str, str]:
    table = screen.query_one(ComparisonTable)
    return {
        str(row.key.value): cell(screen, str(row.key.value), 0)
        for row in table.ordered_rows
        if cell(screen, str(row.key.value), 0).strip()
    }


def state_line(screen: LeadDetailScreen) -> str:
    return str(screen.query_one("#resman-state").render())


def toasts(app: LeadSyncApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


# --------------------------------------------------------------------------- fixed world


async def test_enter_opens_the_lead_with_both_sides_and_marks_what_differs(
    make_bench: MakeBench,
) -> None:
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_lead(DETAIL_ID)(pilot)
        screen = detail_of(app)
        assert screen.resman_state == "ready"
        assert screen.comparison is not None
        assert screen.comparison.resman_side is ResmanSide.FOUND
        assert marks(screen) == {"phone": "▲", "notes": "≠"}
        assert cell(screen, "phone", 3) == "+15125550188 •"  # moved since last agreed
        assert cell(screen, "phone", 4) == "+15125550199"
        assert cell(screen, "notes", 3).startswith(RESMAN_NOTES[:20])
        assert cell(screen, "first_name", 2) == cell(screen, "first_name", 3) == "Amara"
        assert "2 fields differ" in state_line(screen)
        viewer = screen.query_one(LeadSyncLogViewer)
        assert not viewer.loading and len(viewer.row_keys) == 4
        audit = str(screen.query_one("#audit-body").render())
        assert "sam escalate conflict (phone): unresolved → escalated" in audit
        assert "dana push lead: failed → syncing" in audit


async def test_escape_goes_back_to_the_dashboard(make_bench: MakeBench) -> None:
    app = (await make_bench()).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lead(DETAIL_ID)(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.query_one(LeadsTable).cursor_key == DETAIL_ID


async def test_c_decides_the_leads_conflict_and_the_audit_trail_shows_it(
    make_bench: MakeBench,
) -> None:
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_lead(DETAIL_ID, "c")(pilot)
        modal = app.screen
        assert isinstance(modal, ConflictResolutionModal)
        assert modal.conflict.id == CONFLICT_ID
        await pilot.press("1")
        await type_text(pilot, "called her back")
        await pilot.press("ctrl+s")
        await settle(pilot)

        screen = detail_of(app)
        conflict = bench_.store.conflict(CONFLICT_ID)
        assert conflict is not None and conflict.resolution_status is ResolutionStatus.RESOLVED
        assert "Conflict resolved (DomIQ wins)" in toasts(app)
        assert marks(screen)["phone"] == "≠"  # no conflict holds it now; not written yet
        audit = str(screen.query_one("#audit-body").render())
        assert "dana resolve conflict (phone): escalated → resolved; domiq wins" in audit
        assert "called her back" in audit


async def test_c_without_an_open_conflict_says_so(make_bench: MakeBench) -> None:
    app = (await make_bench()).app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_lead(NEW_ID, "c")(pilot)
        assert isinstance(app.screen, LeadDetailScreen)
        assert toasts(app) == ["No open conflict on this lead."]


async def test_r_sends_the_leads_failed_write_again(make_bench: MakeBench) -> None:
    bench_ = await make_bench()
    item_id = await park_failed_write(bench_, DETAIL_ID)
    app = bench_.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_lead(DETAIL_ID)(pilot)
        app.screen.query_one(LeadSyncLogViewer).table.focus()  # `r` is the screen's anyway
        await pilot.press("r")
        await settle(pilot)
        assert "Retrying 1 failed write." in toasts(app)
        [item] = [i for i in await bench_.db.outbox_items() if i.id == item_id]
        assert item.status is OutboxStatus.PENDING
        [entry] = await bench_.db.audit_entries(since=NOW, target=DETAIL_ID)
        assert entry.actor == "dana"


async def test_r_is_refused_in_a_read_only_session(make_bench: MakeBench) -> None:
    bench_ = await make_bench()
    item_id = await park_failed_write(bench_, DETAIL_ID)
    app = bench_.app(read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_lead(DETAIL_ID, "r")(pilot)
        assert any("retry" in toast.lower() for toast in toasts(app))
        [item] = [i for i in await bench_.db.outbox_items() if i.id == item_id]
        assert item.status is OutboxStatus.FAILED


async def test_o_opens_the_conversation_and_escape_comes_back(make_bench: MakeBench) -> None:
    app = (await make_bench()).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lead(NEW_ID, "o")(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == NEW_ID
        await pilot.press("escape")
        await pilot.pause()
        assert detail_of(app).conversation_id == NEW_ID


async def test_a_new_lead_is_not_in_resman_yet(make_bench: MakeBench) -> None:
    app = (await make_bench()).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lead(NEW_ID)(pilot)
        screen = detail_of(app)
        assert screen.comparison is not None
        assert screen.comparison.resman_side is ResmanSide.NOT_LINKED
        assert cell(screen, "first_name", 3) == "not in ResMan yet"
        assert cell(screen, "first_name", 4) == "never synced"
        assert "Not in ResMan yet" in state_line(screen)
        assert marks(screen) == {}


async def test_resman_down_is_an_error_and_f5_reads_it_again(make_bench: MakeBench) -> None:
    bench_ = await make_bench(resman="down")
    app = bench_.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lead(DETAIL_ID)(pilot)
        screen = detail_of(app)
        assert screen.resman_state == "error"
        assert "HTTP 503" in state_line(screen) and "f5" in state_line(screen)
        assert cell(screen, "first_name", 2) == "Amara"  # DomIQ's side still shows
        assert cell(screen, "first_name", 4) == "Amara"  # and the last agreed values

        bench_.resman_side.side = "sim"
        await pilot.press("f5")
        await settle(pilot)
        assert detail_of(app).resman_state == "ready"
        assert marks(screen) == {"phone": "▲", "notes": "≠"}


async def test_while_resman_is_read_the_screen_says_so(make_bench: MakeBench) -> None:
    app = (await make_bench(resman="hang")).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lead(DETAIL_ID, hanging=RESMAN_READ)(pilot)
        screen = detail_of(app)
        assert screen.resman_state == "loading"
        assert state_line(screen).startswith("⟳ Reading the prospect from ResMan")
        assert cell(screen, "first_name", 3) == "⟳ reading…"
        assert cell(screen, "phone", 2) == "+15125550004 •"


async def test_without_a_connection_the_stores_copy_shows(make_bench: MakeBench) -> None:
    bench_ = await make_bench(connected=False)
    await park_failed_write(bench_, DETAIL_ID)
    app = bench_.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_lead(DETAIL_ID)(pilot)
        screen = detail_of(app)
        assert screen.resman_state == "offline"
        assert state_line(screen).startswith("Not connected")
        assert cell(screen, "first_name", 2) == "Amara"
        assert cell(screen, "first_name", 3) == "not connected"
        assert len(screen.query_one(LeadSyncLogViewer).row_keys) == 4  # the store's log
        await pilot.press("r")  # the store still retries
        await settle(pilot)
        assert "Retrying 1 failed write." in toasts(app)


async def test_the_screen_follows_the_store(make_bench: MakeBench) -> None:
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_lead(DETAIL_ID)(pilot)
        screen = detail_of(app)
        lead = bench_.store.state.leads[DETAIL_ID]
        changed = lead.model_copy(
            update={"version": lead.version + 1, "last_name": "Johnson-Reyes"}
        )
        await bench_.store.merge_leads([changed])
        await bench_.store.dispatch(
            LogsAppended(
                [
                    LeadSyncLog(
                        id="log_004_new",
                        conversation_id=DETAIL_ID,
                        sync_direction=SyncDirection.DOMIQ_TO_RESMAN,
                        sync_status=AttemptStatus.SUCCESS,
                        sync_type=SyncType.UPDATE,
                        created_at=NOW,
                    )
                ]
            )
        )
        await settle(pilot)
        assert cell(screen, "last_name", 2) == "Johnson-Reyes •"
        assert marks(screen)["last_name"] == "≠"
        assert screen.resman_state == "ready"  # read again, quietly
        assert screen.query_one(LeadSyncLogViewer).row_keys[0] == "log_004_new"


async def test_masking_hides_names_emails_and_phones(make_bench: MakeBench) -> None:
    app = (await make_bench()).app(mask_pii=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_lead(DETAIL_ID)(pilot)
        screen = detail_of(app)
        assert str(screen.query_one("#lead-name").render()) == "A. J."
        assert cell(screen, "email", 2) == "a***@example.com"
        assert cell(screen, "phone", 3) == "+1 ••• ••• 0188 •"


async def test_an_unknown_lead_says_so(make_bench: MakeBench) -> None:
    app = (await make_bench()).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.push_screen(LeadDetailScreen("cnv_nobody"))
        await settle(pilot)
        screen = detail_of(app)
        assert screen.resman_state == "error"
        assert "lead cnv_nobody is not known here" in state_line(screen)


def test_an_audit_line_names_who_what_and_why() -> None:
    entry = AuditEntry(
        at=NOW,
        actor="dana",
        action="qualify_conversation",
        target=NEW_ID,
        before={"qualification": "new", "version": 1},
        after={"qualification": "qualified", "version": 2},
        reason="tour\nbooked",
    )
    assert (
        audit_line(entry)
        == "11-02 15:00 dana qualify conversation: new → qualified · “tour booked”"
    )


# --------------------------------------------------------------------------- simulators


async def test_against_the_simulators_a_resman_edit_is_marked(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as rig:
        await rig.engine.run_once(max_wait=10)
        change = next(c for c in rig.world.changes if c.side != "both")
        rig.world.resman.edit_prospect(change.prospect_id, max_rent=3300)
        app = make_app(rig.desk.settings, store=rig.desk.store, desk=rig.desk, live_timers=False)
        async with app.run_test(size=(160, 48)) as pilot:
            await open_lead(change.conversation_id)(pilot)
            screen = detail_of(app)
            assert screen.resman_state == "ready"
            assert marks(screen) == {"max_rent": "≠"}
            assert cell(screen, "max_rent", 3) == "$3,300 •"
            assert cell(screen, "max_rent", 2) == cell(screen, "max_rent", 4)


def _with_unknown_source(settings: Settings, domiq_property_id: str, source_id: str) -> Settings:
    properties = dict(settings.resman.properties)
    properties[domiq_property_id] = properties[domiq_property_id].model_copy(
        update={"source_id": source_id}
    )
    resman = settings.resman.model_copy(update={"properties": properties})
    return settings.model_copy(update={"resman": resman})


async def test_against_the_simulators_a_failed_lead_retried_here_ends_synced(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        world = rig.sims.world
        place = world.properties[0]
        late_source = "5ca1ab1e-0000-4000-8000-00000000f00d"
        settings = _with_unknown_source(rig.settings, place.domiq_id, late_source)
        async with (
            open_tui(settings, live_timers=False, actor="dana") as app,
            app.run_test(size=(160, 48), notifications=True) as pilot,
        ):
            await eventually(lambda: app.engine_setup is not None, 10)
            store = app.store
            assert store is not None

            def failed() -> list[str]:
                return [
                    lead.conversation_id
                    for lead in store.state.leads.values()
                    if lead.resman_sync_status is SyncStatus.FAILED
                ]

            await eventually(lambda: bool(failed()), 30)
            cid = failed()[0]
            world.resman.add_source(place.property_id, "Late source", source_id=late_source)

            await open_lead(cid, hanging=ENGINE)(pilot)
            await eventually(lambda: detail_of(app).resman_state != "loading", 10)
            screen = detail_of(app)
            assert screen.comparison is not None
            assert screen.comparison.resman_side is ResmanSide.NOT_LINKED
            await pilot.press("r")
            # Read while it shows: on a loaded machine the sync outlasts the toast.
            await eventually(lambda: "Retrying" in " ".join(toasts(app)), 10)
            await eventually(
                lambda: store.state.leads[cid].resman_sync_status is SyncStatus.SYNCED, 30
            )
            await eventually(
                lambda: (
                    screen.comparison is not None
                    and screen.comparison.resman_side is ResmanSide.FOUND
                    and screen.resman_state == "ready"
                ),
                10,
            )
            assert screen.comparison is not None and screen.comparison.differing == ()
            viewer = screen.query_one(LeadSyncLogViewer)
            assert any(log.sync_status is AttemptStatus.SUCCESS for log in viewer.logs)
