"""The conversation screen as an operator uses it.

First over a fixed store and an in-process DomIQ simulator (`lead_screen_fixtures`): the
transcript, the qualify action and where it is refused, the states. Then against the
embedded simulators over loopback with the real engine: a `new` lead qualified here
ends synced to ResMan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.commands.tui_session import open_tui
from leadsync_tui.config import load_settings
from leadsync_tui.models import MessageRole, Qualification, SyncStatus
from leadsync_tui.screens.conversation import ChatLine, ConversationScreen, redact
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.actions import MergeOrigin
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.conversations import QUALIFY_ACTION
from tests.engine.conftest import sim_rig
from tests.screens.lead_screen_fixtures import (
    DETAIL_ID,
    NEW_ID,
    NEW_LEAD_CHAT,
    TRANSCRIPT_READ,
    Bench,
    bench,
    open_conversation,
    settle,
)
from tests.sync.desk_fixtures import TRANSCRIPT, seed_new_lead
from tests.waiting import eventually
from tests.widgets.sample_leads import frozen_clock

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


def conversation_of(app: LeadSyncApp) -> ConversationScreen:
    screen = app.screen
    assert isinstance(screen, ConversationScreen), screen
    return screen


def lines(screen: ConversationScreen) -> list[tuple[str, str]]:
    """(speaker class, text) of each chat line shown."""
    shown = []
    for line in screen.query(ChatLine):
        role = next(c for c in line.classes if c.startswith("-"))[1:]
        shown.append((role, line.text))
    return shown


def text_of(screen: ConversationScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def footer_keys(screen: ConversationScreen) -> set[str]:
    return {key for key, active in screen.active_bindings.items() if active.enabled}


def toasts(app: LeadSyncApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


# --------------------------------------------------------------------------- fixed world


async def test_o_shows_the_transcript_with_each_speaker(make_bench: MakeBench) -> None:
    app = (await make_bench()).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID)(pilot)
        screen = conversation_of(app)
        assert screen.state == "ready"
        shown = lines(screen)
        assert [role for role, _ in shown] == [
            "bot",
            "prospect",
            "bot",
            "prospect",
            "agent",
            "prospect",
        ]
        assert shown[1][1] == "Hi, do you have a one bedroom available around mid January?"
        assert text_of(screen, "#conv-state") == "6 messages"
        assert text_of(screen, "#conv-qualification") == "◇ new"
        assert "q" in footer_keys(screen)
        box = screen.query_one("#transcript")
        assert box.scroll_y == box.max_scroll_y > 0  # the latest line is in view


async def test_q_then_y_qualifies_in_domiq_and_the_store_and_audits_it(
    make_bench: MakeBench,
) -> None:
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_conversation(NEW_ID, "q")(pilot)
        screen = conversation_of(app)
        assert screen.confirming
        assert text_of(screen, "#conv-action").startswith("Qualify Maya Okafor and send")
        assert footer_keys(screen) >= {"y", "n"} and "q" not in footer_keys(screen)
        await pilot.press("y")
        await settle(pilot)

        assert bench_.domiq.get_lead(NEW_ID).qualification is Qualification.QUALIFIED
        assert bench_.store.state.leads[NEW_ID].qualification is Qualification.QUALIFIED
        assert text_of(screen, "#conv-qualification") == "✔ qualified"
        assert text_of(screen, "#conv-action") == "Qualified: the lead syncs to ResMan."
        assert "q" not in footer_keys(screen)
        assert "Maya Okafor is qualified; the sync to ResMan has started." in toasts(app)
        [entry] = await bench_.db.audit_entries(target=NEW_ID)
        assert (entry.actor, entry.action) == ("dana", QUALIFY_ACTION)
        assert entry.before == {"qualification": "new", "version": 1}


@pytest.mark.parametrize("key", ["n", "escape"])
async def test_n_or_escape_cancels_the_qualification(make_bench: MakeBench, key: str) -> None:
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID, "q", key)(pilot)
        screen = conversation_of(app)
        assert not screen.confirming
        assert bench_.domiq.get_lead(NEW_ID).qualification is Qualification.NEW
        assert text_of(screen, "#conv-action").startswith("q qualify")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_read_only_hides_and_refuses_qualify(make_bench: MakeBench) -> None:
    bench_ = await make_bench()
    app = bench_.app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID, "q", "y")(pilot)
        screen = conversation_of(app)
        assert "q" not in footer_keys(screen)
        assert not screen.confirming
        assert text_of(screen, "#conv-action") == "Read-only session: qualifying is not allowed."
        assert bench_.domiq.get_lead(NEW_ID).qualification is Qualification.NEW
        screen.action_qualify()  # reached some other way (the palette): refused all the same
        await settle(pilot)
        assert not screen.confirming
        assert bench_.domiq.get_lead(NEW_ID).qualification is Qualification.NEW


async def test_a_qualified_lead_is_not_offered_again(make_bench: MakeBench) -> None:
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(DETAIL_ID, "q")(pilot)
        screen = conversation_of(app)
        assert not screen.confirming and "q" not in footer_keys(screen)
        assert text_of(screen, "#conv-qualification") == "✔ qualified"
        assert len(lines(screen)) == 30


async def test_a_lead_qualified_while_asking_is_not_asked_about(make_bench: MakeBench) -> None:
    """`q` on a new lead, then it is qualified and synced elsewhere: the question goes,
    the line says it is already qualified, and `y` sends nothing."""
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID, "q")(pilot)
        screen = conversation_of(app)
        assert screen.confirming
        lead = bench_.store.state.leads[NEW_ID]
        done = lead.model_copy(
            update={
                "qualification": Qualification.QUALIFIED,
                "resman_sync_status": SyncStatus.SYNCED,
                "version": lead.version + 1,
            }
        )
        await bench_.store.merge_leads([done], MergeOrigin.ENGINE)
        await settle(pilot)
        assert text_of(screen, "#conv-action") == (
            "Already qualified and synced to ResMan: nothing to do."
        )
        assert not conversation_of(app).confirming and "y" not in footer_keys(screen)
        await pilot.press("y")
        await settle(pilot)
        assert bench_.domiq.get_lead(NEW_ID).qualification is Qualification.NEW


async def test_domiq_down_is_an_error_and_f5_reads_it_again(make_bench: MakeBench) -> None:
    bench_ = await make_bench(domiq="down")
    app = bench_.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID)(pilot)
        screen = conversation_of(app)
        assert screen.state == "error"
        assert "HTTP 503" in text_of(screen, "#conv-state")
        assert lines(screen) == []

        bench_.domiq_side.side = "sim"
        await pilot.press("f5")
        await settle(pilot)
        assert conversation_of(app).state == "ready"
        assert len(lines(screen)) == len(NEW_LEAD_CHAT)


async def test_a_failed_qualification_says_why_and_changes_nothing(make_bench: MakeBench) -> None:
    bench_ = await make_bench()
    app = bench_.app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_conversation(NEW_ID)(pilot)
        bench_.domiq_side.side = "down"
        await pilot.press("q", "y")
        await settle(pilot)
        screen = conversation_of(app)
        assert any(toast.startswith("Not qualified:") for toast in toasts(app))
        assert bench_.store.state.leads[NEW_ID].qualification is Qualification.NEW
        assert await bench_.db.audit_entries(target=NEW_ID) == []
        assert "q" in footer_keys(screen)  # it may be tried again


async def test_while_the_transcript_is_read_the_screen_says_so(make_bench: MakeBench) -> None:
    app = (await make_bench(domiq="hang")).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID, hanging=TRANSCRIPT_READ)(pilot)
        screen = conversation_of(app)
        assert screen.state == "loading"
        assert text_of(screen, "#conv-state") == "⟳ Reading the transcript from DomIQ…"


async def test_without_a_connection_it_says_so_and_offers_nothing(make_bench: MakeBench) -> None:
    app = (await make_bench(connected=False)).app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID)(pilot)
        screen = conversation_of(app)
        assert screen.state == "offline"
        assert text_of(screen, "#conv-state").startswith("Not connected")
        assert "q" not in footer_keys(screen)


async def test_masking_hides_the_name_and_contact_details_in_the_chat(
    make_bench: MakeBench,
) -> None:
    app = (await make_bench()).app(mask_pii=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conversation(NEW_ID)(pilot)
        screen = conversation_of(app)
        assert text_of(screen, "#conv-name") == "M. O."
        last = lines(screen)[-1][1]
        assert last == "Perfect! Text me at ••• ••• 0100 or email m***@example.com. Thanks, M."


def test_redact_leaves_dates_and_prices_alone() -> None:
    text = "Move 2027-01-15 at $1,640; call +1 512 555 0143, Maya"
    assert redact(text, ("Maya",)) == "Move 2027-01-15 at $1,640; call +1 ••• ••• 0143, M."


async def test_o_without_a_lead_says_so() -> None:
    db = await Database.open(":memory:", now=frozen_clock)
    try:
        store = LeadSyncStore(db, now=frozen_clock)
        app = make_app(load_settings().settings, store=store, live_timers=False)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen)
            assert "No lead selected: move to one first." in toasts(app)
    finally:
        await db.close()


# --------------------------------------------------------------------------- simulators


async def test_against_the_simulators_a_new_lead_qualified_here_is_synced(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=40) as rig:
        world = rig.sims.world
        lead = seed_new_lead(world)
        cid = lead.conversation_id
        async with (
            open_tui(rig.settings, live_timers=False, actor="dana") as app,
            app.run_test(size=(160, 48), notifications=True) as pilot,
        ):
            await eventually(lambda: app.engine_setup is not None, 10)
            store = app.store
            assert store is not None
            await eventually(lambda: cid in store.state.leads, 20)
            assert store.state.leads[cid].resman_sync_status is SyncStatus.NOT_SYNCED

            await open_conversation(cid, hanging=ENGINE)(pilot)
            screen = conversation_of(app)
            await eventually(lambda: screen.state == "ready", 10)
            assert [line.message.role for line in screen.query(ChatLine)] == [
                role for role, _ in TRANSCRIPT
            ]
            assert lines(screen)[0][1] == TRANSCRIPT[0][1]
            assert TRANSCRIPT[0][0] is MessageRole.PROSPECT

            await pilot.press("q", "y")
            await eventually(
                lambda: store.state.leads[cid].qualification is Qualification.QUALIFIED, 10
            )
            await eventually(
                lambda: store.state.leads[cid].resman_sync_status is SyncStatus.SYNCED, 30
            )
            prospect_id = store.state.leads[cid].resman_prospect_id
            assert prospect_id is not None
            assert world.resman.get_prospect(prospect_id) is not None
            assert world.domiq.get_lead(cid).qualification is Qualification.QUALIFIED
            setup = app.engine_setup
            assert setup is not None
            [entry] = await setup.engine.db.audit_entries(target=cid)
            assert (entry.actor, entry.action) == ("dana", QUALIFY_ACTION)
            await eventually(lambda: "● synced" in str(screen.query_one("LeadSyncStatus").render()))
