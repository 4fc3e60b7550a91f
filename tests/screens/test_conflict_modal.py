"""Conflict triage as a manager does it: by keyboard (and mouse), through the store.

Each flow checks what the store recorded: the conflict's status and `ConflictResolution`,
the outbox items the resolution queued, and the audit entry with the actor.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import load_settings
from leadsync_tui.models import (
    ConflictResolution,
    Resolution,
    ResolutionStatus,
    SyncDirection,
)
from leadsync_tui.screens.conflict_modal import (
    RESOLUTION_WORDS,
    ConflictOutcome,
    ConflictResolutionModal,
    format_value,
    merged_value,
)
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.actions import ConflictsDetected
from leadsync_tui.store.db import Database
from leadsync_tui.store.payloads import ResolutionWrite
from leadsync_tui.store.store import ActionRefused, LeadSyncStore
from leadsync_tui.widgets import ConflictNotificationBanner, LeadsTable
from tests.screens.dashboard_fixtures import frozen_clock, sample_conflicts
from tests.typing_keys import type_text
from tests.widgets.sample_leads import sample_leads

AppPilot = Pilot[int]
ACTOR = "dana"


StoreFactory = Callable[..., Awaitable[tuple[LeadSyncStore, Database]]]


@pytest.fixture
async def triage_store() -> AsyncIterator[StoreFactory]:
    """Makes stores with the sample leads (and `conflicts` open conflicts), with the
    database to inspect; closes the databases after the test."""
    opened: list[Database] = []

    async def make(conflicts: int = 0) -> tuple[LeadSyncStore, Database]:
        db = await Database.open(":memory:", now=frozen_clock)
        opened.append(db)
        store = LeadSyncStore(db, now=frozen_clock)
        await store.merge_leads(sample_leads())
        if conflicts:
            await store.dispatch(ConflictsDetected(sample_conflicts(conflicts)))
        return store, db

    yield make
    for db in opened:
        await db.close()


def app_for(store: LeadSyncStore, *, read_only: bool = False) -> LeadSyncApp:
    return make_app(
        load_settings().settings,
        store=store,
        clock=frozen_clock,
        live_timers=False,
        read_only=read_only,
        actor=ACTOR,
    )


async def settle(pilot: AppPilot) -> None:
    """Let the modal's store call finish and the screens change."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def modal_of(app: LeadSyncApp) -> ConflictResolutionModal:
    screen = app.screen
    assert isinstance(screen, ConflictResolutionModal)
    return screen


def on_dashboard(app: LeadSyncApp) -> bool:
    """A function, so a test that just checked the modal is on screen can check again."""
    return isinstance(app.screen, DashboardScreen)


def shown(modal: ConflictResolutionModal, selector: str) -> str | None:
    """The text of a message line, or None when it is hidden."""
    widget = modal.query_one(selector, Static)
    return str(widget.content) if widget.display else None


def toasts(app: LeadSyncApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


# --------------------------------------------------------------------------- resolutions

EXPECTED = {
    # key, what to type in the final value (merged), final value, outbox directions
    Resolution.DOMIQ_WINS: ("1", None, "+15125550143", [SyncDirection.DOMIQ_TO_RESMAN]),
    Resolution.RESMAN_WINS: ("2", None, "+15125550100", [SyncDirection.RESMAN_TO_DOMIQ]),
    Resolution.MERGED: (
        "3",
        "(512) 555-0177",
        "+15125550177",
        [SyncDirection.DOMIQ_TO_RESMAN, SyncDirection.RESMAN_TO_DOMIQ],
    ),
    Resolution.MANUAL_REVIEW: ("4", None, None, []),
}


@pytest.mark.parametrize("resolution", list(EXPECTED), ids=lambda r: str(r.value))
async def test_a_conflict_arrives_and_is_resolved_through_the_modal(
    resolution: Resolution, triage_store: StoreFactory
) -> None:
    store, db = await triage_store()
    app = app_for(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        arrived = sample_conflicts(1)[0].model_copy(
            update={"resolution_status": ResolutionStatus.UNRESOLVED}
        )
        await store.dispatch(ConflictsDetected([arrived]))
        await pilot.pause()
        banner = app.screen.query_one(ConflictNotificationBanner)
        assert banner.display and "1 unresolved conflict: phone" in banner.label
        assert any("1 conflict needs a decision — c to triage" in toast for toast in toasts(app))

        await pilot.press("c")
        await pilot.pause()
        key, typed, final, directions = EXPECTED[resolution]
        await pilot.press(key)
        if typed is not None:
            await pilot.press("ctrl+u")
            await type_text(pilot, typed)
            await pilot.press("enter")  # on to the reason
        await type_text(pilot, "called her")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert on_dashboard(app)
        conflict = store.conflict(arrived.id)
        assert conflict is not None
        assert conflict.resolution == ConflictResolution(
            resolution=resolution, final_value=final, reason="called her"
        )
        manual = resolution is Resolution.MANUAL_REVIEW
        expected_status = ResolutionStatus.MANUAL_REVIEW if manual else ResolutionStatus.RESOLVED
        assert conflict.resolution_status is expected_status
        outbox = await db.outbox_items(conversation_id=arrived.conversation_id)
        assert [item.direction for item in outbox] == directions
        assert all(
            isinstance(item.payload, ResolutionWrite) and item.payload.value == final
            for item in outbox
        )
        [audit] = await db.audit_entries(target=arrived.id)
        assert (audit.actor, audit.action, audit.reason) == (
            ACTOR,
            "resolve_conflict",
            "called her",
        )
        notes = toasts(app)
        if manual:
            assert "Conflict left for manual review" in notes
            assert not any("wait for a person" in note for note in notes)
        else:
            assert f"Conflict resolved ({RESOLUTION_WORDS[resolution]})" in notes
            assert not banner.display


async def test_the_mouse_works_too(triage_store: StoreFactory) -> None:
    store, _ = await triage_store(conflicts=1)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click(ConflictNotificationBanner)
        await pilot.pause()
        await pilot.click("#choice-resman_wins")
        await pilot.click("#reason")
        await type_text(pilot, "ResMan is right")
        await pilot.click("#resolve")
        await settle(pilot)
        conflict = store.conflict("cfl_000")
        assert conflict is not None and conflict.resolution is not None
        assert conflict.resolution.resolution is Resolution.RESMAN_WINS
        assert on_dashboard(app)


# --------------------------------------------------------------------------- validation


async def test_an_invalid_merged_value_is_named_and_nothing_is_submitted(
    triage_store: StoreFactory,
) -> None:
    store, db = await triage_store(conflicts=1)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        modal = modal_of(app)
        await pilot.press("3")
        assert modal.query_one("#final", Input).value == "+15125550143"  # DomIQ's value
        assert shown(modal, "#final-message") is None
        await pilot.press("ctrl+u", *"555-01")
        assert shown(modal, "#final-message") == "✗ '555-01' has 5 digits; a US number needs 10"
        await pilot.press("tab")
        await type_text(pilot, "typed it myself")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert shown(modal, "#final-message") is not None
        assert modal.query_one("#final", Input).has_focus
        conflict = store.conflict("cfl_000")
        assert conflict is not None and conflict.resolution is None
        assert await db.outbox_items() == []


async def test_an_empty_reason_blocks_resolving_and_escalating(triage_store: StoreFactory) -> None:
    store, _ = await triage_store(conflicts=1)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        modal = modal_of(app)
        await pilot.press("1", "ctrl+s")
        await settle(pilot)
        assert shown(modal, "#reason-message") == (
            "✗ A reason is required: say why, for the audit log (ctrl+s resolves)."
        )
        assert modal.query_one("#reason", Input).has_focus
        await pilot.press("shift+tab", "e")  # back on the decision, escalate
        await settle(pilot)
        assert app.screen is modal
        conflict = store.conflict("cfl_000")
        assert conflict is not None
        assert conflict.resolution_status is ResolutionStatus.MANUAL_REVIEW
        assert conflict.resolution is None
        await pilot.click("#reason")
        await pilot.press("x")
        assert shown(modal, "#reason-message") is None  # typing clears the message


async def test_escalate_asked_for_a_reason_is_finished_from_the_reason_field(
    triage_store: StoreFactory,
) -> None:
    """`e` without a reason puts the cursor in the reason field, where `e` is a letter:
    the message says how to escalate from there, and `enter` or `ctrl+e` does it."""
    for finish in ("enter", "ctrl+e"):
        store, _ = await triage_store(conflicts=1)
        app = app_for(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("c")
            await pilot.pause()
            modal = modal_of(app)
            await pilot.press("e")
            assert shown(modal, "#reason-message") == (
                "✗ A reason is required: say why, for the audit log (enter or ctrl+e escalates)."
            )
            await type_text(pilot, "needs the owner")
            await pilot.press(finish)
            await settle(pilot)
            conflict = store.conflict("cfl_000")
            assert conflict is not None
            assert conflict.resolution_status is ResolutionStatus.ESCALATED, finish
            assert conflict.resolution is None


async def test_resolving_without_a_choice_asks_for_one(triage_store: StoreFactory) -> None:
    store, db = await triage_store(conflicts=1)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        modal = modal_of(app)
        await pilot.click("#reason")
        await type_text(pilot, "because")
        await pilot.press("enter")
        await settle(pilot)
        assert shown(modal, "#effect") == "Choose a resolution first: press 1-4 or click one."
        assert app.screen is modal
        assert await db.outbox_items() == []


# --------------------------------------------------------------------------- escalate


async def test_escalate_with_a_reason(triage_store: StoreFactory) -> None:
    store, db = await triage_store(conflicts=1)
    app = app_for(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("e")  # no reason yet: asks for one, focus goes there
        await type_text(pilot, "needs the owner")
        await pilot.press("tab", "tab", "enter")  # Resolve, Escalate
        await settle(pilot)
        conflict = store.conflict("cfl_000")
        assert conflict is not None
        assert conflict.resolution_status is ResolutionStatus.ESCALATED
        [audit] = await db.audit_entries(target="cfl_000")
        assert (audit.actor, audit.action, audit.reason) == (
            ACTOR,
            "escalate_conflict",
            "needs the owner",
        )
        assert "Escalated" in toasts(app)
        assert await db.outbox_items() == []
        await pilot.press("c")  # still open: it can be resolved, not escalated again
        await pilot.pause()
        assert modal_of(app).query_one("#escalate", Button).disabled


# --------------------------------------------------------------------------- failures


async def test_a_store_refusal_is_shown_and_the_modal_stays(triage_store: StoreFactory) -> None:
    store, _ = await triage_store(conflicts=1)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        modal = modal_of(app)
        # Someone else decides while the modal is open.
        elsewhere = ConflictResolution(resolution=Resolution.RESMAN_WINS, reason="other desk")
        await store.resolve_conflict("cfl_000", elsewhere, "lee")
        await pilot.press("1")
        await type_text(pilot, "mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert shown(modal, "#status") == "✗ Not done: conflict cfl_000 is already resolved"
        assert not modal.busy
        assert not modal.query_one("#resolve", Button).disabled
        assert modal.query_one("#reason", Input).has_focus  # focus comes back
        conflict = store.conflict("cfl_000")
        assert conflict is not None and conflict.resolution == elsewhere.model_copy(
            update={"final_value": "+15125550100"}
        )


async def open_with(
    pilot: AppPilot, submit: Callable[[ConflictResolution], Awaitable[None]]
) -> tuple[ConflictResolutionModal, list[ConflictOutcome | None]]:
    """The modal pushed over the dashboard with our own `submit`; returns its outcomes."""
    outcomes: list[ConflictOutcome | None] = []

    async def escalate(reason: str) -> None:
        raise AssertionError("not expected")

    modal = ConflictResolutionModal(
        sample_conflicts(1)[0], lead_name="Amara Johnson", submit=submit, escalate=escalate
    )
    await pilot.app.push_screen(modal, outcomes.append)
    await pilot.pause()
    return modal, outcomes


async def test_any_exception_is_shown_and_the_modal_stays(triage_store: StoreFactory) -> None:
    store, _ = await triage_store(conflicts=1)
    app = app_for(store)

    async def broken(resolution: ConflictResolution) -> None:
        raise OSError("disk I/O error")

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        modal, outcomes = await open_with(pilot, broken)
        await pilot.press("2")
        await type_text(pilot, "why not")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal and outcomes == []
        status = shown(modal, "#status")
        assert status == "✗ Not done, something went wrong: OSError: disk I/O error"


async def test_loading_disables_everything_until_the_store_answers(
    triage_store: StoreFactory,
) -> None:
    store, _ = await triage_store(conflicts=1)
    app = app_for(store)
    answer = asyncio.Event()
    received: list[ConflictResolution] = []

    async def slow(resolution: ConflictResolution) -> None:
        received.append(resolution)
        await answer.wait()

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        modal, outcomes = await open_with(pilot, slow)
        await pilot.press("4")
        await type_text(pilot, "ask the owner")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert modal.busy and shown(modal, "#status") == "Resolving…"
        assert all(button.disabled for button in modal.query(Button))
        assert all(box.disabled for box in modal.query(Input))
        await pilot.press("escape", "1")  # ignored while the store works
        await pilot.pause()
        assert app.screen is modal and modal.choice is Resolution.MANUAL_REVIEW
        answer.set()
        await settle(pilot)
        expected = ConflictResolution(
            resolution=Resolution.MANUAL_REVIEW, final_value=None, reason="ask the owner"
        )
        assert received == [expected]
        assert outcomes == [ConflictOutcome("cfl_000", "resolved", expected, "ask the owner")]


# --------------------------------------------------------------------------- triage


async def test_escape_cancels_and_changes_nothing(triage_store: StoreFactory) -> None:
    store, db = await triage_store(conflicts=2)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("1")
        await type_text(pilot, "never mind")
        await pilot.press("escape")
        await pilot.pause()
        assert on_dashboard(app)
        assert [c.resolution for c in store.state.open_conflicts] == [None, None]
        assert await db.outbox_items() == []
        assert await db.audit_entries() == []


async def test_triage_opens_the_next_conflict_after_each_decision(
    triage_store: StoreFactory,
) -> None:
    store, _ = await triage_store(conflicts=3)
    app = app_for(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        table = app.screen.query_one(LeadsTable)
        await pilot.press("c")
        await pilot.pause()
        seen: list[tuple[str, str | None, str]] = []

        def record() -> None:
            modal = modal_of(app)
            title = modal.query_one("#dialog").border_title
            seen.append((modal.conflict.id, title, str(table.cursor_key)))

        record()
        await pilot.press("1")
        await type_text(pilot, "ok")
        await pilot.press("ctrl+s")
        await settle(pilot)
        record()
        await pilot.press("n")  # skip this one
        await pilot.pause()
        record()
        await pilot.press("4")
        await type_text(pilot, "later")
        await pilot.press("enter")
        await settle(pilot)

        assert seen == [
            ("cfl_000", "Conflict 1 of 3 · Amara Johnson", "conv_004"),  # high first
            ("cfl_002", "Conflict 2 of 3 · Hannah Reyes", "conv_014"),  # then the oldest
            ("cfl_001", "Conflict 3 of 3 · Mateo Tanaka", "conv_009"),
        ]
        assert on_dashboard(app)  # the round is over
        assert "End of the triage queue; 2 still open (c starts again)." in toasts(app)
        await pilot.press("c")  # a new round starts with the first open one
        await pilot.pause()
        assert modal_of(app).conflict.id == "cfl_002"


async def test_read_only_shows_the_conflict_and_offers_no_action(
    triage_store: StoreFactory,
) -> None:
    store, db = await triage_store(conflicts=1)
    app = app_for(store, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        modal = modal_of(app)
        assert modal.read_only
        assert not modal.query("#choice, Input, #resolve, #escalate")
        assert [str(b.label) for b in modal.query(Button)] == ["Skip n", "Close esc"]
        await pilot.press("1", "ctrl+s", "e")
        await pilot.pause()
        assert app.screen is modal
        await pilot.press("escape")
        await pilot.pause()
        assert on_dashboard(app)
        assert await db.audit_entries() == []


async def test_masked_dashboards_open_masked_conflicts(triage_store: StoreFactory) -> None:
    store, _ = await triage_store(conflicts=1)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("M", "c")
        await pilot.pause()
        modal = modal_of(app)
        assert modal.query_one("#dialog").border_title == "Conflict 1 of 1 · A. J."
        values = [str(v.content) for v in modal.query(".value").results(Static)]
        assert values == ["+1 ••• ••• 0143", "+1 ••• ••• 0100", "+1 ••• ••• 0199"]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("max_rent", 1850, "$1,850"),
        ("max_rent", "2,100.00", "$2,100"),
        ("desired_move_in", "2027-01-15", "Jan 15, 2027"),
        ("pets", True, "yes"),
        ("pets", False, "no"),
        ("phone", None, "—"),
        ("phone", "", "—"),
        ("phone", "555-CALL-NOW", "555-CALL-NOW"),
        ("desired_move_in", "next spring", "next spring"),
        ("notes", "line one\nline [b]two[/b]", "line one line [b]two[/b]"),
        ("duplicate", "anything", "anything"),
    ],
)
def test_values_are_shown_as_a_manager_reads_them(field: str, value: Any, expected: str) -> None:
    assert format_value(field, value) == expected


def test_masked_values_hide_contact_details() -> None:
    assert format_value("phone", "+15125550143", mask=True) == "+1 ••• ••• 0143"
    assert format_value("email", "maya@example.com", mask=True) == "m***@example.com"
    assert format_value("first_name", "Maya", mask=True) == "M."


@pytest.mark.parametrize(
    ("field", "text", "value", "problem"),
    [
        ("phone", "(512) 555-0177", "+15125550177", None),
        ("max_rent", "$1,950", 1950, None),
        ("pets", "yes", True, None),
        ("phone", "  ", None, "Enter the value to write to both sides."),
        ("pets", "no", None, "'no' clears pets; a merged value cannot be empty."),
        ("email", "maya@", None, "'maya@' is not an email address"),
    ],
)
def test_merged_values_are_checked_by_the_sync_normaliser(
    field: str, text: str, value: Any, problem: str | None
) -> None:
    assert merged_value(field, text) == (value, problem)


async def test_a_refusal_names_the_store_message(triage_store: StoreFactory) -> None:
    """`ActionRefused` is what the store raises for a person; the modal shows it as is."""
    store, _ = await triage_store(conflicts=1)
    app = app_for(store)

    async def refuse(resolution: ConflictResolution) -> None:
        raise ActionRefused("a merged resolution of phone needs a final value")

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        modal, outcomes = await open_with(pilot, refuse)
        await pilot.press("1")
        await type_text(pilot, "x")
        await pilot.press("enter")
        await settle(pilot)
        assert shown(modal, "#status") == (
            "✗ Not done: a merged resolution of phone needs a final value"
        )
        assert outcomes == []
