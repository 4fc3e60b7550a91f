"""What an operator sees in the new-lead form, at 80x24 (SSH) and 160x48.

The form opens over the dashboard on the sample store. Its two seams are given here:
the pre-flight runs the real local checks (`local_findings`: mapping, placeholders,
DomIQ duplicates in the store) against a fixed mapping, so no network is needed and every
run draws the same; the loading and error states hold or fail the create.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import date

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select

from leadsync_tui.app import LeadSyncApp, make_app
from leadsync_tui.clients.errors import TransientError
from leadsync_tui.clients.resman import PropertyMapping
from leadsync_tui.config import ResmanProperty, load_settings
from leadsync_tui.models import Lead, LeadData
from leadsync_tui.screens.lead_creation import LeadCreationModal
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_preflight import PreflightFinding, local_findings
from tests.screens.dashboard_fixtures import frozen_clock, sample_store_sync
from tests.typing_keys import type_into

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[int]], Awaitable[None]]
SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
TODAY = date(2026, 11, 2)
PROPERTIES = ("prop_oakridge", "prop_lakeview", "prop_riverbend")
MAPPING = PropertyMapping(
    {
        "prop_oakridge": ResmanProperty(
            property_id="9b2f4c1e-0000-4000-8000-000000000001",
            source_id="src-1",
            agent_id="emp-1",
        ),
        "prop_lakeview": ResmanProperty(
            property_id="9b2f4c1e-0000-4000-8000-000000000002", source_id="src-2"
        ),
    }
)


def form_app(store: LeadSyncStore) -> LeadSyncApp:
    return make_app(
        load_settings().settings,
        store=store,
        clock=frozen_clock,
        live_timers=False,
        actor="dana",
    )


def on_store(store: LeadSyncStore) -> Callable[[LeadData], Awaitable[list[PreflightFinding]]]:
    async def check(data: LeadData) -> list[PreflightFinding]:
        found = local_findings(data, MAPPING, store.state.leads.values(), TODAY)
        return sorted(found, key=lambda f: not f.blocking)

    return check


async def never(data: LeadData, key: str, confirmed: Sequence[PreflightFinding]) -> Lead:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def unavailable(data: LeadData, key: str, confirmed: Sequence[PreflightFinding]) -> Lead:
    raise TransientError(
        "DomIQ POST /v1/leads: HTTP 503 unavailable: DomIQ is down for maintenance",
        status_code=503,
    )


async def steady(pilot: Pilot[int]) -> None:
    await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def form_then(
    store: LeadSyncStore,
    fields: dict[str, str],
    *,
    submits: int = 0,
    create: Callable[[LeadData, str, Sequence[PreflightFinding]], Awaitable[Lead]] = never,
) -> RunBefore:
    """Open the form, type `fields` (a `property_id` is chosen), press ctrl+s `submits`
    times, and wait for the form's own work (a held create stays in flight)."""

    async def run_before(pilot: Pilot[int]) -> None:
        await steady(pilot)
        modal = LeadCreationModal(
            PROPERTIES,
            check=on_store(store),
            create=create,
            today=TODAY,
            idempotency_key="snapshot-key",
        )
        await pilot.app.push_screen(modal)
        await steady(pilot)
        for name, text in fields.items():
            if name == "property_id":
                modal.query_one("#property_id", Select).value = text
                # The form's answer to the choice (it may move the focus) comes through the
                # select's own message queue: typed keys must not race it.
                for _ in range(100):
                    await pilot.pause()
                    if "property_id" in modal._touched:
                        break
                continue
            await type_into(pilot, modal.query_one(f"#{name}", Input), text)
        for _ in range(submits):
            await pilot.press("ctrl+s")
            for _ in range(20):
                await pilot.pause()
                if modal.phase != "checking":
                    break
        await steady(pilot)

    return run_before


VALID = {
    "property_id": "prop_oakridge",
    "first_name": "Wren",
    "last_name": "Halvorsen",
    "email": "wren.halvorsen@example.net",
    "phone": "(737) 555-0187",
    "desired_move_in": "2027-01-15",
    "desired_bedrooms": "2",
    "max_rent": "$1,900",
}


@SIZES
def test_lead_form_empty(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    store = sample_store_sync()
    assert snap_compare(form_app(store), terminal_size=size, run_before=form_then(store, {}))


@SIZES
def test_lead_form_validation_errors(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Wrong values typed, then ctrl+s: every problem in place; nothing was sent."""
    store = sample_store_sync()
    typed = {
        "first_name": "Wren",
        "email": "wren@",
        "phone": "555-0187",
        "desired_move_in": "2026-10-01",
        "desired_bedrooms": "11",
    }
    run = form_then(store, typed, submits=1)
    assert snap_compare(form_app(store), terminal_size=size, run_before=run)


@SIZES
def test_lead_form_preflight_warnings(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """A test-like name and an email DomIQ already has: warnings, ctrl+s again to create."""
    store = sample_store_sync()
    typed = {**VALID, "first_name": "asdf", "email": "maya.okafor@example.com"}
    run = form_then(store, typed, submits=1)
    assert snap_compare(form_app(store), terminal_size=size, run_before=run)


@SIZES
def test_lead_form_preflight_errors(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """A property without a ResMan agent and a placeholder phone block the create."""
    store = sample_store_sync()
    typed = {**VALID, "property_id": "prop_lakeview", "phone": "512 555 5555"}
    run = form_then(store, typed, submits=1)
    assert snap_compare(form_app(store), terminal_size=size, run_before=run)


@SIZES
def test_lead_form_loading(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Nothing to say: the create runs ("Creating the lead in DomIQ…"), all disabled."""
    store = sample_store_sync()
    run = form_then(store, VALID, submits=1, create=never)
    assert snap_compare(form_app(store), terminal_size=size, run_before=run)


@SIZES
def test_lead_form_create_error(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """DomIQ is down: the reason, the values kept, ctrl+s to retry."""
    store = sample_store_sync()
    run = form_then(store, VALID, submits=1, create=unavailable)
    assert snap_compare(form_app(store), terminal_size=size, run_before=run)


def test_lead_form_after_a_hostile_paste(snap_compare: SnapCompare) -> None:
    """10 KB with escapes and line breaks pasted into a name and the notes: cut, cleaned,
    the layout as before."""
    store = sample_store_sync()
    opened = form_then(store, {})

    async def run_before(pilot: Pilot[int]) -> None:
        await opened(pilot)
        pasted = ("Wren\x1b[31m\x00\u202e\r\n" * 1000)[:10_000]
        for name in ("last_name", "notes"):
            pilot.app.screen.query_one(f"#{name}", Input).post_message(events.Paste(pasted))
        await steady(pilot)

    assert snap_compare(form_app(store), terminal_size=(80, 24), run_before=run_before)
