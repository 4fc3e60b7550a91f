"""What a manager sees in the conflict modal, at 80x24 (SSH) and 160x48.

The modal opens over the dashboard as in use (`c`); cursor blink is off once it is open,
so an Input's cursor cannot blink between two runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.config import load_settings
from leadsync_tui.models import (
    ConflictResolution,
    ConflictSeverity,
    ConflictType,
    LeadSyncConflict,
    Resolution,
    ResolutionStatus,
)
from leadsync_tui.screens.conflict_modal import ConflictResolutionModal
from leadsync_tui.store.actions import ConflictsDetected, ConnectionChanged
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.merge import DUPLICATE_FIELD, candidates_text, identity_text
from tests.screens.dashboard_fixtures import frozen_clock, sample_conflicts
from tests.widgets.sample_leads import NOW, sample_leads

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[int]], Awaitable[None]]
SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


@pytest.fixture
def store() -> Iterator[LeadSyncStore]:
    """The sample leads with three open conflicts, built outside any running loop (for the
    synchronous `snap_compare`); its database is closed afterwards, so no connection is
    left for the garbage collector to stop on some later test's loop."""

    async def build() -> tuple[LeadSyncStore, Database]:
        db = await Database.open(":memory:", now=frozen_clock)
        store = LeadSyncStore(db, now=frozen_clock)
        await store.merge_leads(sample_leads())
        await store.dispatch(ConflictsDetected(sample_conflicts(3)))
        ping = NOW - timedelta(seconds=3)
        await store.dispatch(ConnectionChanged(connected=True, last_ping=ping))
        return store, db

    store, db = asyncio.run(build())
    yield store
    asyncio.run(db.close())


def triage_app(store: LeadSyncStore, *, read_only: bool = False) -> LeadSyncApp:
    return make_app(
        load_settings().settings,
        store=store,
        clock=frozen_clock,
        read_only=read_only,
        live_timers=False,
        actor="dana",
    )


async def steady(pilot: Pilot[int]) -> None:
    """Wait for the screen, then stop the Input cursors blinking."""
    await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False


def open_then(*keys: str) -> RunBefore:
    """Press `c` to open the first conflict in triage order, then `keys`."""

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("c")
        await steady(pilot)
        await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()
        await steady(pilot)

    return run_before


def words(text: str) -> list[str]:
    return ["space" if char == " " else char for char in text]


@SIZES
def test_conflict_modal(
    snap_compare: SnapCompare, store: LeadSyncStore, size: tuple[int, int]
) -> None:
    """The high-severity phone conflict: three values, the four choices, reason, actions."""
    assert snap_compare(triage_app(store), terminal_size=size, run_before=open_then())


def test_conflict_modal_rent_after_a_skip(snap_compare: SnapCompare, store: LeadSyncStore) -> None:
    """`n` moves to conflict 2 of 3 (rent, shown as money) with 4 chosen."""
    opened = open_then("n")

    async def run_before(pilot: Pilot[int]) -> None:
        await opened(pilot)
        await pilot.press("4")
        await steady(pilot)

    assert snap_compare(triage_app(store), terminal_size=(80, 24), run_before=run_before)


@SIZES
def test_conflict_modal_merged_invalid(
    snap_compare: SnapCompare, store: LeadSyncStore, size: tuple[int, int]
) -> None:
    app = triage_app(store)
    keys = open_then("3", "ctrl+u", *"512-555")
    assert snap_compare(app, terminal_size=size, run_before=keys)


@SIZES
def test_conflict_modal_missing_reason(
    snap_compare: SnapCompare, store: LeadSyncStore, size: tuple[int, int]
) -> None:
    app = triage_app(store)
    assert snap_compare(app, terminal_size=size, run_before=open_then("1", "ctrl+s"))


@SIZES
def test_conflict_modal_loading(
    snap_compare: SnapCompare, store: LeadSyncStore, size: tuple[int, int]
) -> None:
    """A store call that has not answered yet: everything disabled, "Resolving…"."""

    async def run_before(pilot: Pilot[int]) -> None:
        waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def submit(resolution: ConflictResolution) -> None:
            await waiting

        async def escalate(reason: str) -> None:
            await waiting

        modal = ConflictResolutionModal(
            sample_conflicts(1)[0],
            lead_name="Amara Johnson",
            submit=submit,
            escalate=escalate,
            position=(1, 3),
        )
        await steady(pilot)  # the dashboard first
        await pilot.app.push_screen(modal)
        await steady(pilot)
        await pilot.press("2", *words("ResMan has the new number"), "ctrl+s")
        await steady(pilot)

    assert snap_compare(triage_app(store), terminal_size=size, run_before=run_before)


@SIZES
def test_conflict_modal_store_error(
    snap_compare: SnapCompare, store: LeadSyncStore, size: tuple[int, int]
) -> None:
    """Someone else resolved it while the modal was open: the store refuses, it stays."""
    opened = open_then()

    async def run_before(pilot: Pilot[int]) -> None:
        await opened(pilot)
        other = ConflictResolution(resolution=Resolution.RESMAN_WINS, reason="other desk")
        await store.resolve_conflict("cfl_000", other, "lee")
        await pilot.press("1", *words("DomIQ is newer"), "ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await steady(pilot)

    assert snap_compare(triage_app(store), terminal_size=size, run_before=run_before)


@SIZES
def test_conflict_modal_read_only(
    snap_compare: SnapCompare, store: LeadSyncStore, size: tuple[int, int]
) -> None:
    app = triage_app(store, read_only=True)
    assert snap_compare(app, terminal_size=size, run_before=open_then())


@pytest.fixture
def duplicate_store() -> Iterator[LeadSyncStore]:
    """One new lead that two ResMan prospects could be (search-before-create found both)."""
    lead = sample_leads()[0]
    ours = {"first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email}
    candidates = [
        ("7f3c0100-0000-4000-8000-000000000100", {**ours, "phone": "+15125550100"}),
        ("7f3c0101-0000-4000-8000-000000000101", {**ours, "email": "m.okafor@example.net"}),
    ]
    conflict = LeadSyncConflict(
        id="cfl_dup",
        conversation_id=lead.conversation_id,
        field=DUPLICATE_FIELD,
        domiq_value=identity_text(ours),
        resman_value=candidates_text(candidates),
        base_value=None,
        conflict_type=ConflictType.DUPLICATE_CANDIDATE,
        conflict_severity=ConflictSeverity.HIGH,
        resolution_status=ResolutionStatus.MANUAL_REVIEW,
        detected_at=NOW - timedelta(minutes=2),
    )

    async def build() -> tuple[LeadSyncStore, Database]:
        db = await Database.open(":memory:", now=frozen_clock)
        store = LeadSyncStore(db, now=frozen_clock)
        await store.merge_leads(sample_leads())
        await store.dispatch(ConflictsDetected([conflict]))
        ping = NOW - timedelta(seconds=3)
        await store.dispatch(ConnectionChanged(connected=True, last_ping=ping))
        return store, db

    store, db = asyncio.run(build())
    yield store
    asyncio.run(db.close())


@SIZES
def test_conflict_modal_duplicate_candidates(
    snap_compare: SnapCompare, duplicate_store: LeadSyncStore, size: tuple[int, int]
) -> None:
    """Two prospects could be this lead: the candidates listed, the choices relabelled."""
    app = triage_app(duplicate_store)
    assert snap_compare(app, terminal_size=size, run_before=open_then("3"))
